// SPDX-License-Identifier: MIT
/*
 * `kickstorm compare BASE.json NEW.json`: the table (or --json) of what
 * compare.c judged, and the exit status CI acts on.
 */
#include "commands.h"
#include "compare.h"
#include "config.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPTIONS_HELP "--threshold METRIC=PCT, --min-repeats N, --json, --help"

struct compare_cli {
	struct compare_options opts;
	const char *paths[2];
	bool json;
};

static void compare__usage(FILE *out)
{
	const struct compare_metric_info *mi = compare_metrics;

	fputs("usage: kickstorm compare BASE.json NEW.json [--threshold METRIC=PCT ...]\n"
	      "                         [--min-repeats N] [--json]\n"
	      "\n"
	      "Matches the scenarios of two reports by name and params and prints, per\n"
	      "metric, base, new and the change in %. Every metric is lower-is-better.\n"
	      "A report made with run --repeat N holds N repetitions of each scenario:\n"
	      "compare uses the median over them. A latency metric regresses when its\n"
	      "median and its best (lowest) repetition both grew past the threshold,\n"
	      "and, with at least --min-repeats on each side, a two-sided Mann-Whitney\n"
	      "U test gives p < 0.05; with fewer, compare says the thresholds decided\n"
	      "alone. Other load slows some repetitions, a slower kernel all. lost is a\n"
	      "correctness metric: its mean per repetition regresses on any growth past\n"
	      "its threshold. A scenario whose every NEW repetition failed regresses;\n"
	      "scenarios in only one report are listed, not judged. Either report may\n"
	      "be - for standard input.\n"
	      "\n"
	      "  --threshold METRIC=PCT  regression above +PCT% (PCT may end in %; off =\n"
	      "                          report only). Defaults:\n", out);
	for (int m = 0; m < COMPARE_NMETRICS; m++) {
		if (mi[m].default_threshold < 0)
			fprintf(out, "                            %-10s off (%s)\n", mi[m].name, mi[m].title);
		else
			fprintf(out, "                            %-10s %g%% (%s)\n", mi[m].name,
				mi[m].default_threshold, mi[m].title);
	}
	fprintf(out, "  --min-repeats N         repetitions each side needs for the significance\n"
		"                          test (default %d, allowed 2-1000)\n"
		"  --json                  print the comparison as JSON on stdout\n"
		"  -h, --help              print this help\n"
		"\n"
		"Exit status: 0 no regression, 1 a regression, 2 usage or input error.\n",
		COMPARE_DEFAULT_MIN_REPEATS);
}

/* "--opt VALUE" or "--opt=VALUE": the value, or NULL when arg is not opt. */
static const char *option_value(int argc, char **argv, int *i, const char *opt, bool *missing)
{
	size_t len = strlen(opt);

	*missing = false;
	if (strncmp(argv[*i], opt, len))
		return NULL;
	if (argv[*i][len] == '=')
		return argv[*i] + len + 1;
	if (argv[*i][len])
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

static int compare__parse_one(struct compare_cli *c, int argc, char **argv, int *i, unsigned *npaths)
{
	const char *arg = argv[*i], *v;
	char why[512];
	uint64_t n;
	bool missing;

	if ((v = option_value(argc, argv, i, "--threshold", &missing)) || missing) {
		if (missing)
			goto missing;
		if (compare__parse_threshold(&c->opts, v, why, sizeof(why)) < 0) {
			fprintf(stderr, "kickstorm compare: %s\n", why);
			return KS_EXIT_USAGE;
		}
	} else if ((v = option_value(argc, argv, i, "--min-repeats", &missing)) || missing) {
		if (missing)
			goto missing;
		if (parse__u64(v, 2, 1000, &n) < 0) {
			fprintf(stderr, "kickstorm compare: --min-repeats '%s' is not allowed "
				"(allowed: 2-1000)\n", v);
			return KS_EXIT_USAGE;
		}
		c->opts.min_repeats = (unsigned)n;
	} else if (!strcmp(arg, "--json")) {
		c->json = true;
	} else if (arg[0] == '-' && arg[1]) {
		fprintf(stderr, "kickstorm compare: unknown option '%s' (allowed: %s)\n", arg, OPTIONS_HELP);
		return KS_EXIT_USAGE;
	} else if (*npaths >= 2) {
		fprintf(stderr, "kickstorm compare: unexpected argument '%s' (compare takes two "
			"reports: BASE.json NEW.json)\n", arg);
		return KS_EXIT_USAGE;
	} else {
		c->paths[(*npaths)++] = arg;
	}
	return 0;
missing:
	fprintf(stderr, "kickstorm compare: %s needs a value (%s)\n", arg,
		strcmp(arg, "--threshold") ? "2-1000" : "METRIC=PCT, e.g. p99=50%");
	return KS_EXIT_USAGE;
}

/* 0 to go on, -1 after --help, else the exit status. */
static int compare__parse(struct compare_cli *c, int argc, char **argv)
{
	unsigned npaths = 0;
	bool options = true;

	compare__default_options(&c->opts);
	for (int i = 1; i < argc; i++) {
		int ret;

		if (options && (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))) {
			compare__usage(stdout);
			return -1;
		}
		if (options && !strcmp(argv[i], "--")) {
			options = false;
			continue;
		}
		if (!options) {
			if (npaths >= 2) {
				fprintf(stderr, "kickstorm compare: unexpected argument '%s' (compare "
					"takes two reports: BASE.json NEW.json)\n", argv[i]);
				return KS_EXIT_USAGE;
			}
			c->paths[npaths++] = argv[i];
			continue;
		}
		ret = compare__parse_one(c, argc, argv, &i, &npaths);
		if (ret)
			return ret;
	}
	if (npaths < 2) {
		fprintf(stderr, "kickstorm compare: expected two reports, BASE.json NEW.json (got %u)\n",
			npaths);
		return KS_EXIT_USAGE;
	}
	if (!strcmp(c->paths[0], "-") && !strcmp(c->paths[1], "-")) {
		fputs("kickstorm compare: only one report can come from stdin (-)\n", stderr);
		return KS_EXIT_USAGE;
	}
	return 0;
}

