/* SPDX-License-Identifier: MIT */
/*
 * The guest-physical memory map and the guest <-> host mailbox.
 *
 * This header is included by guest.S as well as by C, so the layout is stated
 * once, as byte offsets; the C view below is checked against them.
 *
 * Each vCPU owns one mailbox of MB_SIZE bytes at MB_GPA(id), in its own
 * memslot so that the host can place it on the NUMA node of the CPU the vCPU
 * is pinned to. The guest finds its own mailbox through GS.base, set by the
 * host in KVM_SET_SREGS, so interrupt handlers need no per-CPU lookup.
 *
 * A mailbox holds:
 *  - a header line written by the host (mode) and by the guest (counters,
 *    fault report);
 *  - MB_NSLOTS request slots. Slot k is used by sender k and by interrupt
 *    vector REQ_VECTOR(k), so a handler knows its slot from its vector alone.
 *    Each slot is two cache lines: the sender's line (pub_seq, pub_tsc) and
 *    the observer's line (obs_seq, obs_tsc), so polling one side never makes
 *    the other side's line bounce.
 *
 * Observer protocol (guest handler or host vCPU thread alike):
 *   obs_gen++ (odd); obs_tsc = now; obs_seq = pub_seq; obs_gen++ (even)
 * so a reader takes (obs_seq, obs_tsc) under the obs_gen seqlock.
 */
#ifndef KICKSTORM_MAILBOX_H
#define KICKSTORM_MAILBOX_H

/* Guest-physical memory map (all identity mapped by 2 MiB pages). */
#define GUEST_GDT_GPA		0x1000
#define GUEST_IDT_GPA		0x2000
#define GUEST_TSS_GPA		0x3000
#define GUEST_PML4_GPA		0x10000
#define GUEST_PDPT_GPA		0x11000
#define GUEST_PD_GPA		0x12000
#define GUEST_CODE_GPA		0x100000
#define GUEST_CODE_MAX		0x10000
#define GUEST_STACK_GPA		0x200000
#define GUEST_STACK_SIZE	0x4000
#define GUEST_LOW_MEM_SIZE	0x1000000	/* slot 0: 16 MiB */
#define MB_BASE_GPA		0x1000000
#define MB_SIZE			0x8000
#define MB_GPA(id)		(MB_BASE_GPA + (id) * MB_SIZE)

#define GDT_SEL_CODE		0x08
#define GDT_SEL_DATA		0x10
#define GDT_SEL_TSS		0x18

/* Header: host-written line. */
#define MB_MODE			0x00	/* u32, MB_MODE_* */
#define MB_VCPU_ID		0x04	/* u32 */
/* Header: guest-written line. */
#define MB_READY		0x40	/* u64, set once the guest has enabled x2APIC */
#define MB_IRQ_COUNT		0x48	/* u64, request interrupts handled */
#define MB_FAULT_VECTOR		0x50	/* u64, exception vector on a guest fault */
#define MB_FAULT_RIP		0x58	/* u64 */
#define MB_FAULT_ERROR		0x60	/* u64, error code or 0 */
#define MB_LOOPS		0x68	/* u64, main-loop iterations (liveness) */

#define MB_MODE_RUNNING		0	/* spin with interrupts enabled */
#define MB_MODE_HALTED		1	/* sti; hlt */

#define MB_SLOTS		0x1000
#define MB_NSLOTS		64
#define MB_SLOT_SIZE		0x80
#define MB_SLOT(k)		(MB_SLOTS + (k) * MB_SLOT_SIZE)
#define SLOT_PUB_SEQ		0x00	/* u64, written by the sender */
#define SLOT_PUB_TSC		0x08	/* u64, sender's timestamp (guest senders) */
#define SLOT_OBS_SEQ		0x40	/* u64, newest sequence the observer saw */
#define SLOT_OBS_TSC		0x48	/* u64, observer's TSC when it saw it */
#define SLOT_OBS_GEN		0x50	/* u64, seqlock: odd while obs_seq/obs_tsc change */

