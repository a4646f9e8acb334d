// SPDX-License-Identifier: MIT
/*
 * compare's JSON outputs, all built with jansson:
 * - json: the whole comparison, ns as in the reports;
 * - bmf: Bencher Metric Format, {benchmark: {measure: {value, lower_value,
 *   upper_value}}}, one benchmark per scenario of NEW, named with every
 *   param so the name stays the same from run to run; latencies in ns
 *   (the unit of Bencher's latency measure);
 * - github: github-action-benchmark's customSmallerIsBetter input, an
 *   array of {name, unit, value, range, extra}; only the metrics compare
 *   judges, because the action raises an alert on any entry that grew.
 * bmf and github describe NEW: the tracker keeps the history, while the
 * exit status still says how NEW compares with BASE.
 */
#include "compare_format.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FULL_LABEL_MAX 1024

static json_t *real_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static int dump(json_t *root, FILE *out)
{
	int ret = root ? json_dumpf(root, out, JSON_INDENT(2) | JSON_REAL_PRECISION(12)) : -1;

	json_decref(root);
	if (ret < 0 || fputc('\n', out) == EOF)
		return -1;
	return 0;
}

/* ---- json -------------------------------------------------------------- */

static json_t *report_json(const struct compare_report *r)
{
	json_t *tool = json_object_get(r->root, "tool");
	json_t *started = json_object_get(r->root, "started_at");

	return json_pack("{s:s, s:O?, s:O?, s:i, s:b, s:I, s:I}", "path", r->path,
			 "tool_version", json_object_get(tool, "version"), "started_at", started,
			 "schema_version", r->schema_version, "interrupted", r->interrupted,
			 "entries", (json_int_t)r->nentries, "groups", (json_int_t)r->ngroups);
}

static json_t *cell_json(const struct compare_cell *c, enum compare_metric m, const struct compare_options *o)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:o, s:b, s:s, s:s}",
			 "base", real_or_null(c->base), "new", real_or_null(c->new),
			 "change_pct", real_or_null(c->change_pct),
			 "best_base", real_or_null(c->best_base), "best_new", real_or_null(c->best_new),
			 "best_change_pct", real_or_null(c->best_change_pct),
			 "threshold_pct", o->threshold[m] < 0 ? json_null() : json_real(o->threshold[m]),
			 "n_base", (json_int_t)c->nbase, "n_new", (json_int_t)c->nnew,
			 "p_value", c->tested ? json_real(c->p_value) : json_null(),
			 "exact", c->exact, "verdict", compare__verdict_name(c->verdict),
			 "unit", compare_metrics[m].unit);
}

static json_t *match_json(const struct compare_match *mt, const struct compare_options *o,
			  json_t *regressions)
{
	json_t *metrics = json_object();
	bool regressed = mt->new_failed;

	for (int m = 0; m < COMPARE_NMETRICS; m++) {
		json_object_set_new(metrics, compare_metrics[m].name, cell_json(&mt->cell[m], m, o));
		if (mt->cell[m].verdict != VERDICT_REGRESSION)
			continue;
		regressed = true;
		json_array_append_new(regressions, json_pack("{s:s, s:s, s:s, s:o}", "scenario", mt->base->name,
							     "label", mt->label, "metric", compare_metrics[m].name,
							     "change_pct", real_or_null(mt->cell[m].change_pct)));
	}
	if (mt->new_failed)
		json_array_append_new(regressions, json_pack("{s:s, s:s, s:s, s:s}", "scenario", mt->base->name,
							     "label", mt->label, "metric", "error",
							     "error", mt->new->error));
	return json_pack("{s:s, s:O, s:s, s:{s:I, s:I}, s:{s:I, s:I}, s:{s:I, s:I}, s:s, s:b, s:o}",
			 "scenario", mt->base->name, "params", mt->base->params, "label", mt->label,
			 "repetitions", "base", (json_int_t)mt->base->reps, "new", (json_int_t)mt->new->reps,
			 "failed", "base", (json_int_t)mt->base->failed, "new", (json_int_t)mt->new->failed,
			 "partial", "base", (json_int_t)mt->base->partial, "new", (json_int_t)mt->new->partial,
			 "significance", mt->testable ? "mann-whitney" : "too few repetitions",
			 "regression", regressed, "metrics", metrics);
}

