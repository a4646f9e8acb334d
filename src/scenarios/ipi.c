// SPDX-License-Identifier: MIT
/*
 * ipi: guest vCPUs are the senders.
 *
 * A sending vCPU publishes a sequence in slot <its id> of each target's
 * mailbox and writes its x2APIC ICR (WRMSR 0x830) with vector
 * REQ_VECTOR(<its id>): unicast to one APIC ID, or broadcast with the
 * all-excluding-self shorthand. The write is the request and the kick at
 * once: KVM sets the vector in each target's IRR and kicks it (an IPI out of
 * guest mode, a wake-up from HLT, or with APICv/AVIC and IPI virtualization
 * a posted interrupt without any exit). The sender waits for the targets'
 * handlers (closed loop) or keeps its schedule (open loop), and appends one
 * sample per delivered request to a ring in its mailbox that the host
 * drains here into a histogram. The guest code is in guest.S (ipi_sender).
 *
 * Patterns: one-to-one, vCPU i -> vCPU (i + 1) mod N for the first
 * --senders vCPUs; one-to-all, vCPU 0 broadcasts; all-to-all, every vCPU
 * broadcasts. A vCPU that sends is busy in its send loop whatever
 * --target-state says; the state holds for the vCPUs that only receive.
 *
 * Latency: TSC just before the ICR write (or, open loop, when the request
 * was due) -> target handler, both guest TSC, so all vCPUs must share one
 * TSC offset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../engine.h"
#include "../scenario.h"
#include "interrupts.h"

#define IPI_POLL_NS 1000000
#define IPI_START_TIMEOUT_MS 2000
#define IPI_ABORT_GRACE_MS 1000

struct ipi_sender {
	unsigned vcpu;
	uint64_t targets;           /* bit t: vCPU t */
	unsigned ntargets;
	uint64_t icr;
	uint64_t tail;              /* samples drained */
};

struct ipi_run {
	struct engine *e;
	struct scenario_ctx *ctx;
	const struct ks_config *cfg;
	unsigned nvcpus;
	struct ipi_sender senders[MB_NSLOTS];
	unsigned nsenders;
	bool is_target[MB_NSLOTS];
	bool is_sender[MB_NSLOTS];
	struct histogram *hist;     /* TSC ticks, from the latency origin */
	struct histogram *from_icr; /* open loop: TSC ticks from the ICR write itself */
	uint64_t samples, clock_skew;
	uint32_t stop;              /* IPI_STOP_* last posted */
};

static uint64_t ipi__all_but(unsigned nvcpus, unsigned self)
{
	uint64_t all = nvcpus >= 64 ? ~0ull : (1ull << nvcpus) - 1;

	return all & ~(1ull << self);
}

static void ipi__add_sender(struct ipi_run *r, unsigned vcpu, bool broadcast)
{
	struct ipi_sender *s = &r->senders[r->nsenders++];
	unsigned n = r->nvcpus;

	s->vcpu = vcpu;
	if (broadcast) {
		s->targets = ipi__all_but(n, vcpu);
		s->icr = REQ_VECTOR(vcpu) | ICR_ALL_BUT_SELF;
	} else {
		unsigned dest = (vcpu + 1) % n;

		s->targets = 1ull << dest;
		s->icr = REQ_VECTOR(vcpu) | ((uint64_t)dest << ICR_DEST_SHIFT);
	}
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
	return 0;
}

/* Fills every sender's command line; the command itself is posted by ipi__go. */
static void ipi__configure(struct ipi_run *r)
{
	const struct ks_config *cfg = r->cfg;
	struct tsc_clock *clock = r->ctx->clock;
	uint64_t deadline = clock__ns_to_ticks(clock, (uint64_t)cfg->deadline_ms * 1000000ull);
	uint64_t interval = 0;

	if (cfg->rate_hz) {
		interval = clock__ns_to_ticks(clock, cfg->burst * 1000000000ull / cfg->rate_hz);
		/* 0 would mean closed loop to the guest: the fastest schedule is one tick. */
		interval = interval ? interval : 1;
	}
	for (unsigned i = 0; i < r->nsenders; i++) {
		struct ipi_sender *s = &r->senders[i];
		struct mailbox *mb = ipi__mailbox(r, s);

		mb->ipi_icr = s->icr;
		mb->ipi_targets = s->targets;
		mb->ipi_ntargets = s->ntargets;
		mb->ipi_count = cfg->count;
		mb->ipi_deadline = deadline ? deadline : 1;
		mb->ipi_interval = interval;
		mb->ipi_burst = cfg->burst ? cfg->burst : 1;
		mb->ipi_gap = cfg->rate_hz ? 0 : clock__ns_to_ticks(clock, cfg->gap_ns);
		mb->ipi_seed = (cfg->seed ^ (0x9e3779b97f4a7c15ull * (s->vcpu + 1))) | 1;
		mb->ipi_stop = IPI_STOP_NONE;
	}
}

