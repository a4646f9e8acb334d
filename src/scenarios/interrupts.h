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

#include "../driver.h"
#include "../storm.h"

/* The options that shape a host-sender interrupt storm. */
#define INTERRUPTS_OPTIONS (KS_OPT_VCPUS | KS_OPT_SENDERS | KS_OPT_PATTERN | KS_OPT_TARGET | \
			    KS_OPT_RATE | KS_OPT_BURST | KS_OPT_GAP | KS_OPT_DEADLINE | KS_OPT_LOST_AFTER)
#define INTERRUPTS_FLAGS (SCENARIO_VM | SCENARIO_KICK_PATH | SCENARIO_GUEST_TSC)

/* MSI address/data that deliver vector to the LAPIC with apic_id (fixed, physical). */
void interrupts__msi_route(unsigned apic_id, unsigned vector, uint32_t *address_lo,
			   uint32_t *address_hi, uint32_t *data);

/* KVM_SIGNAL_MSI of vector to the vCPU with apic_id: 0, or -errno (-ENXIO: no LAPIC took it). */
int interrupts__signal_msi(int vm_fd, unsigned apic_id, unsigned vector);
/* The same as a fixed interrupt or an NMI (--delivery), which carries no vector. */
int interrupts__signal(int vm_fd, unsigned apic_id, unsigned vector, enum kick_delivery delivery);

/*
 * --delivery nmi: the slots vCPU vcpu's NMI handler looks at (bit k: slot
 * k), those of the senders that kick it. Set before its first NMI.
 */
void interrupts__watch_nmi_slots(struct engine *e, unsigned vcpu, uint64_t slots);

/* The kick and a --delivery other than fixed as params, so compare tells the kicks apart. */
void interrupts__describe(struct scenario_run *run, json_t *params);

extern const struct scenario_param interrupts__storm_params[];
/* The same, and --delivery. */
extern const struct scenario_param interrupts__msi_params[];

#endif
