// SPDX-License-Identifier: MIT
/* kickstorm: subcommands dispatched from one table. */
#include "commands.h"
#include "stdstreams.h"
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
	fputs("\n  kickstorm help [COMMAND]        this text, or COMMAND's options\n"
	      "  kickstorm COMMAND -h | --help   the same\n"
	      "  kickstorm --version | -h | --help\n\nSee kickstorm(1) for every option.\n", out);
}

static const struct command *command__find(const char *name)
{
	for (size_t i = 0; i < KS_ARRAY_SIZE(commands); i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

static int unknown_command(const char *name)
{
	fprintf(stderr, "kickstorm: unknown command '%s' (allowed: run, info, list, compare, show, plot, help)\n", name);
	return KS_EXIT_USAGE;
}

/* `kickstorm help COMMAND` is `kickstorm COMMAND --help`. */
static int help(int argc, char **argv)
{
	const struct command *cmd;
	char *args[] = { NULL, "--help", NULL };

	if (argc < 3) {
		usage(stdout);
		return KS_EXIT_OK;
	}
	if (argc > 3) {
		fprintf(stderr, "kickstorm help: unexpected argument '%s' (allowed: one command)\n", argv[3]);
		return KS_EXIT_USAGE;
	}
	cmd = command__find(argv[2]);
	if (!cmd)
		return unknown_command(argv[2]);
	args[0] = (char *)cmd->name;
	return cmd->fn(2, args);
}

static int dispatch(int argc, char **argv)
{
	const struct command *cmd;

	if (argc < 2) {
		usage(stderr);
		return KS_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return KS_EXIT_OK;
	}
	if (!strcmp(argv[1], "help"))
		return help(argc, argv);
	if (!strcmp(argv[1], "--version")) {
		printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		return KS_EXIT_OK;
	}
	cmd = command__find(argv[1]);
	if (!cmd)
		return unknown_command(argv[1]);
	return cmd->fn(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
	/* Before anything opens a file: see stdstreams.h. */
	if (stdstreams__open() < 0)
		return KS_EXIT_FAIL;
	return stdstreams__close(dispatch(argc, argv));
}