/* ---- the table -------------------------------------------------------- */

static void format_value(double v, enum compare_metric m, char *buf, size_t len)
{
	if (isnan(v))
		ks_format(buf, len, "-");
	else if (m <= COMPARE_MEAN || (v == floor(v) && fabs(v) < 1e15))
		ks_format(buf, len, "%.0f", v);
	else
		ks_format(buf, len, "%.2f", v);
}

static void format_change(double pct, char *buf, size_t len)
{
	if (isnan(pct))
		ks_format(buf, len, "-");
	else if (isinf(pct))
		ks_format(buf, len, "+inf%%");
	else
		ks_format(buf, len, "%+.1f%%", pct);
}

static const char *verdict_text(enum compare_verdict v)
{
	return v == VERDICT_REGRESSION ? "REGRESSION" : compare__verdict_name(v);
}

static void print_metric_header(enum compare_metric m, const struct compare_options *o, FILE *out)
{
	const struct compare_metric_info *mi = &compare_metrics[m];
	double t = o->threshold[m];

	if (t < 0)
		fprintf(out, "%s: lower is better; reported, not judged (--threshold %s=PCT judges it)\n",
			mi->title, mi->name);
	else if (mi->correctness)
		fprintf(out, "%s: lower is better; correctness: any growth past %+g%% regresses\n",
			mi->title, t);
	else
		fprintf(out, "%s: lower is better; regression past %+g%% on the median and on the best "
			"repetition, and p < %g (Mann-Whitney) with >= %u repetitions each\n", mi->title, t,
			o->alpha, o->min_repeats);
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
		char base[32], new[32], change[32], best[32], p[16], reps[24];

		format_value(c->base, m, base, sizeof(base));
		format_value(c->new, m, new, sizeof(new));
		format_change(c->change_pct, change, sizeof(change));
		format_change(c->best_change_pct, best, sizeof(best));
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

/* The smallest per-side count at which the test can reach p < alpha. */
static unsigned repeats_needed(const struct compare_options *o)
{
	unsigned k = o->min_repeats;

	while (k < 1000 && compare__mw_min_p(k, k) >= o->alpha)
		k++;
	return k;
}

static void print_repetition_notes(const struct compare_result *res, const struct compare_options *o,
				   FILE *out)
{
	bool *done = ks_zalloc((res->nmatches + 1) * sizeof(*done));

	for (size_t i = 0; i < res->nmatches; i++) {
		const struct compare_cell *c = &res->matches[i].cell[COMPARE_P50];
		size_t same = 0;

		if (done[i] || res->matches[i].testable || c->verdict == VERDICT_MISSING)
			continue;
		for (size_t j = i; j < res->nmatches; j++) {
			const struct compare_cell *d = &res->matches[j].cell[COMPARE_P50];

			if (!res->matches[j].testable && d->nbase == c->nbase && d->nnew == c->nnew) {
				done[j] = true;
				same++;
			}
		}
		fprintf(out, "note: too few repetitions to judge significance (n=%zu BASE, n=%zu NEW; "
			"need %u each) in %zu scenario%s: latency judged by its threshold on the "
			"medians alone\n", c->nbase, c->nnew, repeats_needed(o), same, same == 1 ? "" : "s");
	}
	free(done);
}

static void print_failures_and_unmatched(const struct compare_result *res, FILE *out)
{
	for (size_t i = 0; i < res->nmatches; i++) {
		const struct compare_match *mt = &res->matches[i];

		if (mt->new_failed)
			fprintf(out, "REGRESSION: %s: every NEW repetition failed (%zu): %s\n",
				mt->label, mt->new->reps, mt->new->error);
		else if (mt->new->failed)
			fprintf(out, "note: %s: %zu of %zu NEW repetitions failed and are left out: %s\n",
				mt->label, mt->new->failed, mt->new->reps, mt->new->error);
		if (mt->base->failed)
			fprintf(out, "note: %s: %zu of %zu BASE repetitions failed and are left out: %s\n",
				mt->label, mt->base->failed, mt->base->reps, mt->base->error);
	}
	for (size_t i = 0; i < res->nbase_only; i++)
		fprintf(out, "only in BASE, not compared: %s (%zu repetition%s)\n", res->base_only[i].label,
			res->base_only[i].group->reps, res->base_only[i].group->reps == 1 ? "" : "s");
	for (size_t i = 0; i < res->nnew_only; i++)
		fprintf(out, "only in NEW, not compared: %s (%zu repetition%s)\n", res->new_only[i].label,
			res->new_only[i].group->reps, res->new_only[i].group->reps == 1 ? "" : "s");
}

static void print_verdict(const struct compare_result *res, const struct compare_options *o, FILE *out)
{
	size_t shown = 0;

	if (!res->nregressions) {
		fprintf(out, "result: no regression (%zu scenario%s compared)\n", res->nmatches,
			res->nmatches == 1 ? "" : "s");
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
			format_change(mt->cell[m].change_pct, change, sizeof(change));
			fprintf(out, "%s %s of %s %s (threshold %+g%%)", shown++ ? ";" : "",
				compare_metrics[m].name, mt->label, change, o->threshold[m]);
		}
	}
	fputc('\n', out);
}

