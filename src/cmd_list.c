// SPDX-License-Identifier: MIT
/* `kickstorm list`: the scenario registry and the options that shape each. */
#include "commands.h"
#include "scenario.h"
#include "sweep_spec.h"

#include <stdio.h>
#include <string.h>

int cmd_list(int argc, char **argv)
{
	if (argc > 1) {
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
			puts("usage: kickstorm list\n\nLists the scenarios and the run options that shape each.");
			return KS_EXIT_OK;
		}
		fprintf(stderr, "kickstorm list: unexpected argument '%s' (allowed: -h, --help)\n", argv[1]);
		return KS_EXIT_USAGE;
	}
	for (size_t i = 0; scenario_registry[i]; i++) {
		const struct scenario *sc = scenario_registry[i];
		char sweeps[160];

		printf("%s\n    %s\n    latency: %s\n", sc->name, sc->summary, sc->latency);
		for (const struct scenario_param *p = sc->params; p && p->option; p++)
			printf("    %-16s %s\n", p->option, p->help);
		for (const struct scenario_param *p = scenario__vm_params; sc->flags & SCENARIO_VM && p->option; p++)
			printf("    %-16s %s\n", p->option, p->help);
		sweep_spec__names_for(scenario__options(sc), sweeps, sizeof(sweeps));
		if (sweeps[0])
			printf("    %-16s PARAM=LIST, one run per point; PARAM: %s\n", "--sweep", sweeps);
		for (const struct scenario_param *p = scenario__trace_params;
		     sc->flags & SCENARIO_TRACEABLE && p->option; p++)
			printf("    %-16s %s\n", p->option, p->help);
		if (scenario_registry[i + 1])
			putchar('\n');
	}
	return KS_EXIT_OK;
}
