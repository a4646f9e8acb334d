/* SPDX-License-Identifier: MIT */
/*
 * A kick's two ends: the sender's tagged signal, and on the vCPU thread
 * (vcpu_thread.c's run loop calls these) the signal's handler and the
 * bookkeeping that tells a kick honoured by the protocol in force from one
 * spent between the request check and KVM_RUN (struct vcpu_window_kicks).
 */
#ifndef KICKSTORM_VCPU_KICK_H
#define KICKSTORM_VCPU_KICK_H

#include "vcpu.h"

/* Installs the kick signal handler; once per process, before any vCPU starts. */
int vcpu__install_kick_handler(void);
/*
 * A storm's kick: the kick signal, tagged with the request (mailbox slot,
 * sequence) it is for, so the thread can tell whether it was spent. 0 or -errno.
 */
int vcpu__send_kick(struct vcpu *vcpu, unsigned slot, uint64_t seq);

/* For the vCPU thread (vcpu_thread.c) only, from here on. */

/* The instruction after KVM_RUN's own syscall (vcpu_thread.c, vcpu__kvm_run). */
extern const char vcpu_kvm_run_return[];

/* On the vCPU thread, before anything else: its handler finds it through TLS. */
void vcpu_kick__attach(struct vcpu *vcpu);
/* Blocks or unblocks the kick signal for the protocol, and sets KVM_SET_SIGNAL_MASK. */
int vcpu_kick__setup_signals(struct vcpu *vcpu);
/* sigmask: a kick that made KVM_RUN return is still pending; consume it. */
void vcpu_kick__drain(void);
/* The request check (vcpu->observe), then the window up to KVM_RUN. */
void vcpu_kick__check_requests(struct vcpu *vcpu);
/* sigmask: a kick pending just before KVM_RUN arrived in the window. */
void vcpu_kick__look_for_pending(struct vcpu *vcpu);
/* After KVM_RUN returned ret: judges the kicks of the window just closed. */
void vcpu_kick__after_run(struct vcpu *vcpu, long ret);

#endif