static void print_report_line(const char *side, const struct compare_report *r, FILE *out)
{
	const char *started = json_string_value(json_object_get(r->root, "started_at"));
	const char *version = json_string_value(json_object_get(json_object_get(r->root, "tool"), "version"));

	fprintf(out, "%-4s %s (kickstorm %s, started %s)%s\n", side, r->path, version ? version : "?",
		started ? started : "?", r->interrupted ? " -- interrupted: its last scenario may be partial" : "");
}

static void compare__print(const struct compare_report *base, const struct compare_report *new,
			   const struct compare_result *res, const struct compare_options *o, FILE *out)
{
	int width = 20;

	print_report_line("BASE", base, out);
	print_report_line("NEW", new, out);
	if (res->host_note[0])
		fprintf(out, "note: the reports come from different hosts (%s): changes may be the host's\n",
			res->host_note);
	fputc('\n', out);
	for (size_t i = 0; i < res->nmatches; i++)
		width = (int)strlen(res->matches[i].label) > width ? (int)strlen(res->matches[i].label) : width;
	if (!res->nmatches)
		fputs("no scenario of BASE matches one of NEW by name and params\n\n", out);
	for (int m = 0; m < COMPARE_NMETRICS && res->nmatches; m++)
		print_metric_table(res, m, o, width, out);
	print_failures_and_unmatched(res, out);
	print_repetition_notes(res, o, out);
	print_verdict(res, o, out);
}

/* ---- JSON ------------------------------------------------------------- */

static json_t *real_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *report_json(const struct compare_report *r)
{
	json_t *tool = json_object_get(r->root, "tool");
	json_t *started = json_object_get(r->root, "started_at");

	return json_pack("{s:s, s:O?, s:O?, s:b, s:I}", "path", r->path,
			 "tool_version", json_object_get(tool, "version"), "started_at", started,
			 "interrupted", r->interrupted, "groups", (json_int_t)r->ngroups);
}

