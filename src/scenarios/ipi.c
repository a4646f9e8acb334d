// SPDX-License-Identifier: MIT
/*
 * ipi: guest vCPUs are the senders.
 *
 * A sending vCPU publishes a sequence in slot <its id> of each target's
 * mailbox and sends vector REQ_VECTOR(<its id>): unicast to one APIC ID, or
 * broadcast with the all-excluding-self shorthand. --ipi-via picks the way
 * (ipi_send.h): a WRMSR to the x2APIC ICR, MMIO writes to the xAPIC ICR
 * (KVM emulates the access to the APIC page), or the KVM_HC_SEND_IPI
 * hypercall with the targets as a bitmap. The send is the request and the
 * kick at once: KVM sets the vector in each target's IRR and kicks it (an
 * IPI out of guest mode, a wake-up from HLT, or with APICv/AVIC and IPI
 * virtualization a posted interrupt without any exit). --delivery nmi sends
 * NMIs instead, which the target's NMI handler observes slot by slot.
 *
 * The sender waits for the targets' handlers (closed loop) or keeps its
 * schedule (open loop), and logs every sequence it published and every
 * observation its targets made to a ring in its mailbox (guest_ipi.inc).
 * This file drains the rings into the ledger, which decides each request's
 * outcome as for the host senders; a request the ledger declares lost is
 * kicked again from here, with KVM_SIGNAL_MSI on the same vector (or an
 * NMI), since the guest has no notion of loss.
 *
 * Patterns: one-to-one, vCPU i -> vCPU (i + 1) mod N for the first
 * --senders vCPUs; one-to-all, vCPU 0 broadcasts; all-to-all, every vCPU
 * broadcasts. A vCPU that sends is busy in its send loop whatever
 * --target-state says; the state holds for the vCPUs that only receive.
 *
 * Latency: TSC just before the ICR write (or, open loop, when the request
 * was due) -> target handler, both guest TSC, so all vCPUs must share one
 * TSC offset. A closed loop also times the round trip kvm-unit-tests'
 * vmexit ipi and ipi_halt time: the ICR write -> the target's handler ->
 * the sender sees its observation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../monitor.h"
#include "ipi_send.h"

#define IPI_POLL_MS 1
#define IPI_START_TIMEOUT_MS 2000
/* Open loop: sequences a guest sender may have out ahead of its slowest target. */
#define IPI_MAX_OUT 512
/* Ledger records per (sender, target): more than can ever be pending. */
#define IPI_RECORDS 1024
_Static_assert(IPI_MAX_OUT < IPI_RECORDS, "the ledger keeps every pending request");

struct ipi_run;

struct ipi_sender {
	struct ipi_run *run;
	unsigned vcpu;
	uint64_t targets;           /* bit t: vCPU t */
	unsigned ntargets;
	uint64_t icr;
	uint64_t tail;              /* events drained */
	uint64_t sequences;         /* PUB events drained */
	struct ledger_stream stream[MB_NSLOTS];     /* per target */
	uint64_t last_kick[MB_NSLOTS];              /* host TSC of the newest re-kick */
	uint64_t last_seq, last_icr;                /* newest PUB: its sequence and guest TSC */
	struct ledger_watch watch;                  /* --trace: served kicks into run->kicks */
};

struct ipi_run {
	struct scenario_run *run;
	struct engine *e;
	struct scenario_ctx *ctx;
	const struct ks_config *cfg;
	unsigned nvcpus;
	struct ipi_sender senders[MB_NSLOTS];
	unsigned nsenders;
	struct ipi_sender *sender_of[MB_NSLOTS];
	bool is_target[MB_NSLOTS];
	bool is_sender[MB_NSLOTS];
	struct ledger_rules rules;
	uint64_t tsc_offset;        /* every vCPU's (ipi__check_tsc) */
	uint64_t overruns, ring_full, out_of_order, rekicks, rekick_errors;
	uint32_t stop;              /* IPI_STOP_* last posted */
	uint64_t start_ns;
	struct histogram *round_trip;   /* guest TSC ticks; closed loop only */
};

static uint64_t ipi__all_but(unsigned nvcpus, unsigned self)
{
	uint64_t all = nvcpus >= 64 ? ~0ull : (1ull << nvcpus) - 1;

	return all & ~(1ull << self);
}

