/* SPDX-License-Identifier: MIT */
/*
 * broadcast's two halves: the timed rounds of ioctls (broadcast.c) and the
 * acknowledgement every vCPU must show for them (broadcast_ack.c).
 */
#ifndef KICKSTORM_SCENARIOS_BROADCAST_H
#define KICKSTORM_SCENARIOS_BROADCAST_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "../driver.h"

/*
 * Above the mailboxes, which the guest never touches (KVM writes the
 * pvclock pages itself): at 512 MiB, as reports record it, unless the
 * mailboxes of this many vCPUs (more than 3968) reach that far.
 */
#define BROADCAST_SLOT_BASE	0x20000000ull
#define BROADCAST_SLOT_SIZE	0x200000ull
#define BROADCAST_SLOT_GPA(nvcpus) \
	(MB_GPA((uint64_t)(nvcpus)) <= BROADCAST_SLOT_BASE ? BROADCAST_SLOT_BASE : \
	 (MB_GPA((uint64_t)(nvcpus)) + BROADCAST_SLOT_SIZE - 1) & ~(BROADCAST_SLOT_SIZE - 1))
#define PVCLOCK_GPA(nvcpus)	(BROADCAST_SLOT_GPA(nvcpus) + BROADCAST_SLOT_SIZE)
/* One struct pvclock_time per vCPU, in whole pages. */
#define PVCLOCK_SIZE(nvcpus)	(((uint64_t)(nvcpus) * sizeof(struct pvclock_time) + 0xfffu) & ~0xfffull)
#define MSR_KVM_SYSTEM_TIME_NEW	0x4b564d01
#define PVCLOCK_ENABLE		1ull
/* Its request stub counts the interrupt in MB_IRQ_COUNT; no storm uses the last slot here. */
#define WAKE_VECTOR		REQ_VECTOR(MB_NSLOTS - 1)
#define SETUP_TIMEOUT_MS	5000

/* struct pvclock_vcpu_time_info, arch/x86/include/asm/pvclock-abi.h. */
struct pvclock_time {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
};
_Static_assert(sizeof(struct pvclock_time) == 32, "pvclock ABI");
_Static_assert(MB_GPA(3968) <= BROADCAST_SLOT_BASE, "reports' memslot_gpa up to 3968 vCPUs");

enum bcast_kind { BCAST_SET_CLOCK, BCAST_MEMSLOT_ON, BCAST_MEMSLOT_OFF, BCAST_NKINDS };

/* What one vCPU showed for the requests of one kind. */
struct bcast_evidence {
	bool known;
	uint64_t updates;           /* pvclock updates or TLB flushes over the run */
	bool acked_last;            /* one of them came after the verification round began */
};

struct bcast_vcpu {
	uint32_t version_before;
	uint64_t irq_before;
	bool woken;
	struct bcast_evidence clock, flush;
};

struct broadcast {
	struct scenario_run *run;
	struct engine *e;
	const struct ks_config *cfg;
	void *slot_mem;
	unsigned slot;
	struct pvclock_time *pvclock;
	size_t pvclock_size;
	bool pvclock_on;
	char pvclock_why[160];
	int cpu, bind_error;
	uint64_t count, end_tsc;
	uint64_t ack_wait_ms;
	struct histogram *hist[BCAST_NKINDS];
	uint64_t calls[BCAST_NKINDS];
	char error[256];
	struct kvm_clock_data clock;    /* the broadcast thread's */
	uint64_t verify_tsc;        /* host TSC just before the verification round */
	struct kvmstats_sample *verify_stats;
	struct bcast_vcpu *vcpus;
	pthread_t thread;
	struct cpu_trace ran_on;
	KS_ALIGNED_CACHELINE atomic_bool stop;
	KS_ALIGNED_CACHELINE _Atomic uint64_t progress;
	atomic_bool done;
};

/* Reads a vCPU's pvclock under its version seqlock (KVM writes odd, data, even). */
/* The memslot whose flags are toggled, kvmclock, and a first entry of every vCPU. */
int broadcast_ack__prepare(struct broadcast *b, struct scenario_result *res);
/*
 * Interrupts every vCPU and waits until each guest has handled it (at most
 * timeout_ms, or until a vCPU fails): a vCPU handles its pending requests
 * before the entry that runs the handler.
 */
void broadcast_ack__wake_all(struct broadcast *b, uint64_t timeout_ms);
/* Settles every (vCPU, request kind) in the ledger; the "acknowledgement" details. */
json_t *broadcast_ack__verify(struct broadcast *b, struct scenario_result *res);

#endif
