// SPDX-License-Identifier: MIT
/*
 * timer: each vCPU's own LAPIC timer, in TSC-deadline mode, is the sender.
 *
 * The guest (guest_timer.inc) arms IA32_TSC_DEADLINE, logs the deadline as
 * a request, and spins or halts (--target-state) until the timer fires; its
 * handler takes the TSC on entry, logs the observation and arms the next
 * deadline. Inside KVM a deadline is an hrtimer (or, on VMX, the preemption
 * timer) whose expiry makes the timer interrupt pending and kicks the
 * vCPU: a wake-up of a halted one, an exit of a running one; with
 * lapic_timer_advance KVM fires early and waits for the deadline in the
 * host before entering the guest. This file drains every vCPU's log into
 * the ledger, so each firing has one outcome, and a deadline the ledger
 * declares lost is kicked from here with KVM_SIGNAL_MSI on the timer's
 * vector.
 *
 * Latency: deadline -> the handler's first TSC read, both guest TSC of the
 * same vCPU: what kvm-unit-tests x86/tscdeadline_latency measures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_sender.h"
#include "../modparams.h"
#include "../monitor.h"

#define TIMER_POLL_MS 1
#define TIMER_START_TIMEOUT_MS 2000
/* One deadline is armed at a time: the records only keep lost ones timed. */
#define TIMER_RECORDS 64
/*
 * Closed loop: a deadline is set at least this far after the firing that
 * arms it, so it lies ahead of the write of IA32_TSC_DEADLINE, which here
 * costs a trapped instruction (tens of microseconds under emulation).
 */
#define TIMER_LEAD_NS 100000

struct timer_vcpu {
	struct ledger_stream stream;
	uint64_t tail;              /* events drained */
	uint64_t last_kick;         /* host TSC of the newest re-kick */
	uint64_t armed;             /* PUB events drained */
};

struct timer_run {
	struct scenario_run *run;
	struct engine *e;
	struct ledger_rules rules;
	unsigned nvcpus;
	struct timer_vcpu *v;
	uint32_t stop;
	uint64_t start_ns;
	uint64_t ring_full, out_of_order, rekicks, rekick_errors, armed_late;
	const char *deadline_source;
};

static void timer__stop(struct timer_run *r, uint32_t how)
{
	if (how <= r->stop)
		return;
	r->stop = how;
	for (unsigned i = 0; i < r->nvcpus; i++)
		__atomic_store_n(&r->e->vm.vcpus[i].mb->ipi_stop, how, __ATOMIC_RELAXED);
}

static uint64_t timer__excuse(struct timer_run *r, unsigned v)
{
	return atomic_load_explicit(&r->e->vm.vcpus[v].excuse_ticks, memory_order_relaxed);
}

/*
 * A deadline is due at its TSC; armed after it had passed, it fires on the
 * write. The loss window runs from whichever came last, latency from the
 * deadline. Guest TSC of vCPU v minus its offset is host TSC.
 */
static void timer__event(void *arg, unsigned v, const struct ipi_event *ev)
{
	struct timer_run *r = arg;
	struct timer_vcpu *t = &r->v[v];
	uint64_t offset = r->e->vm.vcpus[v].tsc_offset;

	switch (ev->kind) {
	case IPI_EV_PUB: {
		uint64_t due = ev->b > ev->c ? ev->b : ev->c;

		r->out_of_order += ev->a != t->stream.published + 1;
		r->armed_late += ev->c > ev->b;
		ledger__publish(&t->stream, &(struct ledger_pub){
			.intended = ev->b - offset, .published = due - offset, .kicked = due - offset,
			.excuse = timer__excuse(r, v),
		});
		t->armed++;
		break;
	}
	case IPI_EV_OBS:
		ledger__observe(&t->stream, ev->a, ev->b - offset, timer__excuse(r, v));
		break;
	default:
		r->out_of_order++;
	}
}

