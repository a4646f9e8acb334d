// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for `kickstorm run` option parsing and CPU lists.
 * Input: NUL-separated arguments after "run"; the first argument is also
 * fed to the CPU-list parser on its own.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "sweep_spec.h"

#define MAX_ARGS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whatever it accepts runs within the documented ranges. */
static bool config_in_range(const struct ks_config *c)
{
	return c->vcpus >= 1 && c->vcpus <= KS_MAX_VCPUS && c->senders >= 1 &&
	       c->senders <= KS_MAX_SENDERS && c->nscenarios >= 1 && !(c->burst > 1 && !c->rate_hz) &&
	       c->deadline_ms >= 1 && c->lost_after_ms >= c->deadline_ms && c->lost_after_ms <= 3600000 &&
	       c->npercentiles <= LATENCY_MAX_PERCENTILES && c->format <= RUN_FORMAT_MARKDOWN;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ks_config cfg, point;
	const struct sweep_param_info *swept;
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
	if (config__parse_run(&cfg, argc, args)) {
		free(copy);
		return 0;
	}
	/* A sweep runs each point, never the base values it replaces, which may not be given. */
	swept = sweep_spec__info(cfg.sweep.param);
	if (swept && (cfg.given & swept->option))
		abort();
	for (unsigned k = 0; k < (swept ? cfg.sweep.n : 1); k++) {
		if (swept)
			sweep_spec__apply(&cfg, k, &point);
		if (!config_in_range(swept ? &point : &cfg))
			abort();
	}
	for (size_t i = 0; i < cfg.npercentiles; i++)
		for (size_t j = 0; j < i; j++)
			if (!(cfg.percentiles[i] > 0 && cfg.percentiles[i] <= 100) ||
			    cfg.percentiles[i] == cfg.percentiles[j])
				abort();
	free(copy);
	return 0;
}
