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
 *    A slot holds the sender's line (pub_seq, pub_tsc), the observer's line
 *    (obs_seq, obs_tsc, obs_gen, obs_count), so polling one side never makes
 *    the other side's line bounce, and the observer's log: the last
 *    MB_OBS_RING observations, for senders that read them in batches.
 *
 * Observer protocol (guest handler or host vCPU thread alike):
 *   obs_gen++ (odd); obs_tsc = now; obs_seq = pub_seq; obs_gen++ (even)
 *   obs_ring[obs_count % MB_OBS_RING] = { pub_seq, now }; obs_count++
 * so a reader takes (obs_seq, obs_tsc) under the obs_gen seqlock, or reads
 * the entries below obs_count (stored after them) it has not read yet.
 *
 * A vCPU can also be a sender (the ipi scenario). Then its own mailbox holds:
 *  - a command line written by the host before the storm (targets, ICR value,
 *    count, pacing, how many sequences may be outstanding) plus the stop
 *    request;
 *  - a progress line written by the guest (state, requests sent);
 *  - the event ring's tail, written by the host as it drains events;
 *  - guest-private state: the pacing schedule, and per target the newest
 *    sequence seen observed and the observation-log entries read;
 *  - a single-producer ring of events the host drains into its ledger: one
 *    PUB per sequence published (its due time and the TSC just before the
 *    ICR write), one OBS per observation a target logged for this sender,
 *    and an OVERRUN when the sender read a target's log too late. The
 *    guest keeps no account of outcomes: the host's ledger decides them.
 * The sender publishes its sequence in slot <sender id> of each target's
 * mailbox (reached by absolute address: all mailboxes are identity mapped)
 * and writes the ICR with vector REQ_VECTOR(sender id); the target's handler
 * observes it as for any other request. The timer scenario uses the same
 * command, progress line and ring: there a vCPU's own LAPIC timer is the
 * sender, each TSC deadline a request, and the timer handler the observer.
 *
 * NMIs carry no vector, so an NMI handler cannot tell whose request it is:
 * it looks at every slot in the host-written MB_NMI_SLOTS mask and observes
 * each one whose sequence moved.
 *
 * Besides the storm's command, the host can ask the guest to do one thing
 * before a storm (MB_CTL_*: switch its APIC to xAPIC mode, try a hypercall):
 * it sets the op, then bumps MB_CTL_REQ; the guest does it with interrupts
 * off, stores the result, then sets MB_CTL_DONE to the request it served.
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
#define GUEST_PD_HIGH_GPA	0x13000	/* the 4th GiB: only the xAPIC MMIO page is mapped there */
#define GUEST_CODE_GPA		0x100000
#define GUEST_CODE_MAX		0x10000
#define GUEST_LOW_MEM_SIZE	0x1000000	/* slot 0: 16 MiB */
#define MB_BASE_GPA		0x1000000
#define MB_SIZE			0x20000
#define MB_GPA(id)		(MB_BASE_GPA + (id) * MB_SIZE)
#define MB_SIZE_SHIFT		17	/* guest.S: mailbox of vCPU t at MB_BASE_GPA + (t << shift) */
/*
 * Each vCPU's stack is the top of its own mailbox: it grows with the vCPU
 * count as the mailboxes do, and sits on the vCPU's NUMA node.
 */
#define MB_STACK_SIZE		0x4000
#define MB_STACK_TOP(id)	(MB_GPA(id) + MB_SIZE)

#define GDT_SEL_CODE		0x08
#define GDT_SEL_DATA		0x10
#define GDT_SEL_TSS		0x18

