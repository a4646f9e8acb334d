// SPDX-License-Identifier: MIT
/* plot's sweep curves and stage bars (plot.h says what each shows). */
#include "latency.h"
#include "plot.h"
#include "plot_panel.h"
#include "report_read.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SWEEP_PANELS 8
#define MAX_STAGE_PANELS 6
#define MAX_STAGES 14
#define MAX_POINTS 64

/* ---- sweeps --------------------------------------------------------------- */

/* The distinct (scenario, parameter) sweeps over all reports, in order of appearance. */
static size_t distinct_sweeps(const struct plot_doc *d, const struct sweep **out, size_t max)
{
	size_t n = 0;

	for (size_t r = 0; r < d->nrep; r++) {
		for (size_t i = 0; i < d->sweeps[r].n; i++) {
			const struct sweep *sw = &d->sweeps[r].sweep[i];
			size_t k;

			for (k = 0; k < n && (strcmp(out[k]->name, sw->name) || strcmp(out[k]->key, sw->key)); k++)
				;
			if (k == n && n < max)
				out[n++] = sw;
		}
	}
	return n;
}

size_t plot__sweep_panels(const struct plot_doc *d)
{
	const struct sweep *sw[MAX_SWEEP_PANELS];

	return distinct_sweeps(d, sw, MAX_SWEEP_PANELS);
}

static double metric_pct(const json_t *sc, const void *pct)
{
	return latency__percentile(json_object_get(sc, "latency_ns"), *(const double *)pct);
}

static double metric_lost_fraction(const json_t *sc, const void *unused)
{
	uint64_t sent, lost;

	(void)unused;
	if (!report_read__count(sc, "sent", &sent) || !report_read__count(sc, "lost", &lost) || !sent)
		return NAN;
	return (double)lost / (double)sent;
}

/* One series of one report: its points by increasing x. */
struct curve {
	char label[200];
	size_t n;
	double x[MAX_POINTS], p50[MAX_POINTS], p99[MAX_POINTS], lost[MAX_POINTS];
};

static void curve_of(const struct plot_doc *d, size_t r, const struct sweep *sw, const struct sweep_series *s,
		     struct curve *c)
{
	const struct report_groups *gs = &d->groups[r];
	double p50 = 50.0, p99 = 99.0;

	c->n = s->n < MAX_POINTS ? s->n : MAX_POINTS;
	for (size_t k = 0; k < c->n; k++) {
		const struct report_group *g = &gs->group[s->group[k]];

		c->x[k] = s->x[k];
		c->p50[k] = report_groups__median(gs, g, metric_pct, &p50);
		c->p99[k] = report_groups__median(gs, g, metric_pct, &p99);
		c->lost[k] = report_groups__median(gs, g, metric_lost_fraction, NULL);
	}
	/* The report (when several), then what sets this curve apart; the scenario when nothing does. */
	ks_format(c->label, sizeof(c->label), "%s%s%s", d->nrep > 1 ? d->rep[r].label : "",
		  d->nrep > 1 && s->label[0] ? ": " : "", s->label[0] || d->nrep > 1 ? s->label : sw->name);
}

static size_t curves_of(const struct plot_doc *d, const struct sweep *want, struct curve *c, size_t max)
{
	size_t n = 0;

	for (size_t r = 0; r < d->nrep; r++)
		for (size_t i = 0; i < d->sweeps[r].n; i++) {
			const struct sweep *sw = &d->sweeps[r].sweep[i];

			if (strcmp(sw->name, want->name) || strcmp(sw->key, want->key))
				continue;
			for (size_t s = 0; s < sw->nseries && n < max; s++)
				curve_of(d, r, sw, &sw->series[s], &c[n++]);
		}
	return n;
}

/*
 * The swept parameter on a log axis when it spans a factor of 4 or more
 * (vCPU counts 1, 2, 4, 8 are evenly spaced then), else linear; ticks at
 * the values that were run.
 */
static size_t sweep_x_axis(const struct curve *c, size_t n, const struct panel *p, struct axis *a, double *ticks)
{
	double lo = INFINITY, hi = -INFINITY;
	size_t nt = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < c[i].n; k++) {
			size_t t;

			lo = c[i].x[k] < lo ? c[i].x[k] : lo;
			hi = c[i].x[k] > hi ? c[i].x[k] : hi;
			for (t = 0; t < nt && ticks[t] != c[i].x[k]; t++)
				;
			if (t == nt && nt < MAX_POINTS)
				ticks[nt++] = c[i].x[k];
		}
	a->log = lo > 0 && hi / lo >= 4;
	a->lo = a->log ? lo / 1.2 : lo - (hi - lo) * 0.05;
	a->hi = a->log ? hi * 1.2 : hi + (hi - lo) * 0.05;
	a->p0 = p->left;
	a->p1 = p->right;
	if (nt > 12) {
		struct axis fit = *a;

		axis__fit(&fit, lo, hi, false);
		nt = axis__ticks(a->log ? &fit : a, ticks, MAX_POINTS);
	}
	return nt;
}

