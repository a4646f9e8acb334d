// SPDX-License-Identifier: MIT
#include "engine.h"
#include "classify.h"
#include "mailbox.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ENGINE_START_TIMEOUT_MS 5000
#define ENGINE_STOP_TIMEOUT_MS 2000
/* Longer storms are compared with this much kick-free time, scaled. */
#define ENGINE_CONTROL_MAX_S 1.0
#define ENGINE_CONTROL_STEP_NS 20000000L
/* Threads that waited this long for a CPU make latencies part scheduling delay. */
#define ENGINE_WAIT_NOTE_NS 1000000ull
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
		for (unsigned i = 0; i < e->vm.nvcpus; i++)
			vcpu__stop(&e->vm.vcpus[i], ENGINE_STOP_TIMEOUT_MS);
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

void engine__snapshot_before(struct engine *e)
{
	engine__snapshot(e, e->before);
	for (unsigned i = 0; i < e->vm.nvcpus; i++) {
		e->sched_before[i] = schedstat__read(e->vm.vcpus[i].tid);
		e->window_before[i] = vcpu__window_kicks(&e->vm.vcpus[i]);
	}
	stopwatch__start(&e->stopwatch);
	e->start_ns = clock__monotonic_ns();
}

void engine__snapshot_after(struct engine *e)
{
	engine__snapshot(e, e->after);
	for (unsigned i = 0; i < e->vm.nvcpus; i++) {
		e->sched_after[i] = schedstat__read(e->vm.vcpus[i].tid);
		e->window_after[i] = vcpu__window_kicks(&e->vm.vcpus[i]);
	}
	stopwatch__tick(&e->stopwatch);
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
		stopwatch__tick(&e->stopwatch);
	}
	engine__snapshot(e, e->control);
	for (unsigned i = 0; i < e->vm.nvcpus; i++)
		e->sched_control[i] = schedstat__read(e->vm.vcpus[i].tid);
	e->control_s = (double)(clock__monotonic_ns() - start) / 1e9;
}

void engine__quiesce(struct engine *e)
{
	for (unsigned i = 0; i < e->vm.nvcpus; i++) {
		struct vcpu *v = &e->vm.vcpus[i];
		uint64_t was = v->tsc_offset;
		bool known = v->tsc_offset_known;

		vcpu__stop(v, ENGINE_STOP_TIMEOUT_MS);
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

/* kvm_stats over the vCPUs with include[i] (all when NULL), between two samples of each. */
static json_t *engine__stats_between(struct engine *e, const bool *include, uint64_t kicks,
				     const struct kvmstats_sample *from,
				     const struct kvmstats_sample *to)
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
		before[n] = from[i];
		after[n] = to[i];
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

json_t *engine__stats_json(struct engine *e, const bool *include, uint64_t kicks)
{
	return engine__stats_between(e, include, kicks, e->before, e->after);
}

json_t *engine__thread_wait_json(const char *role, unsigned id, int tid, struct sched_sample d)
{
	json_t *o = json_pack("{s:o, s:i}", "thread", json_sprintf("%s-%u", role, id), "tid", tid);

	json_object_set_new(o, "on_cpu_ns", d.known ? json_integer((json_int_t)d.on_cpu_ns) : json_null());
	json_object_set_new(o, "waited_ns", d.known ? json_integer((json_int_t)d.waited_ns) : json_null());
	return o;
}

static uint64_t threads__max_wait(json_t *threads, const char **who)
{
	uint64_t max = 0;
	json_t *t;
	size_t i;

	json_array_foreach(threads, i, t) {
		json_t *w = json_object_get(t, "waited_ns");

		if (json_is_integer(w) && (uint64_t)json_integer_value(w) > max) {
			max = (uint64_t)json_integer_value(w);
			*who = json_string_value(json_object_get(t, "thread"));
		}
	}
	return max;
}

/*
 * Waits that matter: over a millisecond in all, and at least 1% of the storm
 * or enough to have made a request late.
 */
static bool scheduling__waited(struct engine *e, const struct scenario_result *res, uint64_t max_wait)
{
	double storm_ns = e->storm_s * 1e9;

	if (max_wait < ENGINE_WAIT_NOTE_NS)
		return false;
	return (double)max_wait >= storm_ns / 100 || res->tally.outcome[LEDGER_LATE] > 0;
}

/*
 * One sentence: what, besides KVM, the latencies include; NULL when nothing
 * does. Sharing CPUs only matters when the threads that share them are busy:
 * a halted vCPU nobody kicks does not compete, and the waits measured say
 * whether the others did.
 */
static char *scheduling__note(struct engine *e, const struct scenario_result *res,
			      uint64_t max_wait, const char *who, uint64_t stalls)
{
	bool busy_overcommit = e->ctx->plan.overcommit && e->ctx->cfg->target != TARGET_HALTED;
	bool waited = scheduling__waited(e, res, max_wait);
	char buf[512];
	size_t n = 0;

	if (!waited && !busy_overcommit && !e->stopwatch.stopped_ns && !stalls)
		return NULL;
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "latencies include scheduling delay:");
	if (e->ctx->plan.overcommit)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " threads share CPUs (overcommitted);");
	if (max_wait >= ENGINE_WAIT_NOTE_NS)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " %s waited %.1f ms for a CPU in all;",
				      who, (double)max_wait / 1e6);
	if (e->stopwatch.stopped_ns)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " the process was stopped for about "
				      "%.1f ms;", (double)e->stopwatch.stopped_ns / 1e6);
	if (stalls)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " %llu kicks were sent by a "
				      "descheduled sender;", (unsigned long long)stalls);
	snprintf(buf + n - 1, sizeof(buf) - n + 1, " - give every vCPU and sender a CPU of its "
		 "own (--cpus, fewer --vcpus or --senders) on an idle host for KVM's own figures");
	return strdup(buf);
}

