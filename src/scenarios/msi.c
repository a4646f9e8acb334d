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

/* Physical destination mode, fixed delivery: the APIC ID goes in bits 19:12 (Intel SDM 11.11.1). */
#define MSI_ADDRESS_BASE	0xfee00000u
#define MSI_DEST_SHIFT		12

void interrupts__msi_route(unsigned apic_id, unsigned vector, uint32_t *address_lo,
			   uint32_t *address_hi, uint32_t *data)
{
	*address_lo = MSI_ADDRESS_BASE | (apic_id << MSI_DEST_SHIFT);
	*address_hi = 0;
	*data = vector;
}

/*
 * The raw ioctl on this hot path: a failure is counted and reported once,
 * by name, by the storm, instead of once per kick. KVM answers 0 when no
 * LAPIC accepted the interrupt (the guest masked it), which is a failed kick.
 */
static int msi__kick(void *arg, unsigned sender, struct vcpu *target)
{
	struct vm *vm = arg;
	struct kvm_msi msi = { 0 };
	long ret;

	interrupts__msi_route(target->id, REQ_VECTOR(sender), &msi.address_lo,
			      &msi.address_hi, &msi.data);
	ret = kvm__ioctl_raw(vm->fd, KVM_SIGNAL_MSI, &msi);
	if (ret < 0)
		return (int)ret;
	return ret == 0 ? -ENXIO : 0;
}

bool interrupts__supported(const struct scenario_ctx *ctx, const char *scenario,
			   char *why, size_t why_len)
{
	if (ctx->cfg->senders > MB_NSLOTS) {
		ks_format(why, why_len, "%s allows at most %d senders (one interrupt vector each)",
			  scenario, MB_NSLOTS);
		return false;
	}
	return true;
}

static bool msi__supported(const struct scenario_ctx *ctx, char *why, size_t why_len)
{
	if (kvm__check_extension(ctx->kvm_fd, KVM_CAP_SIGNAL_MSI) <= 0) {
		ks_format(why, why_len, "KVM_CAP_SIGNAL_MSI is not available");
		return false;
	}
	return interrupts__supported(ctx, "msi", why, why_len);
}

json_t *interrupts__params(const struct scenario_ctx *ctx, const char *kick)
{
	const struct ks_config *cfg = ctx->cfg;

	return json_pack("{s:i, s:i, s:s, s:s, s:s, s:I, s:I, s:i, s:i, s:s}",
			 "vcpus", (int)ctx->vcpus, "senders", (int)cfg->senders,
			 "target_state", target_state__name(cfg->target),
			 "pattern", pattern__name(cfg->pattern),
			 "protocol", protocol__name(PROTOCOL_IMMEDIATE_EXIT),
			 "rate_hz", (json_int_t)cfg->rate_hz, "gap_ns", (json_int_t)cfg->gap_ns,
			 "burst", (int)cfg->burst,
			 "deadline_ms", (int)cfg->deadline_ms, "kick", kick);
}

int interrupts__start(struct engine *e, struct scenario_ctx *ctx, struct scenario_result *res)
{
	/* The guest observes; the vCPU threads only need to leave KVM_RUN when stopped. */
	struct engine_options o = { .protocol = PROTOCOL_IMMEDIATE_EXIT };

	if (engine__start(e, ctx, &o) < 0) {
		snprintf(res->error, sizeof(res->error), "could not start the VM");
		return -1;
	}
	for (unsigned i = 0; i < e->vm.nvcpus; i++) {
		if (!e->vm.vcpus[i].tsc_offset_known) {
			snprintf(res->error, sizeof(res->error),
				 "KVM_VCPU_TSC_OFFSET of vcpu %u cannot be read on this host, so the "
				 "guest handler's TSC cannot be converted to host time", i);
			engine__stop(e);
			return -1;
		}
	}
	return 0;
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
	ret = storm__run(&e, &ops, res);
	engine__stop(&e);
	return ret;
}

const struct scenario_param interrupts__storm_params[] = {
	{ "--senders", "host sender threads; sender k uses vector REQ_VECTOR(k) and slot k" },
	{ "--pattern", "one-to-one (sender k -> vCPU k mod N), one-to-all, all-to-all" },
	{ "--target-state", "what the guest does meanwhile: running, halted or mixed" },
	{ "--rate/--burst", "open-loop storm; closed loop when --rate is 0" },
	{ "--gap", "closed loop: random pause before each kick (lets a halted target block again)" },
	{ "--deadline", "ms before an unobserved request counts as lost and is re-sent" },
	{ NULL, NULL },
};

const struct scenario scenario_msi = {
	.name = "msi",
	.summary = "KVM_SIGNAL_MSI from host threads; latency to the guest interrupt handler",
	.params = interrupts__storm_params,
	.supported = msi__supported,
	.run = msi__run,
};