static void sweep_y_axes(const struct curve *c, size_t n, const struct panel *p, struct axis *y, struct axis *lost)
{
	double lo = INFINITY, hi = 0, most = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < c[i].n; k++) {
			if (c[i].p50[k] > 0 && c[i].p50[k] < lo)
				lo = c[i].p50[k];
			hi = c[i].p99[k] > hi ? c[i].p99[k] : hi;
			most = c[i].lost[k] > most ? c[i].lost[k] : most;
		}
	axis__fit(y, isfinite(lo) ? lo : 1000, hi > 0 ? hi : 1e6, true);
	y->p0 = p->bottom;
	y->p1 = p->top;
	/* With nothing lost the right axis still reads 0-1%, so a flat line at 0 means something. */
	axis__fit(lost, 0, most > 0.01 ? most : 0.01, false);
	lost->p0 = p->bottom;
	lost->p1 = p->top;
}

static void draw_curve(FILE *out, const struct curve *c, size_t i, const struct axis *x,
		       const struct axis *y, const struct axis *lost)
{
	double px[MAX_POINTS], p50[MAX_POINTS], p99[MAX_POINTS], pl[MAX_POINTS];
	const char *colour = plot__colour(i);

	for (size_t k = 0; k < c->n; k++) {
		px[k] = axis__px(x, c->x[k]);
		p50[k] = axis__px(y, c->p50[k]);
		p99[k] = axis__px(y, c->p99[k]);
		pl[k] = axis__px(lost, c->lost[k]);
	}
	svg__polyline(out, "sweep p50", colour, 2.5, NULL, px, p50, c->n);
	svg__polyline(out, "sweep p99", colour, 2, "8 4", px, p99, c->n);
	svg__polyline(out, "sweep lost", colour, 1.5, "2 3", px, pl, c->n);
	for (size_t k = 0; k < c->n; k++) {
		svg__circle(out, px[k], p50[k], 3.5, colour);
		svg__circle(out, px[k], p99[k], 2.5, colour);
	}
}

static double draw_sweep(FILE *out, const struct plot_doc *d, const struct sweep *sw, double y0)
{
	struct curve *c = ks_zalloc(PLOT_MAX_LINES * sizeof(*c));
	size_t n = curves_of(d, sw, c, PLOT_MAX_LINES), nt;
	struct axis x = { 0 }, y = { 0 }, lost = { 0 };
	double ticks[MAX_POINTS];
	char title[200], label[96];
	struct panel p;

	panel__place(&p, y0, 86);
	ks_format(title, sizeof(title), "%s: latency and lost fraction vs %s", sw->name, sw->key);
	panel__title(out, &p, title, "median over repetitions; p50 solid, p99 dashed, lost fraction dotted (right axis)");
	nt = sweep_x_axis(c, n, &p, &x, ticks);
	sweep_y_axes(c, n, &p, &y, &lost);
	panel__y_axis(out, &p, &y, "latency", true, false);
	panel__y_axis(out, &p, &lost, "lost fraction", false, true);
	ks_format(label, sizeof(label), "%s%s", sw->key, x.log ? " (log scale)" : "");
	panel__x_axis(out, &p, &x, ticks, NULL, nt, label);
	p.legend_x = 815;
	for (size_t i = 0; i < n; i++) {
		draw_curve(out, &c[i], i, &x, &y, &lost);
		panel__legend(out, &p, plot__colour(i), NULL, c[i].label);
	}
	panel__legend(out, &p, "#555555", NULL, "p50");
	panel__legend(out, &p, "#555555", "8 4", "p99");
	panel__legend(out, &p, "#555555", "2 3", "lost fraction");
	free(c);
	return y0 + PLOT_PANEL_HEIGHT;
}

double plot__draw_sweeps(FILE *out, const struct plot_doc *d, double y0)
{
	const struct sweep *sw[MAX_SWEEP_PANELS];
	size_t n = distinct_sweeps(d, sw, MAX_SWEEP_PANELS);

	for (size_t i = 0; i < n; i++)
		y0 = draw_sweep(out, d, sw[i], y0);
	return y0;
}

/* ---- stage bars ----------------------------------------------------------- */