void engine__report_scheduling(struct engine *e, struct scenario_result *res, json_t *threads,
			       uint64_t stalls, double stall_max_ns, uint64_t stall_threshold_ns)
{
	const char *who = "a thread";
	uint64_t max_wait;
	char *note;

	for (unsigned i = 0; i < e->vm.nvcpus; i++)
		json_array_append_new(threads, engine__thread_wait_json(
			"kvm-vcpu", i, e->vm.vcpus[i].tid,
			schedstat__delta(e->sched_before[i], e->sched_after[i])));
	max_wait = threads__max_wait(threads, &who);
	note = scheduling__note(e, res, max_wait, who, stalls);
	res->scheduling = json_pack("{s:o, s:I, s:I, s:i, s:{s:I, s:f, s:I}, s:b, s:o}",
		"threads", threads, "max_waited_ns", (json_int_t)max_wait,
		"stopped_ns", (json_int_t)e->stopwatch.stopped_ns, "stops", (int)e->stopwatch.stops,
		"sender_stalls", "count", (json_int_t)stalls, "max_ns", stall_max_ns,
		"threshold_ns", (json_int_t)stall_threshold_ns,
		"overcommit", e->ctx->plan.overcommit,
		"note", note ? json_string(note) : json_null());
	if (note)
		ks_note("%s: %s\n", res->scenario->name, note);
	free(note);
}

/* The signal scenario's kicks that met the vCPU thread between its check and KVM_RUN. */
static void engine__window_kicks(struct engine *e, struct scenario_result *res)
{
	struct vcpu_window_kicks *w = &res->kicks.window;

	if (!e->vm.nvcpus || !e->vm.vcpus[0].observe)
		return;
	res->kicks.window_known = true;
	for (unsigned i = 0; i < e->vm.nvcpus; i++) {
		w->in_window += e->window_after[i].in_window - e->window_before[i].in_window;
		w->honoured += e->window_after[i].honoured - e->window_before[i].honoured;
		w->lost += e->window_after[i].lost - e->window_before[i].lost;
	}
}

/* Latency samples of guest timestamps are host time only if the TSC offset held. */
static void engine__refuse_moved_tsc(struct engine *e, struct scenario_result *res)
{
	if (e->tsc_moved_vcpu < 0)
		return;
	for (int k = 0; k < LEDGER_NSAMPLES; k++)
		histogram__init(res->tally.latency[k]);
	free(res->latency);
	res->latency = NULL;
	if (!res->error[0])
		ks_format(res->error, sizeof(res->error), "vcpu %d's KVM_VCPU_TSC_OFFSET moved from "
			  "%lld to %lld during the storm, so its guest timestamps are not host time: "
			  "every latency sample is refused", e->tsc_moved_vcpu,
			  (long long)e->tsc_offset_was, (long long)e->tsc_offset_now);
}

