// SPDX-License-Identifier: MIT
/*
 * signal: the userspace twin of vcpu-requests.rst.
 *
 * A sender publishes a request (a sequence number in the vCPU's mailbox) and
 * kicks the vCPU thread with pthread_kill. The vCPU thread looks at its
 * requests after every return from KVM_RUN. Between that look and the next
 * KVM_RUN lies the race the kernel closes with vcpu->mode; --protocol picks
 * how this thread closes it, and --race-window widens it:
 *
 *   naive           the handler does nothing: a kick landing in the window
 *                   is spent before KVM_RUN, and the request waits for the
 *                   next exit (for a spinning or halted guest: none) -> lost.
 *   immediate-exit  the handler sets kvm_run->immediate_exit, so the next
 *                   KVM_RUN returns at once (the kernel's kvm_vcpu_kick
 *                   counterpart for userspace).
 *   sigmask         the kick is blocked outside KVM_RUN and unblocked inside
 *                   it with KVM_SET_SIGNAL_MASK; a pending kick makes
 *                   KVM_RUN return EINTR before entering the guest.
 *
 * Latency: request published -> the vCPU thread saw it, both host TSC.
 */
#include <errno.h>
#include <stdio.h>

#include "../engine.h"
#include "../scenario.h"
#include "../storm.h"

static int signal__kick(void *arg, unsigned sender, struct vcpu *target, uint64_t seq)
{
	(void)arg;
	return vcpu__send_kick(target, sender, seq);
}

static const struct storm_ops signal_ops = {
	.kick_name = "rt_tgsigqueueinfo (SIGUSR1)",
	.kick_is_interrupt = false,
	.kick = signal__kick,
	.to_host_tsc = storm__host_tsc,
};

static json_t *signal__params(const struct scenario_ctx *ctx)
{
	const struct ks_config *cfg = ctx->cfg;

	return json_pack("{s:i, s:i, s:s, s:s, s:s, s:I, s:I, s:I, s:i, s:i, s:i}",
			 "vcpus", (int)ctx->vcpus, "senders", (int)cfg->senders,
			 "target_state", target_state__name(cfg->target),
			 "pattern", pattern__name(cfg->pattern),
			 "protocol", protocol__name(cfg->protocol),
			 "race_window_ns", (json_int_t)cfg->race_window_ns,
			 "rate_hz", (json_int_t)cfg->rate_hz, "gap_ns", (json_int_t)cfg->gap_ns,
			 "burst", (int)cfg->burst, "deadline_ms", (int)cfg->deadline_ms,
			 "lost_after_ms", (int)cfg->lost_after_ms);
}

static int signal__run(struct scenario_ctx *ctx, struct scenario_result *res)
{
	const struct ks_config *cfg = ctx->cfg;
	struct engine_options o = {
		.protocol = cfg->protocol,
		.race_window_ns = cfg->race_window_ns,
		.observe = storm__observe_slots,
		.observed_slots = cfg->senders >= 64 ? ~0ull : (1ull << cfg->senders) - 1,
	};
	struct engine e;
	int ret;

	res->params = signal__params(ctx);
	if (engine__start(&e, ctx, &o) < 0) {
		snprintf(res->error, sizeof(res->error), "could not start the VM");
		return -1;
	}
	{
		struct storm_summary sum = { 0 };

		ret = storm__run(&e, &signal_ops, res, &sum);
		engine__conclude(&e, res, signal_ops.kick_is_interrupt, NULL, &sum);
	}
	engine__stop(&e);
	return ret;
}

static const struct scenario_param signal_params[] = {
	{ "--protocol", "naive, immediate-exit or sigmask: how the vCPU thread closes the kick race" },
	{ "--race-window", "ns spent between the request check and KVM_RUN" },
	{ "--senders", "sender threads, each with its own request slot in every target" },
	{ "--target-state", "what the guest does meanwhile: running, halted or mixed" },
	{ "--rate/--burst", "open-loop storm; closed loop when --rate is 0" },
	{ "--gap", "closed loop: random pause before each kick" },
	{ "--deadline", "ms within which an observed request is delivered, after which it is late" },
	{ "--lost-after", "ms before an unobserved request counts as lost and is re-kicked" },
	{ NULL, NULL },
};

const struct scenario scenario_signal = {
	.name = "signal",
	.summary = "flag + pthread_kill kicks of vCPU threads; lost requests by --protocol",
	.params = signal_params,
	.run = signal__run,
};
