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

const char *target_state__name(enum target_state t);
const char *pattern__name(enum kick_pattern p);
const char *protocol__name(enum kick_protocol p);
/* 0, or -1 when s names no protocol. */
int protocol__parse(const char *s, enum kick_protocol *out);

#endif