static void ipi__add_sender(struct ipi_run *r, unsigned vcpu, bool broadcast)
{
	struct ipi_sender *s = &r->senders[r->nsenders++];
	unsigned n = r->nvcpus, dest = (vcpu + 1) % n;

	s->vcpu = vcpu;
	s->targets = broadcast ? ipi__all_but(n, vcpu) : 1ull << dest;
	s->icr = ipi_send__icr(r->cfg->ipi_via, r->cfg->delivery, REQ_VECTOR(vcpu), broadcast, dest);
	r->sender_of[vcpu] = s;
	s->ntargets = (unsigned)__builtin_popcountll(s->targets);
	r->is_sender[vcpu] = true;
	for (uint64_t t = s->targets; t; t &= t - 1)
		r->is_target[__builtin_ctzll(t)] = true;
}

static void ipi__plan(struct ipi_run *r)
{
	unsigned n = r->nvcpus;

	switch (r->cfg->pattern) {
	case PATTERN_ONE_TO_ALL:
		ipi__add_sender(r, 0, true);
		break;
	case PATTERN_ALL_TO_ALL:
		for (unsigned i = 0; i < n; i++)
			ipi__add_sender(r, i, true);
		break;
	default:
		for (unsigned i = 0; i < n && i < r->cfg->senders; i++)
			ipi__add_sender(r, i, false);
	}
}

static struct mailbox *ipi__mailbox(struct ipi_run *r, const struct ipi_sender *s)
{
	return r->e->vm.vcpus[s->vcpu].mb;
}

/* Guest and host compare guest TSCs of different vCPUs directly. */
static int ipi__check_tsc(struct ipi_run *r, struct scenario_result *res)
{
	struct vm *vm = &r->e->vm;

	for (unsigned i = 0; i < vm->nvcpus; i++) {
		if (!vm->vcpus[i].tsc_offset_known) {
			snprintf(res->error, sizeof(res->error),
				 "KVM_VCPU_TSC_OFFSET of vcpu %u cannot be read, so it cannot be "
				 "checked that all vCPUs share one guest TSC", i);
			return -1;
		}
		if (vm->vcpus[i].tsc_offset != vm->vcpus[0].tsc_offset) {
			snprintf(res->error, sizeof(res->error),
				 "vcpu %u's TSC offset %lld differs from vcpu 0's %lld: guest "
				 "timestamps of different vCPUs cannot be compared", i,
				 (long long)vm->vcpus[i].tsc_offset,
				 (long long)vm->vcpus[0].tsc_offset);
			return -1;
		}
	}
	r->tsc_offset = vm->vcpus[0].tsc_offset;
	return 0;
}

/* Fills every sender's command line and ledger; the command itself is posted by ipi__go. */
/*
 * --trace: a request its own observation served is a kick from the sending
 * vCPU's thread, whose ICR write the trace shows, to the target's.
 */
static void ipi__log_served(void *arg, const struct ledger_stream *stream, const struct ledger_pub *request,
			    uint64_t obs, enum ledger_outcome o)
{
	struct ipi_sender *s = arg;
	struct ipi_run *r = s->run;
	unsigned target = (unsigned)(stream - s->stream);
	double ns = obs > request->published ?
		clock__ticks_to_ns(r->ctx->clock, obs - request->published) : 0;

	if (o == LEDGER_COALESCED)
		return;
	kick_log__add(&r->run->kicks, &(struct trace_kick){
		.kick_tsc = request->published, .observed_tsc = obs,
		.sender_tid = r->e->vm.vcpus[s->vcpu].tid, .sender_vcpu = (int)s->vcpu,
		.target_tid = r->e->vm.vcpus[target].tid, .target_vcpu = target,
		.vector = REQ_VECTOR(s->vcpu), .kind = TRACE_KICK_GUEST_IPI, .latency_ns = (uint64_t)ns,
	});
}

