/* SPDX-License-Identifier: MIT */
/*
 * The observation protocol of mailbox.h, on the host: the vCPU thread's own
 * look at its requests (the signal scenario's observer, twin of the guest
 * handler in guest.S), and a sender's read of the newest observation.
 */
#ifndef KICKSTORM_OBSERVATION_H
#define KICKSTORM_OBSERVATION_H

#include <stdbool.h>
#include <stdint.h>

#include "mailbox.h"
#include "vcpu.h"

/* A vcpu_observe_fn: logs every slot whose sequence moved since the last look. */
void observation__check_host(struct vcpu *vcpu);

/*
 * The newest observation of slot under its seqlock. False when the
 * observer kept it changing through every retry.
 */
bool observation__read_newest(struct mb_slot *slot, uint64_t *seq, uint64_t *tsc);

#endif
