// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for `kickstorm run` option parsing and CPU lists.
 * Input: NUL-separated arguments after "run"; the first argument is also
 * fed to the CPU-list parser on its own.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define MAX_ARGS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ks_config cfg;
	char *copy = malloc(size + 1), *args[MAX_ARGS + 2] = { "run" };
	int argc = 1, cpus[64];
	unsigned n;

	memcpy(copy, data, size);
	copy[size] = '\0';
	for (char *p = copy; p < copy + size && argc <= MAX_ARGS; p += strlen(p) + 1)
		args[argc++] = p;
	args[argc] = NULL;

	if (argc > 1)
		parse__cpu_list(args[1], cpus, 64, &n, 64);
	config__defaults(&cfg);
	int ret = config__parse_run(&cfg, argc, args);

	/* Whatever it accepts must be within the documented ranges. */
	if (ret == 0 && (cfg.vcpus < 1 || cfg.vcpus > KS_MAX_VCPUS || cfg.senders < 1 ||
			 cfg.senders > KS_MAX_SENDERS || cfg.nscenarios < 1 ||
			 (cfg.burst > 1 && !cfg.rate_hz) || cfg.deadline_ms < 1 ||
			 cfg.lost_after_ms < cfg.deadline_ms || cfg.lost_after_ms > 3600000 ||
			 cfg.npercentiles > LATENCY_MAX_PERCENTILES || cfg.format > RUN_FORMAT_MARKDOWN))
		abort();
	for (size_t i = 0; ret == 0 && i < cfg.npercentiles; i++)
		for (size_t j = 0; j < i; j++)
			if (!(cfg.percentiles[i] > 0 && cfg.percentiles[i] <= 100) ||
			    cfg.percentiles[i] == cfg.percentiles[j])
				abort();
	free(copy);
	return 0;
}
