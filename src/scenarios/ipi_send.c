// SPDX-License-Identifier: MIT
#include "ipi_send.h"

#include <stdio.h>

_Static_assert(VIA_X2APIC == IPI_VIA_X2APIC && VIA_XAPIC == IPI_VIA_XAPIC && VIA_PV == IPI_VIA_PV,
	       "--ipi-via values are what guest.S reads in MB_IPI_VIA");

uint64_t ipi_send__icr(enum ipi_via via, enum kick_delivery delivery, unsigned vector,
		       bool broadcast, unsigned dest)
{
	uint64_t low = delivery == KICK_DELIVERY_NMI ? ICR_DELIVERY_NMI : vector;

	switch (via) {
	case VIA_PV:
		return low;
	case VIA_XAPIC:
		return broadcast ? low | ICR_ALL_BUT_SELF : low | (uint64_t)dest << XAPIC_DEST_SHIFT << 32;
	default:
		return broadcast ? low | ICR_ALL_BUT_SELF : low | (uint64_t)dest << ICR_DEST_SHIFT;
	}
}

const char *ipi_send__kick_name(enum ipi_via via, bool detailed)
{
	/* The short names are params: x2APIC's is what reports said before --ipi-via existed. */
	static const char *const names[][2] = {
		[VIA_X2APIC] = { "x2APIC ICR write", "x2APIC ICR write (WRMSR 0x830)" },
		[VIA_XAPIC] = { "xAPIC ICR write", "xAPIC ICR write (MMIO 0xfee00310, then 0xfee00300)" },
		[VIA_PV] = { "KVM_HC_SEND_IPI", "KVM_HC_SEND_IPI hypercall (targets as a bitmap)" },
	};

	return names[via][detailed];
}

/* xAPIC for every vCPU, since each takes its EOI the way its own mode says. */
static int ipi_send__to_xapic(struct engine *e, char *why, size_t why_len)
{
	for (unsigned v = 0; v < e->vm.nvcpus; v++) {
		uint64_t id_reg;
		char err[256];

		if (guest_sender__ask(&e->vm, v, GUEST_OP_XAPIC, &id_reg, err, sizeof(err)) != GUEST_ANSWERED) {
			ks_format(why, why_len, "vcpu %u could not switch to xAPIC mode: %s", v, err);
			return -1;
		}
		if (id_reg >> 24 != v) {
			ks_format(why, why_len, "vcpu %u reads xAPIC ID %llu after switching to xAPIC "
				  "mode: its IPIs would go astray", v, (unsigned long long)(id_reg >> 24));
			return -1;
		}
	}
	return 0;
}

int ipi_send__prepare(struct engine *e, enum ipi_via via, char *why, size_t why_len)
{
	if (via == VIA_XAPIC)
		return ipi_send__to_xapic(e, why, why_len);
	if (via == VIA_PV)
		guest_sender__pick_hypercall(&e->vm);
	return 0;
}

bool ipi_send__supported(const struct scenario_ctx *ctx, char *why, size_t why_len)
{
	struct guest_try t;
	struct pv_ipi_facts f;

	if (ctx->cfg->ipi_via != VIA_PV)
		return true;
	guest_sender__try(ctx, GUEST_OP_PV_PROBE, &t);
	if (t.answer == GUEST_NO_VM) {
		ks_format(why, why_len, "KVM_HC_SEND_IPI could not be tried: %s", t.why);
		return false;
	}
	f = (struct pv_ipi_facts){
		.signature = t.signature, .features = t.features, .insn = t.hypercall,
		.ret = (int64_t)t.result, .waited_ms = GUEST_ASK_TIMEOUT_MS, .detail = t.why,
		.tried = t.answer == GUEST_ANSWERED ? HYPERCALL_RETURNED :
			 t.answer == GUEST_SILENT ? HYPERCALL_NO_RETURN : HYPERCALL_FAULTED,
	};
	return features__pv_send_ipi(&f, why, why_len);
}