/* An entry's trace.stages when it holds at least one {name, p50_ns, p99_ns}. */
static const json_t *stages_of(const json_t *sc)
{
	const json_t *stages = json_object_get(json_object_get(sc, "trace"), "stages"), *st;
	size_t i;

	if (!json_is_array(stages) || !json_array_size(stages))
		return NULL;
	json_array_foreach(stages, i, st)
		if (!json_is_string(json_object_get(st, "name")) ||
		    !json_is_number(json_object_get(st, "p50_ns")) || !json_is_number(json_object_get(st, "p99_ns")))
			return NULL;
	return stages;
}

struct stage_panel {
	size_t r;
	const struct report_group *g;
	const json_t *stages;
};

/* Each group's first entry with stages, over all reports. */
static size_t stage_panels(const struct plot_doc *d, struct stage_panel *out, size_t max)
{
	size_t n = 0;

	for (size_t r = 0; r < d->nrep; r++)
		for (size_t g = 0; g < d->groups[r].n && n < max; g++)
			for (size_t j = 0; j < d->groups[r].group[g].n; j++) {
				const json_t *sc = report_groups__entry(&d->groups[r], &d->groups[r].group[g], j);

				if (stages_of(sc)) {
					out[n++] = (struct stage_panel){ r, &d->groups[r].group[g], stages_of(sc) };
					break;
				}
			}
	return n;
}

size_t plot__stage_panels(const struct plot_doc *d)
{
	struct stage_panel sp[MAX_STAGE_PANELS];

	return stage_panels(d, sp, MAX_STAGE_PANELS);
}

static void draw_stage_row(FILE *out, const struct panel *p, const struct axis *x, const json_t *st,
			   double yc, double h)
{
	double p50 = json_number_value(json_object_get(st, "p50_ns"));
	double p99 = json_number_value(json_object_get(st, "p99_ns"));
	double x0 = axis__px(x, 0), x50 = axis__px(x, p50), x99 = axis__px(x, p99);

	svg__text(out, p->left - 8, yc + 4, 11, "end", NULL, "%.30s",
		  json_string_value(json_object_get(st, "name")));
	svg__rect(out, x0, yc - h / 2, x50 - x0, h, plot__colour(0), NULL);
	if (p99 > p50) {
		svg__line(out, x50, yc, x99, yc, "#333333", 1.5, NULL);
		svg__line(out, x99, yc - h / 3, x99, yc + h / 3, "#333333", 1.5, NULL);
	}
}

static double draw_stage_panel(FILE *out, const struct plot_doc *d, const struct stage_panel *sp, double y0)
{
	size_t n = json_array_size(sp->stages), i;
	double hi = 0, ticks[32], row;
	const char *labels[32];
	char text[32][32], title[256], label[160];
	struct axis x = { 0 };
	struct panel p;
	const json_t *st;
	size_t nt;

	n = n < MAX_STAGES ? n : MAX_STAGES;
	panel__place(&p, y0, 200);
	plot__group_label(sp->g, label, sizeof(label));
	ks_format(title, sizeof(title), "Where the time goes: %s%s%s", d->nrep > 1 ? d->rep[sp->r].label : "",
		  d->nrep > 1 ? ": " : "", label);
	panel__title(out, &p, title, "per stage: bar to p50, whisker to p99 (trace.stages)");
	json_array_foreach(sp->stages, i, st)
		if (i < n && json_number_value(json_object_get(st, "p99_ns")) > hi)
			hi = json_number_value(json_object_get(st, "p99_ns"));
	axis__fit(&x, 0, hi > 0 ? hi * 1.05 : 1000, false);
	x.p0 = p.left;
	x.p1 = p.right;
	nt = axis__ticks(&x, ticks, KS_ARRAY_SIZE(ticks));
	for (i = 0; i < nt; i++) {
		svg__format_ns(ticks[i], text[i], sizeof(text[i]));
		labels[i] = text[i];
	}
	panel__x_axis(out, &p, &x, ticks, labels, nt, "latency per stage");
	row = (p.bottom - p.top) / (double)n;
	json_array_foreach(sp->stages, i, st)
		if (i < n)
			draw_stage_row(out, &p, &x, st, p.top + row * ((double)i + 0.5), row * 0.55);
	panel__legend(out, &p, plot__colour(0), NULL, "p50");
	panel__legend(out, &p, "#333333", NULL, "p99 (whisker end)");
	return y0 + PLOT_PANEL_HEIGHT;
}

double plot__draw_stages(FILE *out, const struct plot_doc *d, double y0)
{
	struct stage_panel sp[MAX_STAGE_PANELS];
	size_t n = stage_panels(d, sp, MAX_STAGE_PANELS);

	for (size_t i = 0; i < n; i++)
		y0 = draw_stage_panel(out, d, &sp[i], y0);
	return y0;
}
