// SPDX-License-Identifier: MIT
#include "engine.h"
#include "classify.h"
#include "mailbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENGINE_START_TIMEOUT_MS 5000
#define ENGINE_STOP_TIMEOUT_MS 2000

uint32_t engine__mode_of(const struct engine *e, unsigned i)
{
	switch (e->ctx->cfg->target) {
	case TARGET_RUNNING: return MB_MODE_RUNNING;
	case TARGET_HALTED: return MB_MODE_HALTED;
	default: return i % 2 ? MB_MODE_HALTED : MB_MODE_RUNNING;
	}
}

/*
 * Guest and host TSC timestamps are compared directly (after the offset), so
 * a guest TSC running at another rate than the host's cannot be converted.
 */
static int engine__check_tsc(struct engine *e)
{
	struct vcpu *v = &e->vm.vcpus[0];
	uint64_t host = e->ctx->clock->calibrated_khz;
	uint64_t diff;

	if (!v->tsc_khz)
		return 0;
	diff = v->tsc_khz > host ? v->tsc_khz - host : host - v->tsc_khz;
	if (diff * 100 > host) {
		ks_error("the guest TSC runs at %llu kHz but the host TSC at %llu kHz: a scaled "
			 "guest TSC cannot be converted to host time",
			 (unsigned long long)v->tsc_khz, (unsigned long long)host);
		return -1;
	}
	clock__adopt_kvm_khz(e->ctx->clock, v->tsc_khz);
	return 0;
}

static int engine__start_vcpus(struct engine *e, const struct engine_options *o)
{
	struct vm *vm = &e->vm;

	for (unsigned i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		v->protocol = o->protocol;
		v->race_window_ticks = clock__ns_to_ticks(e->ctx->clock, o->race_window_ns);
		v->observe = o->observe;
		v->observed_slots = o->observed_slots;
		vcpu__set_mode(v, engine__mode_of(e, i));
		if (vcpu__start(v, e->ctx->topo) < 0)
			return -1;
	}
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		if (vcpu__wait_ready(&vm->vcpus[i], ENGINE_START_TIMEOUT_MS) < 0) {
			ks_error("%s", vm->vcpus[i].error);
			return -1;
		}
	}
	return 0;
}

/*
 * Test hook (kickstorm(1), ENVIRONMENT): KICKSTORM_INJECT_FAULT=N makes the
 * guest on vCPU N raise #UD as soon as it next looks at its mode, so the
 * path that ends a scenario on a guest fault can be exercised for real.
 */
static void engine__inject_fault(struct engine *e)
{
	const char *spec = getenv("KICKSTORM_INJECT_FAULT");
	uint64_t id;

	if (!spec || parse__u64(spec, 0, e->vm.nvcpus - 1, &id) < 0)
		return;
	vcpu__set_mode(&e->vm.vcpus[id], MB_MODE_FAULT);
}

int engine__start(struct engine *e, struct scenario_ctx *ctx, const struct engine_options *o)
{
	memset(e, 0, sizeof(*e));
	e->ctx = ctx;
	if (vm__create(&e->vm, ctx->kvm_fd, ctx->vcpus, ctx->topo, &ctx->plan) < 0)
		return -1;
	e->vm_created = true;
	e->before = ks_zalloc(ctx->vcpus * sizeof(*e->before));
	e->after = ks_zalloc(ctx->vcpus * sizeof(*e->after));
	if (engine__check_tsc(e) < 0 || engine__start_vcpus(e, o) < 0) {
		engine__stop(e);
		return -1;
	}
	engine__inject_fault(e);
	return 0;
}

void engine__stop(struct engine *e)
{
	if (e->vm_created) {
		for (unsigned i = 0; i < e->vm.nvcpus; i++)
			vcpu__stop(&e->vm.vcpus[i], ENGINE_STOP_TIMEOUT_MS);
		vm__destroy(&e->vm);
	}
	e->vm_created = false;
	free(e->before);
	free(e->after);
	e->before = e->after = NULL;
}

static void engine__snapshot(struct engine *e, struct kvmstats_sample *s)
{
	for (unsigned i = 0; i < e->vm.nvcpus; i++)
		if (e->vm.vcpus[i].stats_open)
			kvmstats__read(&e->vm.vcpus[i].stats, &s[i]);
}

void engine__snapshot_before(struct engine *e)
{
	engine__snapshot(e, e->before);
	e->start_tsc = clock__tsc();
}