/* Header: host-written line. */
#define MB_MODE			0x00	/* u32, MB_MODE_* */
#define MB_VCPU_ID		0x04	/* u32 */
#define MB_CTL_OP		0x08	/* u32, GUEST_OP_* asked for by MB_CTL_REQ */
#define MB_HC_VMMCALL		0x0c	/* u32, non-zero: hypercalls use VMMCALL (AMD), else VMCALL */
#define MB_CTL_REQ		0x10	/* u64, bumped by the host to ask for MB_CTL_OP */
#define MB_NMI_SLOTS		0x18	/* u64, bit k: the NMI handler looks at slot k */
/* Header: guest-written line. */
#define MB_READY		0x40	/* u64, set once the guest has enabled x2APIC */
#define MB_IRQ_COUNT		0x48	/* u64, request interrupts handled */
#define MB_FAULT_VECTOR		0x50	/* u64, exception vector on a guest fault */
#define MB_FAULT_RIP		0x58	/* u64 */
#define MB_FAULT_ERROR		0x60	/* u64, error code or 0 */
#define MB_LOOPS		0x68	/* u64, main-loop iterations (liveness) */
#define MB_APIC_MODE		0x70	/* u32, APIC_MODE_* the guest's APIC is in */
#define MB_NMI_COUNT		0x78	/* u64, NMIs handled */

/* Guest IPI sender: host-written command line. */
#define MB_IPI_CMD		0x80	/* u32, IPI_CMD_* */
#define MB_IPI_STOP		0x84	/* u32, IPI_STOP_* */
#define MB_IPI_ICR		0x88	/* u64, value written to the x2APIC ICR */
#define MB_IPI_TARGETS		0x90	/* u64, bit t set: vCPU t receives */
#define MB_IPI_NTARGETS		0x98	/* u64, bits set in MB_IPI_TARGETS */
#define MB_IPI_COUNT		0xa0	/* u64, requests to send, one per target (a broadcast to 3 is 3); 0 = until stopped */
#define MB_IPI_MAX_OUT		0xa8	/* u64, open loop: sequences published but not yet seen observed by every target */
#define MB_IPI_INTERVAL		0xb0	/* u64, TSC ticks between bursts; 0 = closed loop */
#define MB_IPI_BURST		0xb8	/* u64, sequences per burst (open loop), >= 1 */
/* Guest IPI sender: guest-written progress line. */
#define MB_IPI_STATE		0xc0	/* u64, IPI_STATE_* */
#define MB_IPI_SENT		0xc8	/* u64, requests published (sequences x targets) */
#define MB_CTL_DONE		0xd0	/* u64, the MB_CTL_REQ last served */
#define MB_CTL_RESULT		0xd8	/* u64, what it gave (GUEST_OP_*) */
#define MB_SEND_FAILED		0xe0	/* u64, hypercall sends that reached fewer than their targets */
#define MB_SEND_STATUS		0xe8	/* u64, the last such return; timer: the LVT read back when refused */
#define MB_IPI_RING_HEAD	0xf0	/* u64, events written */
#define MB_IPI_SEQ		0xf8	/* u64, newest sequence published */
/* Guest IPI sender: host-written ring tail. */
#define MB_IPI_RING_TAIL	0x100	/* u64, events consumed */
/* Guest IPI sender: more of the host-written command. */
#define MB_IPI_GAP		0x140	/* u64, closed loop: up to this many ticks of random pause before a send */
#define MB_IPI_SEED		0x148	/* u64, non-zero seed of the pause generator */
#define MB_IPI_VIA		0x150	/* u32, IPI_VIA_*: how the ICR value is sent */
#define MB_TIMER_LEAD		0x158	/* u64, timer: ticks from arming to the first (closed loop: every) deadline */
/* Guest IPI sender: guest-private state. */
#define MB_IPI_NEXT		0x188	/* u64, open loop: TSC the next burst is due */
#define MB_IPI_BURST_LEFT	0x190	/* u64, open loop: sequences of the due burst not yet sent */
#define MB_IPI_MIN_SEEN		0x198	/* u64, open loop: oldest of the per-target newest observed sequences */
#define MB_IPI_RNG		0x1a0	/* u64, closed loop: xorshift64 state */
#define MB_IPI_DUE		0x1a8	/* u64, open loop: TSC the current burst was due */
#define MB_TIMER_DEADLINE	0x1b0	/* u64, timer: the deadline armed last */
#define MB_IPI_SEEN		0x400	/* u64[MB_NSLOTS]: newest sequence each target was seen to observe */
#define MB_IPI_OBS_READ		0x600	/* u64[MB_NSLOTS]: entries of each target's observation log read */
#define MB_IPI_EVENTS		0x11000	/* struct ipi_event[IPI_EVENT_RING] */
#define IPI_EVENT_RING		1024
#define IPI_EVENT_SIZE		32
#define IPI_EVENT_SHIFT		5
#define IPI_EVENT_A		0x00	/* u64: PUB, OBS: the sequence; OVERRUN: entries missed */
#define IPI_EVENT_B		0x08	/* u64: PUB: TSC the sequence was due (timer: its deadline); OBS: the target's TSC */
#define IPI_EVENT_C		0x10	/* u64: PUB: TSC just before the ICR write (timer: the arming);
					 * OBS of a closed loop: the sender's TSC when it saw it, else 0 */
