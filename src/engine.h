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

struct engine {
	struct scenario_ctx *ctx;
	struct vm vm;
	bool vm_created;
	/* KVM stats at the storm's start and end, and at the end of the kick-free control window. */
	struct kvmstats_sample *before, *after, *control;
	struct sched_sample *sched_before, *sched_after, *sched_control;
	struct vcpu_window_kicks *window_before, *window_after;
	struct stopwatch stopwatch;
	uint64_t excuses_at;        /* monotonic ns of the last engine__sample_excuses */
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
 * A vCPU's excuse (ledger.h, schedstat.h) in TSC ticks: the time its thread
 * waited for a CPU, now included, plus the time the process was stopped,
 * read now. engine__sample_excuses keeps each vCPU's excuse_ticks nearly
 * current for the hot path; the monitor calls it.
 */
uint64_t engine__excuse_now(const struct engine *e, struct vcpu *v);
void engine__sample_excuses(struct engine *e);
/* Copies the first failed vCPU's error into res; true if one failed. */
bool engine__vcpu_failed(struct engine *e, struct scenario_result *res);
/* Mode of vCPU i under --target-state: mixed runs even vCPUs and halts odd ones. */
uint32_t engine__mode_of(const struct engine *e, unsigned i);

/* How engine__conclude reports a measurement. */
struct engine_verdict {
	bool judge_path;                /* kicks travel to vCPUs: control window and delivery path */
	bool kick_is_interrupt;
	const bool *targets;            /* vCPUs the path is judged over; NULL: all */
	struct storm_summary *summary;  /* its JSON is consumed */
};

/*
 * After a measurement (engine__snapshot_after taken): the kick-free control
 * window when the path is judged, the vCPUs stopped and their TSC offsets
 * checked, then kvm_stats, delivery, placement and scheduling of res.
 */
void engine__conclude(struct engine *e, struct scenario_result *res, const struct engine_verdict *v);
/* kvm_stats fragment (kvmstats__delta_json) over the vCPUs with include[i] (all when NULL). */
json_t *engine__stats_json(struct engine *e, const bool *include, uint64_t kicks);
/*
 * Halt polling over the storm: the limit the VM polled with, each vCPU's
 * halt stats and histograms (halt_*), and the CPU time the vCPU threads
 * used per request sent and per kick (engine_halt_poll.c).
 */
json_t *engine__halt_poll_json(struct engine *e, uint64_t requests, uint64_t kicks);
/* {"thread", "tid", "on_cpu_ns", "waited_ns"} for one thread of the run. */
json_t *engine__thread_wait_json(const char *role, unsigned id, int tid, struct sched_sample d);

#endif
