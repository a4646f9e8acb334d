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
#include <errno.h>
#include <stdio.h>

#include "../engine.h"
#include "../scenario.h"
#include "../storm.h"
#include "interrupts.h"

/*
 * The raw ioctl on this hot path: a failure is counted and reported once,
 * by name, by the storm, instead of once per kick. KVM answers 0 when no
 * LAPIC accepted the interrupt (the guest masked it), which is a failed kick.
 */
static int msi__kick(void *arg, unsigned sender, struct vcpu *target, uint64_t seq)
{
	struct vm *vm = arg;
	struct kvm_msi msi = { 0 };
	long ret;

	(void)seq;
	interrupts__msi_route(target->id, REQ_VECTOR(sender), &msi.address_lo,
			      &msi.address_hi, &msi.data);
	ret = kvm__ioctl_raw(vm->fd, KVM_SIGNAL_MSI, &msi);
	if (ret < 0)
		return (int)ret;
	return ret == 0 ? -ENXIO : 0;
}

static bool msi__supported(const struct scenario_ctx *ctx, char *why, size_t why_len)
{
	if (kvm__check_extension(ctx->kvm_fd, KVM_CAP_SIGNAL_MSI) <= 0) {
		ks_format(why, why_len, "KVM_CAP_SIGNAL_MSI is not available");
		return false;
	}
	return true;
}

static int msi__run(struct scenario_ctx *ctx, struct scenario_result *res)
{
	struct engine e;
	struct storm_ops ops = {
		.kick_name = "KVM_SIGNAL_MSI",
		.kick_is_interrupt = true,
		.kick = msi__kick,
		.to_host_tsc = storm__guest_to_host_tsc,
	};
	int ret;

	res->params = interrupts__params(ctx, ops.kick_name);
	if (interrupts__start(&e, ctx, res) < 0)
		return -1;
	ops.arg = &e.vm;
	{
		struct storm_summary sum = { 0 };

		ret = storm__run(&e, &ops, res, &sum);
		engine__conclude(&e, res, ops.kick_is_interrupt, NULL, &sum);
	}
	engine__stop(&e);
	return ret;
}

const struct scenario scenario_msi = {
	.name = "msi",
	.summary = "KVM_SIGNAL_MSI from host threads; latency to the guest interrupt handler",
	.params = interrupts__storm_params,
	.supported = msi__supported,
	.run = msi__run,
};
