// SPDX-License-Identifier: MIT
/* What msi, irqfd and ipi share: MSI routing and the interrupt, the params, the help. */
#include <errno.h>

#include "interrupts.h"

/* --senders stops at 64 because each sender owns one request vector and slot. */
_Static_assert(KS_MAX_SENDERS <= MB_NSLOTS, "one mailbox slot per sender");

/* Physical destination mode: the APIC ID goes in bits 19:12 (Intel SDM 11.11.1). */
#define MSI_ADDRESS_BASE	0xfee00000u
#define MSI_DEST_SHIFT		12
/* Data bits 10:8 are the delivery mode, as in the ICR; an NMI's vector is ignored. */
#define MSI_DATA_NMI		(4u << 8)

void interrupts__msi_route(unsigned apic_id, unsigned vector, uint32_t *address_lo,
			   uint32_t *address_hi, uint32_t *data)
{
	*address_lo = MSI_ADDRESS_BASE | ((apic_id & 0xffu) << MSI_DEST_SHIFT);
	/* Bits 31:8 of an ID above 255, where the VM takes 32-bit x2APIC IDs (vm.c). */
	*address_hi = apic_id & 0xffffff00u;
	*data = vector;
}

/*
 * The raw ioctl: on the storm's hot path a failure is counted and reported
 * once, by name, by the storm, instead of once per kick. KVM answers 0 when
 * no LAPIC accepted the interrupt (the guest masked it), a failed kick. An
 * NMI counts as accepted even when KVM drops it, having two pending already.
 */
int interrupts__signal(int vm_fd, unsigned apic_id, unsigned vector, enum kick_delivery delivery)
{
	struct kvm_msi msi = { 0 };
	long ret;

	interrupts__msi_route(apic_id, vector, &msi.address_lo, &msi.address_hi, &msi.data);
	if (delivery == KICK_DELIVERY_NMI)
		msi.data = MSI_DATA_NMI;
	ret = kvm__ioctl_raw(vm_fd, KVM_SIGNAL_MSI, &msi);
	if (ret < 0)
		return (int)ret;
	return ret == 0 ? -ENXIO : 0;
}

int interrupts__signal_msi(int vm_fd, unsigned apic_id, unsigned vector)
{
	return interrupts__signal(vm_fd, apic_id, vector, KICK_DELIVERY_FIXED);
}

void interrupts__watch_nmi_slots(struct engine *e, unsigned vcpu, uint64_t slots)
{
	__atomic_store_n(&e->vm.vcpus[vcpu].mb->nmi_slots, slots, __ATOMIC_RELAXED);
}

void interrupts__describe(struct scenario_run *run, json_t *params)
{
	json_object_set_new(params, "kick", json_string(run->sc->kick ? run->sc->kick->name :
							"x2APIC ICR write"));
	/*
	 * Only when it is not the default: runs and baselines made before the
	 * option existed keep matching the runs that did not use it.
	 */
	if ((run->sc->options & KS_OPT_DELIVERY) && run->ctx->cfg->delivery != KICK_DELIVERY_FIXED)
		json_object_set_new(params, "delivery",
				    json_string(kick_delivery__name(run->ctx->cfg->delivery)));
}

#define STORM_PARAMS \
	{ "--senders", "host sender threads; sender k uses vector REQ_VECTOR(k) and slot k" }, \
	{ "--pattern", "one-to-one (sender k -> vCPU k mod N), one-to-all, all-to-all" }, \
	{ "--target-state", "what the guest does meanwhile: running, halted or mixed" }, \
	{ "--rate/--burst", "open-loop storm; closed loop when --rate is 0" }, \
	{ "--gap", "closed loop: random pause before each kick (lets a halted target block again)" }, \
	{ "--deadline", "ms within which an observed request is delivered, after which it is late" }, \
	{ "--lost-after", "ms before an unobserved request counts as lost and is sent again" }

const struct scenario_param interrupts__storm_params[] = {
	STORM_PARAMS,
	{ NULL, NULL },
};

const struct scenario_param interrupts__msi_params[] = {
	STORM_PARAMS,
	{ "--delivery", "fixed (vector 0x40 + k) or nmi (an NMI: the guest looks at every sender's slot; "
			"KVM keeps at most two pending, so requests coalesce)" },
	{ NULL, NULL },
};
#undef STORM_PARAMS