#define IPI_EVENT_TARGET	0x18	/* u32: OBS, OVERRUN: the target vCPU */
#define IPI_EVENT_KIND		0x1c	/* u32: IPI_EV_* */
#define IPI_EV_PUB		1
#define IPI_EV_OBS		2
#define IPI_EV_OVERRUN		3

#define IPI_CMD_IDLE		0
#define IPI_CMD_SEND		1
#define IPI_CMD_TIMER		2	/* run the timer scenario's deadlines instead */
#define IPI_STOP_NONE		0
#define IPI_STOP_FINISH		1	/* publish no more; settle what is outstanding */
#define IPI_STOP_ABORT		2	/* leave at once */
#define IPI_STATE_IDLE		0
#define IPI_STATE_SENDING	1
#define IPI_STATE_DONE		2
#define IPI_STATE_FAILED	3	/* timer: the LVT refused TSC-deadline mode (MB_SEND_STATUS) */

/* How a guest sender sends (MB_IPI_VIA); ipi_send.h encodes MB_IPI_ICR for each. */
#define IPI_VIA_X2APIC		0	/* WRMSR to the x2APIC ICR */
#define IPI_VIA_XAPIC		1	/* MMIO writes to ICR high, then low */
#define IPI_VIA_PV		2	/* KVM_HC_SEND_IPI: targets as a bitmap, ICR low */

/* One-off requests (MB_CTL_OP) and what they give (MB_CTL_RESULT). */
#define GUEST_OP_NONE		0
#define GUEST_OP_XAPIC		1	/* leave x2APIC for xAPIC mode; gives the xAPIC ID register */
#define GUEST_OP_PV_PROBE	2	/* KVM_HC_SEND_IPI to nobody; gives its return value */
#define GUEST_OP_UNKNOWN_RESULT	0xffffffffffffffff
#define KVM_HC_SEND_IPI		10	/* include/uapi/linux/kvm_para.h */

/* x2APIC ICR: fixed delivery, physical destination in bits 63:32, or a shorthand. */
#define ICR_DEST_SHIFT		32
#define ICR_ALL_BUT_SELF	(3 << 18)
#define ICR_DELIVERY_NMI	(4 << 8)
/* xAPIC ICR high register: the destination APIC ID in bits 31:24. */
#define XAPIC_DEST_SHIFT	24

#define MB_MODE_RUNNING		0	/* spin with interrupts enabled */
#define MB_MODE_HALTED		1	/* sti; hlt */
#define MB_MODE_FAULT		2	/* raise #UD: KICKSTORM_INJECT_FAULT, for tests */

#define APIC_MODE_X2APIC	0
#define APIC_MODE_XAPIC		1