/*
 * What waited past the loss window is lost, and the timer's vector is sent
 * from here; a lost deadline still unserved is kicked again every window.
 */
static void timer__expire(struct timer_run *r, uint64_t now)
{
	for (unsigned i = 0; i < r->nvcpus; i++) {
		struct timer_vcpu *t = &r->v[i];
		bool again = t->stream.served < t->stream.resolved && now - t->last_kick > r->rules.lost_after;
		bool lost = ledger__overdue(&t->stream, now) &&
			    ledger__expire(&t->stream, now, engine__excuse_now(r->e, &r->e->vm.vcpus[i]));

		if (!lost && !again)
			continue;
		r->rekicks++;
		r->rekick_errors += interrupts__signal_msi(r->e->vm.fd, i, TIMER_VECTOR) < 0;
		t->last_kick = now;
	}
}

static bool timer__poll(void *arg, uint64_t *sent)
{
	struct timer_run *r = arg;
	struct scenario_result *res = r->run->res;
	bool done = true, started = true;

	*sent = 0;
	for (unsigned i = 0; i < r->nvcpus; i++) {
		struct mailbox *mb = r->e->vm.vcpus[i].mb;
		uint64_t state = __atomic_load_n(&mb->ipi_state, __ATOMIC_ACQUIRE);

		r->ring_full += guest_sender__drain(&r->e->vm, i, &r->v[i].tail, timer__event, r);
		*sent += __atomic_load_n(&mb->ipi_sent, __ATOMIC_RELAXED);
		if (state == IPI_STATE_FAILED && !res->error[0]) {
			ks_format(res->error, sizeof(res->error), "vcpu %u's LAPIC did not take TSC-deadline "
				  "mode (its LVT timer reads %#llx)", i, (unsigned long long)mb->send_status);
			timer__stop(r, IPI_STOP_ABORT);
		}
		started &= state != IPI_STATE_IDLE;
		done &= state == IPI_STATE_DONE || state == IPI_STATE_FAILED;
	}
	timer__expire(r, clock__tsc());
	if (!started && !res->error[0] &&
	    clock__monotonic_ns() - r->start_ns > TIMER_START_TIMEOUT_MS * 1000000ull) {
		ks_format(res->error, sizeof(res->error), "a vCPU did not start its timer within %d ms",
			  TIMER_START_TIMEOUT_MS);
		timer__stop(r, IPI_STOP_ABORT);
	}
	return done;
}

static void timer__monitor_stop(void *arg, enum monitor_stop how)
{
	timer__stop(arg, how == MONITOR_ABORT ? IPI_STOP_ABORT : IPI_STOP_FINISH);
}

/* The kvm module's timer advance as this kernel names it: a bool since 6.x, ns before. */
static const struct modparam *timer__advance_param(struct modparams *mp)
{
	modparams__collect(mp);
	for (unsigned i = 0; i < mp->n; i++)
		if (mp->p[i].present && !strncmp(mp->p[i].name, "lapic_timer_advance", 19))
			return &mp->p[i];
	return NULL;
}

/* {"parameter": "kvm.lapic_timer_advance", "value": true}, or nulls where this kernel has neither. */
static json_t *timer__advance_json(void)
{
	struct modparams mp;
	const struct modparam *p = timer__advance_param(&mp);
	json_t *all, *value;
	char name[64];

	if (!p)
		return json_pack("{s:n, s:n}", "parameter", "value");
	all = modparams__to_json(&mp);
	value = json_object_get(json_object_get(all, p->module), p->name);
	ks_format(name, sizeof(name), "%s.%s", p->module, p->name);
	json_t *o = json_pack("{s:s, s:O}", "parameter", name, "value", value);

	json_decref(all);
	return o;
}

