/* SPDX-License-Identifier: MIT */
/*
 * Where a kick's time goes: each served kick's latency cut into stages at
 * the kernel events it caused, per-stage statistics, and the slowest kicks
 * explained. Pure analysis of recorded events (trace_event.h): no tracefs,
 * no KVM, so tests feed it streams recorded earlier.
 *
 * A stage ends at its event and starts where the previous stage ended; the
 * first starts at the kick, the last (handler) ends when the target
 * observed the request, so a kick's stages always sum to its latency:
 *
 *   kick_syscall  kick -> the sender enters its kick syscall (sys_enter)
 *   sender_exit   kick -> the sending vCPU exits on its ICR write (kvm_exit)
 *   ipi_send      -> KVM emulates the ICR write (kvm_apic_ipi)
 *   accept        -> the target's LAPIC accepts the vector (kvm_apic_accept_irq),
 *                    or the signal is queued (signal_generate)
 *   wakeup        -> the vCPU thread is woken (sched_waking)
 *   wait_cpu      -> the vCPU thread is on a CPU (sched_switch)
 *   halt_end      -> KVM's halt ends (kvm_vcpu_wakeup)
 *   exit          -> the running vCPU exits (kvm_exit)
 *   user_exit     -> KVM_RUN returns to userspace (kvm_userspace_exit; signal kicks)
 *   injection     -> KVM injects the vector (kvm_inj_virq; kvm_eoi on a KVM that
 *                    injects without kvm_inj_virq), or the signal is delivered
 *                    (signal_deliver)
 *   entry         -> the vCPU enters the guest after the injection (kvm_entry)
 *   handler       -> the target observes the request (the ledger's observed TSC)
 *
 * Which stages a kick has depends on its kind (a signal wakes its thread
 * before it is queued; a guest IPI has no syscall). A stage whose events
 * this host never emits is merged into the next one, and the missing
 * events are named; a stage whose event a kick did not cause (no wake-up:
 * the vCPU had not blocked yet) is counted as skipped for that kick.
 */
#ifndef KICKSTORM_TRACE_STAGES_H
#define KICKSTORM_TRACE_STAGES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "trace_event.h"

enum trace_stage {
	TS_KICK_SYSCALL,
	TS_SENDER_EXIT,
	TS_IPI_SEND,
	TS_ACCEPT,
	TS_WAKEUP,
	TS_WAIT_CPU,
	TS_HALT_END,
	TS_EXIT,
	TS_USER_EXIT,
	TS_INJECTION,
	TS_ENTRY,
	TS_HANDLER,
	TS__COUNT
};

#define TS_MASK(s) (1u << (s))
#define TRACE_DEFAULT_WORST 5

struct trace_span {
	uint8_t stage;          /* enum trace_stage */
	uint64_t start, end;    /* TSC */
	size_t event;           /* index of the event that ends it; SIZE_MAX for handler */
};

struct trace_timeline {
	unsigned nspans;
	struct trace_span span[TS__COUNT];
	uint32_t skipped;       /* TS_MASK of the stages this kick did not pass through */
	bool traced;            /* false: no event of this kick was recorded */
};

struct trace_stage_stats {
	uint64_t count;         /* kicks with this stage */
	uint64_t skipped;       /* traced kicks without it */
	uint64_t p50_ns, p90_ns, p99_ns, max_ns;
	uint32_t merged;        /* TS_MASK of invisible stages whose time this one holds */
};

struct trace_stage_options {
	uint64_t tsc_khz;       /* 0: the events' tsc_khz */
	unsigned worst;         /* slowest kicks to explain; 0: TRACE_DEFAULT_WORST */
};

struct trace_analysis;

/*
 * Builds every kick's timeline and the per-stage statistics. events must be
 * sorted (trace__read and trace_events__read sort) and outlive the result;
 * kicks are copied. NULL, with a reason, when the TSC rate is unknown.
 */
struct trace_analysis *trace_stages__analyse(const struct trace_events *events,
					     const struct trace_kick *kicks, size_t nkicks,
					     const struct trace_stage_options *o,
					     char *why, size_t why_len);
void trace_stages__free(struct trace_analysis *a);

/* "wait_cpu"; NULL when out of range. */
const char *trace_stage__name(unsigned stage);
/* The event a stage of a kick of kind was cut at ("observed" for handler); NULL if none. */
const char *trace_stages__event_of(const struct trace_analysis *a, unsigned stage, enum trace_kick_kind kind);

size_t trace_stages__nkicks(const struct trace_analysis *a);
const struct trace_kick *trace_stages__kick(const struct trace_analysis *a, size_t i);
const struct trace_timeline *trace_stages__timeline(const struct trace_analysis *a, size_t i);
uint64_t trace_stages__untraced(const struct trace_analysis *a);
/* false when no kick of this analysis can have the stage (or it is merged away). */
bool trace_stages__stats(const struct trace_analysis *a, enum trace_stage s, struct trace_stage_stats *out);
/* The traced kicks' own latency_ns, for comparison with the stages (skipped and merged are 0). */
void trace_stages__total(const struct trace_analysis *a, struct trace_stage_stats *out);
/* Stages in the order a kick passes them: fills order, returns how many. */
unsigned trace_stages__order(const struct trace_analysis *a, enum trace_stage order[TS__COUNT]);
/* TEV_MASK bits: events the stages were cut at, and events they needed but the host lacks. */
uint32_t trace_stages__used_events(const struct trace_analysis *a);
uint32_t trace_stages__missing_events(const struct trace_analysis *a);
/* Index of the rank-th slowest kick (0 = slowest), SIZE_MAX past the end or past options.worst. */
size_t trace_stages__worst(const struct trace_analysis *a, unsigned rank);
double trace_stages__ns_per_tick(const struct trace_analysis *a);
const struct trace_events *trace_stages__events(const struct trace_analysis *a);

/*
 * trace_cause.c: the dominant stage of kick i and one sentence on its cause
 * where the trace shows one ("wait_cpu: the vCPU thread waited 3.1 ms for
 * CPU 1, held by pid 4242 (stress) (97% of 3.2 ms)"). Returns the stage,
 * TS__COUNT for an untraced kick.
 */
enum trace_stage trace_stages__explain(const struct trace_analysis *a, size_t i, char *buf, size_t len);
/* "850 ns", "21.4 us", "3.1 ms" */
void trace_stages__format_ns(char *buf, size_t len, double ns);

/*
 * trace_output.c: the report's "trace" object {kicks, events, stages,
 * worst}; the stage table and the slowest kick's analysis, for a terminal;
 * and the raw events around kick i (from max(1 ms, its latency) before it
 * to 100 us after it was observed), its timeline in comments, written
 * atomically to path in the trace_event.h text format.
 */
json_t *trace_stages__to_json(const struct trace_analysis *a);
void trace_stages__print(const struct trace_analysis *a, const char *title, FILE *out);
/* The same table from a report's trace object, so show prints it for saved reports. */
void trace_stages__print_json(const json_t *trace, const char *title, FILE *out);
int trace_stages__write_window(const struct trace_analysis *a, size_t i, const char *path,
			       char *why, size_t why_len);

#endif
