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
#include "kick_log.h"
#include "ledger.h"
#include "topology.h"

struct scenario_param {
	const char *option;     /* "--protocol" */
	const char *help;
};

struct tracer;

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
	struct tracer *tracer;          /* --trace; NULL when the run is not traced */
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
	json_t *trace;                  /* --trace: where the time went; NULL when not traced */
	bool completed;
	bool interrupted;
	char error[320];
	double elapsed_s;
};

struct engine;
struct storm_kick;

/* What a measurement says of its sender threads, for the report. */
struct storm_summary {
	json_t *senders;            /* placement entries */
	json_t *threads;            /* engine__thread_wait_json entries */
	uint64_t stalls;            /* kicks sent by a descheduled sender */
	double stall_max_ns;
	uint64_t stall_threshold_ns;
};

/* A scenario being run: what its hooks get. */
struct scenario_run {
	const struct scenario *sc;
	struct scenario_ctx *ctx;
	struct scenario_result *res;
	struct engine *engine;          /* NULL without SCENARIO_VM */
	void *state;                    /* sc->state_size bytes, zeroed */
	struct storm_summary summary;   /* the senders' placement and waits, for the report */
	const bool *targets;            /* vCPUs the delivery path is judged over; NULL: all */
	bool log_kicks;                 /* --trace: fill kicks as requests are served (set before setup) */
	struct kick_log kicks;          /* the served kicks, for the tracer */
};


enum scenario_flags {
	SCENARIO_VM = 1u << 0,            /* runs a VM; without it the scenario brings its own threads */
	SCENARIO_KICK_PATH = 1u << 1,     /* kicks travel to vCPUs: a delivery path, judged against a control */
	SCENARIO_HOST_OBSERVER = 1u << 2, /* the vCPU threads look at the requests, under --protocol */
	SCENARIO_GUEST_TSC = 1u << 3,     /* the guest timestamps observations: TSC offsets must be known */
	SCENARIO_TRACEABLE = 1u << 4,     /* --trace can follow its kicks (each served one is logged) */
	SCENARIO_GUEST_SENDERS = 1u << 5, /* the guest raises its requests: no host thread needs a CPU */
};

/*
 * The options the engine applies to every VM it starts, whatever the
 * scenario: a scenario with SCENARIO_VM takes them without listing them,
 * and `kickstorm list` shows their help (scenario__vm_params) under it.
 */
#define SCENARIO_VM_OPTIONS KS_OPT_HALT_POLL

/* What a scenario's latency_ns is a distribution of (the report's "measures"). */
enum scenario_measures {
	MEASURES_KICK,      /* one request, published to observed: comparable with the floor */
	MEASURES_FLOOR,     /* the host's own cross-CPU notification, which kicks are compared with */
	MEASURES_IOCTL,     /* one VM ioctl */
};

/*
 * Everything a scenario is. One driver (driver.c) runs every scenario: it
 * starts the VM as the flags ask, calls the hooks in the order below, takes
 * the KVM stats around the measurement, runs the kick-free control window,
 * stops the vCPUs and assembles the report entry.
 */
struct scenario {
	const char *name;
	const char *summary;
	const char *latency;                    /* what latency_ns spans, one phrase */
	enum scenario_measures measures;
	const struct scenario_param *params;    /* help lines of the options that shape it, NULL-terminated */
	unsigned options;                       /* the KS_OPT_* among them */
	unsigned flags;                         /* SCENARIO_* */
	const char *no_path_why;                /* without SCENARIO_KICK_PATH: why no path applies */
	unsigned min_vcpus, max_vcpus;          /* --vcpus it can run with; 0 = no limit */
	size_t state_size;                      /* run->state, zeroed, for its hooks */
	/* Host sender threads kick with this; the storm is the default measurement. */
	const struct storm_kick *kick;
	/* Can this host run it? Fills why when not. NULL: always. */
	bool (*supported)(const struct scenario_ctx *ctx, char *why, size_t why_len);
	/* The rest is optional; each returns -1 with res->error set when it fails. */
	void (*describe)(struct scenario_run *run, json_t *params);     /* params of its own */
	int (*setup)(struct scenario_run *run);         /* the vCPUs run; before the measurement */
	int (*measure)(struct scenario_run *run);       /* instead of the host senders' storm */
	void (*details)(struct scenario_run *run);      /* after it: res->extra and the like */
	void (*teardown)(struct scenario_run *run);     /* the VM is gone: free what the hooks made */
};

extern const struct scenario *const scenario_registry[];

const struct scenario *scenario__find(const char *name);
/* The KS_OPT_* that shape sc: its own, and SCENARIO_VM_OPTIONS when it runs a VM. */
unsigned scenario__options(const struct scenario *sc);
/* Help lines of SCENARIO_VM_OPTIONS, NULL-terminated. */
extern const struct scenario_param scenario__vm_params[];
/* Help lines of KS_OPT_TRACE, for SCENARIO_TRACEABLE scenarios. */
extern const struct scenario_param scenario__trace_params[];
const char *scenario__name(const struct scenario *s);
/* "signal, msi, ..." for error messages. */
const char *scenario__names_help(void);
/* "kick", "floor", "ioctl": the report's measures.kind. */
const char *scenario__measures_name(enum scenario_measures m);
/*
 * One line on stderr for every option given on the command line that shapes
 * none of the chosen scenarios, naming those it does shape.
 */
void scenario__warn_unshaped(const struct ks_config *cfg);

void scenario_result__init(struct scenario_result *r, const struct scenario *s);
void scenario_result__release(struct scenario_result *r);

#endif