#define MB_SLOTS		0x1000
#define MB_NSLOTS		64
#define MB_SLOT_SIZE		0x400
#define MB_SLOT(k)		(MB_SLOTS + (k) * MB_SLOT_SIZE)
#define MB_SLOT_SHIFT		10	/* guest.S: slot k at MB_SLOTS + (k << shift) */
#define SLOT_PUB_SEQ		0x00	/* u64, written by the sender */
#define SLOT_PUB_TSC		0x08	/* u64, sender's timestamp (guest senders) */
#define SLOT_KICK_SEQ		0x10	/* u64, newest sequence whose kick was sent (host signal senders) */
#define SLOT_OBS_SEQ		0x40	/* u64, newest sequence the observer saw */
#define SLOT_OBS_TSC		0x48	/* u64, observer's TSC when it saw it */
#define SLOT_OBS_GEN		0x50	/* u64, seqlock: odd while obs_seq/obs_tsc change */
#define SLOT_OBS_COUNT		0x58	/* u64, observations logged in obs_ring */
#define SLOT_OBS_RING		0x80	/* {u64 seq, u64 tsc}[MB_OBS_RING]: observation n at n % MB_OBS_RING */
#define MB_OBS_RING		32
#define MB_OBS_SIZE		16
#define MB_OBS_SHIFT		4

/* Interrupt vectors: request vectors sit above the exceptions and below 0xf0. */
#define REQ_VECTOR_BASE		0x40
#define REQ_VECTOR(k)		(REQ_VECTOR_BASE + (k))
#define SPURIOUS_VECTOR		0xff
/* The timer scenario's LVT timer vector, and the one that only wakes a halted guest sender. */
#define TIMER_VECTOR		0xe0
#define GUEST_WAKE_VECTOR	0xe1

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
#define MSR_X2APIC_LVTT		0x832
#define MSR_IA32_TSC_DEADLINE	0x6e0
#define SVR_APIC_ENABLE		0x100
#define LVT_MASKED		(1 << 16)
#define LVT_TIMER_TSC_DEADLINE	(2 << 17)
#define LVT_TIMER_MODE_MASK	(3 << 17)

/* xAPIC registers, in the MMIO page at APICBASE's default address. */
#define APIC_MMIO_BASE		0xfee00000
#define APIC_REG_ID		0x20
#define APIC_REG_TPR		0x80
#define APIC_REG_EOI		0xb0
#define APIC_REG_SVR		0xf0
#define APIC_REG_ICR_LO		0x300
#define APIC_REG_ICR_HI		0x310

#ifndef __ASSEMBLER__
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>

struct mb_obs {
	uint64_t seq;
	uint64_t tsc;
};

struct mb_slot {
	alignas(MB_SLOT_SIZE) uint64_t pub_seq;
	uint64_t pub_tsc;
	uint64_t kick_seq;
	alignas(64) uint64_t obs_seq;
	uint64_t obs_tsc;
	uint64_t obs_gen;
	uint64_t obs_count;
	alignas(64) struct mb_obs obs_ring[MB_OBS_RING];
};

/* One event of a guest sender (ipi scenario), for the host's ledger. */
struct ipi_event {
	uint64_t a;
	uint64_t b;
	uint64_t c;
	uint32_t target;
	uint32_t kind;
};

struct mailbox {
	alignas(64) uint32_t mode;
	uint32_t vcpu_id;
	uint32_t ctl_op;
	uint32_t hc_vmmcall;
	uint64_t ctl_req;
	uint64_t nmi_slots;
	alignas(64) uint64_t ready;
	uint64_t irq_count;
	uint64_t fault_vector;
	uint64_t fault_rip;
	uint64_t fault_error;
	uint64_t loops;
	uint32_t apic_mode;
	uint32_t unused_apic;
	uint64_t nmi_count;
	alignas(64) uint32_t ipi_cmd;
	uint32_t ipi_stop;
	uint64_t ipi_icr;
	uint64_t ipi_targets;
	uint64_t ipi_ntargets;
	uint64_t ipi_count;
	uint64_t ipi_max_out;
	uint64_t ipi_interval;
	uint64_t ipi_burst;
	alignas(64) uint64_t ipi_state;
	uint64_t ipi_sent;
	uint64_t ctl_done;
	uint64_t ctl_result;
	uint64_t send_failed;
	uint64_t send_status;
	uint64_t ipi_ring_head;
	uint64_t ipi_seq;
	alignas(64) uint64_t ipi_ring_tail;
	alignas(64) uint64_t ipi_gap;
	uint64_t ipi_seed;
	uint32_t ipi_via;
	uint64_t timer_lead;
	alignas(64) uint64_t ipi_unused2;
	uint64_t ipi_next;
	uint64_t ipi_burst_left;
	uint64_t ipi_min_seen;
	uint64_t ipi_rng;
	uint64_t ipi_due;
	uint64_t timer_deadline;
	alignas(1024) uint64_t ipi_seen[MB_NSLOTS];
	uint64_t ipi_obs_read[MB_NSLOTS];
	alignas(4096) struct mb_slot slot[MB_NSLOTS];
	alignas(4096) struct ipi_event ipi_events[IPI_EVENT_RING];
};

