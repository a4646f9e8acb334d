/* SPDX-License-Identifier: MIT */
/* What became of the kicks themselves; requests are the ledger's (ledger.h). */
#ifndef KICKSTORM_KICK_COUNTS_H
#define KICKSTORM_KICK_COUNTS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Kicks that reached the vCPU thread between the start of its request check
 * and KVM_RUN (the userspace twin of a kick while vcpu->mode is
 * OUTSIDE_GUEST_MODE). Host-side observers only (the signal scenario):
 *   in_window  every such kick;
 *   honoured   those that left a request the check had not seen, after which
 *              KVM_RUN returned at once (immediate_exit set, or the signal
 *              still pending under KVM_SET_SIGNAL_MASK);
 *   lost       those that left a request the check had not seen, after which
 *              KVM_RUN was entered anyway: the kick was spent, and the
 *              request waits for something else to make KVM_RUN return.
 * A kick whose request the check had already seen is neither. Each kick is
 * tagged with its request (vcpu__send_kick); SIGUSR1 does not queue, so a
 * kick sent while another is pending merges into it: the handler charges
 * every kicked-but-unseen request it finds, and withdraws the charge when
 * that request's own kick reaches the handler after all.
 * Single writer (the thread and its signal handler); relaxed atomics.
 */
struct vcpu_window_kicks {
	uint64_t in_window;
	uint64_t honoured;
	uint64_t lost;
};

/* What became of the kicks themselves (requests are in the ledger tally). */
struct kick_counts {
	uint64_t sent;              /* first kicks, one per request */
	uint64_t rekicks;           /* after a request was declared lost */
	uint64_t failed;            /* the kick syscall failed */
	bool window_known;          /* the three below: signal kicks only */
	struct vcpu_window_kicks window;
};

#endif
