/* SPDX-License-Identifier: MIT */
/*
 * Host-side sender threads: publish a sequence number in a target vCPU's
 * mailbox slot, kick it, and account for what the observer saw.
 *
 * Sender i owns slot i of every target's mailbox (and so request vector
 * REQ_VECTOR(i)). A request is:
 *   delivered  its sequence was observed within --deadline;
 *   coalesced  a later sequence was observed first (allowed: requests merge);
 *   lost       still unobserved after --deadline: counted, re-kicked, and
 *              the storm goes on.
 */
#ifndef KICKSTORM_STORM_H
#define KICKSTORM_STORM_H

#include "engine.h"

struct storm_ops {
	const char *kick_name;          /* "pthread_kill", "KVM_SIGNAL_MSI", ... */
	bool kick_is_interrupt;
	/* Makes target notice the newest request of sender; 0 or -errno. */
	int (*kick)(void *arg, unsigned sender, struct vcpu *target);
	/* Converts the observer's timestamp to host TSC. */
	uint64_t (*to_host_tsc)(void *arg, const struct vcpu *target, uint64_t obs_tsc);
	void *arg;
};

/* Runs the configured storm on e's vCPUs and fills counts, latency, kvm_stats, delivery and placement. */
int storm__run(struct engine *e, const struct storm_ops *ops, struct scenario_result *res);

/* Identity conversion: the observer already used the host TSC. */
uint64_t storm__host_tsc(void *arg, const struct vcpu *target, uint64_t obs_tsc);
/* Guest TSC = host TSC + KVM_VCPU_TSC_OFFSET. */
uint64_t storm__guest_to_host_tsc(void *arg, const struct vcpu *target, uint64_t obs_tsc);

/* Host-side observer twin of the guest handler: used when the vCPU thread observes. */
void storm__observe_slots(struct vcpu *vcpu);

#endif
