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
 * With --delivery nmi the MSI is an NMI instead: it carries no vector, so
 * the guest's NMI handler looks at the slot of every sender and observes
 * the ones whose sequence moved. KVM keeps at most two NMIs pending (one
 * while another is being handled) and drops the rest, so a storm faster
 * than the guest coalesces requests, and a later NMI still sees the newest.
 *
 * Latency: request published (host TSC) -> guest handler (guest TSC minus
 * KVM_VCPU_TSC_OFFSET).
 */
#include "interrupts.h"

struct msi_run {
	enum kick_delivery delivery;
};

static int msi__kick(void *state, unsigned sender, struct vcpu *target, uint64_t seq)
{
	const struct msi_run *m = state;

	(void)seq;
	return interrupts__signal(target->vm_fd, target->id, REQ_VECTOR(sender), m->delivery);
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

/* Sender k uses slot k of every target, so an NMI handler looks at the senders' slots. */
static int msi__setup(struct scenario_run *run)
{
	struct msi_run *m = run->state;
	unsigned senders = run->ctx->cfg->senders;

	m->delivery = run->ctx->cfg->delivery;
	for (unsigned v = 0; m->delivery == KICK_DELIVERY_NMI && v < run->engine->vm.nvcpus; v++)
		interrupts__watch_nmi_slots(run->engine, v, senders >= 64 ? ~0ull : (1ull << senders) - 1);
	return 0;
}

/* NMIs the guests handled: fewer than were sent when KVM dropped some, having two pending. */
static void msi__details(struct scenario_run *run)
{
	const struct msi_run *m = run->state;
	uint64_t handled = 0;

	if (m->delivery != KICK_DELIVERY_NMI || !run->res->extra)
		return;
	for (unsigned v = 0; v < run->engine->vm.nvcpus; v++)
		handled += __atomic_load_n(&run->engine->vm.vcpus[v].mb->nmi_count, __ATOMIC_RELAXED);
	json_object_set_new(run->res->extra, "nmis_handled", json_integer((json_int_t)handled));
}

const struct scenario scenario_msi = {
	.name = "msi",
	.summary = "KVM_SIGNAL_MSI from host threads; latency to the guest interrupt handler",
	.latency = "request published (host TSC) -> guest handler (guest TSC - KVM_VCPU_TSC_OFFSET)",
	.measures = MEASURES_KICK,
	.params = interrupts__msi_params,
	.options = INTERRUPTS_OPTIONS | KS_OPT_DELIVERY,
	.flags = INTERRUPTS_FLAGS | SCENARIO_TRACEABLE,
	.state_size = sizeof(struct msi_run),
	.kick = &msi_kick,
	.supported = msi__supported,
	.describe = interrupts__describe,
	.setup = msi__setup,
	.details = msi__details,
};
