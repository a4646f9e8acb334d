// SPDX-License-Identifier: MIT
/* kickstorm: subcommands dispatched from one table. */
#include "commands.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

#include "config.h"

struct command {
	const char *name;
	const char *args;
	const char *summary;
	int (*fn)(int argc, char **argv);
};

static const struct command commands[] = {
	{ "run", "[options]", "run scenarios, print a table, write a JSON report", cmd_run },
	{ "info", "[--json]", "host, KVM and APIC-virtualization facts", cmd_info },
	{ "list", "", "scenarios and their parameters", cmd_list },
	{ "compare", "BASE NEW", "compare two reports; exit 1 on a regression", cmd_compare },
	{ "show", "REPORT", "the table (and histograms) of a report", cmd_show },
	{ "plot", "REPORT...", "draw reports as an SVG picture (-o FILE.svg)", cmd_plot },
};

static void usage(FILE *out)
{
	fputs("usage: kickstorm COMMAND [options]\n\n", out);
	for (size_t i = 0; i < KS_ARRAY_SIZE(commands); i++)
		fprintf(out, "  kickstorm %-8s %-12s %s\n", commands[i].name, commands[i].args,
			commands[i].summary);
	fputs("\n  kickstorm --version | --help\n\nSee kickstorm(1) for every option.\n", out);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return KS_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return KS_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		return KS_EXIT_OK;
	}
	for (size_t i = 0; i < KS_ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "kickstorm: unknown command '%s' (allowed: run, info, list, compare, show, plot)\n", argv[1]);
	return KS_EXIT_USAGE;
}
