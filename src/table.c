// SPDX-License-Identifier: MIT
#include "table.h"
#include "report_groups.h"
#include "report_read.h"
#include "util.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NO_COLUMN ((size_t)-1)
#define SWEEP_BAR_WIDTH 32

void table__default_options(struct table_options *o)
{
	memset(o, 0, sizeof(*o));
	o->npercentiles = latency__default_percentiles(o->percentiles);
	o->format = GRID_TEXT;
}

/* ---- per-entry metrics, NAN where an entry has none ------------------- */

static double metric_count(const json_t *sc, const void *key)
{
	uint64_t v;

	return report_read__count(sc, key, &v) ? (double)v : NAN;
}

static double metric_lost_kicks(const json_t *sc, const void *unused)
{
	uint64_t v;

	(void)unused;
	return report_read__lost_kicks(sc, &v) ? (double)v : NAN;
}

static double metric_percentile(const json_t *sc, const void *pct)
{
	return latency__percentile(json_object_get(sc, "latency_ns"), *(const double *)pct);
}

/* kvm_stats.halt_poll.<key> (cpu_ns_per_request, poll_success_ratio): v2 VM scenarios. */
static double metric_halt_poll(const json_t *sc, const void *key)
{
	const json_t *v = json_object_get(json_object_get(json_object_get(sc, "kvm_stats"), "halt_poll"),
					  key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char cpu_key[] = "cpu_ns_per_request";
static const char poll_key[] = "poll_success_ratio";

/* Does any entry of gs have metric? */
static bool any_has(const struct report_groups *gs, double (*metric)(const json_t *, const void *),
		    const void *arg)
{
	for (size_t g = 0; g < gs->n; g++)
		for (size_t j = 0; j < gs->group[g].n; j++)
			if (!isnan(metric(report_groups__entry(gs, &gs->group[g], j), arg)))
				return true;
	return false;
}

struct detail_pct {
	const char *key;
	double pct;
};

static double metric_detail(const json_t *sc, const void *arg)
{
	const struct detail_pct *d = arg;

	return latency__percentile(json_object_get(json_object_get(sc, "details"), d->key), d->pct);
}

/* ---- the main table ----------------------------------------------------- */

struct columns {
	size_t scenario, rep, target, protocol, params, late, unresolved, lost_kicks, cpu, path;
	size_t count[4];        /* sent, delivered, coalesced, lost */
	size_t pct[LATENCY_MAX_PERCENTILES];
	size_t max;
};

static const char *const count_keys[4] = { "sent", "delivered", "coalesced", "lost" };

/* What the selected entries need: a column only some scenarios have is left out when none does. */
struct needs {
	bool rep, protocol, params, lost_kicks, cpu, v1;
};

static struct needs needs_of(const json_t *root, const struct report_groups *gs)
{
	struct needs nd = { .v1 = report_read__schema(root) < 2 };
	uint64_t unused;

	for (size_t g = 0; g < gs->n; g++) {
		const struct report_group *grp = &gs->group[g];

		nd.rep |= grp->n > 1;
		nd.protocol |= json_object_get(grp->params, "protocol") != NULL;
		nd.params |= grp->varying[0] != '\0';
		for (size_t j = 0; j < grp->n; j++)
			nd.lost_kicks |= report_read__lost_kicks(report_groups__entry(gs, grp, j), &unused);
	}
	nd.cpu = any_has(gs, metric_halt_poll, cpu_key);
	return nd;
}

static size_t optional_column(struct grid *t, bool wanted, const char *head, enum grid_align a)
{
	return wanted ? grid__column(t, head, a) : NO_COLUMN;
}

static void add_columns(struct grid *t, const struct needs *nd, const struct table_options *o,
			struct columns *c)
{
	bool has_max = false;
	char name[32], head[48];

	c->scenario = grid__column(t, "scenario", GRID_LEFT);
	c->rep = optional_column(t, nd->rep, "rep", GRID_RIGHT);
	c->target = grid__column(t, "target", GRID_LEFT);
	c->protocol = optional_column(t, nd->protocol, "protocol", GRID_LEFT);
	c->params = optional_column(t, nd->params, "params", GRID_LEFT);
	c->count[0] = grid__column(t, "sent", GRID_RIGHT);
	c->count[1] = grid__column(t, "deliv", GRID_RIGHT);
	c->late = grid__column(t, "late", GRID_RIGHT);
	c->count[2] = grid__column(t, "coal", GRID_RIGHT);
	c->count[3] = grid__column(t, "lost", GRID_RIGHT);
	c->unresolved = grid__column(t, "unres", GRID_RIGHT);
	c->lost_kicks = optional_column(t, nd->lost_kicks, "lost kicks", GRID_RIGHT);
	for (size_t i = 0; i < o->npercentiles; i++) {
		latency__percentile_name(o->percentiles[i], name, sizeof(name));
		ks_format(head, sizeof(head), "%s us", name);
		c->pct[i] = grid__column(t, head, GRID_RIGHT);
	}
	/* Percentile 100 is the maximum: one column, not two alike. */
	for (size_t i = 0; i < o->npercentiles; i++)
		has_max |= o->percentiles[i] >= 100.0;
	c->max = optional_column(t, !has_max, "max us", GRID_RIGHT);
	/* Beside the latency, what the vCPUs' answers cost: halt polling's trade-off. */
	c->cpu = optional_column(t, nd->cpu, "cpu/req us", GRID_RIGHT);
	c->path = grid__column(t, "path", GRID_LEFT);
}

/* An integer, or one decimal for the median of an even number of repetitions. */
static void set_count(struct grid *t, size_t row, size_t col, double v)
{
	if (col == NO_COLUMN)
		return;
	if (isnan(v))
		grid__set(t, row, col, "-");
	else if (v == floor(v))
		grid__set(t, row, col, "%.0f", v);
	else
		grid__set(t, row, col, "%.1f", v);
}

/* A ratio as a percentage with one decimal, "-" when there is none. */
static void set_percent(struct grid *t, size_t row, size_t col, double ratio)
{
	if (isnan(ratio))
		grid__set(t, row, col, "-");
	else
		grid__set(t, row, col, "%.1f", ratio * 100.0);
}

static void set_us(struct grid *t, size_t row, size_t col, double ns)
{
	char buf[32];

	latency__format_us(ns, buf, sizeof(buf));
	grid__set(t, row, col, "%s", buf);
}

static void set_labels(struct grid *t, size_t row, const struct columns *c, const struct report_group *g)
{
	const char *target = json_string_value(json_object_get(g->params, "target_state"));
	const char *proto = json_string_value(json_object_get(g->params, "protocol"));

	grid__set(t, row, c->scenario, "%s", g->name);
	grid__set(t, row, c->target, "%s", target ? target : "-");
	if (c->protocol != NO_COLUMN)
		grid__set(t, row, c->protocol, "%s", proto ? proto : "-");
	if (c->params != NO_COLUMN)
		grid__set(t, row, c->params, "%s", g->varying[0] ? g->varying : "-");
}

/*
 * v1 reports have no late or unresolved: "-" rather than 0, since v1 folded
 * those requests into delivered and lost and a 0 would claim otherwise.
 */
static void entry_row(struct grid *t, const json_t *root, const struct columns *c,
		      const struct table_options *o, const json_t *sc)
{
	size_t row = grid__rows(t) - 1;
	const json_t *lat = json_object_get(sc, "latency_ns");
	const char *err = report_read__error(sc);
	double max = 100.0;

	for (size_t k = 0; k < 4; k++)
		set_count(t, row, c->count[k], metric_count(sc, count_keys[k]));
	set_count(t, row, c->late, metric_count(sc, "late"));
	set_count(t, row, c->unresolved, metric_count(sc, "unresolved"));
	set_count(t, row, c->lost_kicks, metric_lost_kicks(sc, NULL));
	for (size_t i = 0; i < o->npercentiles; i++)
		set_us(t, row, c->pct[i], latency__percentile(lat, o->percentiles[i]));
	set_us(t, row, c->max, latency__percentile(lat, max));
	if (c->cpu != NO_COLUMN)
		set_us(t, row, c->cpu, metric_halt_poll(sc, cpu_key));
	grid__set(t, row, c->path, "%s", report_read__path(root, sc));
	if (err)
		grid__note(t, row, "error: %s", err);
	else if (json_is_true(json_object_get(sc, "interrupted")))
		grid__note(t, row, "interrupted: the counts and latency cover the part that ran");
}

/* The path every repetition took, or "mixed". */
static const char *group_path(const json_t *root, const struct report_groups *gs, const struct report_group *g)
{
	const char *path = NULL;

	for (size_t j = 0; j < g->n; j++) {
		const json_t *sc = report_groups__entry(gs, g, j);
		const char *p = report_read__path(root, sc);

		if (report_read__error(sc))
			continue;
		if (path && strcmp(path, p))
			return "mixed";
		path = p;
	}
	return path ? path : "-";
}

static void median_row(struct grid *t, const json_t *root, const struct columns *c,
		       const struct table_options *o, const struct report_groups *gs,
		       const struct report_group *g)
{
	size_t row = grid__row(t);
	double max = 100.0;

	set_labels(t, row, c, g);
	grid__set(t, row, c->rep, "median");
	for (size_t k = 0; k < 4; k++)
		set_count(t, row, c->count[k], report_groups__median(gs, g, metric_count, count_keys[k]));
	set_count(t, row, c->late, report_groups__median(gs, g, metric_count, "late"));
	set_count(t, row, c->unresolved, report_groups__median(gs, g, metric_count, "unresolved"));
	set_count(t, row, c->lost_kicks, report_groups__median(gs, g, metric_lost_kicks, NULL));
	for (size_t i = 0; i < o->npercentiles; i++)
		set_us(t, row, c->pct[i], report_groups__median(gs, g, metric_percentile, &o->percentiles[i]));
	set_us(t, row, c->max, report_groups__median(gs, g, metric_percentile, &max));
	if (c->cpu != NO_COLUMN)
		set_us(t, row, c->cpu, report_groups__median(gs, g, metric_halt_poll, cpu_key));
	grid__set(t, row, c->path, "%s", group_path(root, gs, g));
}

struct grid *table__scenarios(const json_t *root, const struct table_options *o)
{
	struct report_groups gs;
	struct columns c;
	struct needs nd;
	struct grid *t;

	report_groups__build(&gs, root, o->scenario);
	if (!gs.n) {
		report_groups__release(&gs);
		return NULL;
	}
	nd = needs_of(root, &gs);
	t = grid__new(NULL);
	add_columns(t, &nd, o, &c);
	for (size_t g = 0; g < gs.n; g++) {
		const struct report_group *grp = &gs.group[g];

		for (size_t j = 0; j < grp->n; j++) {
			size_t row = grid__row(t);

			set_labels(t, row, &c, grp);
			if (c.rep != NO_COLUMN)
				grid__set(t, row, c.rep, "%zu", j + 1);
			entry_row(t, root, &c, o, report_groups__entry(&gs, grp, j));
		}
		if (grp->n > 1)
			median_row(t, root, &c, o, &gs, grp);
	}
	if (nd.v1)
		grid__footer(t, "(schema_version 1 report: late and unresolved were not recorded)");
	report_groups__release(&gs);
	return t;
}

/* ---- sweep tables ------------------------------------------------------- */

/* details.<key> objects that are latency histograms (broadcast's memslot), in name order. */
static size_t detail_histograms(const json_t *sc, const char **keys, size_t max)
{
	const json_t *details = json_object_get(sc, "details"), *v;
	const char *key;
	size_t n = 0;

	json_object_foreach((json_t *)details, key, v) {
		size_t i;

		if (n == max || !latency__of(v) || !json_is_number(json_object_get(v, "p50")))
			continue;
		for (i = n; i > 0 && strcmp(keys[i - 1], key) > 0; i--)
			keys[i] = keys[i - 1];
		keys[i] = key;
		n++;
	}
	return n;
}

#define SWEEP_MAX_DETAILS 4

struct sweep_columns {
	size_t series, x, pct[LATENCY_MAX_PERCENTILES], detail[SWEEP_MAX_DETAILS][2], lost, lost_kicks;
	size_t cpu, polled, bar;
	const char *details[SWEEP_MAX_DETAILS];
	size_t ndetails;
};

/* Does any entry of the sweep's points have metric? */
static bool sweep_has(const struct report_groups *gs, const struct sweep *sw,
		      double (*metric)(const json_t *, const void *), const void *arg)
{
	for (size_t s = 0; s < sw->nseries; s++)
		for (size_t k = 0; k < sw->series[s].n; k++) {
			const struct report_group *g = &gs->group[sw->series[s].group[k]];

			for (size_t j = 0; j < g->n; j++)
				if (!isnan(metric(report_groups__entry(gs, g, j), arg)))
					return true;
		}
	return false;
}

static void sweep_columns(struct grid *t, const struct report_groups *gs, const struct sweep *sw,
			  const struct table_options *o, const json_t *first, struct sweep_columns *c)
{
	bool labelled = false;
	char name[32], head[80];

	for (size_t s = 0; s < sw->nseries; s++)
		labelled |= sw->series[s].label[0] != '\0';
	c->series = labelled ? grid__column(t, "series", GRID_LEFT) : NO_COLUMN;
	c->x = grid__column(t, sw->key, GRID_RIGHT);
	for (size_t i = 0; i < o->npercentiles; i++) {
		latency__percentile_name(o->percentiles[i], name, sizeof(name));
		c->pct[i] = grid__column(t, name, GRID_RIGHT);
	}
	c->ndetails = detail_histograms(first, c->details, SWEEP_MAX_DETAILS);
	for (size_t d = 0; d < c->ndetails; d++) {
		ks_format(head, sizeof(head), "%s p50", c->details[d]);
		c->detail[d][0] = grid__column(t, head, GRID_RIGHT);
		ks_format(head, sizeof(head), "%s p99", c->details[d]);
		c->detail[d][1] = grid__column(t, head, GRID_RIGHT);
	}
	c->lost = grid__column(t, "lost", GRID_RIGHT);
	c->lost_kicks = optional_column(t, sweep_has(gs, sw, metric_lost_kicks, NULL), "lost kicks",
					GRID_RIGHT);
	c->cpu = optional_column(t, sweep_has(gs, sw, metric_halt_poll, cpu_key), "cpu/req us", GRID_RIGHT);
	c->polled = optional_column(t, sweep_has(gs, sw, metric_halt_poll, poll_key), "polls ok %",
				    GRID_RIGHT);
	c->bar = grid__column(t, "# p50, - p99", GRID_LEFT);
}

static void sweep_bar(struct grid *t, size_t row, size_t col, double p50, double p99, double scale)
{
	char bar[SWEEP_BAR_WIDTH + 1];
	int n50 = scale > 0 && !isnan(p50) ? (int)(p50 / scale * SWEEP_BAR_WIDTH + 0.5) : 0;
	int n99 = scale > 0 && !isnan(p99) ? (int)(p99 / scale * SWEEP_BAR_WIDTH + 0.5) : 0;
	int i;

	for (i = 0; i < n99 && i < SWEEP_BAR_WIDTH; i++)
		bar[i] = i < n50 ? '#' : '-';
	bar[i] = '\0';
	grid__set(t, row, col, "%s", bar);
}

static void sweep_row(struct grid *t, const struct sweep_columns *c, const struct table_options *o,
		      const struct report_groups *gs, const struct sweep_series *s, size_t k, double scale)
{
	const struct report_group *g = &gs->group[s->group[k]];
	size_t row = grid__row(t);
	double p50 = 50.0, p99 = 99.0;

	if (c->series != NO_COLUMN)
		grid__set(t, row, c->series, "%s", s->label[0] ? s->label : "-");
	/* Whole numbers in full: 1000000 ns reads better than 1e+06. */
	if (s->x[k] == floor(s->x[k]) && fabs(s->x[k]) < 1e15)
		grid__set(t, row, c->x, "%.0f", s->x[k]);
	else
		grid__set(t, row, c->x, "%g", s->x[k]);
	for (size_t i = 0; i < o->npercentiles; i++)
		set_us(t, row, c->pct[i], report_groups__median(gs, g, metric_percentile, &o->percentiles[i]));
	for (size_t d = 0; d < c->ndetails; d++) {
		struct detail_pct q50 = { c->details[d], 50.0 }, q99 = { c->details[d], 99.0 };

		set_us(t, row, c->detail[d][0], report_groups__median(gs, g, metric_detail, &q50));
		set_us(t, row, c->detail[d][1], report_groups__median(gs, g, metric_detail, &q99));
	}
	set_count(t, row, c->lost, report_groups__median(gs, g, metric_count, "lost"));
	set_count(t, row, c->lost_kicks, report_groups__median(gs, g, metric_lost_kicks, NULL));
	if (c->cpu != NO_COLUMN)
		set_us(t, row, c->cpu, report_groups__median(gs, g, metric_halt_poll, cpu_key));
	if (c->polled != NO_COLUMN)
		set_percent(t, row, c->polled, report_groups__median(gs, g, metric_halt_poll, poll_key));
	sweep_bar(t, row, c->bar, report_groups__median(gs, g, metric_percentile, &p50),
		  report_groups__median(gs, g, metric_percentile, &p99), scale);
}

static struct grid *sweep_table(const struct report_groups *gs, const struct sweep *sw,
				const struct table_options *o)
{
	const struct report_group *first = &gs->group[sw->series[0].group[0]];
	const char *target = json_string_value(json_object_get(first->params, "target_state"));
	struct sweep_columns c;
	double scale = 0, p99 = 99.0;
	char title[256];
	struct grid *t;
	bool repeated = false;

	for (size_t s = 0; s < sw->nseries; s++) {
		for (size_t k = 0; k < sw->series[s].n; k++) {
			const struct report_group *g = &gs->group[sw->series[s].group[k]];
			double v = report_groups__median(gs, g, metric_percentile, &p99);

			scale = v > scale ? v : scale;
			repeated |= g->n > 1;
		}
	}
	ks_format(title, sizeof(title), "%s vs %s (latency in us%s%s%s)", sw->name, sw->key,
		  target && !strstr(sw->series[0].label, "target_state=") ? ", target " : "",
		  target && !strstr(sw->series[0].label, "target_state=") ? target : "",
		  repeated ? ", median of the repetitions" : "");
	t = grid__new(title);
	sweep_columns(t, gs, sw, o, report_groups__entry(gs, first, 0), &c);
	for (size_t s = 0; s < sw->nseries; s++)
		for (size_t k = 0; k < sw->series[s].n; k++)
			sweep_row(t, &c, o, gs, &sw->series[s], k, scale);
	return t;
}

struct grid **table__sweeps(const json_t *root, const struct table_options *o, size_t *n)
{
	struct report_groups gs;
	struct sweeps sw;
	struct grid **out = NULL;

	report_groups__build(&gs, root, o->scenario);
	report_groups__sweeps(&gs, &sw);
	*n = sw.n;
	if (sw.n) {
		out = ks_zalloc(sw.n * sizeof(*out));
		for (size_t i = 0; i < sw.n; i++)
			out[i] = sweep_table(&gs, &sw.sweep[i], o);
	}
	report_groups__release_sweeps(&sw);
	report_groups__release(&gs);
	return out;
}

void table__print(const json_t *root, const struct table_options *o, FILE *out)
{
	struct grid *t = table__scenarios(root, o), **sweeps;
	size_t n;

	if (!t) {
		if (o->scenario)
			fprintf(out, "(no entry of scenario %s in this report)\n", o->scenario);
		else
			fputs("(the report holds no scenario)\n", out);
		return;
	}
	grid__print(t, o->format, out);
	grid__free(t);
	sweeps = table__sweeps(root, o, &n);
	for (size_t i = 0; i < n; i++) {
		fputc('\n', out);
		grid__print(sweeps[i], o->format, out);
		grid__free(sweeps[i]);
	}
	free(sweeps);
}
