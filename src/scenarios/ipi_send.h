/* SPDX-License-Identifier: MIT */
/*
 * How the ipi scenario's guest senders send (--ipi-via) and what
 * (--delivery): the ICR value each path takes, what the guest must be made
 * ready with (xAPIC mode, the hypercall instruction of its CPU), and
 * whether this host lets a guest use the PV hypercall at all.
 */
#ifndef KICKSTORM_SCENARIOS_IPI_SEND_H
#define KICKSTORM_SCENARIOS_IPI_SEND_H

#include <stdbool.h>
#include <stdint.h>

#include "guest_sender.h"

/*
 * MB_IPI_ICR for a send of vector (ignored for an NMI) to APIC ID dest, or
 * to every other vCPU when broadcast: x2APIC, the ICR MSR's 64 bits
 * (destination in 63:32, or the all-excluding-self shorthand); xAPIC, the
 * low register in bits 31:0 and the high one (destination in 31:24) in
 * 63:32; pv, the ICR's low half without a shorthand, since the hypercall
 * takes its targets as a bitmap.
 */
uint64_t ipi_send__icr(enum ipi_via via, enum kick_delivery delivery, unsigned vector,
		       bool broadcast, unsigned dest);

/* "x2APIC ICR write" and the like (params.kick), or with how it is done (details.kick). */
const char *ipi_send__kick_name(enum ipi_via via, bool detailed);

/*
 * Readies every vCPU's guest for via before the storm: xAPIC mode (each
 * answers with its xAPIC ID, which must be its vCPU id), or the hypercall
 * instruction. -1 with why.
 */
int ipi_send__prepare(struct engine *e, enum ipi_via via, char *why, size_t why_len);

/*
 * --ipi-via pv only where KVM_GET_SUPPORTED_CPUID advertises
 * KVM_FEATURE_PV_SEND_IPI and the hypercall, tried on a VM made for the
 * purpose, does not fail (guest_features.h decides). The other paths need
 * nothing a KVM with an in-kernel LAPIC lacks.
 */
bool ipi_send__supported(const struct scenario_ctx *ctx, char *why, size_t why_len);

#endif
