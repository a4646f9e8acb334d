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
#include "trace_event.h"

struct scenario_run;

/* How host senders kick: a scenario's descriptor carries one. */
struct storm_kick {
	const char *name;               /* "rt_tgsigqueueinfo (SIGUSR1)", "KVM_SIGNAL_MSI", ... */
	bool is_interrupt;              /* an interrupt into the LAPIC, not a signal */
	enum trace_kick_kind trace_kind; /* what --trace looks for in the kernel's events */
	/* Makes target notice request seq of sender; 0 or -errno. state: the scenario's run->state. */
	int (*kick)(void *state, unsigned sender, struct vcpu *target, uint64_t seq);
};

/*
 * Runs the configured storm on run's vCPUs with run->sc->kick: fills the
 * tally, kicks, latency and details of run->res, and run->summary with what
 * the report says of the senders. The vCPUs keep running.
 */
int storm__run(struct scenario_run *run);

#endif
