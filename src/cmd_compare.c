// SPDX-License-Identifier: MIT
/*
 * `kickstorm compare BASE.json NEW.json`: options, loading, and the exit
 * status CI acts on; compare.c judges, compare_text.c and compare_format.c
 * print.
 */
#include "commands.h"
#include "compare.h"
#include "compare_format.h"
#include "config.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPTIONS_HELP "--threshold METRIC=PCT, --min-repeats N, --match-ignore PARAM,..., " \
	"--format FORMAT, --json, --wait SECONDS, --help"

struct compare_cli {
	struct compare_options opts;
	const char *paths[2];
	enum compare_format format;
};

static void compare__usage(FILE *out)
{
	const struct compare_metric_info *mi = compare_metrics;

	fputs("usage: kickstorm compare BASE.json NEW.json [--threshold METRIC=PCT ...]\n"
	      "                         [--min-repeats N] [--match-ignore PARAM,...]\n"
	      "                         [--format text|json|markdown|junit|bmf|github] [--json]\n"
	      "                         [--wait SECONDS]\n"
	      "\n"
	      "Matches the scenarios of two reports by name and params and prints, per\n"
	      "metric, base, new and the change in %. Every metric is lower-is-better;\n"
	      "latencies show in us with one decimal, as in run's table. A report made\n"
	      "with run --repeat N holds N repetitions of each scenario: compare uses the\n"
	      "median over them. A latency metric regresses when its median and its\n"
	      "best (lowest) repetition both grew past the threshold, and, with at least\n"
	      "--min-repeats on each side, a two-sided Mann-Whitney U test gives\n"
	      "p < 0.05; with fewer, compare says the thresholds decided alone. Other\n"
	      "load slows some repetitions, a slower kernel all. Lost requests and lost\n"
	      "kicks are correctness metrics: their mean per repetition regresses on any\n"
	      "growth past the threshold. Late and unresolved requests are reported, not\n"
	      "judged. A scenario whose every NEW repetition failed regresses;\n"
	      "repetitions cut short by a signal are left out. A scenario in only one\n"
	      "report is listed with the params in which it differs from its closest\n"
	      "namesake in the other. Reads schema_version 1 and 2; either report may be\n"
	      "- for standard input.\n"
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
		"  --match-ignore PARAM,...  params that do not tell scenarios apart (a\n"
		"                          deliberate difference, e.g. deadline_ms)\n"
		"  --format FORMAT         text (default), json, markdown (a table for a pull\n"
		"                          request), junit (JUnit XML, a testcase per scenario),\n"
		"                          bmf (Bencher Metric Format) or github\n"
		"                          (github-action-benchmark customSmallerIsBetter)\n"
		"  --json                  the same as --format json\n"
		"  --wait SECONDS          how long a report named as a FIFO may wait for its\n"
		"                          writer (default %d, allowed 0-%d)\n"
		"  -h, --help              print this help\n"
		"\n"
		"Exit status: 0 no regression; 1 a regression; 2 usage or input error, or\n"
		"nothing compared (no scenario measured in both reports, e.g. an empty NEW\n"
		"or params that differ), or NEW is an interrupted run without a regression,\n"
		"or the comparison could not be written.\n",
		COMPARE_DEFAULT_MIN_REPEATS, COMPARE_DEFAULT_WAIT_S, COMPARE_MAX_WAIT_S);
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

/* The value options: 0 when arg is not one, 1 when applied, else the exit status. */
static int parse_value_option(struct compare_cli *c, int argc, char **argv, int *i)
{
	static const char *const names[] = { "--threshold", "--min-repeats", "--match-ignore", "--format",
					     "--wait" };
	static const char *const wanted[] = { "METRIC=PCT, e.g. p99=50%", "2-1000", "PARAM,..., e.g. deadline_ms",
					      "text, json, markdown, junit, bmf, github", "0-86400" };
	const char *arg = argv[*i], *v = NULL;
	char why[512] = "";
	bool missing = false;
	uint64_t n;
	size_t k;

	for (k = 0; k < KS_ARRAY_SIZE(names); k++)
		if ((v = option_value(argc, argv, i, names[k], &missing)) || missing)
			break;
	if (k == KS_ARRAY_SIZE(names))
		return 0;
	if (missing) {
		fprintf(stderr, "kickstorm compare: %s needs a value (%s)\n", arg, wanted[k]);
		return KS_EXIT_USAGE;
	}
	if (k == 0 && compare__parse_threshold(&c->opts, v, why, sizeof(why)) < 0)
		goto bad;
	if (k == 2 && compare__parse_match_ignore(&c->opts, v, why, sizeof(why)) < 0)
		goto bad;
	if (k == 1 || k == 4) {
		if (parse__u64(v, k == 1 ? 2 : 0, k == 1 ? 1000 : COMPARE_MAX_WAIT_S, &n) < 0) {
			ks_format(why, sizeof(why), "%s '%s' is not allowed (allowed: %s)", names[k], v, wanted[k]);
			goto bad;
		}
		if (k == 1)
			c->opts.min_repeats = (unsigned)n;
		else
			c->opts.wait_s = (unsigned)n;
	}
	if (k == 3) {
		int f = compare__format_find(v);

		if (f < 0) {
			ks_format(why, sizeof(why), "--format '%s' is not a format (allowed: %s)", v,
				  compare__format_names());
			goto bad;
		}
		c->format = f;
	}
	return 1;
bad:
	fprintf(stderr, "kickstorm compare: %s\n", why);
	return KS_EXIT_USAGE;
}

static int add_path(struct compare_cli *c, unsigned *npaths, const char *arg)
{
	if (*npaths >= 2) {
		fprintf(stderr, "kickstorm compare: unexpected argument '%s' (compare takes two reports: "
			"BASE.json NEW.json)\n", arg);
		return KS_EXIT_USAGE;
	}
	c->paths[(*npaths)++] = arg;
	return 0;
}

/* 0 to go on, -1 after --help, else the exit status. */
static int compare__parse(struct compare_cli *c, int argc, char **argv)
{
	unsigned npaths = 0;
	bool options = true;

	compare__default_options(&c->opts);
	c->format = COMPARE_FORMAT_TEXT;
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
		if (!options || argv[i][0] != '-' || !argv[i][1]) {
			if ((ret = add_path(c, &npaths, argv[i])))
				return ret;
			continue;
		}
		if (!strcmp(argv[i], "--json")) {
			c->format = COMPARE_FORMAT_JSON;
			continue;
		}
		ret = parse_value_option(c, argc, argv, &i);
		if (ret == 1)
			continue;
		if (ret)
			return ret;
		fprintf(stderr, "kickstorm compare: unknown option '%s' (allowed: %s)\n", argv[i], OPTIONS_HELP);
		return KS_EXIT_USAGE;
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

static bool report_has_param(const struct compare_report *r, const char *param)
{
	const json_t *sc;
	size_t i;

	json_array_foreach(json_object_get(r->root, "scenarios"), i, sc)
		if (json_object_get(json_object_get(sc, "params"), param))
			return true;
	return false;
}

/* A --match-ignore param no scenario has is a typo, not a deliberate difference. */
static int check_ignored(const struct compare_options *o, const struct compare_report reports[2])
{
	for (size_t i = 0; i < o->nignored; i++) {
		if (report_has_param(&reports[0], o->ignored[i]) || report_has_param(&reports[1], o->ignored[i]))
			continue;
		fprintf(stderr, "kickstorm compare: --match-ignore '%s': no scenario of either report has "
			"that param (allowed: a param name from the reports' \"params\", e.g. deadline_ms)\n",
			o->ignored[i]);
		return KS_EXIT_USAGE;
	}
	return 0;
}

static int load_reports(const struct compare_cli *cli, struct compare_report reports[2])
{
	char why[512];

	for (int i = 0; i < 2; i++) {
		if (compare__load(&reports[i], cli->paths[i], &cli->opts, why, sizeof(why)) < 0) {
			fprintf(stderr, "kickstorm compare: %s: %s\n", cli->paths[i], why);
			if (i)
				compare__release_report(&reports[0]);
			return KS_EXIT_USAGE;
		}
	}
	if (check_ignored(&cli->opts, reports)) {
		compare__release_report(&reports[0]);
		compare__release_report(&reports[1]);
		return KS_EXIT_USAGE;
	}
	return 0;
}

int cmd_compare(int argc, char **argv)
{
	struct compare_cli cli = { 0 };
	struct compare_report reports[2];
	struct compare_result res;
	struct compare_view view;
	int ret = compare__parse(&cli, argc, argv);

	if (ret)
		return ret < 0 ? KS_EXIT_OK : ret;
	if ((ret = load_reports(&cli, reports)))
		return ret;
	compare__run(&reports[0], &reports[1], &cli.opts, &res);
	view = (struct compare_view){ &reports[0], &reports[1], &res, &cli.opts };
	if (compare__print(cli.format, &view, stdout) < 0) {
		ks_error_errno(errno ? errno : EIO, "compare: cannot write the comparison");
		ret = KS_EXIT_USAGE;
	} else {
		ret = compare__exit_status(&res);
		/* The formats that are not text say it in their own way; stderr says it in one line. */
		if (ret == KS_EXIT_USAGE)
			fprintf(stderr, "kickstorm compare: %s\n", res.reason);
	}
	compare__release_result(&res);
	compare__release_report(&reports[1]);
	compare__release_report(&reports[0]);
	return ret;
}