_Static_assert(offsetof(struct mailbox, mode) == MB_MODE, "mailbox layout");
_Static_assert(offsetof(struct mailbox, vcpu_id) == MB_VCPU_ID, "mailbox layout");
_Static_assert(offsetof(struct mailbox, ready) == MB_READY, "mailbox layout");
_Static_assert(offsetof(struct mailbox, irq_count) == MB_IRQ_COUNT, "mailbox layout");
_Static_assert(offsetof(struct mailbox, fault_vector) == MB_FAULT_VECTOR, "mailbox layout");
_Static_assert(offsetof(struct mailbox, fault_rip) == MB_FAULT_RIP, "mailbox layout");
_Static_assert(offsetof(struct mailbox, fault_error) == MB_FAULT_ERROR, "mailbox layout");
_Static_assert(offsetof(struct mailbox, loops) == MB_LOOPS, "mailbox layout");
#define MB_ASSERT(field, off) _Static_assert(offsetof(struct mailbox, field) == (off), "mailbox layout")
MB_ASSERT(ipi_cmd, MB_IPI_CMD);
MB_ASSERT(ipi_stop, MB_IPI_STOP);
MB_ASSERT(ipi_icr, MB_IPI_ICR);
MB_ASSERT(ipi_targets, MB_IPI_TARGETS);
MB_ASSERT(ipi_ntargets, MB_IPI_NTARGETS);
MB_ASSERT(ipi_count, MB_IPI_COUNT);
MB_ASSERT(ipi_max_out, MB_IPI_MAX_OUT);
MB_ASSERT(ipi_interval, MB_IPI_INTERVAL);
MB_ASSERT(ipi_burst, MB_IPI_BURST);
MB_ASSERT(ipi_state, MB_IPI_STATE);
MB_ASSERT(ipi_sent, MB_IPI_SENT);
MB_ASSERT(ipi_ring_head, MB_IPI_RING_HEAD);
MB_ASSERT(ipi_seq, MB_IPI_SEQ);
MB_ASSERT(ipi_ring_tail, MB_IPI_RING_TAIL);
MB_ASSERT(ipi_gap, MB_IPI_GAP);
MB_ASSERT(ipi_seed, MB_IPI_SEED);
MB_ASSERT(ipi_next, MB_IPI_NEXT);
MB_ASSERT(ipi_burst_left, MB_IPI_BURST_LEFT);
MB_ASSERT(ipi_min_seen, MB_IPI_MIN_SEEN);
MB_ASSERT(ipi_rng, MB_IPI_RNG);
MB_ASSERT(ipi_due, MB_IPI_DUE);
MB_ASSERT(ctl_op, MB_CTL_OP);
MB_ASSERT(hc_vmmcall, MB_HC_VMMCALL);
MB_ASSERT(ctl_req, MB_CTL_REQ);
MB_ASSERT(nmi_slots, MB_NMI_SLOTS);
MB_ASSERT(apic_mode, MB_APIC_MODE);
MB_ASSERT(nmi_count, MB_NMI_COUNT);
MB_ASSERT(ctl_done, MB_CTL_DONE);
MB_ASSERT(ctl_result, MB_CTL_RESULT);
MB_ASSERT(send_failed, MB_SEND_FAILED);
MB_ASSERT(send_status, MB_SEND_STATUS);
MB_ASSERT(ipi_via, MB_IPI_VIA);
MB_ASSERT(timer_lead, MB_TIMER_LEAD);
MB_ASSERT(timer_deadline, MB_TIMER_DEADLINE);
MB_ASSERT(ipi_seen, MB_IPI_SEEN);
MB_ASSERT(ipi_obs_read, MB_IPI_OBS_READ);
MB_ASSERT(ipi_events, MB_IPI_EVENTS);
#undef MB_ASSERT
_Static_assert(offsetof(struct mailbox, slot) == MB_SLOTS, "mailbox layout");
_Static_assert(MB_IPI_OBS_READ + MB_NSLOTS * 8 <= MB_SLOTS, "per-target tables fit below the slots");
_Static_assert(MB_SLOTS + MB_NSLOTS * MB_SLOT_SIZE <= MB_IPI_EVENTS, "slots end before the ring");
_Static_assert(sizeof(struct ipi_event) == IPI_EVENT_SIZE, "event layout");
_Static_assert(MB_SIZE == 1 << MB_SIZE_SHIFT, "guest.S indexes mailboxes by shifting");
_Static_assert(MB_SLOT_SIZE == 1 << MB_SLOT_SHIFT, "guest.S indexes slots by shifting");
_Static_assert(IPI_EVENT_SIZE == 1 << IPI_EVENT_SHIFT, "guest.S indexes events by shifting");
_Static_assert(offsetof(struct ipi_event, a) == IPI_EVENT_A, "event layout");
_Static_assert(offsetof(struct ipi_event, b) == IPI_EVENT_B, "event layout");
_Static_assert(offsetof(struct ipi_event, c) == IPI_EVENT_C, "event layout");
_Static_assert(offsetof(struct ipi_event, target) == IPI_EVENT_TARGET, "event layout");
_Static_assert(offsetof(struct ipi_event, kind) == IPI_EVENT_KIND, "event layout");
_Static_assert((IPI_EVENT_RING & (IPI_EVENT_RING - 1)) == 0, "ring sizes are powers of two");
_Static_assert(MB_NSLOTS <= 64, "a u64 holds every target of a guest sender");
_Static_assert(offsetof(struct mb_slot, pub_seq) == SLOT_PUB_SEQ, "slot layout");
_Static_assert(offsetof(struct mb_slot, pub_tsc) == SLOT_PUB_TSC, "slot layout");
_Static_assert(offsetof(struct mb_slot, kick_seq) == SLOT_KICK_SEQ, "slot layout");
_Static_assert(offsetof(struct mb_slot, obs_seq) == SLOT_OBS_SEQ, "slot layout");
_Static_assert(offsetof(struct mb_slot, obs_tsc) == SLOT_OBS_TSC, "slot layout");
_Static_assert(offsetof(struct mb_slot, obs_gen) == SLOT_OBS_GEN, "slot layout");
_Static_assert(offsetof(struct mb_slot, obs_count) == SLOT_OBS_COUNT, "slot layout");
_Static_assert(offsetof(struct mb_slot, obs_ring) == SLOT_OBS_RING, "slot layout");
_Static_assert(sizeof(struct mb_obs) == MB_OBS_SIZE && MB_OBS_SIZE == 1 << MB_OBS_SHIFT, "log entry layout");
_Static_assert((MB_OBS_RING & (MB_OBS_RING - 1)) == 0, "ring sizes are powers of two");
_Static_assert(sizeof(struct mb_slot) == MB_SLOT_SIZE, "slot layout");
_Static_assert(sizeof(struct mailbox) <= MB_SIZE - MB_STACK_SIZE, "mailbox and stack fit its memslot");
_Static_assert(REQ_VECTOR(MB_NSLOTS - 1) < TIMER_VECTOR, "request vectors below the timer's");
_Static_assert(GUEST_WAKE_VECTOR < 0xf0, "vectors of our own below 0xf0");

/* The guest image, assembled from guest.S into the binary. */
extern const unsigned char guest_image_start[], guest_image_end[];
extern const unsigned char guest_entry[];
extern const unsigned char guest_exception_stubs[], guest_request_stubs[];
extern const unsigned char guest_spurious_isr[];
extern const unsigned char guest_timer_isr[], guest_wake_isr[];
#endif

#endif
