// SPDX-License-Identifier: MIT
/*
 * compare's text output: one table per metric, the scenarios that matched
 * nothing with the params in which they differ from their closest
 * namesake, and the one-line result CI logs show. Latencies are in us
 * with one decimal, the unit and precision of run's table.
 */
#include "compare_format.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Unmatched scenarios listed per side before the rest are counted. */
#define UNMATCHED_SHOWN 20

static const char *const format_names[COMPARE_NFORMATS] = {
	[COMPARE_FORMAT_TEXT] = "text", [COMPARE_FORMAT_JSON] = "json",
	[COMPARE_FORMAT_MARKDOWN] = "markdown", [COMPARE_FORMAT_JUNIT] = "junit",
	[COMPARE_FORMAT_BMF] = "bmf", [COMPARE_FORMAT_GITHUB] = "github",
};

int compare__format_find(const char *name)
{
	for (int f = 0; f < COMPARE_NFORMATS; f++)
		if (!strcmp(name, format_names[f]))
			return f;
	return -1;
}

const char *compare__format_names(void)
{
	return "text, json, markdown, junit, bmf, github";
}

int compare__print(enum compare_format f, const struct compare_view *v, FILE *out)
{
	int ret = 0;

	switch (f) {
	case COMPARE_FORMAT_TEXT:
		compare__print_text(v, out);
		break;
	case COMPARE_FORMAT_JSON:
		ret = compare__print_json(v, out);
		break;
	case COMPARE_FORMAT_MARKDOWN:
		compare__print_markdown(v, out);
		break;
	case COMPARE_FORMAT_JUNIT:
		compare__print_junit(v, out);
		break;
	case COMPARE_FORMAT_BMF:
		ret = compare__print_bmf(v, out);
		break;
	case COMPARE_FORMAT_GITHUB:
		ret = compare__print_github(v, out);
		break;
	case COMPARE_NFORMATS:
		break;
	}
	return ret < 0 || ferror(out) || fflush(out) == EOF ? -1 : 0;
}

/* ---- shared helpers ---------------------------------------------------- */

const char *compare__display_unit(enum compare_metric m)
{
	return compare_metrics[m].latency ? "us" : compare_metrics[m].unit;
}

void compare__format_value(double v, enum compare_metric m, char *buf, size_t len)
{
	if (isnan(v))
		ks_format(buf, len, "-");
	else if (compare_metrics[m].latency)
		ks_format(buf, len, "%.1f", v / 1000);
	else if (v == floor(v) && fabs(v) < 1e15)
		ks_format(buf, len, "%.0f", v);
	else
		ks_format(buf, len, "%.2f", v);
}

void compare__format_change(double pct, char *buf, size_t len)
{
	if (isnan(pct))
		ks_format(buf, len, "-");
	else if (isinf(pct))
		ks_format(buf, len, "+inf%%");
	else
		ks_format(buf, len, "%+.1f%%", pct);
}

void compare__unmatched_text(const struct compare_unmatched *u, bool in_base, char *buf, size_t len)
{
	const char *other = in_base ? "NEW" : "BASE";
	size_t used;

	if (!u->closest) {
		ks_format(buf, len, "%s has no scenario named '%s'", other, u->group->name);
		return;
	}
	if (u->sweep_param)
		ks_format(buf, len, "a point of %s's %s sweep that %s did not run; closest in %s differs in ",
			  in_base ? "BASE" : "NEW", u->sweep_param, other, other);
	else
		ks_format(buf, len, "closest in %s differs in ", other);
	for (size_t i = 0; i < u->ndiffs; i++) {
		char a[96], b[96];

		compare__value_text(u->diffs[i].base_value, a, sizeof(a));
		compare__value_text(u->diffs[i].new_value, b, sizeof(b));
		used = strlen(buf);
		ks_format(buf + used, len - used, "%s%s: %s vs %s", i ? ", " : "", u->diffs[i].param, a, b);
	}
	used = strlen(buf);
	ks_format(buf + used, len - used, " (BASE vs NEW)");
	compare__utf8_trim(buf);
}

