/* SPDX-License-Identifier: MIT */
#ifndef KICKSTORM_VCPU_H
#define KICKSTORM_VCPU_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "kick_counts.h"
#include "kick_types.h"
#include "kvm.h"
#include "kvmstats.h"
#include "mailbox.h"
#include "schedstat.h"
#include "topology.h"
#include "util.h"

/* The signal that kicks a vCPU thread out of KVM_RUN. */
#define KICK_SIGNAL SIGUSR1

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
	int vm_fd;                  /* borrowed from the VM: VM ioctls aimed at this vCPU */
	unsigned id;
	char name[16];              /* "vcpu N", for messages */
	int fd;
	struct kvm_run *run;
	long run_mmap_size;
	struct node_memory mailbox_mem;
	struct mailbox *mb;
	int cpu;                    /* CPU the thread is bound to, -1 when unbound */
	int bind_error;             /* errno of a failed bind, 0 when fine */
	uint64_t tsc_offset;        /* guest TSC = host TSC + tsc_offset */
	bool tsc_offset_known;
	uint64_t tsc_khz;           /* KVM_GET_TSC_KHZ for this vCPU, 0 unknown */
	bool stats_open;
	struct kvmstats stats;
	char stats_why[128];        /* why not, when !stats_open */

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
	/* Written by the controller, read by senders: engine__sample_excuses. */
	KS_ALIGNED_CACHELINE _Atomic uint64_t excuse_ticks;   /* TSC ticks */
	struct thread_excuse excuse;

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

/* What a vCPU is made from; the VM owns the vCPUs it creates this way. */
struct vcpu_init {
	int vm_fd;
	unsigned id;                /* also its APIC ID */
	int cpu;                    /* CPU its thread will be bound to, -1 for none */
	const struct topology *topo;
	long run_mmap_size;
};

/*
 * Creates the vCPU, its kvm_run mapping and its mailbox (on the NUMA node
 * of init->cpu; the caller adds the memslot and sets its initial state with
 * vcpu_regs__init). Unwinds everything it built on failure.
 */
int vcpu__create(struct vcpu *vcpu, const struct vcpu_init *init);
/* Only once its thread has stopped (vcpu__stop): the thread runs on all of this. */
void vcpu__destroy(struct vcpu *vcpu);

/* What the guest does now (MB_MODE_*): it looks at its mailbox's mode in its main loop. */
void vcpu__set_mode(struct vcpu *vcpu, uint32_t mode);
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
