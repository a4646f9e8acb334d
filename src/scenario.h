/* SPDX-License-Identifier: MIT */
/*
 * A scenario is one way of getting a vCPU's attention. Each lives in
 * scenarios/<name>.c and registers a descriptor in scenarios/registry.c.
 */
#ifndef KICKSTORM_SCENARIO_H
#define KICKSTORM_SCENARIO_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "clock.h"
#include "config.h"
#include "histogram.h"
#include "hostinfo.h"
#include "kick_counts.h"
#include "ledger.h"
#include "topology.h"

struct scenario_param {
	const char *option;     /* "--protocol" */
	const char *help;
};

/* What every scenario run gets. */
struct scenario_ctx {
	const struct ks_config *cfg;
	unsigned vcpus;                 /* may differ from cfg->vcpus in a sweep */
	struct topology *topo;
	const struct host_facts *host;
	struct tsc_clock *clock;
	int kvm_fd;
	struct placement_plan plan;
	const atomic_bool *interrupted; /* SIGINT/SIGTERM seen: wind down, keep what was measured */
	void (*progress)(const char *scenario, uint64_t done, uint64_t total, double elapsed_s);
};

/* What every scenario run produces; report.c turns it into JSON. */
struct scenario_result {
	const struct scenario *scenario;
	json_t *params;
	struct ledger_tally tally;      /* outcomes and per-outcome latency; owned */
	struct kick_counts kicks;
	struct histogram *latency;      /* TSC ticks; NULL when the scenario has none */
	json_t *scheduling;             /* why requests came late, when they did */
	json_t *kvm_stats;
	json_t *delivery;
	json_t *placement;
	json_t *extra;                  /* scenario-specific, reported under "details" */
	bool completed;
	bool interrupted;
	char error[320];
	double elapsed_s;
};

struct scenario {
	const char *name;
	const char *summary;
	const struct scenario_param *params;    /* options that shape it, NULL-terminated */
	unsigned min_vcpus, max_vcpus;          /* --vcpus it can run with; 0 = no limit */
	/* Can this host run it? Fills why when not. */
	bool (*supported)(const struct scenario_ctx *ctx, char *why, size_t why_len);
	/* 0 when it ran (lost requests are a result, not an error), -1 on error. */
	int (*run)(struct scenario_ctx *ctx, struct scenario_result *res);
};

extern const struct scenario *const scenario_registry[];

const struct scenario *scenario__find(const char *name);
const char *scenario__name(const struct scenario *s);
/* "signal, msi, ..." for error messages. */
const char *scenario__names_help(void);

void scenario_result__init(struct scenario_result *r, const struct scenario *s);
void scenario_result__release(struct scenario_result *r);

#endif