unsigned compare__repeats_needed(const struct compare_options *o)
{
	unsigned k = o->min_repeats;

	while (k < 1000 && compare__mw_min_p(k, k) >= o->alpha)
		k++;
	return k;
}

bool compare__metric_judged(const struct compare_options *o, enum compare_metric m)
{
	return o->threshold[m] >= 0;
}

/* ---- the tables -------------------------------------------------------- */

static const char *verdict_text(enum compare_verdict v)
{
	return v == VERDICT_REGRESSION ? "REGRESSION" : compare__verdict_name(v);
}

static void print_metric_header(enum compare_metric m, const struct compare_options *o, FILE *out)
{
	const struct compare_metric_info *mi = &compare_metrics[m];
	double t = o->threshold[m];

	if (mi->latency)
		fprintf(out, "%s, %s: lower is better; ", mi->title, compare__display_unit(m));
	else
		fprintf(out, "%s: lower is better; ", mi->title);
	if (t < 0)
		fprintf(out, "reported, not judged (--threshold %s=PCT judges it)\n", mi->name);
	else if (mi->correctness)
		fprintf(out, "correctness: any growth past %+g%% regresses\n", t);
	else
		fprintf(out, "regression past %+g%% on the median and on the best repetition, and "
			"p < %g (Mann-Whitney) with >= %u repetitions each\n", t, o->alpha, o->min_repeats);
}

static void print_metric_table(const struct compare_result *res, enum compare_metric m,
			       const struct compare_options *o, int width, FILE *out)
{
	print_metric_header(m, o, out);
	fprintf(out, "  %-*s %9s %12s %12s %9s %9s %7s  %s\n", width, "scenario", "reps b/n",
		"base", "new", "change", "best chg", "p", "verdict");
	for (size_t i = 0; i < res->nmatches; i++) {
		const struct compare_match *mt = &res->matches[i];
		const struct compare_cell *c = &mt->cell[m];
		char base[32], new[32], change[32], best[32], p[16], reps[48];

		compare__format_value(c->base, m, base, sizeof(base));
		compare__format_value(c->new, m, new, sizeof(new));
		compare__format_change(c->change_pct, change, sizeof(change));
		compare__format_change(c->best_change_pct, best, sizeof(best));
		ks_format(reps, sizeof(reps), "%zu/%zu", c->nbase, c->nnew);
		if (!c->tested)
			ks_format(p, sizeof(p), "-");
		else if (c->p_value < 0.001)
			ks_format(p, sizeof(p), "<0.001");
		else
			ks_format(p, sizeof(p), "%.3f", c->p_value);
		fprintf(out, "  %-*s %9s %12s %12s %9s %9s %7s  %s\n", width, mt->label, reps, base, new,
			change, best, p, verdict_text(c->verdict));
	}
	fputc('\n', out);
}

/*
 * A count that is only reported and 0 everywhere, or a metric no scenario
 * carries (lost kicks in a v1 report), takes a line, not a table.
 */
static bool print_metric_summary(const struct compare_result *res, enum compare_metric m,
				 const struct compare_options *o, FILE *out)
{
	bool any = false, nonzero = false;

	for (size_t i = 0; i < res->nmatches; i++) {
		const struct compare_cell *c = &res->matches[i].cell[m];

		if (c->verdict == VERDICT_MISSING)
			continue;
		any = true;
		nonzero |= c->base != 0 || c->new != 0;
	}
	if (!any)
		fprintf(out, "%s: in neither report for any compared scenario\n\n", compare_metrics[m].title);
	else if (!nonzero && !compare_metrics[m].latency && o->threshold[m] < 0)
		fprintf(out, "%s: 0 in every compared scenario (reported, not judged)\n\n",
			compare_metrics[m].title);
	return !any || (!nonzero && !compare_metrics[m].latency && o->threshold[m] < 0);
}

struct reps_pair {
	size_t nbase, nnew;
};

