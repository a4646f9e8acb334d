/* SPDX-License-Identifier: MIT */
/*
 * What the scenarios whose senders live in the guest share (ipi: vCPUs
 * writing their ICR; timer: each vCPU's own LAPIC timer): the command that
 * starts a guest sender, the ring of events it logs for the host's ledger
 * (mailbox.h), the one-off requests made of a guest before its storm, and a
 * throwaway one-vCPU VM on which a `supported` hook can try such a request
 * before the scenario runs at all.
 */
#ifndef KICKSTORM_SCENARIOS_GUEST_SENDER_H
#define KICKSTORM_SCENARIOS_GUEST_SENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "interrupts.h"
#include "guest_features.h"

/* An MSI on GUEST_WAKE_VECTOR: a halted vCPU wakes and looks at its mailbox. 0, or -errno. */
int guest_sender__wake(int vm_fd, unsigned vcpu);

/*
 * Posts command cmd (IPI_CMD_*) to vCPU v, whose command fields are filled,
 * and wakes it in case it halts. 0, or -errno of the wake-up.
 */
int guest_sender__go(struct engine *e, unsigned v, uint32_t cmd);

typedef void (*guest_event_fn)(void *arg, unsigned vcpu, const struct ipi_event *ev);
/*
 * Hands fn every event vCPU v's guest sender appended since *tail, oldest
 * first, and frees their slots. True when the ring was full: the guest may
 * have waited for room, which delays what it sends.
 */
bool guest_sender__drain(struct vm *vm, unsigned v, uint64_t *tail, guest_event_fn fn, void *arg);

/*
 * Makes every vCPU's guest use the hypercall instruction of the CPU vendor
 * KVM reports, and returns its name ("VMCALL", "VMMCALL").
 */
const char *guest_sender__pick_hypercall(struct vm *vm);

/* What became of a one-off request. */
enum guest_answer {
	GUEST_ANSWERED = 0,
	GUEST_FAILED = -1,      /* its vCPU failed (a fault in the request, for one), or could not be woken */
	GUEST_SILENT = -2,      /* no answer within GUEST_ASK_TIMEOUT_MS */
	GUEST_NO_VM = -3,       /* guest_sender__try: the VM could not be made or run */
};
#define GUEST_ASK_TIMEOUT_MS 2000

/*
 * Asks vCPU v's guest for op (GUEST_OP_*) and waits for its *result.
 * Anything but GUEST_ANSWERED comes with why.
 */
enum guest_answer guest_sender__ask(struct vm *vm, unsigned v, uint32_t op, uint64_t *result,
				    char *why, size_t why_len);

/* A one-off request tried on a VM of one running vCPU made for the purpose. */
struct guest_try {
	struct cpuid_leaf signature;    /* its CPUID leaves 0x40000000, 0x40000001 */
	struct cpuid_leaf features;
	const char *hypercall;          /* the instruction its guest was given */
	enum guest_answer answer;
	uint64_t result;
	char why[256];
};

void guest_sender__try(const struct scenario_ctx *ctx, uint32_t op, struct guest_try *t);

/*
 * Whether two of the VM's vCPU threads share a CPU. The placement plan
 * reserved CPUs for host senders that guest-sender scenarios never start,
 * so its own overcommit verdict overstates theirs.
 */
bool guest_sender__vcpus_share_cpu(const struct engine *e);

/*
 * The CPUID leaf of the VM's vCPUs (KVM_GET_SUPPORTED_CPUID), for the
 * decisions of guest_features.h.
 */
struct cpuid_leaf guest_sender__cpuid(const struct vm *vm, unsigned function);

#endif