static json_t *cell_json(const struct compare_cell *c, enum compare_metric m, const struct compare_options *o)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:o, s:b, s:s}",
			 "base", real_or_null(c->base), "new", real_or_null(c->new),
			 "change_pct", real_or_null(c->change_pct),
			 "best_base", real_or_null(c->best_base), "best_new", real_or_null(c->best_new),
			 "best_change_pct", real_or_null(c->best_change_pct),
			 "threshold_pct", o->threshold[m] < 0 ? json_null() : json_real(o->threshold[m]),
			 "n_base", (json_int_t)c->nbase, "n_new", (json_int_t)c->nnew,
			 "p_value", c->tested ? json_real(c->p_value) : json_null(),
			 "exact", c->exact, "verdict", compare__verdict_name(c->verdict));
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
	return json_pack("{s:s, s:O, s:s, s:{s:I, s:I}, s:{s:I, s:I}, s:s, s:b, s:o}",
			 "scenario", mt->base->name, "params", mt->base->params, "label", mt->label,
			 "repetitions", "base", (json_int_t)mt->base->reps, "new", (json_int_t)mt->new->reps,
			 "failed", "base", (json_int_t)mt->base->failed, "new", (json_int_t)mt->new->failed,
			 "significance", mt->testable ? "mann-whitney" : "too few repetitions",
			 "regression", regressed, "metrics", metrics);
}

static json_t *unmatched_json(const struct compare_unmatched *u, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:O, s:s, s:I}", "scenario", u[i].group->name,
						   "params", u[i].group->params, "label", u[i].label,
						   "repetitions", (json_int_t)u[i].group->reps));
	return a;
}

static json_t *settings_json(const struct compare_options *o)
{
	json_t *thresholds = json_object(), *lower = json_array();

	for (int m = 0; m < COMPARE_NMETRICS; m++) {
		json_object_set_new(thresholds, compare_metrics[m].name,
				    o->threshold[m] < 0 ? json_null() : json_real(o->threshold[m]));
		json_array_append_new(lower, json_string(compare_metrics[m].name));
	}
	return json_pack("{s:o, s:I, s:I, s:f, s:o}", "thresholds_pct", thresholds,
			 "min_repeats", (json_int_t)o->min_repeats,
			 "repeats_needed", (json_int_t)repeats_needed(o), "alpha", o->alpha,
			 "lower_is_better", lower);
}

static int compare__print_json(const struct compare_report *base, const struct compare_report *new,
			       const struct compare_result *res, const struct compare_options *o)
{
	json_t *matches = json_array(), *regressions = json_array(), *root;
	int ret;

	for (size_t i = 0; i < res->nmatches; i++)
		json_array_append_new(matches, match_json(&res->matches[i], o, regressions));
	root = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:o}",
			 "base", report_json(base), "new", report_json(new), "settings", settings_json(o),
			 "comparisons", matches, "only_in_base", unmatched_json(res->base_only, res->nbase_only),
			 "only_in_new", unmatched_json(res->new_only, res->nnew_only),
			 "host_difference", res->host_note[0] ? json_string(res->host_note) : json_null(),
			 "regression", res->nregressions > 0, "regressions", regressions);
	ret = root ? json_dumpf(root, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(12)) : -1;
	json_decref(root);
	if (ret < 0 || fputc('\n', stdout) == EOF || fflush(stdout) == EOF) {
		ks_error_errno(errno ? errno : EIO, "compare: cannot write the JSON comparison");
		return -1;
	}
	return 0;
}

int cmd_compare(int argc, char **argv)
{
	struct compare_cli cli = { 0 };
	struct compare_report reports[2];
	struct compare_result res;
	char why[512];
	int ret = compare__parse(&cli, argc, argv);

	if (ret)
		return ret < 0 ? KS_EXIT_OK : ret;
	for (int i = 0; i < 2; i++) {
		if (compare__load(&reports[i], cli.paths[i], why, sizeof(why)) < 0) {
			fprintf(stderr, "kickstorm compare: %s: %s\n", cli.paths[i], why);
			if (i)
				compare__release_report(&reports[0]);
			return KS_EXIT_USAGE;
		}
	}
	compare__run(&reports[0], &reports[1], &cli.opts, &res);
	if (cli.json)
		ret = compare__print_json(&reports[0], &reports[1], &res, &cli.opts) < 0 ? KS_EXIT_USAGE : 0;
	else
		compare__print(&reports[0], &reports[1], &res, &cli.opts, stdout);
	if (!ret)
		ret = res.nregressions ? KS_EXIT_FAIL : KS_EXIT_OK;
	compare__release_result(&res);
	compare__release_report(&reports[1]);
	compare__release_report(&reports[0]);
	return ret;
}
