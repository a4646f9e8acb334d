/* SPDX-License-Identifier: MIT */
/*
 * Which path delivered the kicks of a scenario, decided from the host's
 * configuration and the KVM stats the kicks themselves caused: the storm's
 * stats minus those of a kick-free control window of the same length on the
 * same vCPUs. The rules are in classify.c and are the contract kickstorm(1)
 * explains.
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
	DELIVERY_NOT_APPLICABLE,/* no kick travels to a vCPU (floor, broadcast) */
};

/* "posted", "ipi", "wakeup", "unknown", "not_applicable". */
const char *delivery__name(enum delivery_path p);

/* KVM stat deltas per kick; a negative value means the stat is missing. */
struct delivery_rates {
	double exits;
	double irq_exits;
	double halt_wakeup;
	double halt_exits;
	double signal_exits;
};

struct delivery_inputs {
	const char *target_state;	/* "running", "halted", "mixed" */
	bool host_can_post;		/* APICv/AVIC enabled on this host */
	bool kick_is_interrupt;		/* msi/irqfd/ipi: true; signal kick: false */
	uint64_t kicks;
	double storm_s, control_s;
	struct delivery_rates storm;	/* during the storm */
	/*
	 * The kick-free window, scaled to the storm's length, per storm kick.
	 * The scale is, for running targets, their threads' time on a CPU in
	 * the storm over that in the control where known (a vCPU exits as it
	 * runs, so a descheduled one exits less), else the ratio of the
	 * windows' wall-clock lengths.
	 */
	bool have_control;
	double control_scale;
	struct delivery_rates control;
	const char *no_control_why;	/* when !have_control */
};

/*
 * Fills the rates from a kvm_stats "per_kick" object (as built by
 * kvmstats__delta_json); null or absent entries become -1 (missing).
 */
void delivery__rates_from_json(struct delivery_rates *r, const json_t *per_kick);
/* Multiplies every known rate by factor. */
void delivery__rates_scale(struct delivery_rates *r, double factor);

/*
 * Decides the path. When @evidence is not NULL it receives a new object:
 *   {"path", "host_can_post", "kick_is_interrupt", "target_state", "kicks",
 *    "storm_s", "control_s", "control_scale",
 *    "storm": {exits, non_halt_exits, irq_exits, halt_wakeup, halt_exits,
 *              signal_exits} per kick (null when missing),
 *    "control": the same for the control window, or null,
 *    "caused": storm minus control, or null,
 *    "thresholds": {...}, "reason": one sentence naming the deciding numbers}
 */
enum delivery_path delivery__classify(const struct delivery_inputs *in, json_t **evidence);

/* delivery object for a scenario where no kick travels to a vCPU. */
json_t *delivery__not_applicable(const char *why);

#endif
