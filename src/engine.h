/* SPDX-License-Identifier: MIT */
/*
 * One scenario's machine: the VM, its running vCPU threads, the KVM stats
 * taken around the measurement, and the report fragments every scenario
 * shares (placement, kvm_stats, delivery).
 */
#ifndef KICKSTORM_ENGINE_H
#define KICKSTORM_ENGINE_H

#include "scenario.h"
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
	struct kvmstats_sample *before, *after;
	uint64_t start_tsc;
};

int engine__start(struct engine *e, struct scenario_ctx *ctx, const struct engine_options *o);
void engine__stop(struct engine *e);
void engine__snapshot_before(struct engine *e);
void engine__snapshot_after(struct engine *e);
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

#endif
