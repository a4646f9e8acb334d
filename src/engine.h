/* SPDX-License-Identifier: MIT */
/*
 * One scenario's machine: the VM, its running vCPU threads, the KVM stats
 * taken around the measurement, and the report fragments every scenario
 * shares (placement, kvm_stats, delivery).
 */
#ifndef KICKSTORM_ENGINE_H
#define KICKSTORM_ENGINE_H

#include "scenario.h"
#include "schedstat.h"
#include "vm.h"
#include "vcpu.h"

struct engine_options {
	enum kick_protocol protocol;
	uint64_t race_window_ns;
	vcpu_observe_fn observe;        /* host-side observer, NULL when the guest observes */
	uint64_t observed_slots;
};

/* What a storm tells the engine about its senders, for the report. */
struct storm_summary {
	json_t *senders;            /* placement entries */
	json_t *threads;            /* engine__thread_wait_json entries */
	uint64_t stalls;            /* kicks sent by a descheduled sender */
	double stall_max_ns;
	uint64_t stall_threshold_ns;
};

struct engine {
	struct scenario_ctx *ctx;
	struct vm vm;
	bool vm_created;
	/* KVM stats at the storm's start and end, and at the end of the kick-free control window. */
	struct kvmstats_sample *before, *after, *control;
	struct sched_sample *sched_before, *sched_after, *sched_control;
	struct vcpu_window_kicks *window_before, *window_after;
	struct stopwatch stopwatch;
	uint64_t start_ns;
	double storm_s;
	double control_s;           /* 0: no control window was measured */
	char control_why[160];      /* why not, when it was not */
	int tsc_moved_vcpu;         /* a vCPU whose TSC offset changed during the storm, or -1 */
	uint64_t tsc_offset_was, tsc_offset_now;
};

int engine__start(struct engine *e, struct scenario_ctx *ctx, const struct engine_options *o);
void engine__stop(struct engine *e);
void engine__snapshot_before(struct engine *e);
void engine__snapshot_after(struct engine *e);
/*
 * After the storm, the same vCPUs in the same state for as long again (at
 * most ENGINE_CONTROL_MAX_S) without a kick: the KVM stats they move on
 * their own, which the delivery path is judged against.
 */
void engine__control_window(struct engine *e, struct scenario_result *res);
/*
 * Stops the vCPU threads and reads every TSC offset again: a guest
 * timestamp is only host time if the offset did not move meanwhile.
 */
void engine__quiesce(struct engine *e);
/*
 * After a storm: the kick-free control window, the vCPUs stopped and their
 * TSC offsets checked, then kvm_stats, delivery, placement and scheduling
 * of res, judged over the vCPUs with targets[i] (all when NULL). Consumes
 * sum's JSON.
 */
void engine__conclude(struct engine *e, struct scenario_result *res, bool kick_is_interrupt,
		      const bool *targets, struct storm_summary *sum);
/* Copies the first failed vCPU's error into res; true if one failed. */
bool engine__vcpu_failed(struct engine *e, struct scenario_result *res);
/* Mode of vCPU i under --target-state: mixed runs even vCPUs and halts odd ones. */
uint32_t engine__mode_of(const struct engine *e, unsigned i);
/* Fills kvm_stats, delivery and the vCPU half of placement. */
void engine__report(struct engine *e, struct scenario_result *res, uint64_t kicks,
		    bool kick_is_interrupt, json_t *senders);
/*
 * The same, with kvm_stats and the delivery path taken over the vCPUs whose
 * targets[i] is true only (all of them when targets is NULL): a guest sender
 * pays its own exits for the ICR write, which say nothing about how the
 * interrupt reached its target (classify.c).
 */
void engine__report_vcpus(struct engine *e, struct scenario_result *res, uint64_t kicks,
			  bool kick_is_interrupt, json_t *senders, const bool *targets);
/* kvm_stats fragment (kvmstats__delta_json) over the vCPUs with include[i] (all when NULL). */
json_t *engine__stats_json(struct engine *e, const bool *include, uint64_t kicks);
/* {"thread", "tid", "on_cpu_ns", "waited_ns"} for one thread of the run. */
json_t *engine__thread_wait_json(const char *role, unsigned id, int tid, struct sched_sample d);
/*
 * res->scheduling: how long the vCPU threads and the given sender threads
 * (threads, consumed) waited for a CPU, how long the process was stopped,
 * the kicks during which a sender was descheduled, and one line on stderr
 * when any of it means the latencies include scheduling delay.
 */
void engine__report_scheduling(struct engine *e, struct scenario_result *res, json_t *threads,
			       uint64_t stalls, double stall_max_ns, uint64_t stall_threshold_ns);

#endif
