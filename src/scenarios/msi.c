// SPDX-License-Identifier: MIT
/*
 * msi: host threads inject interrupts with KVM_SIGNAL_MSI.
 *
 * Sender k publishes a sequence in slot k of the target's mailbox and asks
 * KVM for an MSI with vector REQ_VECTOR(k) to the target's APIC ID. Inside
 * KVM that is a request (the vector's IRR bit) plus a kick: on this kind of
 * host (no APICv/AVIC) an IPI that forces a running vCPU out of guest mode,
 * or a wake-up of one blocked in HLT; with posted interrupts, a PIR bit and
 * a notification the CPU handles without an exit. The guest handler records
 * the newest sequence and its TSC.
 *
 * KVM_SIGNAL_MSI is a VM ioctl: it does not wait for the target's KVM_RUN,
 * so the vCPU threads never leave KVM_RUN for it (no host-side observer).
 *
 * Latency: request published (host TSC) -> guest handler (guest TSC minus
 * KVM_VCPU_TSC_OFFSET).
 */
#include "interrupts.h"

static int msi__kick(void *state, unsigned sender, struct vcpu *target, uint64_t seq)
{
	(void)state;
	(void)seq;
	return interrupts__signal_msi(target->vm_fd, target->id, REQ_VECTOR(sender));
}

static const struct storm_kick msi_kick = {
	.name = "KVM_SIGNAL_MSI",
	.is_interrupt = true,
	.trace_kind = TRACE_KICK_MSI_IOCTL,
	.kick = msi__kick,
};

static bool msi__supported(const struct scenario_ctx *ctx, char *why, size_t why_len)
{
	if (kvm__check_extension(ctx->kvm_fd, KVM_CAP_SIGNAL_MSI) <= 0) {
		ks_format(why, why_len, "KVM_CAP_SIGNAL_MSI is not available");
		return false;
	}
	return true;
}

const struct scenario scenario_msi = {
	.name = "msi",
	.summary = "KVM_SIGNAL_MSI from host threads; latency to the guest interrupt handler",
	.latency = "request published (host TSC) -> guest handler (guest TSC - KVM_VCPU_TSC_OFFSET)",
	.measures = MEASURES_KICK,
	.params = interrupts__storm_params,
	.options = INTERRUPTS_OPTIONS,
	.flags = INTERRUPTS_FLAGS | SCENARIO_TRACEABLE,
	.kick = &msi_kick,
	.supported = msi__supported,
	.describe = interrupts__describe,
};
