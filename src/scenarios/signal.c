// SPDX-License-Identifier: MIT
/*
 * signal: the userspace twin of vcpu-requests.rst.
 *
 * A sender publishes a request (a sequence number in the vCPU's mailbox) and
 * kicks the vCPU thread with a signal tagged with that request. The vCPU
 * thread looks at its requests after every return from KVM_RUN. Between that
 * look and the next KVM_RUN lies the race the kernel closes with vcpu->mode;
 * --protocol picks how this thread closes it, and --race-window widens it:
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
 * vcpu_kick.c counts the kicks that land in the window and how the protocol
 * dealt with them. Latency: request published -> the vCPU thread saw it,
 * both host TSC.
 */
#include "../driver.h"
#include "../storm.h"
#include "../vcpu_kick.h"

static int signal__kick(void *state, unsigned sender, struct vcpu *target, uint64_t seq)
{
	(void)state;
	return vcpu__send_kick(target, sender, seq);
}

static const struct storm_kick signal_kick = {
	.name = "rt_tgsigqueueinfo (SIGUSR1)",
	.is_interrupt = false,
	.trace_kind = TRACE_KICK_SIGNAL,
	.kick = signal__kick,
};

static const struct scenario_param signal_params[] = {
	{ "--protocol", "naive, immediate-exit or sigmask: how the vCPU thread closes the kick race" },
	{ "--race-window", "ns spent between the request check and KVM_RUN" },
	{ "--senders", "sender threads, each with its own request slot in every target" },
	{ "--pattern", "one-to-one (sender k -> vCPU k mod N), one-to-all, all-to-all" },
	{ "--target-state", "what the guest does meanwhile: running, halted or mixed" },
	{ "--rate/--burst", "open-loop storm; closed loop when --rate is 0" },
	{ "--gap", "closed loop: random pause before each kick" },
	{ "--deadline", "ms within which an observed request is delivered, after which it is late" },
	{ "--lost-after", "ms before an unobserved request counts as lost and is re-kicked" },
	{ NULL, NULL },
};

const struct scenario scenario_signal = {
	.name = "signal",
	.summary = "flag + signal kicks of vCPU threads; lost requests and kicks by --protocol",
	.latency = "request published -> the vCPU thread saw it after KVM_RUN returned (host TSC)",
	.measures = MEASURES_KICK,
	.params = signal_params,
	.options = KS_OPT_VCPUS | KS_OPT_SENDERS | KS_OPT_PATTERN | KS_OPT_TARGET | KS_OPT_PROTOCOL |
		   KS_OPT_RACE_WINDOW | KS_OPT_RATE | KS_OPT_BURST | KS_OPT_GAP | KS_OPT_DEADLINE |
		   KS_OPT_LOST_AFTER,
	.flags = SCENARIO_VM | SCENARIO_KICK_PATH | SCENARIO_HOST_OBSERVER | SCENARIO_TRACEABLE,
	.kick = &signal_kick,
};
