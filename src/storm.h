/* SPDX-License-Identifier: MIT */
/*
 * Host-side sender threads: publish a sequence number in a target vCPU's
 * mailbox slot, kick it, and feed what the observer saw to the ledger
 * (ledger.h), which alone decides each request's outcome.
 *
 * Sender i owns slot i of every target's mailbox (and so request vector
 * REQ_VECTOR(i)). Closed loop: publish, kick, wait for the observation.
 * Open loop: publish on a schedule that never slips (latency is taken from
 * the scheduled time), read the observers' logs in batches. A request still
 * unobserved after --lost-after is lost, and only then is its target kicked
 * again.
 */
#ifndef KICKSTORM_STORM_H
#define KICKSTORM_STORM_H

#include "engine.h"

struct storm_ops {
	const char *kick_name;          /* "pthread_kill", "KVM_SIGNAL_MSI", ... */
	bool kick_is_interrupt;
	/* Makes target notice request seq of sender; 0 or -errno. */
	int (*kick)(void *arg, unsigned sender, struct vcpu *target, uint64_t seq);
	/* Converts the observer's timestamp to host TSC. */
	uint64_t (*to_host_tsc)(void *arg, const struct vcpu *target, uint64_t obs_tsc);
	void *arg;
};

/*
 * Runs the configured storm on e's vCPUs: fills the tally, kicks, latency
 * and details of res, and sum with what engine__conclude reports of the
 * senders. The vCPUs keep running.
 */
int storm__run(struct engine *e, const struct storm_ops *ops, struct scenario_result *res,
	       struct storm_summary *sum);

/* Identity conversion: the observer already used the host TSC. */
uint64_t storm__host_tsc(void *arg, const struct vcpu *target, uint64_t obs_tsc);
/* Guest TSC = host TSC + KVM_VCPU_TSC_OFFSET. */
uint64_t storm__guest_to_host_tsc(void *arg, const struct vcpu *target, uint64_t obs_tsc);

/* Host-side observer twin of the guest handler: used when the vCPU thread observes. */
void storm__observe_slots(struct vcpu *vcpu);

#endif
