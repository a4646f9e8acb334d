/* SPDX-License-Identifier: MIT */
/*
 * Which path delivered the kicks of a scenario, decided from the host's
 * configuration and the KVM stats the scenario moved. The rules are in
 * classify.c and are the contract kickstorm(1) explains.
 */
#ifndef KICKSTORM_CLASSIFY_H
#define KICKSTORM_CLASSIFY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

enum delivery_path {
	DELIVERY_POSTED,	/* interrupt posted to a running vCPU, no VM exit */
	DELIVERY_IPI,		/* target kicked out of guest mode, injected on entry */
	DELIVERY_WAKEUP,	/* target blocked in HLT, woken by the kick */
	DELIVERY_UNKNOWN,	/* the numbers do not support a claim */
};

/* "posted", "ipi", "wakeup", "unknown". */
const char *delivery__name(enum delivery_path p);

/* Per-kick ratios: a negative value means the stat is missing. */
struct delivery_inputs {
	const char *target_state;	/* "running", "halted", "mixed" */
	bool host_can_post;		/* APICv/AVIC enabled on this host */
	bool kick_is_interrupt;		/* msi/irqfd/ipi: true; signal kick: false */
	uint64_t kicks;
	double exits_per_kick;
	double irq_exits_per_kick;
	double halt_wakeup_per_kick;
	double halt_exits_per_kick;
	double signal_exits_per_kick;
};

/*
 * Fills the five ratios from a kvm_stats "per_kick" object (as built by
 * kvmstats__delta_json); null or absent entries become -1 (missing).
 */
void delivery__ratios_from_json(struct delivery_inputs *in, const json_t *per_kick);

/*
 * Decides the path. When @evidence is not NULL it receives a new object:
 *   {"path", "host_can_post", "kick_is_interrupt", "target_state", "kicks",
 *    "ratios": {"exits", "irq_exits", "halt_wakeup", "halt_exits",
 *               "signal_exits"} (null when missing),
 *    "thresholds": {...}, "reason": one sentence naming the deciding numbers}
 */
enum delivery_path delivery__classify(const struct delivery_inputs *in, json_t **evidence);

#endif
