// SPDX-License-Identifier: MIT
/*
 * The engine's half of a report entry: each vCPU's KVM stats over the storm
 * and over the kick-free control window, the delivery path they support,
 * where every thread ran, and how long the threads waited for a CPU.
 */
#include "engine.h"
#include "classify.h"
#include "mailbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Threads that waited this long for a CPU make latencies part scheduling delay. */
#define ENGINE_WAIT_NOTE_NS 1000000ull

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

/* Why the stats of a vCPU in include are missing: its own KVM_GET_STATS_FD error. */
static const char *engine__stats_why(struct engine *e, const bool *include)
{
	for (unsigned i = 0; i < e->vm.nvcpus; i++)
		if ((!include || include[i]) && !e->vm.vcpus[i].stats_open)
			return e->vm.vcpus[i].stats_why;
	return "no vCPU";
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
		out = json_pack("{s:s}", "unavailable", engine__stats_why(e, include));
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

static void engine__report_scheduling(struct engine *e, struct scenario_result *res, json_t *threads,
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

/* The delivery path, judged on what the kicks caused beyond the control window. */
static void engine__judge_path(struct engine *e, struct scenario_result *res, bool kick_is_interrupt,
			       const bool *targets)
{
	struct delivery_inputs in = { 0 };
	uint64_t kicks = res->kicks.sent;

	in.target_state = target_state__name(e->ctx->cfg->target);
	in.host_can_post = hostinfo__can_post_interrupts(e->ctx->host);
	in.kick_is_interrupt = kick_is_interrupt;
	in.kicks = kicks;
	in.storm_s = e->storm_s;
	in.control_s = e->control_s;
	delivery__rates_from_json(&in.storm, json_object_get(res->kvm_stats, "per_kick"));
	engine__control_rates(e, targets, kicks, res->kvm_stats, &in);
	delivery__classify(&in, &res->delivery);
}

void engine__conclude(struct engine *e, struct scenario_result *res, const struct engine_verdict *v)
{
	if (v->judge_path)
		engine__control_window(e, res);
	engine__quiesce(e);
	res->kvm_stats = engine__stats_json(e, v->targets, res->kicks.sent);
	json_object_set_new(res->kvm_stats, "halt_poll", engine__halt_poll_json(e, res->tally.sent,
											 res->kicks.sent));
	if (v->judge_path)
		engine__judge_path(e, res, v->kick_is_interrupt, v->targets);
	engine__window_kicks(e, res);
	engine__refuse_moved_tsc(e, res);
	res->placement = json_pack("{s:b, s:s, s:o, s:o}",
				   "overcommit", e->ctx->plan.overcommit,
				   "policy", placement__name(e->ctx->cfg->placement),
				   "vcpus", engine__vcpu_placement(e),
				   "senders", v->summary->senders ? v->summary->senders : json_array());
	engine__report_scheduling(e, res, v->summary->threads ? v->summary->threads : json_array(),
				  v->summary->stalls, v->summary->stall_max_ns,
				  v->summary->stall_threshold_ns);
	v->summary->senders = v->summary->threads = NULL;
}
