/* SPDX-License-Identifier: MIT */
/* A vCPU's thread (vcpu.h is the vCPU itself): started, kicked, stopped. */
#ifndef KICKSTORM_VCPU_THREAD_H
#define KICKSTORM_VCPU_THREAD_H

#include "vcpu.h"

int vcpu__start(struct vcpu *vcpu, const struct topology *topo);
/* Makes the thread leave KVM_RUN (it notices the kick by the protocol in force). */
int vcpu__kick(struct vcpu *vcpu);
/* Stops the thread, re-kicking until it leaves: a kick can be lost under the naive protocol. */
int vcpu__stop(struct vcpu *vcpu, unsigned timeout_ms);
/*
 * Stops the threads of n vCPUs together, within timeout_ms (and 1 ms per
 * thread) for all; -1 when one did not stop (it is left running, and named).
 */
int vcpu__stop_all(struct vcpu *vcpus, unsigned n, unsigned timeout_ms);
/* Waits until the guest has enabled its x2APIC; -1 on timeout or failure. */
int vcpu__wait_ready(struct vcpu *vcpu, unsigned timeout_ms);

#endif
