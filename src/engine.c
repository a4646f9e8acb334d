// SPDX-License-Identifier: MIT
#include "engine.h"
#include "mailbox.h"
#include "vcpu_thread.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ENGINE_START_TIMEOUT_MS 5000
#define ENGINE_STOP_TIMEOUT_MS 2000
/* Longer storms are compared with this much kick-free time, scaled. */
#define ENGINE_CONTROL_MAX_S 1.0
#define ENGINE_CONTROL_STEP_NS 20000000L
/* The vCPUs' excuses (engine__sample_excuses) are sampled at most this often. */
#define ENGINE_EXCUSE_MS 20
#define TSC_TOLERANCE_PATH "/sys/module/kvm/parameters/tsc_tolerance_ppm"
/* KVM's default tsc_tolerance_ppm. */
#define TSC_TOLERANCE_DEFAULT_PPM 250

uint32_t engine__mode_of(const struct engine *e, unsigned i)
{
	switch (e->ctx->cfg->target) {
	case TARGET_RUNNING: return MB_MODE_RUNNING;
	case TARGET_HALTED: return MB_MODE_HALTED;
	default: return i % 2 ? MB_MODE_HALTED : MB_MODE_RUNNING;
	}
}

static uint64_t tsc_tolerance_ppm(void)
{
	FILE *f = fopen(TSC_TOLERANCE_PATH, "re");
	unsigned long long ppm = TSC_TOLERANCE_DEFAULT_PPM;

	if (f) {
		if (fscanf(f, "%llu", &ppm) != 1)
			ppm = TSC_TOLERANCE_DEFAULT_PPM;
		fclose(f);
	}
	return ppm;
}

/*
 * Guest and host TSC timestamps are compared directly (after the offset), so
 * a guest TSC running at another rate than the host's cannot be converted.
 * KVM scales a guest TSC only when it differs from the host's by more than
 * tsc_tolerance_ppm; the host rate is KVM's own (the VM's KVM_GET_TSC_KHZ)
 * where the kernel has it, else the calibrated one, whose own error is then
 * allowed for as well.
 */
static int engine__check_tsc(struct engine *e)
{
	struct vcpu *v = &e->vm.vcpus[0];
	long vm_khz = kvm__ioctl_raw(e->vm.fd, KVM_GET_TSC_KHZ, NULL);
	uint64_t host = vm_khz > 0 ? (uint64_t)vm_khz : e->ctx->clock->calibrated_khz;
	uint64_t ppm = tsc_tolerance_ppm() + (vm_khz > 0 ? 0 : CLOCK_CALIBRATION_PPM);
	uint64_t diff;

	if (!v->tsc_khz)
		return 0;
	diff = v->tsc_khz > host ? v->tsc_khz - host : host - v->tsc_khz;
	if (diff * 1000000ull > ppm * host) {
		ks_error("the guest TSC runs at %llu kHz but the host TSC at %llu kHz (%s), more "
			 "than KVM's %llu ppm tolerance: a scaled guest TSC cannot be converted "
			 "to host time", (unsigned long long)v->tsc_khz, (unsigned long long)host,
			 vm_khz > 0 ? "KVM_GET_TSC_KHZ of the VM" : "calibrated",
			 (unsigned long long)ppm);
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
	e->tsc_moved_vcpu = -1;
	/* Before the vCPUs run: KVM reads the limit at every halt. */
	if (ctx->cfg->halt_poll_given && vm__set_halt_poll(&e->vm, ctx->cfg->halt_poll_ns) < 0) {
		engine__stop(e);
		return -1;
	}
	e->before = ks_zalloc(ctx->vcpus * sizeof(*e->before));
	e->after = ks_zalloc(ctx->vcpus * sizeof(*e->after));
	e->control = ks_zalloc(ctx->vcpus * sizeof(*e->control));
	e->sched_before = ks_zalloc(ctx->vcpus * sizeof(*e->sched_before));
	e->sched_after = ks_zalloc(ctx->vcpus * sizeof(*e->sched_after));
	e->sched_control = ks_zalloc(ctx->vcpus * sizeof(*e->sched_control));
	e->window_before = ks_zalloc(ctx->vcpus * sizeof(*e->window_before));
	e->window_after = ks_zalloc(ctx->vcpus * sizeof(*e->window_after));
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
		vcpu__stop_all(e->vm.vcpus, e->vm.nvcpus, ENGINE_STOP_TIMEOUT_MS);
		vm__destroy(&e->vm);
	}
	e->vm_created = false;
	free(e->before);
	free(e->after);
	free(e->control);
	free(e->sched_before);
	free(e->sched_after);
	free(e->sched_control);
	free(e->window_before);
	free(e->window_after);
	e->before = e->after = e->control = NULL;
	e->sched_before = e->sched_after = e->sched_control = NULL;
	e->window_before = e->window_after = NULL;
}