/* Whether KVM offers the TSC-deadline timer, and which of its answers says so. */
static bool timer__has_deadline(const struct scenario_ctx *ctx, const char **source, char *why,
				size_t why_len)
{
	struct kvm_cpuid2 *cpuid = kvm__supported_cpuid(ctx->kvm_fd);
	const struct kvm_cpuid_entry2 *e = kvm__cpuid_entry(cpuid, 1, 0);
	struct cpuid_leaf leaf1 = { .present = e != NULL, .ecx = e ? e->ecx : 0 };
	bool ok;

	if (!cpuid) {
		ks_format(why, why_len, "KVM_GET_SUPPORTED_CPUID failed: %s", ks_last_error());
		return false;
	}
	ok = features__tsc_deadline(leaf1, kvm__check_extension(ctx->kvm_fd, KVM_CAP_TSC_DEADLINE_TIMER),
				    source, why, why_len);
	free(cpuid);
	return ok;
}

static bool timer__supported(const struct scenario_ctx *ctx, char *why, size_t why_len)
{
	const char *source;

	return timer__has_deadline(ctx, &source, why, why_len);
}

static void timer__describe(struct scenario_run *run, json_t *params)
{
	json_t *advance = timer__advance_json();

	/* In the params, so that compare tells runs under another advance apart. */
	json_object_set(params, "lapic_timer_advance", json_object_get(advance, "value"));
	json_decref(advance);
	(void)run;
}

static void timer__configure(struct timer_run *r)
{
	const struct ks_config *cfg = r->run->ctx->cfg;
	struct tsc_clock *clock = r->run->ctx->clock;
	uint64_t interval = cfg->rate_hz ? clock__ns_to_ticks(clock, 1000000000ull / cfg->rate_hz) : 0;

	r->rules.deadline = clock__ns_to_ticks(clock, (uint64_t)cfg->deadline_ms * 1000000ull);
	r->rules.lost_after = clock__ns_to_ticks(clock, (uint64_t)cfg->lost_after_ms * 1000000ull);
	for (unsigned i = 0; i < r->nvcpus; i++) {
		struct mailbox *mb = r->e->vm.vcpus[i].mb;

		mb->ipi_count = cfg->count;
		mb->ipi_ntargets = 1;
		/* 0 would mean closed loop to the guest: the fastest schedule is one tick. */
		mb->ipi_interval = cfg->rate_hz ? (interval ? interval : 1) : 0;
		mb->ipi_gap = cfg->rate_hz ? 0 : clock__ns_to_ticks(clock, cfg->gap_ns);
		mb->timer_lead = clock__ns_to_ticks(clock, TIMER_LEAD_NS);
		mb->ipi_seed = (cfg->seed ^ (0x9e3779b97f4a7c15ull * (i + 1))) | 1;
		mb->ipi_stop = IPI_STOP_NONE;
		ledger_stream__init(&r->v[i].stream, &r->rules, &r->run->res->tally, TIMER_RECORDS, 0);
	}
}

static int timer__setup(struct scenario_run *run)
{
	struct timer_run *r = run->state;

	r->run = run;
	r->e = run->engine;
	r->nvcpus = run->engine->vm.nvcpus;
	r->v = ks_zalloc(r->nvcpus * sizeof(*r->v));
	if (!timer__has_deadline(run->ctx, &r->deadline_source, run->res->error, sizeof(run->res->error)))
		return -1;
	timer__configure(r);
	return 0;
}