void engine__report(struct engine *e, struct scenario_result *res, uint64_t kicks,
		    bool kick_is_interrupt, json_t *senders)
{
	engine__report_vcpus(e, res, kicks, kick_is_interrupt, senders, NULL);
}

/*
 * How much longer the storm ran than the control window. Running targets
 * exit as they run, and a loaded host runs them less, so for them it is
 * their threads' time on a CPU, where known; halted ones are woken by
 * events, which come by the clock, so for them it is wall-clock time.
 */
static double engine__control_scale(struct engine *e, const bool *targets)
{
	double wall = e->storm_s / e->control_s, storm = 0, control = 0;

	if (e->ctx->cfg->target != TARGET_RUNNING)
		return wall;
	for (unsigned i = 0; i < e->vm.nvcpus; i++) {
		struct sched_sample s = schedstat__delta(e->sched_before[i], e->sched_after[i]);
		struct sched_sample c = schedstat__delta(e->sched_after[i], e->sched_control[i]);

		if (targets && !targets[i])
			continue;
		if (!s.known || !c.known)
			return wall;
		storm += (double)s.on_cpu_ns;
		control += (double)c.on_cpu_ns;
	}
	return storm > 0 && control > 0 ? storm / control : wall;
}

/*
 * The kick-free window's stats over the same vCPUs, per kick once scaled to
 * the storm's length; kept in kvm_stats as "control".
 */
static void engine__control_rates(struct engine *e, const bool *targets, uint64_t kicks,
				  json_t *kvm_stats, struct delivery_inputs *in)
{
	json_t *control;

	if (e->control_s <= 0) {
		in->no_control_why = e->control_why[0] ? e->control_why :
				     "no kick-free control window was measured";
		return;
	}
	control = engine__stats_between(e, targets, kicks, e->after, e->control);
	in->control_scale = engine__control_scale(e, targets);
	delivery__rates_from_json(&in->control, json_object_get(control, "per_kick"));
	delivery__rates_scale(&in->control, in->control_scale);
	in->have_control = true;
	json_object_set_new(control, "window_s", json_real(e->control_s));
	json_object_set_new(control, "scale", json_real(in->control_scale));
	json_object_set_new(kvm_stats, "control", control);
}

void engine__report_vcpus(struct engine *e, struct scenario_result *res, uint64_t kicks,
			  bool kick_is_interrupt, json_t *senders, const bool *targets)
{
	struct delivery_inputs in = { 0 };

	res->kvm_stats = engine__stats_json(e, targets, kicks);
	in.target_state = target_state__name(e->ctx->cfg->target);
	in.host_can_post = hostinfo__can_post_interrupts(e->ctx->host);
	in.kick_is_interrupt = kick_is_interrupt;
	in.kicks = kicks;
	in.storm_s = e->storm_s;
	in.control_s = e->control_s;
	delivery__rates_from_json(&in.storm, json_object_get(res->kvm_stats, "per_kick"));
	engine__control_rates(e, targets, kicks, res->kvm_stats, &in);
	delivery__classify(&in, &res->delivery);
	engine__window_kicks(e, res);
	engine__refuse_moved_tsc(e, res);

	res->placement = json_pack("{s:b, s:s, s:o, s:o}",
				   "overcommit", e->ctx->plan.overcommit,
				   "policy", placement__name(e->ctx->cfg->placement),
				   "vcpus", engine__vcpu_placement(e),
				   "senders", senders ? senders : json_array());
}

void engine__conclude(struct engine *e, struct scenario_result *res, bool kick_is_interrupt,
		      const bool *targets, struct storm_summary *sum)
{
	engine__control_window(e, res);
	engine__quiesce(e);
	engine__report_vcpus(e, res, res->kicks.sent, kick_is_interrupt, sum->senders, targets);
	engine__report_scheduling(e, res, sum->threads, sum->stalls, sum->stall_max_ns,
				  sum->stall_threshold_ns);
	sum->senders = sum->threads = NULL;
}