static void engine__snapshot(struct engine *e, struct kvmstats_sample *s)
{
	for (unsigned i = 0; i < e->vm.nvcpus; i++)
		if (e->vm.vcpus[i].stats_open)
			kvmstats__read(&e->vm.vcpus[i].stats, &s[i]);
}

uint64_t engine__excuse_now(const struct engine *e, struct vcpu *v)
{
	return clock__ns_to_ticks(e->ctx->clock, schedstat__excuse_peek(&v->excuse));
}

/*
 * Reading every vCPU thread's schedstat costs a file read each: spread over
 * at least ENGINE_EXCUSE_MS, and longer for many vCPUs.
 */
void engine__sample_excuses(struct engine *e)
{
	uint64_t now = clock__monotonic_ns();
	uint64_t every = (uint64_t)(ENGINE_EXCUSE_MS + e->vm.nvcpus / 2) * 1000000ull;

	if (now - e->excuses_at < every)
		return;
	e->excuses_at = now;
	for (unsigned i = 0; i < e->vm.nvcpus; i++)
		atomic_store_explicit(&e->vm.vcpus[i].excuse_ticks,
				      clock__ns_to_ticks(e->ctx->clock, schedstat__excuse(&e->vm.vcpus[i].excuse)),
				      memory_order_relaxed);
}

void engine__snapshot_before(struct engine *e)
{
	engine__snapshot(e, e->before);
	for (unsigned i = 0; i < e->vm.nvcpus; i++) {
		e->sched_before[i] = schedstat__read(e->vm.vcpus[i].tid);
		e->window_before[i] = vcpu__window_kicks(&e->vm.vcpus[i]);
	}
	stopwatch__start(&e->stopwatch);
	for (unsigned i = 0; i < e->vm.nvcpus; i++)
		schedstat__excuse_init(&e->vm.vcpus[i].excuse, e->vm.vcpus[i].tid);
	e->excuses_at = 0;
	engine__sample_excuses(e);
	e->start_ns = clock__monotonic_ns();
}

void engine__snapshot_after(struct engine *e)
{
	engine__snapshot(e, e->after);
	for (unsigned i = 0; i < e->vm.nvcpus; i++) {
		e->sched_after[i] = schedstat__read(e->vm.vcpus[i].tid);
		e->window_after[i] = vcpu__window_kicks(&e->vm.vcpus[i]);
	}
	stopwatch__update(&e->stopwatch);
	e->storm_s = (double)(clock__monotonic_ns() - e->start_ns) / 1e9;
}

/* False when the run is being interrupted or a vCPU failed: no point waiting. */
static bool engine__may_wait(struct engine *e, struct scenario_result *res)
{
	if (atomic_load_explicit(e->ctx->interrupted, memory_order_relaxed)) {
		res->interrupted = true;
		return false;
	}
	return res->error[0] == '\0' && !engine__vcpu_failed(e, res);
}

void engine__control_window(struct engine *e, struct scenario_result *res)
{
	double want = e->storm_s < ENGINE_CONTROL_MAX_S ? e->storm_s : ENGINE_CONTROL_MAX_S;
	uint64_t start = clock__monotonic_ns(), until = start + (uint64_t)(want * 1e9);
	struct timespec step = { .tv_nsec = ENGINE_CONTROL_STEP_NS };

	e->control_s = 0;
	while (clock__monotonic_ns() < until) {
		if (!engine__may_wait(e, res)) {
			ks_format(e->control_why, sizeof(e->control_why), "the run was %s before the "
				  "kick-free control window ended", res->interrupted ? "interrupted" : "stopped");
			return;
		}
		nanosleep(&step, NULL);
		stopwatch__tick();
	}
	engine__snapshot(e, e->control);
	for (unsigned i = 0; i < e->vm.nvcpus; i++)
		e->sched_control[i] = schedstat__read(e->vm.vcpus[i].tid);
	e->control_s = (double)(clock__monotonic_ns() - start) / 1e9;
}

void engine__quiesce(struct engine *e)
{
	vcpu__stop_all(e->vm.vcpus, e->vm.nvcpus, ENGINE_STOP_TIMEOUT_MS);
	for (unsigned i = 0; i < e->vm.nvcpus; i++) {
		struct vcpu *v = &e->vm.vcpus[i];
		uint64_t was = v->tsc_offset;
		bool known = v->tsc_offset_known;

		/* A thread that did not stop is still in KVM_RUN: its offset cannot be read now. */
		if (v->thread_started)
			continue;
		if (!known || vcpu__read_tsc_offset(v) < 0 || v->tsc_offset == was)
			continue;
		if (e->tsc_moved_vcpu < 0) {
			e->tsc_moved_vcpu = (int)i;
			e->tsc_offset_was = was;
			e->tsc_offset_now = v->tsc_offset;
		}
	}
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
