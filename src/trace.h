/* SPDX-License-Identifier: MIT */
/*
 * tracefs plumbing for `run --trace`: a private tracefs instance, never the
 * global buffer, so kickstorm neither disturbs nor reads anyone else's
 * tracing. It records with the x86-tsc clock (timestamps are the TSC that
 * the rest of kickstorm reads), keeps only the threads it is given, and
 * hands back plain struct trace_event records (trace_event.h).
 *
 * Lifetime: trace__open creates the instance with tracing off and forks a
 * small reaper process that removes it once kickstorm is gone, however it
 * ends (exit, _exit from a second Ctrl-C, SIGKILL). trace__close removes it
 * at once; trace__cleanup_signal_safe does too, from a signal handler.
 *
 * Typical use, once per scenario:
 *   trace__open(&s, &opts, why, len)      before the threads exist
 *   trace__add_tid(s, getpid())           with follow_forks: threads created later follow
 *   trace__start(s)  ... storm ...  trace__stop(s)
 *   trace__read(s, &events, why, len)     consumes the buffer; start again for the next
 *   trace__close(s)
 *
 * Without libtracefs at build time every call fails with a reason
 * (trace_none.c) and trace__built_in() is false.
 */
#ifndef KICKSTORM_TRACE_H
#define KICKSTORM_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace_event.h"

#define TRACE_DEFAULT_BUFFER_KB (32 * 1024)
/* All CPUs' buffers together stay under this, on hosts with many CPUs. */
#define TRACE_MAX_TOTAL_BUFFER_KB (1024 * 1024)

struct trace_session;

struct trace_options {
	size_t buffer_kb;       /* per CPU; 0 = TRACE_DEFAULT_BUFFER_KB */
	uint32_t events;        /* TEV_MASK bits; 0 = TEV_DEFAULT_MASK */
	bool follow_forks;      /* tasks a traced task creates are traced too (event-fork) */
};

bool trace__built_in(void);

/*
 * Creates and configures the instance, tracing off. 0, or -1 with a
 * one-line reason (tracefs missing, no permission, no x86-tsc clock,
 * built without libtracefs); never exits.
 */
int trace__open(struct trace_session **out, const struct trace_options *o, char *why, size_t why_len);
/* Adds a thread to the pid filter; callable while tracing. 0 or -errno. */
int trace__add_tid(struct trace_session *s, int tid);
/* Empties the buffer and starts recording; -EINVAL before any trace__add_tid. 0 or -errno. */
int trace__start(struct trace_session *s);
int trace__stop(struct trace_session *s);
/*
 * Appends every buffered event to out, sorted by TSC, with the comms seen,
 * out->enabled and out->lost (events the buffer dropped) filled in.
 * Consumes the buffer. 0, or -1 with a reason.
 */
int trace__read(struct trace_session *s, struct trace_events *out, char *why, size_t why_len);
/* TEV_MASK bits asked for that this kernel does not define. */
uint32_t trace__missing(const struct trace_session *s);
/* ".../tracing/instances/kickstorm-PID-N" */
const char *trace__instance_path(const struct trace_session *s);
/* Stops, removes the instance, reaps the reaper, frees s. NULL is fine. */
void trace__close(struct trace_session *s);
/*
 * Removes every instance still open, using only async-signal-safe calls:
 * for a handler that is about to _exit. What it cannot remove (a reader
 * still has a buffer open) the reaper removes after the exit.
 */
void trace__cleanup_signal_safe(void);

#endif
