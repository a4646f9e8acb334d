// SPDX-License-Identifier: MIT
/* `kickstorm show REPORT`: the table (and histograms) of any report, v1 or v2. */
#include "commands.h"
#include "hist_text.h"
#include "trace_table.h"
#include "report_groups.h"
#include "report_read.h"
#include "table.h"
#include "util.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct show_cli {
	struct table_options table;
	const char *path;
	bool hist;
};

static void show__usage(FILE *out)
{
	fputs("usage: kickstorm show REPORT [--hist] [--scenario NAME] [--percentiles LIST]\n"
	      "                      [--format text|markdown]\n"
	      "\n"
	      "Prints the table of a report written by kickstorm run (schema_version 1\n"
	      "or 2; - reads standard input): one row per scenario entry, repetitions\n"
	      "numbered and followed by their median, and a sweep table for each\n"
	      "scenario whose entries differ in one numeric parameter. Latencies are\n"
	      "in microseconds.\n"
	      "\n"
	      "  --hist              also print a log2 histogram of each entry's latency\n"
	      "                      (bpftrace style; the buckets sum to its sample count)\n"
	      "  --scenario NAME     only the entries of these scenarios (comma-separated)\n"
	      "  --percentiles LIST  percentile columns, e.g. 50,90,99,99.9 (the default);\n"
	      "                      others than p50/p90/p99/p99.9/p99.99 are computed\n"
	      "                      from the report's histogram bins\n"
	      "  --format FORMAT     text (default) or markdown (pipe tables to paste)\n"
	      "  -h, --help          this text\n"
	      "\n"
	      "Exit status: 0, or 2 for a usage error or a file that is not a report.\n", out);
}

static int __attribute__((format(printf, 1, 2))) show__usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("kickstorm show: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return KS_EXIT_USAGE;
}

/* 0 to go on, -1 after --help, or KS_EXIT_USAGE. */
static int show__parse(struct show_cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "hist", no_argument, NULL, 'H' },
		{ "scenario", required_argument, NULL, 's' },
		{ "percentiles", required_argument, NULL, 'p' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char why[256];
	int opt;

	table__default_options(&c->table);
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'H':
			c->hist = true;
			break;
		case 's':
			if (!*optarg || strchr(optarg, ',') == optarg || optarg[strlen(optarg) - 1] == ',' ||
			    strstr(optarg, ",,"))
				return show__usage_error("--scenario '%s': an empty name (allowed: scenario "
							 "names, comma-separated)", optarg);
			c->table.scenario = optarg;
			break;
		case 'p':
			if (latency__parse_percentiles(optarg, c->table.percentiles, &c->table.npercentiles,
						       why, sizeof(why)) < 0)
				return show__usage_error("%s", why);
			break;
		case 'f':
			if (!strcmp(optarg, "text"))
				c->table.format = GRID_TEXT;
			else if (!strcmp(optarg, "markdown"))
				c->table.format = GRID_MARKDOWN;
			else
				return show__usage_error("--format '%s' is not a format (allowed: text, markdown)",
							 optarg);
			break;
		case 'h':
			show__usage(stdout);
			return -1;
		case ':':
			return show__usage_error("%s needs a value (see kickstorm show --help)",
						 argv[optind - 1]);
		default:
			return show__usage_error("unknown option '%s' (see kickstorm show --help)",
						 argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return show__usage_error("%s", optind == argc ? "no REPORT given" :
					 "one REPORT at a time (kickstorm plot overlays several)");
	c->path = argv[optind];
	return 0;
}

/* Every scenario named in --scenario must be in the report: a typo should not print an empty table. */
static int show__check_names(const json_t *root, const char *list, const char *path)
{
	for (const char *p = list; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
		size_t len = strcspn(p, ","), i;
		const json_t *sc;
		bool found = false;
		char name[128];

		ks_format(name, sizeof(name), "%.*s", (int)len, p);
		json_array_foreach(json_object_get(root, "scenarios"), i, sc)
			found |= !strcmp(json_string_value(json_object_get(sc, "name")), name);
		if (!found) {
			fprintf(stderr, "kickstorm show: --scenario '%s': %s has no entry of that scenario\n",
				name, path);
			return -1;
		}
	}
	return 0;
}

static void show__header(const json_t *root, const char *path, bool markdown, FILE *out)
{
	const json_t *tool = json_object_get(root, "tool");
	const char *version = json_string_value(json_object_get(tool, "version"));
	char host[256], run[512];

	report_read__host_line(root, host, sizeof(host));
	report_read__config_line(root, run, sizeof(run));
	fprintf(out, "%sreport: %s (schema_version %d, kickstorm %s)\n", markdown ? "- " : "", path,
		report_read__schema(root), version ? version : "?");
	fprintf(out, "%shost:   %s\n", markdown ? "- " : "", host);
	if (run[0])
		fprintf(out, "%srun:    %s\n", markdown ? "- " : "", run);
	fputc('\n', out);
}

int cmd_show(int argc, char **argv)
{
	struct show_cli c = { 0 };
	char why[512];
	json_t *root;
	int ret = show__parse(&c, argc, argv);

	if (ret)
		return ret < 0 ? KS_EXIT_OK : ret;
	root = report_read__load(c.path, why, sizeof(why));
	if (!root) {
		fprintf(stderr, "kickstorm show: %s: %s\n", c.path, why);
		return KS_EXIT_USAGE;
	}
	if (show__check_names(root, c.table.scenario, c.path) < 0) {
		json_decref(root);
		return KS_EXIT_USAGE;
	}
	show__header(root, c.path, c.table.format == GRID_MARKDOWN, stdout);
	table__print(root, &c.table, stdout);
	if (c.hist) {
		fputc('\n', stdout);
		hist_text__print(root, c.table.scenario, c.table.format == GRID_MARKDOWN, stdout);
	}
	trace_table__print(root, c.table.scenario, c.table.format == GRID_MARKDOWN, stdout);
	json_decref(root);
	if (fflush(stdout) == EOF) {
		ks_error("cannot write to standard output");
		return KS_EXIT_FAIL;
	}
	return KS_EXIT_OK;
}