static int reps_pair_cmp(const void *pa, const void *pb)
{
	const struct reps_pair *a = pa, *b = pb;

	if (a->nbase != b->nbase)
		return a->nbase < b->nbase ? -1 : 1;
	return (a->nnew > b->nnew) - (a->nnew < b->nnew);
}

/* One note per distinct (BASE, NEW) repetition count among the untestable matches. */
static void print_repetition_notes(const struct compare_result *res, const struct compare_options *o,
				   FILE *out)
{
	struct reps_pair *p = ks_zalloc((res->nmatches + 1) * sizeof(*p));
	size_t n = 0;

	for (size_t i = 0; i < res->nmatches; i++) {
		const struct compare_cell *c = &res->matches[i].cell[COMPARE_P50];

		if (!res->matches[i].testable && c->verdict != VERDICT_MISSING)
			p[n++] = (struct reps_pair){ c->nbase, c->nnew };
	}
	qsort(p, n, sizeof(*p), reps_pair_cmp);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && !reps_pair_cmp(&p[i], &p[j]); j++)
			;
		fprintf(out, "note: too few repetitions to judge significance (n=%zu BASE, n=%zu NEW; "
			"need %u each) in %zu scenario%s: latency judged by its threshold on the "
			"medians alone\n", p[i].nbase, p[i].nnew, compare__repeats_needed(o), j - i,
			j - i == 1 ? "" : "s");
	}
	free(p);
}

/*
 * A scenario with a namesake on the other side gets a line saying how the
 * two differ; those without one (a scenario the other run did not run)
 * share one line.
 */
static void print_unmatched(const struct compare_unmatched *u, size_t n, bool in_base, FILE *out)
{
	const char *side = in_base ? "BASE" : "NEW";
	size_t shown = 0, nameless = 0;

	for (size_t i = 0; i < n; i++) {
		char why[COMPARE_LABEL_MAX * 2];

		if (!u[i].closest) {
			nameless++;
			continue;
		}
		if (shown++ >= UNMATCHED_SHOWN)
			continue;
		compare__unmatched_text(&u[i], in_base, why, sizeof(why));
		fprintf(out, "only in %s, not compared: %s (%zu repetition%s); %s\n", side,
			u[i].group->label, u[i].group->reps, u[i].group->reps == 1 ? "" : "s", why);
	}
	if (shown > UNMATCHED_SHOWN)
		fprintf(out, "... and %zu more only in %s (--format json lists every one)\n",
			shown - UNMATCHED_SHOWN, side);
	if (!nameless)
		return;
	fprintf(out, "only in %s, not compared, no scenario of the same name in %s:", side, in_base ? "NEW" : "BASE");
	for (size_t i = 0, k = 0; i < n; i++) {
		if (u[i].closest)
			continue;
		if (k++ == UNMATCHED_SHOWN) {
			fprintf(out, " and %zu more", nameless - UNMATCHED_SHOWN);
			break;
		}
		fprintf(out, "%s %s", k > 1 ? "," : "", u[i].group->label);
	}
	fputc('\n', out);
}

static void print_side_notes(const struct compare_group *g, const char *side, const char *label, FILE *out)
{
	if (g->failed && g->failed < g->reps)
		fprintf(out, "note: %s: %zu of %zu %s repetitions failed and are left out: %s\n",
			label, g->failed, g->reps, side, g->error);
	if (g->partial)
		fprintf(out, "note: %s: %zu of %zu %s repetitions were cut short by a signal and are "
			"left out\n", label, g->partial, g->reps, side);
}

static void print_failures(const struct compare_result *res, FILE *out)
{
	for (size_t i = 0; i < res->nmatches; i++) {
		const struct compare_match *mt = &res->matches[i];

		if (mt->new_failed)
			fprintf(out, "REGRESSION: %s: every NEW repetition failed (%zu): %s\n",
				mt->label, mt->new->reps, mt->new->error);
		else
			print_side_notes(mt->new, "NEW", mt->label, out);
		print_side_notes(mt->base, "BASE", mt->label, out);
	}
}

