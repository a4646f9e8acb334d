/* SPDX-License-Identifier: MIT */
/*
 * `run --trace`: one trace session for the whole run, started around each
 * traceable scenario's measurement, and the stage analysis of the kicks
 * that scenario served (trace_stages.h) put into its report entry.
 *
 * Tracing never decides an outcome: the ledger does, with or without it.
 * A host that cannot trace (no tracefs, no permission, built without
 * libtracefs) runs the scenarios untraced; the report says why, once, in
 * host.trace, and run's exit status does not change.
 */
#ifndef KICKSTORM_TRACER_H
#define KICKSTORM_TRACER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"

struct trace_session;
struct scenario_run;

struct tracer {
	struct trace_session *session;  /* NULL: not tracing */
	bool requested;
	char why[256];                  /* requested but unavailable: the reason */
	uint64_t threshold_ns;          /* --trace-threshold; 0 = no window files */
	char window_base[4096];         /* the report's path without ".json" */
	unsigned windows;               /* window files written so far */
};

/*
 * Opens the session when cfg asks for one, before any VM or thread exists
 * (threads this process creates later are followed). Prints one line on
 * stderr when tracing was asked for and is unavailable; never fails the run.
 */
void tracer__open(struct tracer *t, const struct ks_config *cfg, const char *report_path);
void tracer__close(struct tracer *t);
/* host.trace: requested, available, and why not. */
json_t *tracer__host_json(const struct tracer *t);

/* Whether this run's kicks are traced: a session and a traceable scenario. */
bool tracer__wants(const struct tracer *t, const struct scenario_run *run);
/* Starts recording, just before the measurement. 0, or -1 with run->res->trace saying why. */
int tracer__begin(struct tracer *t, struct scenario_run *run);
/*
 * Stops, reads the events and analyses run->kicks into run->res->trace
 * (the analysis, or {"error": why}); writes the --trace-threshold window.
 */
void tracer__end(struct tracer *t, struct scenario_run *run);

#endif
