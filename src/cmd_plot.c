// SPDX-License-Identifier: MIT
/* `kickstorm plot REPORT... -o FILE.svg`: load the reports, draw them (plot.c), write atomically. */
#include "commands.h"
#include "plot.h"
#include "report_file.h"
#include "report_groups.h"
#include "report_read.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLOT_MAX_REPORTS 8

struct plot_cli {
	const char *output;
	const char *scenario;
	const char *paths[PLOT_MAX_REPORTS];
	size_t npaths;
};

static void plot__usage(FILE *out)
{
	fputs("usage: kickstorm plot REPORT... -o FILE.svg [--scenario NAME]\n"
	      "\n"
	      "Draws one or more reports as an SVG picture (no plotting program needed):\n"
	      "  - the latency percentile spectrum: latency (log scale) against the\n"
	      "    percentile on a log scale of 1/(1 - p), from 0 to 99.99; one line per\n"
	      "    scenario, repetitions merged, so the lines of a BASE and a NEW report\n"
	      "    overlay (same colour per scenario, one dash pattern per report);\n"
	      "  - for a scenario run along one parameter (run --sweep-vcpus): p50, p99\n"
	      "    and the lost fraction against that parameter;\n"
	      "  - for an entry carrying trace.stages: a bar per stage to p50, whisker\n"
	      "    to p99.\n"
	      "The title names each report's CPU, kernel and run settings. The file is\n"
	      "written to a temporary name and renamed, so it is whole or absent.\n"
	      "\n"
	      "  -o, --output FILE   the SVG to write (- for standard output); required\n"
	      "  --scenario NAME     only these scenarios (comma-separated)\n"
	      "  -h, --help          this text\n"
	      "\n"
	      "Up to 8 reports. Exit status: 0, or 2 for a usage error or a file that is\n"
	      "not a report; 1 when the picture cannot be written.\n", out);
}

/* 0 to go on, -1 after --help, or KS_EXIT_USAGE. */
static int plot__parse(struct plot_cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "scenario", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			c->output = optarg;
			break;
		case 's':
			if (!*optarg || *optarg == ',' || optarg[strlen(optarg) - 1] == ',' || strstr(optarg, ",,")) {
				fprintf(stderr, "kickstorm plot: --scenario '%s': an empty name (allowed: "
					"scenario names, comma-separated)\n", optarg);
				return KS_EXIT_USAGE;
			}
			c->scenario = optarg;
			break;
		case 'h':
			plot__usage(stdout);
			return -1;
		case ':':
			fprintf(stderr, "kickstorm plot: %s needs a value (see kickstorm plot --help)\n",
				argv[optind - 1]);
			return KS_EXIT_USAGE;
		default:
			fprintf(stderr, "kickstorm plot: unknown option '%s' (see kickstorm plot --help)\n",
				argv[optind - 1]);
			return KS_EXIT_USAGE;
		}
	}
	for (; optind < argc; optind++) {
		if (c->npaths == PLOT_MAX_REPORTS) {
			fprintf(stderr, "kickstorm plot: more than %d reports (allowed: 1-%d)\n",
				PLOT_MAX_REPORTS, PLOT_MAX_REPORTS);
			return KS_EXIT_USAGE;
		}
		c->paths[c->npaths++] = argv[optind];
	}
	if (!c->npaths || !c->output) {
		fprintf(stderr, "kickstorm plot: %s (usage: kickstorm plot REPORT... -o FILE.svg)\n",
			!c->npaths ? "no REPORT given" : "no output file: -o FILE.svg is required");
		return KS_EXIT_USAGE;
	}
	return 0;
}

/* A report's name in legends: its file name, or the whole path when two share a file name. */
static void plot__labels(const struct plot_cli *c, const char **labels)
{
	for (size_t i = 0; i < c->npaths; i++) {
		const char *slash = strrchr(c->paths[i], '/');

		labels[i] = !strcmp(c->paths[i], "-") ? "stdin" : slash ? slash + 1 : c->paths[i];
	}
	for (size_t i = 0; i < c->npaths; i++)
		for (size_t j = 0; j < c->npaths; j++)
			if (i != j && !strcmp(labels[i], labels[j]) && strcmp(c->paths[i], "-"))
				labels[i] = c->paths[i];
}

static bool plot__has_scenario(const json_t *const *roots, size_t n, const char *list)
{
	for (size_t r = 0; r < n; r++) {
		const json_t *sc;
		size_t i;

		json_array_foreach(json_object_get(roots[r], "scenarios"), i, sc)
			if (report_groups__name_in(json_string_value(json_object_get(sc, "name")), list))
				return true;
	}
	return false;
}

/*
 * The picture is drawn in memory, then handed to the report-file writer, so
 * -o gets the same treatment as run's --output: whole or absent, a FIFO or
 * device written into, a symlink followed, an existing file's mode kept.
 */
static int plot__write(const struct plot_cli *c, const struct plot_report *reports)
{
	char why[512], *svg = NULL;
	size_t len = 0;
	FILE *mem;
	int ret;

	if (report_file__check(c->output, why, sizeof(why)) < 0) {
		fprintf(stderr, "kickstorm plot: -o: %s\n", why);
		return KS_EXIT_USAGE;
	}
	mem = open_memstream(&svg, &len);
	if (!mem) {
		ks_error_errno(errno, "cannot draw the picture");
		return KS_EXIT_FAIL;
	}
	plot__svg(reports, c->npaths, c->scenario, mem);
	if (fclose(mem) == EOF) {
		ks_error_errno(errno, "cannot draw the picture");
		free(svg);
		return KS_EXIT_FAIL;
	}
	ret = report_file__write(c->output, svg, len) < 0 ? KS_EXIT_FAIL : KS_EXIT_OK;
	free(svg);
	if (!ret && strcmp(c->output, "-"))
		ks_note("picture written to %s\n", c->output);
	return ret;
}

int cmd_plot(int argc, char **argv)
{
	struct plot_cli c = { 0 };
	struct plot_report reports[PLOT_MAX_REPORTS];
	const json_t *roots[PLOT_MAX_REPORTS];
	const char *labels[PLOT_MAX_REPORTS];
	int ret = plot__parse(&c, argc, argv);
	size_t loaded = 0;
	char why[512];

	if (ret)
		return ret < 0 ? KS_EXIT_OK : ret;
	plot__labels(&c, labels);
	for (; loaded < c.npaths; loaded++) {
		json_t *root = report_read__load(c.paths[loaded], why, sizeof(why));

		if (!root) {
			fprintf(stderr, "kickstorm plot: %s: %s\n", c.paths[loaded], why);
			ret = KS_EXIT_USAGE;
			break;
		}
		roots[loaded] = root;
		reports[loaded] = (struct plot_report){ root, labels[loaded] };
	}
	if (!ret && c.scenario && !plot__has_scenario(roots, loaded, c.scenario)) {
		fprintf(stderr, "kickstorm plot: --scenario '%s': no report has an entry of it\n", c.scenario);
		ret = KS_EXIT_USAGE;
	}
	if (!ret)
		ret = plot__write(&c, reports);
	for (size_t i = 0; i < loaded; i++)
		json_decref((json_t *)roots[i]);
	return ret;
}