static void print_verdict(const struct compare_result *res, const struct compare_options *o, FILE *out)
{
	size_t shown = 0;

	if (res->status != COMPARE_STATUS_REGRESSION) {
		fprintf(out, "result: %s\n", res->reason);
		return;
	}
	fprintf(out, "result: %zu regression%s:", res->nregressions, res->nregressions == 1 ? "" : "s");
	for (size_t i = 0; i < res->nmatches; i++) {
		const struct compare_match *mt = &res->matches[i];

		if (mt->new_failed)
			fprintf(out, "%s %s failed in NEW", shown++ ? ";" : "", mt->label);
		for (int m = 0; m < COMPARE_NMETRICS; m++) {
			char change[32];

			if (mt->cell[m].verdict != VERDICT_REGRESSION)
				continue;
			compare__format_change(mt->cell[m].change_pct, change, sizeof(change));
			fprintf(out, "%s %s of %s %s (threshold %+g%%)", shown++ ? ";" : "",
				compare_metrics[m].name, mt->label, change, o->threshold[m]);
		}
	}
	fputc('\n', out);
}

/* One line per param left out of matching: the scenarios it was left out of. */
static void print_left_out(const struct compare_result *res, FILE *out)
{
	for (size_t i = 0; i < res->nleft_out; i++) {
		const struct compare_left_out *l = &res->left_out[i];
		size_t k;

		for (k = 0; k < i; k++)
			if (!strcmp(res->left_out[k].param, l->param) &&
			    res->left_out[k].recorded_by_new == l->recorded_by_new)
				break;
		if (k < i)
			continue;
		fprintf(out, "note: %s records %s, %s never does (an older kickstorm): left out of "
			"matching %s", l->recorded_by_new ? "NEW" : "BASE", l->param,
			l->recorded_by_new ? "BASE" : "NEW", l->name);
		for (k = i + 1; k < res->nleft_out; k++)
			if (!strcmp(res->left_out[k].param, l->param) &&
			    res->left_out[k].recorded_by_new == l->recorded_by_new)
				fprintf(out, ", %s", res->left_out[k].name);
		fputc('\n', out);
	}
}

static void print_report_line(const char *side, const struct compare_report *r, FILE *out)
{
	const char *started = json_string_value(json_object_get(r->root, "started_at"));
	const char *version = json_string_value(json_object_get(json_object_get(r->root, "tool"), "version"));

	fprintf(out, "%-4s %s (kickstorm %s, schema %d, started %s, %zu entr%s)%s\n", side, r->path,
		version ? version : "?", r->schema_version, started ? started : "?", r->nentries,
		r->nentries == 1 ? "y" : "ies",
		r->interrupted ? " -- an interrupted run: scenarios cut short are left out" : "");
}

void compare__print_text(const struct compare_view *v, FILE *out)
{
	const struct compare_result *res = v->res;
	int width = 20;

	print_report_line("BASE", v->base, out);
	print_report_line("NEW", v->new, out);
	if (res->host_note[0])
		fprintf(out, "note: the reports come from different hosts (%s): changes may be the host's\n",
			res->host_note);
	print_left_out(res, out);
	fputc('\n', out);
	for (size_t i = 0; i < res->nmatches; i++)
		width = (int)strlen(res->matches[i].label) > width ? (int)strlen(res->matches[i].label) : width;
	if (!res->nmatches)
		fputs("no scenario of BASE matches one of NEW by name and params\n\n", out);
	for (int m = 0; m < COMPARE_NMETRICS && res->nmatches; m++)
		if (!print_metric_summary(res, m, v->o, out))
			print_metric_table(res, m, v->o, width, out);
	print_failures(res, out);
	print_unmatched(res->base_only, res->nbase_only, true, out);
	print_unmatched(res->new_only, res->nnew_only, false, out);
	print_repetition_notes(res, v->o, out);
	print_verdict(res, v->o, out);
}
