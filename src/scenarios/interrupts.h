/* SPDX-License-Identifier: MIT */
/*
 * What the interrupt scenarios (msi, irqfd, ipi) share: the guest observes
 * in its interrupt handler, so the vCPU threads run without a host-side
 * observer, and every timestamp the guest takes is guest TSC.
 */
#ifndef KICKSTORM_SCENARIOS_INTERRUPTS_H
#define KICKSTORM_SCENARIOS_INTERRUPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../engine.h"
#include "../scenario.h"

/* MSI address/data that deliver vector to the LAPIC with apic_id (fixed, physical). */
void interrupts__msi_route(unsigned apic_id, unsigned vector, uint32_t *address_lo,
			   uint32_t *address_hi, uint32_t *data);

/* Report params of a host-sender interrupt scenario. */
json_t *interrupts__params(const struct scenario_ctx *ctx, const char *kick);

/*
 * Starts the VM with guest-side observation and refuses (res->error, VM
 * stopped) when a vCPU's KVM_VCPU_TSC_OFFSET is unknown.
 */
int interrupts__start(struct engine *e, struct scenario_ctx *ctx, struct scenario_result *res);

extern const struct scenario_param interrupts__storm_params[];

#endif