/* A canonical value back as JSON (null when the param is absent). */
static json_t *value_json(const char *canonical)
{
	json_t *v = canonical ? json_loads(canonical, JSON_DECODE_ANY, NULL) : NULL;

	return v ? v : json_null();
}

static json_t *closest_json(const struct compare_unmatched *u)
{
	json_t *diffs = json_array();

	if (!u->closest) {
		json_decref(diffs);
		return json_null();
	}
	for (size_t i = 0; i < u->ndiffs; i++)
		json_array_append_new(diffs, json_pack("{s:s, s:o, s:o}", "param", u->diffs[i].param,
						       "base", value_json(u->diffs[i].base_value),
						       "new", value_json(u->diffs[i].new_value)));
	return json_pack("{s:s, s:O, s:o}", "label", u->closest->label, "params", u->closest->params,
			 "differences", diffs);
}

static json_t *unmatched_json(const struct compare_unmatched *u, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:O, s:s, s:I, s:o, s:o}", "scenario", u[i].group->name,
						   "params", u[i].group->params, "label", u[i].group->label,
						   "repetitions", (json_int_t)u[i].group->reps,
						   "closest", closest_json(&u[i]),
						   "sweep_point_of", u[i].sweep_param ?
						   json_string(u[i].sweep_param) : json_null()));
	return a;
}

static json_t *settings_json(const struct compare_options *o)
{
	json_t *thresholds = json_object(), *lower = json_array(), *units = json_object();
	json_t *ignored = json_array();

	for (int m = 0; m < COMPARE_NMETRICS; m++) {
		json_object_set_new(thresholds, compare_metrics[m].name,
				    o->threshold[m] < 0 ? json_null() : json_real(o->threshold[m]));
		json_object_set_new(units, compare_metrics[m].name, json_string(compare_metrics[m].unit));
		json_array_append_new(lower, json_string(compare_metrics[m].name));
	}
	for (size_t i = 0; i < o->nignored; i++)
		json_array_append_new(ignored, json_string(o->ignored[i]));
	return json_pack("{s:o, s:o, s:I, s:I, s:f, s:o, s:o}", "thresholds_pct", thresholds, "units", units,
			 "min_repeats", (json_int_t)o->min_repeats,
			 "repeats_needed", (json_int_t)compare__repeats_needed(o), "alpha", o->alpha,
			 "lower_is_better", lower, "match_ignore", ignored);
}

int compare__print_json(const struct compare_view *v, FILE *out)
{
	const struct compare_result *res = v->res;
	json_t *matches = json_array(), *regressions = json_array(), *left_out = json_array(), *root;

	for (size_t i = 0; i < res->nleft_out; i++)
		json_array_append_new(left_out, json_pack("{s:s, s:s, s:s}", "scenario", res->left_out[i].name,
							  "param", res->left_out[i].param, "recorded_by",
							  res->left_out[i].recorded_by_new ? "new" : "base"));

	for (size_t i = 0; i < res->nmatches; i++)
		json_array_append_new(matches, match_json(&res->matches[i], v->o, regressions));
	root = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:o, s:s, s:s, s:i, s:I}",
			      "base", report_json(v->base), "new", report_json(v->new),
			      "settings", settings_json(v->o), "comparisons", matches,
			      "only_in_base", unmatched_json(res->base_only, res->nbase_only),
			      "only_in_new", unmatched_json(res->new_only, res->nnew_only),
			      "host_difference", res->host_note[0] ? json_string(res->host_note) : json_null(),
			      "regression", res->nregressions > 0, "regressions", regressions,
			      "result", compare__status_name(res->status), "reason", res->reason,
			      "exit_status", compare__exit_status(res), "compared", (json_int_t)res->nmeasured);
	json_object_set_new(root, "params_left_out", left_out);
	return dump(root, out);
}

/* ---- NEW's own figures, for the trackers ------------------------------- */

struct figure {
	double value, lo, hi;   /* median (latency) or mean (counts); best and worst repetition */
};

static bool group_figure(const struct compare_group *g, enum compare_metric m, struct figure *f)
{
	const double *v = g->values[m];
	size_t n = g->n[m];
	double sum = 0;

	if (!n)
		return false;
	f->lo = f->hi = v[0];
	for (size_t i = 0; i < n; i++) {
		f->lo = v[i] < f->lo ? v[i] : f->lo;
		f->hi = v[i] > f->hi ? v[i] : f->hi;
		sum += v[i];
	}
	f->value = compare_metrics[m].latency ? compare__median(v, n) : sum / (double)n;
	return true;
}