static void ipi__configure(struct ipi_run *r, struct scenario_result *res)
{
	const struct ks_config *cfg = r->cfg;
	struct tsc_clock *clock = r->ctx->clock;
	uint64_t interval = 0, ntargets = 0;

	r->rules.deadline = clock__ns_to_ticks(clock, (uint64_t)cfg->deadline_ms * 1000000ull);
	r->rules.lost_after = clock__ns_to_ticks(clock, (uint64_t)cfg->lost_after_ms * 1000000ull);
	if (cfg->rate_hz) {
		interval = clock__ns_to_ticks(clock, cfg->burst * 1000000000ull / cfg->rate_hz);
		/* 0 would mean closed loop to the guest: the fastest schedule is one tick. */
		interval = interval ? interval : 1;
	}
	for (unsigned i = 0; i < r->nsenders; i++) {
		struct ipi_sender *s = &r->senders[i];
		struct mailbox *mb = ipi__mailbox(r, s);

		mb->ipi_icr = s->icr;
		mb->ipi_via = cfg->ipi_via;
		mb->ipi_targets = s->targets;
		mb->ipi_ntargets = s->ntargets;
		mb->ipi_count = cfg->count;
		mb->ipi_max_out = IPI_MAX_OUT;
		mb->ipi_interval = interval;
		mb->ipi_burst = cfg->burst ? cfg->burst : 1;
		mb->ipi_gap = cfg->rate_hz ? 0 : clock__ns_to_ticks(clock, cfg->gap_ns);
		mb->ipi_seed = (cfg->seed ^ (0x9e3779b97f4a7c15ull * (s->vcpu + 1))) | 1;
		mb->ipi_stop = IPI_STOP_NONE;
		s->run = r;
		s->watch = (struct ledger_watch){ .served = ipi__log_served, .arg = s };
		for (uint64_t t = s->targets; t; t &= t - 1) {
			ledger_stream__init(&s->stream[__builtin_ctzll(t)], &r->rules, &res->tally,
					    IPI_RECORDS, 0);
			s->stream[__builtin_ctzll(t)].watch = r->run->log_kicks ? &s->watch : NULL;
			ntargets += 1;
		}
	}
	if (r->run->log_kicks)
		kick_log__init(&r->run->kicks, kick_log__capacity(cfg->count * ntargets, 1));
	/* An NMI names no sender: each target looks at the slots of all that send to it. */
	for (unsigned t = 0; cfg->delivery == KICK_DELIVERY_NMI && t < r->nvcpus; t++) {
		uint64_t slots = 0;

		for (unsigned i = 0; i < r->nsenders; i++)
			slots |= (r->senders[i].targets >> t & 1) << r->senders[i].vcpu;
		interrupts__watch_nmi_slots(r->e, t, slots);
	}
}

static void ipi__release(struct ipi_run *r)
{
	for (unsigned i = 0; i < r->nsenders; i++)
		for (uint64_t t = r->senders[i].targets; t; t &= t - 1)
			ledger_stream__release(&r->senders[i].stream[__builtin_ctzll(t)]);
}

/* What the sender's IPI delivers, from the host: vector REQ_VECTOR(sender), or an NMI. */
static int ipi__msi(struct ipi_run *r, unsigned target, unsigned sender)
{
	return interrupts__signal(r->e->vm.fd, target, REQ_VECTOR(sender), r->cfg->delivery);
}

static int ipi__go(struct ipi_run *r)
{
	for (unsigned i = 0; i < r->nsenders; i++)
		if (guest_sender__go(r->e, r->senders[i].vcpu, IPI_CMD_SEND) < 0)
			return -1;
	return 0;
}

static void ipi__stop(struct ipi_run *r, uint32_t how)
{
	if (how <= r->stop)
		return;
	r->stop = how;
	for (unsigned i = 0; i < r->nsenders; i++)
		__atomic_store_n(&ipi__mailbox(r, &r->senders[i])->ipi_stop, how, __ATOMIC_RELAXED);
}

/*
 * A closed loop's OBS carries when the sender saw it: the round trip of the
 * sequence the sender published last, which is the one it waits for.
 */
static void ipi__round_trip(struct ipi_run *r, struct ipi_sender *s, const struct ipi_event *ev)
{
	if (r->round_trip && ev->c && ev->a == s->last_seq && ev->c >= s->last_icr)
		histogram__record(r->round_trip, ev->c - s->last_icr);
}

static void ipi__event(void *arg, unsigned vcpu, const struct ipi_event *ev)
{
	struct ipi_run *r = arg;
	struct ipi_sender *s = r->sender_of[vcpu];

	switch (ev->kind) {
	case IPI_EV_PUB:
		for (uint64_t t = s->targets; t; t &= t - 1) {
			struct ledger_stream *st = &s->stream[__builtin_ctzll(t)];

			r->out_of_order += ev->a != st->published + 1;
			ledger__publish(st, &(struct ledger_pub){
				.intended = ev->b - r->tsc_offset, .published = ev->c - r->tsc_offset,
				.kicked = ev->c - r->tsc_offset,
				.excuse = atomic_load_explicit(&r->e->vm.vcpus[__builtin_ctzll(t)].excuse_ticks,
							       memory_order_relaxed),
			});
		}
		s->sequences++;
		s->last_seq = ev->a;
		s->last_icr = ev->c;
		break;
	case IPI_EV_OBS:
		if (ev->target < MB_NSLOTS && (s->targets >> ev->target & 1))
			ledger__observe(&s->stream[ev->target], ev->a, ev->b - r->tsc_offset,
					atomic_load_explicit(&r->e->vm.vcpus[ev->target].excuse_ticks,
							     memory_order_relaxed));
		ipi__round_trip(r, s, ev);
		break;
	case IPI_EV_OVERRUN:
		r->overruns += ev->a;
		break;
	default:
		r->out_of_order++;
	}
}