/* Interrupt vectors: request vectors sit above the exceptions and below 0xf0. */
#define REQ_VECTOR_BASE		0x40
#define REQ_VECTOR(k)		(REQ_VECTOR_BASE + (k))
#define SPURIOUS_VECTOR		0xff

/* Every IDT handler stub in guest.S is this long, so vectors map to addresses. */
#define GUEST_STUB_SIZE		16

/* Ports the guest writes to leave KVM_RUN with KVM_EXIT_IO. */
#define GUEST_PORT_FAULT	0xf0

/* x2APIC MSRs. */
#define MSR_IA32_APICBASE	0x1b
#define APICBASE_ENABLE		(1 << 11)
#define APICBASE_X2APIC		(1 << 10)
#define MSR_X2APIC_TPR		0x808
#define MSR_X2APIC_EOI		0x80b
#define MSR_X2APIC_SVR		0x80f
#define MSR_X2APIC_ICR		0x830
#define SVR_APIC_ENABLE		0x100

#ifndef __ASSEMBLER__
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>

struct mb_slot {
	alignas(64) uint64_t pub_seq;
	uint64_t pub_tsc;
	alignas(64) uint64_t obs_seq;
	uint64_t obs_tsc;
	uint64_t obs_gen;
};

struct mailbox {
	alignas(64) uint32_t mode;
	uint32_t vcpu_id;
	alignas(64) uint64_t ready;
	uint64_t irq_count;
	uint64_t fault_vector;
	uint64_t fault_rip;
	uint64_t fault_error;
	uint64_t loops;
	alignas(4096) struct mb_slot slot[MB_NSLOTS];
};

_Static_assert(offsetof(struct mailbox, mode) == MB_MODE, "mailbox layout");
_Static_assert(offsetof(struct mailbox, vcpu_id) == MB_VCPU_ID, "mailbox layout");
_Static_assert(offsetof(struct mailbox, ready) == MB_READY, "mailbox layout");
_Static_assert(offsetof(struct mailbox, irq_count) == MB_IRQ_COUNT, "mailbox layout");
_Static_assert(offsetof(struct mailbox, fault_vector) == MB_FAULT_VECTOR, "mailbox layout");
_Static_assert(offsetof(struct mailbox, fault_rip) == MB_FAULT_RIP, "mailbox layout");
_Static_assert(offsetof(struct mailbox, fault_error) == MB_FAULT_ERROR, "mailbox layout");
_Static_assert(offsetof(struct mailbox, loops) == MB_LOOPS, "mailbox layout");
_Static_assert(offsetof(struct mailbox, slot) == MB_SLOTS, "mailbox layout");
_Static_assert(offsetof(struct mb_slot, pub_seq) == SLOT_PUB_SEQ, "slot layout");
_Static_assert(offsetof(struct mb_slot, pub_tsc) == SLOT_PUB_TSC, "slot layout");
_Static_assert(offsetof(struct mb_slot, obs_seq) == SLOT_OBS_SEQ, "slot layout");
_Static_assert(offsetof(struct mb_slot, obs_tsc) == SLOT_OBS_TSC, "slot layout");
_Static_assert(offsetof(struct mb_slot, obs_gen) == SLOT_OBS_GEN, "slot layout");
_Static_assert(sizeof(struct mb_slot) == MB_SLOT_SIZE, "slot layout");
_Static_assert(sizeof(struct mailbox) <= MB_SIZE, "mailbox fits its memslot");
_Static_assert(REQ_VECTOR(MB_NSLOTS - 1) < 0xf0, "request vectors below 0xf0");

/* The guest image, assembled from guest.S into the binary. */
extern const unsigned char guest_image_start[], guest_image_end[];
extern const unsigned char guest_entry[];
extern const unsigned char guest_exception_stubs[], guest_request_stubs[];
extern const unsigned char guest_spurious_isr[];
#endif

#endif