/*
 * Posts the command. A halted sender sleeps in HLT: an MSI on its own
 * request vector (its own slot, which no sender uses, since nobody sends to
 * itself) wakes it, and guest.S looks at the command with interrupts off
 * before HLT, so the wake-up cannot slip in between.
 */
static int ipi__go(struct ipi_run *r)
{
	for (unsigned i = 0; i < r->nsenders; i++) {
		struct ipi_sender *s = &r->senders[i];
		struct kvm_msi doorbell = { 0 };

		/* Pairs with the guest's load of the command: the fields above are seen first. */
		__atomic_store_n(&ipi__mailbox(r, s)->ipi_cmd, IPI_CMD_SEND, __ATOMIC_RELEASE);
		if (engine__mode_of(r->e, s->vcpu) != MB_MODE_HALTED)
			continue;
		interrupts__msi_route(s->vcpu, REQ_VECTOR(s->vcpu), &doorbell.address_lo,
				      &doorbell.address_hi, &doorbell.data);
		if (vm_ioctl(&r->e->vm, KVM_SIGNAL_MSI, &doorbell) < 0)
			return -1;
	}
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
 * Takes the samples the guest appended since the last look. The acquire load
 * of the head pairs with the guest's ordered stores (sample, then head); the
 * release store of the tail tells the guest the slots are free only after
 * they were read.
 */
static void ipi__drain(struct ipi_run *r, struct ipi_sender *s)
{
	struct mailbox *mb = ipi__mailbox(r, s);
	uint64_t head = __atomic_load_n(&mb->ipi_ring_head, __ATOMIC_ACQUIRE);

	if (head == s->tail)
		return;
	for (; s->tail != head; s->tail++) {
		const struct ipi_sample *x = &mb->ipi_samples[s->tail & (IPI_SAMPLE_RING - 1)];
		uint64_t from = x->from_tsc, icr = x->icr_tsc, obs = x->obs_tsc;

		/* Two vCPUs' TSCs can disagree by a few ticks. */
		if ((int64_t)(obs - icr) < 0) {
			r->clock_skew++;
			obs = icr;
		}
		histogram__record(r->hist, obs - (from < icr ? from : icr));
		if (x->flags & IPI_SAMPLE_F_SCHEDULED)
			histogram__record(r->from_icr, obs - icr);
		r->samples++;
	}
	__atomic_store_n(&mb->ipi_ring_tail, s->tail, __ATOMIC_RELEASE);
}

static uint64_t ipi__field(const uint64_t *field)
{
	return __atomic_load_n(field, __ATOMIC_RELAXED);
}

static bool ipi__poll(struct ipi_run *r, uint64_t *sent, bool *started)
{
	bool done = true;

	*sent = 0;
	*started = true;
	for (unsigned i = 0; i < r->nsenders; i++) {
		struct ipi_sender *s = &r->senders[i];
		struct mailbox *mb = ipi__mailbox(r, s);
		uint64_t state = __atomic_load_n(&mb->ipi_state, __ATOMIC_ACQUIRE);

		ipi__drain(r, s);
		*sent += ipi__field(&mb->ipi_sent);
		*started &= state != IPI_STATE_IDLE;
		done &= state == IPI_STATE_DONE;
	}
	return done;
}

/* The controller: drains, ends the run on --duration, Ctrl-C or a failed vCPU. */
static void ipi__monitor(struct ipi_run *r, struct scenario_result *res)
{
	struct scenario_ctx *ctx = r->ctx;
	uint64_t start = clock__monotonic_ns(), last_progress = start, abort_at = 0;
	uint64_t end = r->cfg->duration_s > 0 ? start + (uint64_t)(r->cfg->duration_s * 1e9) : 0;
	uint64_t total = r->cfg->count * r->nsenders, sent;
	struct timespec tick = { .tv_nsec = IPI_POLL_NS };
	bool started;

	while (!ipi__poll(r, &sent, &started)) {
		uint64_t now = clock__monotonic_ns();

		if (atomic_load_explicit(ctx->interrupted, memory_order_relaxed))
			res->interrupted = true;
		if (!res->error[0] && engine__vcpu_failed(r->e, res))
			ipi__stop(r, IPI_STOP_ABORT);
		if (!started && !res->error[0] && now - start > IPI_START_TIMEOUT_MS * 1000000ull)
			snprintf(res->error, sizeof(res->error),
				 "a guest sender did not start within %d ms", IPI_START_TIMEOUT_MS);
		if (res->interrupted || res->error[0])
			ipi__stop(r, IPI_STOP_ABORT);
		if (end && now >= end)
			ipi__stop(r, IPI_STOP_FINISH);
		if (r->stop == IPI_STOP_ABORT) {
			if (!abort_at)
				abort_at = now;
			else if (now - abort_at > IPI_ABORT_GRACE_MS * 1000000ull)
				break;
		}
		if (ctx->progress && now - last_progress >= 1000000000ull) {
			ctx->progress(res->scenario->name, sent, total, (double)(now - start) / 1e9);
			last_progress = now;
		}
		nanosleep(&tick, NULL);
	}
	res->elapsed_s = (double)(clock__monotonic_ns() - start) / 1e9;
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

static bool ipi__vcpus_share_cpu(const struct ipi_run *r)
{
	const struct vm *vm = &r->e->vm;

	for (unsigned i = 0; i < vm->nvcpus; i++) {
		/* Unbound threads: the plan's own verdict is all there is. */
		if (vm->vcpus[i].cpu < 0)
			return r->ctx->plan.overcommit;
		for (unsigned j = i + 1; j < vm->nvcpus; j++)
			if (vm->vcpus[i].cpu == vm->vcpus[j].cpu)
				return true;
	}
	return false;
}

static void ipi__collect(struct ipi_run *r, struct scenario_result *res)
{
	json_t *placement = json_array(), *per_sender = json_array();
	uint64_t resends = 0;

	for (unsigned i = 0; i < r->nsenders; i++) {
		struct ipi_sender *s = &r->senders[i];
		struct mailbox *mb = ipi__mailbox(r, s);
		uint64_t sent = ipi__field(&mb->ipi_sent), lost = ipi__field(&mb->ipi_lost);
		uint64_t delivered = ipi__field(&mb->ipi_delivered);
		uint64_t coalesced = ipi__field(&mb->ipi_coalesced);

		res->sent += sent;
		res->delivered += delivered;
		res->coalesced += coalesced;
		res->lost += lost;
		resends += ipi__field(&mb->ipi_resends);
		json_array_append_new(per_sender, json_pack("{s:i, s:I, s:I, s:I, s:I, s:I}",
			"vcpu", (int)s->vcpu, "sent", (json_int_t)sent,
			"delivered", (json_int_t)delivered, "coalesced", (json_int_t)coalesced,
			"lost", (json_int_t)lost, "sequences", (json_int_t)ipi__field(&mb->ipi_seq)));
		json_array_append_new(placement, ipi__sender_placement(r, s));
	}
	res->latency = r->hist;
	r->hist = NULL;
	res->extra = json_pack("{s:s, s:I, s:I, s:I, s:o, s:o}",
			       "kick", "x2APIC ICR write (WRMSR 0x830)",
			       "resends", (json_int_t)resends, "samples", (json_int_t)r->samples,
			       "clock_skew_samples", (json_int_t)r->clock_skew,
			       "per_sender", per_sender,
			       "sender_kvm_stats", engine__stats_json(r->e, r->is_sender, res->sent));
	/*
	 * Open loop: latency_ns runs from when each request was due; this one
	 * from its ICR write, so a sender that fell behind its schedule shows
	 * as the difference between the two.
	 */
	if (r->cfg->rate_hz)
		json_object_set_new(res->extra, "from_icr_write_ns",
				    histogram__to_json(r->from_icr,
						       clock__ns_per_tick(r->ctx->clock)));
	engine__report_vcpus(r->e, res, res->sent, true, placement, r->is_target);
	/* The plan reserved CPUs for host senders that this scenario never starts. */
	json_object_set_new(res->placement, "overcommit", json_boolean(ipi__vcpus_share_cpu(r)));
}

static json_t *ipi__params(const struct ipi_run *r)
{
	const struct ks_config *cfg = r->cfg;

	return json_pack("{s:i, s:i, s:s, s:s, s:s, s:I, s:I, s:i, s:i, s:s}",
			 "vcpus", (int)r->ctx->vcpus, "senders", (int)r->nsenders,
			 "target_state", target_state__name(cfg->target),
			 "pattern", pattern__name(cfg->pattern),
			 "protocol", protocol__name(PROTOCOL_IMMEDIATE_EXIT),
			 "rate_hz", (json_int_t)cfg->rate_hz, "gap_ns", (json_int_t)cfg->gap_ns,
			 "burst", (int)cfg->burst,
			 "deadline_ms", (int)cfg->deadline_ms, "kick", "x2APIC ICR write");
}

static int ipi__storm(struct ipi_run *r, struct scenario_result *res)
{
	if (ipi__check_tsc(r, res) < 0)
		return -1;
	ipi__configure(r);
	r->hist = ks_aligned_zalloc(KS_CACHELINE, sizeof(*r->hist));
	r->from_icr = ks_aligned_zalloc(KS_CACHELINE, sizeof(*r->from_icr));
	histogram__init(r->hist);
	histogram__init(r->from_icr);
	engine__snapshot_before(r->e);
	if (ipi__go(r) < 0) {
		snprintf(res->error, sizeof(res->error), "could not wake a guest sender");
		ipi__stop(r, IPI_STOP_ABORT);
	}
	ipi__monitor(r, res);
	engine__snapshot_after(r->e);
	ipi__collect(r, res);
	res->completed = !res->interrupted && !res->error[0];
	return res->error[0] ? -1 : 0;
}

static int ipi__run(struct scenario_ctx *ctx, struct scenario_result *res)
{
	struct engine_options o = { .protocol = PROTOCOL_IMMEDIATE_EXIT };
	struct ipi_run r = { .ctx = ctx, .cfg = ctx->cfg, .nvcpus = ctx->vcpus };
	struct engine e;
	int ret;

	if (ctx->vcpus >= 2 && ctx->vcpus <= MB_NSLOTS)
		ipi__plan(&r);
	res->params = ipi__params(&r);
	if (ctx->vcpus < 2 || ctx->vcpus > MB_NSLOTS) {
		snprintf(res->error, sizeof(res->error),
			 "ipi needs 2 to %d vCPUs (a sender and a target, one vector per sender), "
			 "%u requested", MB_NSLOTS, ctx->vcpus);
		return -1;
	}
	if (engine__start(&e, ctx, &o) < 0) {
		snprintf(res->error, sizeof(res->error), "could not start the VM");
		return -1;
	}
	r.e = &e;
	ret = ipi__storm(&r, res);
	free(r.hist);
	free(r.from_icr);
	engine__stop(&e);
	return ret;
}

static const struct scenario_param ipi_params[] = {
	{ "--pattern", "one-to-one (vCPU i -> i+1 for the first --senders vCPUs), "
		       "one-to-all (vCPU 0 broadcasts), all-to-all (every vCPU broadcasts)" },
	{ "--senders", "one-to-one: how many vCPUs send" },
	{ "--target-state", "what receiving vCPUs do meanwhile: running, halted or mixed" },
	{ "--rate/--burst", "open-loop storm from each guest sender; closed loop when --rate is 0" },
	{ "--gap", "closed loop: random pause before each IPI (lets a halted target block again)" },
	{ "--deadline", "ms before an unobserved IPI counts as lost and the ICR is written again" },
	{ NULL, NULL },
};

const struct scenario scenario_ipi = {
	.name = "ipi",
	.summary = "guest x2APIC IPIs between vCPUs, unicast or broadcast; ICR write to handler",
	.params = ipi_params,
	.min_vcpus = 2,
	.max_vcpus = MB_NSLOTS,
	.run = ipi__run,
};
