/* SPDX-License-Identifier: MIT */
/* The state a vCPU starts in: its CPUID and 64-bit long mode with paging (vcpu.c). */
#ifndef KICKSTORM_VCPU_REGS_H
#define KICKSTORM_VCPU_REGS_H

#include "vcpu.h"

/* supported: KVM_GET_SUPPORTED_CPUID, patched here for this vCPU's APIC ID. */
int vcpu_regs__init(struct vcpu *vcpu, const struct kvm_cpuid2 *supported);

#endif
