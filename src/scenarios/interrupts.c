// SPDX-License-Identifier: MIT
/* What msi, irqfd and ipi share: MSI routing, report params, VM start-up. */
#include <stdio.h>

#include "interrupts.h"

/* --senders stops at 64 because each sender owns one request vector and slot. */
_Static_assert(KS_MAX_SENDERS <= MB_NSLOTS, "one mailbox slot per sender");

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

json_t *interrupts__params(const struct scenario_ctx *ctx, const char *kick)
{
	const struct ks_config *cfg = ctx->cfg;

	return json_pack("{s:i, s:i, s:s, s:s, s:I, s:I, s:i, s:i, s:i, s:s}",
			 "vcpus", (int)ctx->vcpus, "senders", (int)cfg->senders,
			 "target_state", target_state__name(cfg->target),
			 "pattern", pattern__name(cfg->pattern),
			 "rate_hz", (json_int_t)cfg->rate_hz, "gap_ns", (json_int_t)cfg->gap_ns,
			 "burst", (int)cfg->burst, "deadline_ms", (int)cfg->deadline_ms,
			 "lost_after_ms", (int)cfg->lost_after_ms, "kick", kick);
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

const struct scenario_param interrupts__storm_params[] = {
	{ "--senders", "host sender threads; sender k uses vector REQ_VECTOR(k) and slot k" },
	{ "--pattern", "one-to-one (sender k -> vCPU k mod N), one-to-all, all-to-all" },
	{ "--target-state", "what the guest does meanwhile: running, halted or mixed" },
	{ "--rate/--burst", "open-loop storm; closed loop when --rate is 0" },
	{ "--gap", "closed loop: random pause before each kick (lets a halted target block again)" },
	{ "--deadline", "ms within which an observed request is delivered, after which it is late" },
	{ "--lost-after", "ms before an unobserved request counts as lost and is sent again" },
	{ NULL, NULL },
};