static void ipi__drain(struct ipi_run *r, struct ipi_sender *s)
{
	r->ring_full += guest_sender__drain(&r->e->vm, s->vcpu, &s->tail, ipi__event, r);
}

/*
 * Lets the ledger expire what waited past the loss window and kicks those
 * targets from here; a lost request still unserved is kicked again every
 * loss window, since a closed-loop guest sender waits for it.
 */
static void ipi__expire(struct ipi_run *r, uint64_t now)
{
	for (unsigned i = 0; i < r->nsenders; i++) {
		struct ipi_sender *s = &r->senders[i];

		for (uint64_t m = s->targets; m; m &= m - 1) {
			unsigned t = (unsigned)__builtin_ctzll(m);
			struct ledger_stream *st = &s->stream[t];
			bool again = st->served < st->resolved && now - s->last_kick[t] > r->rules.lost_after;
			/* Lost by the clock first, then once the target's excuse is taken off (ledger.h). */
			bool lost = ledger__overdue(st, now) &&
				    ledger__expire(st, now, engine__excuse_now(r->e, &r->e->vm.vcpus[t]));

			if (!lost && !again)
				continue;
			r->rekicks++;
			r->rekick_errors += ipi__msi(r, t, s->vcpu) < 0;
			s->last_kick[t] = now;
		}
	}
}

/* The monitor's look: drains, expires, and says when every guest sender is done. */
static bool ipi__poll(void *arg, uint64_t *sent)
{
	struct ipi_run *r = arg;
	uint64_t now = clock__tsc();
	bool done = true, started = true;

	*sent = 0;
	for (unsigned i = 0; i < r->nsenders; i++) {
		struct ipi_sender *s = &r->senders[i];
		struct mailbox *mb = ipi__mailbox(r, s);
		uint64_t state = __atomic_load_n(&mb->ipi_state, __ATOMIC_ACQUIRE);

		ipi__drain(r, s);
		*sent += __atomic_load_n(&mb->ipi_sent, __ATOMIC_RELAXED);
		started &= state != IPI_STATE_IDLE;
		done &= state == IPI_STATE_DONE;
	}
	ipi__expire(r, now);
	if (!started && !r->run->res->error[0] &&
	    clock__monotonic_ns() - r->start_ns > IPI_START_TIMEOUT_MS * 1000000ull) {
		ks_format(r->run->res->error, sizeof(r->run->res->error),
			  "a guest sender did not start within %d ms", IPI_START_TIMEOUT_MS);
		ipi__stop(r, IPI_STOP_ABORT);
	}
	return done;
}

static void ipi__monitor_stop(void *arg, enum monitor_stop how)
{
	ipi__stop(arg, how == MONITOR_ABORT ? IPI_STOP_ABORT : IPI_STOP_FINISH);
}

static json_t *ipi__sender_placement(struct ipi_run *r, const struct ipi_sender *s)
{
	struct vcpu *v = &r->e->vm.vcpus[s->vcpu];
	json_t *targets = json_array();

	for (uint64_t t = s->targets; t; t &= t - 1)
		json_array_append_new(targets, json_integer(__builtin_ctzll(t)));
	return json_pack("{s:i, s:o, s:i, s:b, s:o, s:o, s:o, s:o}", "sender", (int)s->vcpu,
			 "thread", json_sprintf("kvm-vcpu-%u", s->vcpu), "vcpu", (int)s->vcpu,
			 "in_guest", 1,
			 "bound_cpu", v->cpu >= 0 ? json_integer(v->cpu) : json_null(),
			 "ran_on", cpu_trace__to_json(&v->ran_on), "targets", targets,
			 "icr", json_sprintf("%#llx", (unsigned long long)s->icr));
}

/*
 * The closed loop's round trip, set beside kvm-unit-tests x86/vmexit ipi
 * and ipi_halt; an open-loop sender waits for no acknowledgement, so there
 * is none to time.
 */
