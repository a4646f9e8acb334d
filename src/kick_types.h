/* SPDX-License-Identifier: MIT */
/*
 * The vocabulary of a storm, shared by the CLI, the report and the engine
 * without pulling in KVM: what the targets do, who kicks whom, and how a
 * vCPU thread closes the race between its request check and KVM_RUN.
 */
#ifndef KICKSTORM_KICK_TYPES_H
#define KICKSTORM_KICK_TYPES_H

enum target_state { TARGET_RUNNING, TARGET_HALTED, TARGET_MIXED };
enum kick_pattern { PATTERN_ONE_TO_ONE, PATTERN_ONE_TO_ALL, PATTERN_ALL_TO_ALL };

/*
 * How a vCPU thread closes the race between its last look at the requests
 * and KVM_RUN, the userspace twin of vcpu->mode in vcpu-requests.rst.
 */
enum kick_protocol {
	PROTOCOL_NAIVE,          /* flag + signal: a signal in the window is lost */
	PROTOCOL_IMMEDIATE_EXIT, /* the handler sets kvm_run->immediate_exit */
	PROTOCOL_SIGMASK,        /* blocked outside KVM_RUN, KVM_SET_SIGNAL_MASK inside */
};

/* How a guest vCPU sends an IPI (--ipi-via): the x2APIC ICR MSR, the xAPIC MMIO ICR, or KVM's PV hypercall. */
enum ipi_via { VIA_X2APIC, VIA_XAPIC, VIA_PV };

/* What an interrupt kick delivers (--delivery): a vectored interrupt or an NMI. */
enum kick_delivery { KICK_DELIVERY_FIXED, KICK_DELIVERY_NMI };

const char *target_state__name(enum target_state t);
const char *pattern__name(enum kick_pattern p);
const char *protocol__name(enum kick_protocol p);
/* 0, or -1 when s names no protocol. */
int protocol__parse(const char *s, enum kick_protocol *out);
const char *ipi_via__name(enum ipi_via v);
/* 0, or -1 when s is none of x2apic, xapic, pv. */
int ipi_via__parse(const char *s, enum ipi_via *out);
const char *kick_delivery__name(enum kick_delivery d);
/* 0, or -1 when s is none of fixed, nmi. */
int kick_delivery__parse(const char *s, enum kick_delivery *out);

#endif
