/* SPDX-License-Identifier: MIT */
#ifndef KICKSTORM_CONFIG_H
#define KICKSTORM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "kick_types.h"
#include "latency.h"
#include "topology.h"
#include "util.h"

#define KS_MAX_SCENARIOS 16
#define KS_MAX_SWEEP 32

/* What `run` prints on stdout after the storms (the report itself is --output). */
enum run_format { RUN_FORMAT_TEXT, RUN_FORMAT_JSON, RUN_FORMAT_MARKDOWN };

const char *run_format__name(enum run_format f);

struct scenario;

/*
 * The run options that shape some scenarios and not others. Each scenario
 * lists those that shape it (struct scenario, options); an option given on
 * the command line that shapes none of the chosen scenarios is warned about.
 */
enum ks_option {
	KS_OPT_VCPUS = 1u << 0,
	KS_OPT_SENDERS = 1u << 1,
	KS_OPT_RATE = 1u << 2,
	KS_OPT_BURST = 1u << 3,
	KS_OPT_TARGET = 1u << 4,
	KS_OPT_PATTERN = 1u << 5,
	KS_OPT_PROTOCOL = 1u << 6,
	KS_OPT_RACE_WINDOW = 1u << 7,
	KS_OPT_GAP = 1u << 8,
	KS_OPT_DEADLINE = 1u << 9,
	KS_OPT_LOST_AFTER = 1u << 10,
	KS_OPT_HALT_POLL = 1u << 11,
	KS_OPT_TRACE = 1u << 12,        /* scenarios with SCENARIO_TRACEABLE */
	KS_OPT_IPI_VIA = 1u << 13,
	KS_OPT_DELIVERY = 1u << 14,
};
#define KS_OPT_LAST KS_OPT_DELIVERY

/*
 * What --sweep PARAM=LIST varies: one run option, the rest of the run
 * fixed. Each point runs the scenarios the option shapes once.
 */
enum sweep_param {
	SWEEP_NONE,
	SWEEP_VCPUS,
	SWEEP_SENDERS,
	SWEEP_RATE,
	SWEEP_BURST,
	SWEEP_GAP,
	SWEEP_RACE_WINDOW,
	SWEEP_DEADLINE,
	SWEEP_LOST_AFTER,
	SWEEP_HALT_POLL,
	SWEEP_NPARAMS
};

struct sweep_spec {
	enum sweep_param param;     /* SWEEP_NONE: no sweep */
	uint64_t points[KS_MAX_SWEEP];  /* in the order given */
	unsigned n;
};

/* "--protocol" for KS_OPT_PROTOCOL. */
const char *config__option_name(enum ks_option o);

/* Everything `kickstorm run` was asked to do. */
struct ks_config {
	const struct scenario *scenarios[KS_MAX_SCENARIOS];
	unsigned nscenarios;
	unsigned vcpus;
	unsigned senders;
	uint64_t count;             /* kicks per sender; 0 = bounded by duration only */
	double duration_s;          /* 0 = bounded by count only */
	uint64_t rate_hz;           /* kicks per second per sender; 0 = closed loop */
	unsigned burst;
	enum target_state target;
	enum kick_pattern pattern;
	enum kick_protocol protocol;
	enum ipi_via ipi_via;
	enum kick_delivery delivery;
	uint64_t race_window_ns;
	uint64_t gap_ns;
	bool gap_given;
	unsigned deadline_ms;
	unsigned lost_after_ms;     /* loss window: unobserved this long is lost */
	bool lost_after_given;
	int cpus[KS_MAX_CPUS];
	unsigned ncpus;             /* 0 = every CPU this process may use */
	enum placement_policy placement;
	uint64_t seed;
	const char *output;         /* NULL = default file name, "-" = stdout */
	bool quiet;
	/* KVM_CAP_HALT_POLL per VM when given; else the kvm module's default, recorded. */
	uint64_t halt_poll_ns;
	bool halt_poll_given;
	bool halt_poll_known;       /* false: not given and the module has no halt_poll_ns */
	struct sweep_spec sweep;
	unsigned repeat;
	unsigned given;             /* KS_OPT_* set on the command line */
	/* --trace: kernel events of every traceable scenario, cut into stages. */
	bool trace;
	uint64_t trace_threshold_us;    /* keep the raw events around a slower kick; 0 = never */
	/* Presentation only; not part of the report's config. */
	enum run_format format;
	bool format_given;
	bool hist;                  /* a text histogram per scenario after the table */
	double percentiles[LATENCY_MAX_PERCENTILES];
	size_t npercentiles;        /* 0 = the table's default columns */
};

#define KS_DEFAULT_COUNT 2000
#define KS_DEFAULT_DEADLINE_MS 10
/* Long enough that a paused or starved host does not make a late request lost. */
#define KS_DEFAULT_LOST_AFTER_MS 1000
/*
 * Closed loops against halted targets pause up to this long before each
 * kick unless --gap says otherwise: kicking again the moment the handler ran
 * finds the vCPU on its way back to hlt, not blocked in it.
 */
#define KS_DEFAULT_HALTED_GAP_NS 1000000
#define KS_DEFAULT_OUTPUT "kickstorm-report.json"

void config__defaults(struct ks_config *cfg);

/*
 * Parses `kickstorm run` options (argv[0] is "run"). Returns 0, or
 * KS_EXIT_USAGE after printing one line that names the bad value and what is
 * allowed. --help prints the usage and returns -1 (caller exits 0).
 */
int config__parse_run(struct ks_config *cfg, int argc, char **argv);
void config__print_run_usage(FILE *out);

/*
 * "kickstorm run: OPT 'VALUE' is not valid (allowed: ALLOWED)" on stderr;
 * returns KS_EXIT_USAGE.
 */
int config__usage_error(const char *opt, const char *value, const char *allowed);

/* Building blocks shared with other subcommands and the fuzz harness. */
int parse__u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int parse__seconds(const char *s, double min, double max, double *out);
/* Plain decimal only ("2", "2.5"): no sign, exponent, hex, inf/nan or leading zero. */
int parse__decimal(const char *s, double min, double max, double *out);
/* "0-3,8,10-11": ascending, duplicate-free, each below max_cpu. */
int parse__cpu_list(const char *s, int *cpus, unsigned max, unsigned *n, unsigned max_cpu);

/* The configuration as the report records it. */
#include <jansson.h>
json_t *config__to_json(const struct ks_config *cfg);

#endif