static void ipi__round_trip_json(struct ipi_run *r, json_t *extra)
{
	if (!r->round_trip) {
		json_object_set_new(extra, "round_trip_ns", json_null());
		json_object_set_new(extra, "round_trip_why", json_string(
			"open loop: a sender does not wait for each acknowledgement, so no round trip is timed"));
		return;
	}
	json_object_set_new(extra, "round_trip_ns", r->round_trip->count ?
			    histogram__to_json(r->round_trip, clock__ns_per_tick(r->ctx->clock)) : json_null());
	json_object_set_new(extra, "round_trip_spans", json_string(
		"ICR write -> target's handler -> the sender sees its observation, guest TSC "
		"(kvm-unit-tests x86/vmexit ipi, ipi_halt)"));
}

/* Hypercall sends KVM said reached fewer vCPUs than they targeted: failed kicks. */
static void ipi__send_failures(struct ipi_run *r, struct scenario_result *res)
{
	uint64_t failed = 0, last = 0;

	for (unsigned i = 0; i < r->nsenders; i++) {
		struct mailbox *mb = ipi__mailbox(r, &r->senders[i]);

		failed += mb->send_failed;
		last = mb->send_failed ? mb->send_status : last;
	}
	res->kicks.failed += failed;
	if (failed && !res->error[0])
		ks_format(res->error, sizeof(res->error), "%llu KVM_HC_SEND_IPI calls reached fewer "
			  "vCPUs than they targeted (the last returned %lld)", (unsigned long long)failed,
			  (long long)last);
}

/* Every stream is finished: whatever is still pending is unresolved. */
static void ipi__collect(struct ipi_run *r, struct scenario_result *res)
{
	json_t *placement = json_array(), *per_sender = json_array(), *apic_modes = json_array();

	for (unsigned i = 0; i < r->nsenders; i++) {
		struct ipi_sender *s = &r->senders[i];

		for (uint64_t t = s->targets; t; t &= t - 1)
			ledger__finish(&s->stream[__builtin_ctzll(t)]);
		res->kicks.sent += s->sequences * s->ntargets;
		json_array_append_new(per_sender, json_pack("{s:i, s:I, s:I}", "vcpu", (int)s->vcpu,
			"sent", (json_int_t)(s->sequences * s->ntargets),
			"sequences", (json_int_t)s->sequences));
		json_array_append_new(placement, ipi__sender_placement(r, s));
	}
	/* The APIC mode each guest says it is in: evidence of the path, not the host's intent. */
	for (unsigned v = 0; v < r->nvcpus; v++)
		json_array_append_new(apic_modes, json_string(r->e->vm.vcpus[v].mb->apic_mode ==
							      APIC_MODE_XAPIC ? "xapic" : "x2apic"));
	res->kicks.rekicks = r->rekicks;
	res->kicks.failed = r->rekick_errors;
	ipi__send_failures(r, res);
	r->run->summary.senders = placement;
	res->latency = ledger_tally__served(&res->tally);
	res->extra = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:o, s:o}",
			       "kick", ipi_send__kick_name(r->cfg->ipi_via, true),
			       "delivery", kick_delivery__name(r->cfg->delivery),
			       "rekick", r->cfg->delivery == KICK_DELIVERY_NMI ?
				       "KVM_SIGNAL_MSI of an NMI, from the host" :
				       "KVM_SIGNAL_MSI on the sender's vector, from the host",
			       "observations_overwritten", (json_int_t)r->overruns,
			       "event_ring_full", (json_int_t)r->ring_full,
			       "events_out_of_order", (json_int_t)r->out_of_order,
			       "per_sender", per_sender,
			       "sender_kvm_stats", engine__stats_json(r->e, r->is_sender, res->tally.sent));
	json_object_set_new(res->extra, "apic_modes", apic_modes);
	ipi__round_trip_json(r, res->extra);
}

/* The senders a pattern makes, for the params as well as the run. */
static void ipi__plan_run(struct ipi_run *r, struct scenario_run *run)
{
	r->run = run;
	r->ctx = run->ctx;
	r->cfg = run->ctx->cfg;
	r->nvcpus = run->ctx->vcpus;
	if (!r->nsenders)
		ipi__plan(r);
}