static const char *const bmf_measures[COMPARE_NMETRICS] = {
	[COMPARE_P50] = "latency-p50", [COMPARE_P90] = "latency-p90", [COMPARE_P99] = "latency-p99",
	[COMPARE_P999] = "latency-p999", [COMPARE_MAX] = "latency-max", [COMPARE_MEAN] = "latency-mean",
	[COMPARE_LOST] = "lost-requests", [COMPARE_KICKS_LOST] = "lost-kicks",
	[COMPARE_LATE] = "late-requests", [COMPARE_UNRESOLVED] = "unresolved-requests",
	[COMPARE_COALESCED] = "coalesced-requests",
};

int compare__print_bmf(const struct compare_view *v, FILE *out)
{
	json_t *root = json_object();

	for (size_t i = 0; i < v->new->ngroups; i++) {
		const struct compare_group *g = &v->new->groups[i];
		json_t *measures = json_object();
		char name[FULL_LABEL_MAX];
		struct figure f;

		for (int m = 0; m < COMPARE_NMETRICS; m++)
			if (group_figure(g, m, &f))
				json_object_set_new(measures, bmf_measures[m],
						    json_pack("{s:f, s:f, s:f}", "value", f.value,
							      "lower_value", f.lo, "upper_value", f.hi));
		if (!json_object_size(measures)) {
			json_decref(measures);
			continue;
		}
		compare__full_label(g, name, sizeof(name));
		json_object_set_new(root, name, measures);
	}
	return dump(root, out);
}

/* match[i]: the match of NEW's group i, or NULL. */
static const struct compare_match **matches_by_new_group(const struct compare_view *v)
{
	const struct compare_match **match = ks_zalloc((v->new->ngroups + 1) * sizeof(*match));

	for (size_t i = 0; i < v->res->nmatches; i++)
		match[v->res->matches[i].new - v->new->groups] = &v->res->matches[i];
	return match;
}

static json_t *github_entry(const struct compare_group *g, const struct compare_match *mt, enum compare_metric m,
			    const struct figure *f)
{
	char name[FULL_LABEL_MAX + 32], range[64], extra[256], best[32], worst[32], base[32], change[32];
	double scale = compare_metrics[m].latency ? 1000.0 : 1.0;
	const char *unit = compare__display_unit(m);

	compare__full_label(g, name, FULL_LABEL_MAX);
	ks_format(name + strlen(name), sizeof(name) - strlen(name), " %s", compare_metrics[m].title);
	ks_format(range, sizeof(range), "± %.1f", (f->hi - f->lo) / 2 / scale);
	compare__format_value(f->lo, m, best, sizeof(best));
	compare__format_value(f->hi, m, worst, sizeof(worst));
	if (mt && mt->cell[m].verdict != VERDICT_MISSING) {
		compare__format_value(mt->cell[m].base, m, base, sizeof(base));
		compare__format_change(mt->cell[m].change_pct, change, sizeof(change));
		ks_format(extra, sizeof(extra), "%s of %zu repetitions; best %s, worst %s %s; BASE %s %s (%s): %s",
			  compare_metrics[m].correctness ? "mean" : "median", g->n[m], best, worst, unit,
			  base, unit, change, compare__verdict_name(mt->cell[m].verdict));
	} else {
		ks_format(extra, sizeof(extra), "%s of %zu repetitions; best %s, worst %s %s; not in BASE",
			  compare_metrics[m].correctness ? "mean" : "median", g->n[m], best, worst, unit);
	}
	return json_pack("{s:s, s:s, s:f, s:s, s:s}", "name", name, "unit", unit, "value", f->value / scale,
			 "range", range, "extra", extra);
}

int compare__print_github(const struct compare_view *v, FILE *out)
{
	const struct compare_match **match = matches_by_new_group(v);
	json_t *root = json_array();

	for (size_t i = 0; i < v->new->ngroups; i++) {
		const struct compare_group *g = &v->new->groups[i];
		struct figure f;

		for (int m = 0; m < COMPARE_NMETRICS; m++)
			if (compare__metric_judged(v->o, m) && group_figure(g, m, &f))
				json_array_append_new(root, github_entry(g, match[i], m, &f));
	}
	free(match);
	return dump(root, out);
}
