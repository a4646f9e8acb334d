/* SPDX-License-Identifier: MIT */
#ifndef KICKSTORM_VCPU_H
#define KICKSTORM_VCPU_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "kick_counts.h"
#include "kvm.h"
#include "kvmstats.h"
#include "mailbox.h"
#include "topology.h"
#include "util.h"

/* The signal that kicks a vCPU thread out of KVM_RUN. */
#define KICK_SIGNAL SIGUSR1

/*
 * How a vCPU thread closes the race between its last look at the requests
 * and KVM_RUN, the userspace twin of vcpu->mode in vcpu-requests.rst.
 */
enum kick_protocol {
	PROTOCOL_NAIVE,          /* flag + signal: a signal in the window is lost */
	PROTOCOL_IMMEDIATE_EXIT, /* the handler sets kvm_run->immediate_exit */
	PROTOCOL_SIGMASK,        /* blocked outside KVM_RUN, KVM_SET_SIGNAL_MASK inside */
};
const char *protocol__name(enum kick_protocol p);
int protocol__parse(const char *s, enum kick_protocol *out);

enum vcpu_state {
	VCPU_CREATED,
	VCPU_RUNNING,
	VCPU_EXITED,
	VCPU_FAILED,
};

struct vcpu;
/* Called by the vCPU thread after every return from KVM_RUN and before the first entry. */
typedef void (*vcpu_observe_fn)(struct vcpu *vcpu);

struct vcpu {
	struct vm *vm;
	unsigned id;
	char name[16];              /* "vcpu N", for messages */
	int fd;
	struct kvm_run *run;
	struct node_memory mailbox_mem;
	struct mailbox *mb;
	int cpu;                    /* CPU the thread is bound to, -1 when unbound */
	int bind_error;             /* errno of a failed bind, 0 when fine */
	uint64_t tsc_offset;        /* guest TSC = host TSC + tsc_offset */
	bool tsc_offset_known;
	uint64_t tsc_khz;           /* KVM_GET_TSC_KHZ for this vCPU, 0 unknown */
	bool stats_open;
	struct kvmstats stats;

	/* Set before vcpu__start; read-only for the thread afterwards. */
	enum kick_protocol protocol;
	uint64_t race_window_ticks;
	vcpu_observe_fn observe;
	void *observe_arg;
	uint64_t observed_slots;    /* bitmask of slots the host-side observer scans */

	const struct topology *topo;
	pthread_t thread;
	bool thread_started;

	/* Written by the controller, read by the thread. */
	KS_ALIGNED_CACHELINE atomic_bool stop;

	/* Written by the thread. */
	KS_ALIGNED_CACHELINE _Atomic enum vcpu_state state;
	int tid;                    /* the thread's id, for its schedstat */
	uint64_t runs;              /* KVM_RUN calls */
	uint64_t eintr;             /* returns with EINTR (kicks that exited) */
	struct vcpu_window_kicks window;    /* read by others with vcpu__window_kicks() */
	struct cpu_trace ran_on;
	char error[256];
	/* Observer bookkeeping for host-side observation (signal scenario). */
	uint64_t last_seen[MB_NSLOTS];
};

struct vm;

int vcpu__create(struct vcpu *vcpu, struct vm *vm, unsigned id,
		 const struct topology *topo, int cpu);
/* -1, freeing nothing, when the thread would not stop. */
int vcpu__destroy(struct vcpu *vcpu);

/* Installs the kick signal handler; once per process, before any vCPU starts. */
int vcpu__install_kick_handler(void);

void vcpu__set_mode(struct vcpu *vcpu, uint32_t mode);
int vcpu__start(struct vcpu *vcpu, const struct topology *topo);
/* Makes the thread leave KVM_RUN (it notices the kick by the protocol in force). */
int vcpu__kick(struct vcpu *vcpu);
/*
 * A storm's kick: the same signal, tagged with the request (mailbox slot,
 * sequence) it is for, so the thread can tell whether it was spent. 0 or -errno.
 */
int vcpu__send_kick(struct vcpu *vcpu, unsigned slot, uint64_t seq);
/* Stops the thread, re-kicking until it leaves: a kick can be lost under the naive protocol. */
int vcpu__stop(struct vcpu *vcpu, unsigned timeout_ms);
/* Waits until the guest has enabled its x2APIC; -1 on timeout or failure. */
int vcpu__wait_ready(struct vcpu *vcpu, unsigned timeout_ms);
/*
 * Reads KVM_VCPU_TSC_OFFSET. Only while the vCPU thread is not in KVM_RUN:
 * vCPU ioctls from other threads wait for KVM_RUN to return.
 */
int vcpu__read_tsc_offset(struct vcpu *vcpu);

/* A consistent-enough copy for before/after deltas: each counter is read atomically. */
struct vcpu_window_kicks vcpu__window_kicks(const struct vcpu *vcpu);

static inline bool vcpu__failed(struct vcpu *vcpu)
{
	return atomic_load_explicit(&vcpu->state, memory_order_acquire) == VCPU_FAILED;
}

#endif