static void ipi__describe(struct scenario_run *run, json_t *params)
{
	struct ipi_run *r = run->state;

	ipi__plan_run(r, run);
	json_object_set_new(params, "senders", json_integer(r->nsenders));
	interrupts__describe(run, params);
	json_object_set_new(params, "kick", json_string(ipi_send__kick_name(r->cfg->ipi_via, false)));
	/* As --delivery: x2APIC runs match the baselines made before --ipi-via existed. */
	if (r->cfg->ipi_via != VIA_X2APIC)
		json_object_set_new(params, "ipi_via", json_string(ipi_via__name(r->cfg->ipi_via)));
}

static int ipi__setup(struct scenario_run *run)
{
	struct ipi_run *r = run->state;

	ipi__plan_run(r, run);
	r->e = run->engine;
	if (ipi__check_tsc(r, run->res) < 0 ||
	    ipi_send__prepare(r->e, r->cfg->ipi_via, run->res->error, sizeof(run->res->error)) < 0)
		return -1;
	ipi__configure(r, run->res);
	if (!r->cfg->rate_hz)
		r->round_trip = ks_aligned_zalloc(KS_CACHELINE, sizeof(*r->round_trip));
	run->targets = r->is_target;
	return 0;
}

static int ipi__measure(struct scenario_run *run)
{
	struct ipi_run *r = run->state;
	struct monitor_ops mon = {
		.period_ms = IPI_POLL_MS, .poll = ipi__poll, .stop = ipi__monitor_stop, .arg = r,
		.total = r->cfg->count * r->nsenders,
	};

	r->start_ns = clock__monotonic_ns();
	if (ipi__go(r) < 0) {
		ks_format(run->res->error, sizeof(run->res->error), "could not wake a guest sender");
		ipi__stop(r, IPI_STOP_ABORT);
	}
	monitor__run(run, &mon);
	for (unsigned i = 0; i < r->nsenders; i++)
		ipi__drain(r, &r->senders[i]);
	ipi__collect(r, run->res);
	return run->res->error[0] ? -1 : 0;
}

/* The plan reserved CPUs for host senders that this scenario never starts. */
static void ipi__details(struct scenario_run *run)
{
	struct ipi_run *r = run->state;

	json_object_set_new(run->res->placement, "overcommit",
			    json_boolean(guest_sender__vcpus_share_cpu(r->e)));
}

static void ipi__teardown(struct scenario_run *run)
{
	struct ipi_run *r = run->state;

	ipi__release(r);
	free(r->round_trip);
}

static const struct scenario_param ipi_params[] = {
	{ "--pattern", "one-to-one (vCPU i -> i+1 for the first --senders vCPUs), "
		       "one-to-all (vCPU 0 broadcasts), all-to-all (every vCPU broadcasts)" },
	{ "--senders", "one-to-one: how many vCPUs send" },
	{ "--target-state", "what receiving vCPUs do meanwhile: running, halted or mixed" },
	{ "--rate/--burst", "open-loop storm from each guest sender; closed loop when --rate is 0" },
	{ "--gap", "closed loop: random pause before each IPI (lets a halted target block again)" },
	{ "--deadline", "ms within which an observed IPI is delivered, after which it is late" },
	{ "--lost-after", "ms before an unobserved IPI counts as lost and the host kicks the target" },
	{ "--ipi-via", "x2apic (WRMSR to the ICR), xapic (MMIO writes to ICR high, then low) or pv "
		       "(KVM_HC_SEND_IPI, where KVM offers it)" },
	{ "--delivery", "fixed (vector 0x40 + sender) or nmi (the target looks at every sender's slot)" },
	{ NULL, NULL },
};

const struct scenario scenario_ipi = {
	.name = "ipi",
	.summary = "guest IPIs between vCPUs (x2APIC, xAPIC or PV send), unicast or broadcast; "
		   "ICR write to handler, and the round trip",
	.latency = "ICR write (open loop: when it was due) -> target's handler, both guest TSC",
	.measures = MEASURES_KICK,
	.params = ipi_params,
	.options = INTERRUPTS_OPTIONS | KS_OPT_IPI_VIA | KS_OPT_DELIVERY,
	.flags = INTERRUPTS_FLAGS | SCENARIO_TRACEABLE | SCENARIO_GUEST_SENDERS,
	.supported = ipi_send__supported,
	.min_vcpus = 2,
	.max_vcpus = MB_NSLOTS,
	.state_size = sizeof(struct ipi_run),
	.describe = ipi__describe,
	.setup = ipi__setup,
	.measure = ipi__measure,
	.details = ipi__details,
	.teardown = ipi__teardown,
};