static void timer__collect(struct timer_run *r, struct scenario_result *res)
{
	json_t *per_vcpu = json_array();

	for (unsigned i = 0; i < r->nvcpus; i++) {
		ledger__finish(&r->v[i].stream);
		json_array_append_new(per_vcpu, json_pack("{s:i, s:I}", "vcpu", (int)i,
							  "deadlines", (json_int_t)r->v[i].armed));
	}
	res->kicks.sent = res->tally.sent;
	res->kicks.rekicks = r->rekicks;
	res->kicks.failed = r->rekick_errors;
	res->latency = ledger_tally__served(&res->tally);
	res->extra = json_pack("{s:s, s:s, s:s, s:o, s:I, s:I, s:I, s:I, s:o}",
			       "kick", "LAPIC timer in TSC-deadline mode (WRMSR IA32_TSC_DEADLINE)",
			       "rekick", "KVM_SIGNAL_MSI on the timer's vector, from the host",
			       "tsc_deadline_from", r->deadline_source,
			       "lapic_timer_advance", timer__advance_json(),
			       "closed_loop_lead_ns", (json_int_t)TIMER_LEAD_NS,
			       "armed_after_deadline", (json_int_t)r->armed_late,
			       "event_ring_full", (json_int_t)r->ring_full,
			       "events_out_of_order", (json_int_t)r->out_of_order,
			       "per_vcpu", per_vcpu);
}

static int timer__measure(struct scenario_run *run)
{
	struct timer_run *r = run->state;
	struct monitor_ops mon = {
		.period_ms = TIMER_POLL_MS, .poll = timer__poll, .stop = timer__monitor_stop, .arg = r,
		.total = run->ctx->cfg->count * r->nvcpus,
	};

	r->start_ns = clock__monotonic_ns();
	for (unsigned i = 0; i < r->nvcpus; i++) {
		if (guest_sender__go(r->e, i, IPI_CMD_TIMER) < 0) {
			ks_format(run->res->error, sizeof(run->res->error), "could not wake vcpu %u", i);
			timer__stop(r, IPI_STOP_ABORT);
		}
	}
	monitor__run(run, &mon);
	for (unsigned i = 0; i < r->nvcpus; i++)
		r->ring_full += guest_sender__drain(&r->e->vm, i, &r->v[i].tail, timer__event, r);
	timer__collect(r, run->res);
	return run->res->error[0] ? -1 : 0;
}

/* The plan reserved CPUs for host senders that this scenario never starts. */
static void timer__details(struct scenario_run *run)
{
	struct timer_run *r = run->state;

	if (run->res->placement)
		json_object_set_new(run->res->placement, "overcommit",
				    json_boolean(guest_sender__vcpus_share_cpu(r->e)));
}

static void timer__teardown(struct scenario_run *run)
{
	struct timer_run *r = run->state;

	for (unsigned i = 0; r->v && i < r->nvcpus; i++)
		ledger_stream__release(&r->v[i].stream);
	free(r->v);
}

static const struct scenario_param timer_params[] = {
	{ "--vcpus", "each vCPU arms its own timer; --count deadlines per vCPU" },
	{ "--target-state", "what the vCPU does until its timer fires: running, halted or mixed" },
	{ "--rate", "open loop: a deadline every 1/HZ s on a fixed schedule; 0 = closed loop, "
		    "the next deadline armed by the handler" },
	{ "--gap", "closed loop: each deadline 100 us plus a random 0..NS after the firing before it" },
	{ "--deadline", "ms after its deadline within which a firing is delivered, after which it is late" },
	{ "--lost-after", "ms before a deadline that never fired counts as lost and the host sends the vector" },
	{ NULL, NULL },
};

const struct scenario scenario_timer = {
	.name = "timer",
	.summary = "each vCPU's LAPIC timer in TSC-deadline mode; deadline to handler",
	.latency = "TSC deadline -> timer handler's first TSC read, both guest TSC "
		   "(kvm-unit-tests x86/tscdeadline_latency)",
	.measures = MEASURES_KICK,
	.params = timer_params,
	.options = KS_OPT_VCPUS | KS_OPT_TARGET | KS_OPT_RATE | KS_OPT_GAP | KS_OPT_DEADLINE |
		   KS_OPT_LOST_AFTER,
	.flags = INTERRUPTS_FLAGS | SCENARIO_GUEST_SENDERS,
	.state_size = sizeof(struct timer_run),
	.supported = timer__supported,
	.describe = timer__describe,
	.setup = timer__setup,
	.measure = timer__measure,
	.details = timer__details,
	.teardown = timer__teardown,
};