void engine__snapshot_after(struct engine *e)
{
	engine__snapshot(e, e->after);
}

bool engine__vcpu_failed(struct engine *e, struct scenario_result *res)
{
	for (unsigned i = 0; i < e->vm.nvcpus; i++) {
		if (vcpu__failed(&e->vm.vcpus[i])) {
			snprintf(res->error, sizeof(res->error), "%s", e->vm.vcpus[i].error);
			return true;
		}
	}
	return false;
}

static json_t *engine__vcpu_placement(struct engine *e)
{
	json_t *arr = json_array();

	for (unsigned i = 0; i < e->vm.nvcpus; i++) {
		struct vcpu *v = &e->vm.vcpus[i];
		json_t *o = json_pack("{s:i, s:s, s:o, s:o, s:s, s:i, s:s}",
				      "vcpu", (int)v->id, "thread", "kvm-vcpu",
				      "bound_cpu", v->cpu >= 0 ? json_integer(v->cpu) : json_null(),
				      "ran_on", cpu_trace__to_json(&v->ran_on),
				      "mode", engine__mode_of(e, i) == MB_MODE_HALTED ? "halted" : "running",
				      "mailbox_node", node_memory__actual_node(&v->mailbox_mem),
				      "mailbox_policy", v->mailbox_mem.policy);

		json_object_set_new(o, "thread", json_sprintf("kvm-vcpu-%u", v->id));
		if (v->bind_error)
			json_object_set_new(o, "bind_error", json_string(strerror(v->bind_error)));
		json_array_append_new(arr, o);
	}
	return arr;
}

json_t *engine__stats_json(struct engine *e, const bool *include, uint64_t kicks)
{
	unsigned n = 0, *ids = ks_zalloc(e->vm.nvcpus * sizeof(*ids));
	struct kvmstats *stats = ks_zalloc(e->vm.nvcpus * sizeof(*stats));
	struct kvmstats_sample *before = ks_zalloc(e->vm.nvcpus * sizeof(*before));
	struct kvmstats_sample *after = ks_zalloc(e->vm.nvcpus * sizeof(*after));
	bool have_stats = true;
	json_t *out, *per_vcpu;

	for (unsigned i = 0; i < e->vm.nvcpus; i++) {
		if (include && !include[i])
			continue;
		have_stats &= e->vm.vcpus[i].stats_open;
		stats[n] = e->vm.vcpus[i].stats;
		before[n] = e->before[i];
		after[n] = e->after[i];
		ids[n++] = i;
	}
	if (have_stats) {
		out = kvmstats__delta_json(stats, before, after, n, kicks);
		/* kvmstats numbers the vCPUs it was given; name them by their ids. */
		per_vcpu = json_object_get(out, "per_vcpu");
		for (unsigned k = 0; k < n; k++)
			json_object_set_new(json_array_get(per_vcpu, k), "vcpu", json_integer(ids[k]));
	} else {
		out = json_pack("{s:s}", "unavailable",
				"KVM_GET_STATS_FD is not supported by this kernel");
	}
	free(ids);
	free(stats);
	free(before);
	free(after);
	return out;
}

void engine__report(struct engine *e, struct scenario_result *res, uint64_t kicks,
		    bool kick_is_interrupt, json_t *senders)
{
	engine__report_vcpus(e, res, kicks, kick_is_interrupt, senders, NULL);
}

void engine__report_vcpus(struct engine *e, struct scenario_result *res, uint64_t kicks,
			  bool kick_is_interrupt, json_t *senders, const bool *targets)
{
	struct delivery_inputs in = { 0 };
	json_t *per_kick;

	res->kvm_stats = engine__stats_json(e, targets, kicks);
	per_kick = json_object_get(res->kvm_stats, "per_kick");

	in.target_state = target_state__name(e->ctx->cfg->target);
	in.host_can_post = hostinfo__can_post_interrupts(e->ctx->host);
	in.kick_is_interrupt = kick_is_interrupt;
	in.kicks = kicks;
	delivery__ratios_from_json(&in, per_kick);
	delivery__classify(&in, &res->delivery);

	res->placement = json_pack("{s:b, s:s, s:o, s:o}",
				   "overcommit", e->ctx->plan.overcommit,
				   "policy", placement__name(e->ctx->cfg->placement),
				   "vcpus", engine__vcpu_placement(e),
				   "senders", senders ? senders : json_array());
}
