/* SPDX-License-Identifier: MIT */
/*
 * Kernel trace events as kickstorm keeps them: a flat array of small
 * records, the thread names seen, and the served kicks to explain. Neither
 * tracefs nor KVM is needed here, so recorded streams can be read back in
 * tests and by the stage builder (trace_stages.h).
 *
 * Timestamps are TSC ticks: the session records with the x86-tsc trace
 * clock, the same counter kickstorm reads with rdtsc.
 *
 * Text format (one record a line, '#' starts a comment):
 *   tsc_khz 2599999
 *   enabled sys_enter sched_switch ...      event types the session enabled
 *   lost 0                                  events the ring buffer dropped
 *   comm 4242 ks-sender-0
 *   kick kind=msi kick=TSC observed=TSC sender=TID sender_vcpu=-1 target=TID vcpu=0 vector=64 latency_ns=N
 *   TSC CPU PID EVENT key=value ...         keys per event: trace_event__keys()
 */
#ifndef KICKSTORM_TRACE_EVENT_H
#define KICKSTORM_TRACE_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum trace_event_type {
	TEV_SYS_ENTER,          /* arg = syscall nr */
	TEV_SIGNAL_GENERATE,    /* other = receiving tid, arg = signal */
	TEV_SIGNAL_DELIVER,     /* arg = signal */
	TEV_SCHED_WAKING,       /* other = woken tid, arg = its target CPU */
	TEV_SCHED_SWITCH,       /* prev = prev tid, other = next tid, arg = prev_state */
	TEV_KVM_MSI_SET_IRQ,    /* vcpu = destination APIC ID */
	TEV_KVM_APIC_IPI,       /* vcpu = destination, arg = ICR shorthand (0 = none) */
	TEV_KVM_APIC_ACCEPT_IRQ,/* vcpu = accepting APIC ID */
	TEV_KVM_VCPU_WAKEUP,    /* arg = 1 when the vCPU waited (not only polled) */
	TEV_KVM_EXIT,           /* vcpu = vcpu_id, arg = exit reason */
	TEV_KVM_ENTRY,          /* vcpu = vcpu_id */
	TEV_KVM_INJ_VIRQ,       /* vector */
	TEV_KVM_EOI,            /* vcpu = APIC ID; this host's KVM emits it when it injects */
	TEV_KVM_USERSPACE_EXIT, /* arg = exit reason, or -errno */
	TEV_KVM_MSR,            /* arg = MSR index, other = 1 for a write */
	TEV_SCHED_PROCESS_FORK, /* other = the new task */
	TEV__COUNT
};

#define TEV_MASK(t) (1u << (t))
/* Every type but kvm_msr and sched_process_fork, which only the test recorder needs. */
#define TEV_DEFAULT_MASK ((TEV_MASK(TEV__COUNT) - 1) & ~TEV_MASK(TEV_KVM_MSR) & \
			  ~TEV_MASK(TEV_SCHED_PROCESS_FORK))

/* Field absent: vcpu, vector, prev and other hold this. */
#define TEV_NONE (-1)
#define TEV_COMM_LEN 16

struct trace_event {
	uint64_t tsc;
	int32_t pid;            /* the thread that emitted it (common_pid) */
	int16_t cpu;
	uint16_t type;          /* enum trace_event_type */
	int32_t vcpu;
	int32_t vector;
	int64_t arg;
	int32_t prev;
	int32_t other;
};

struct trace_comm {
	int32_t pid;
	char comm[TEV_COMM_LEN];
	uint64_t tsc;           /* when this name was seen */
};

enum trace_kick_kind {
	TRACE_KICK_SIGNAL,
	TRACE_KICK_MSI_IOCTL,
	TRACE_KICK_EVENTFD,
	TRACE_KICK_GUEST_IPI,
	TRACE_KICK__COUNT
};

/* One served kick, as the ledger knows it. */
struct trace_kick {
	uint64_t kick_tsc;      /* host TSC just before the sender's kick syscall (or ICR write) */
	uint64_t observed_tsc;  /* host TSC when the target observed the request */
	int sender_tid;         /* 0 when a guest vCPU sent it */
	int sender_vcpu;        /* the sending vCPU for guest IPIs, else -1 */
	int target_tid;
	unsigned target_vcpu;   /* its APIC ID: kickstorm gives vCPU i APIC ID i */
	unsigned vector;        /* 0 for signal kicks */
	enum trace_kick_kind kind;
	uint64_t latency_ns;
};

/* A recorded stream. All-zero is a valid empty set; release with trace_events__release. */
struct trace_events {
	struct trace_event *ev;
	size_t n, cap;
	struct trace_comm *comms;
	size_t ncomms, comms_cap;
	struct trace_kick *kicks;       /* only files carry kicks; the ledger passes its own */
	size_t nkicks, kicks_cap;
	uint32_t enabled;               /* TEV_MASK bits the session enabled */
	uint64_t lost;                  /* events the kernel dropped (ring full) */
	uint64_t tsc_khz;               /* 0 when unknown */
};

/* "sched_switch"; NULL when out of range. */
const char *trace_event__name(unsigned type);
/* "sched" */
const char *trace_event__system(unsigned type);
/* -1 when unknown. */
int trace_event__from_name(const char *name);
const char *trace_kick__kind_name(enum trace_kick_kind kind);
int trace_kick__kind_from_name(const char *name);

/* Appends, growing the arrays; aborts on ENOMEM like ks_zalloc. */
void trace_events__append(struct trace_events *s, const struct trace_event *e);
void trace_events__append_kick(struct trace_events *s, const struct trace_kick *k);
/*
 * Records pid's name as seen at tsc: the latest one wins, whatever order the
 * per-CPU buffers are read in (threads rename themselves after they start).
 */
void trace_events__set_comm(struct trace_events *s, int pid, const char *comm, uint64_t tsc);
/* NULL when never seen. */
const char *trace_events__comm(const struct trace_events *s, int pid);
/* Stable sort by tsc: records of one CPU keep their order on equal stamps. */
void trace_events__sort(struct trace_events *s);
/* First index with tsc >= tsc (n when none); the set must be sorted. */
size_t trace_events__lower_bound(const struct trace_events *s, uint64_t tsc);
void trace_events__release(struct trace_events *s);

/*
 * Writes the header, every comm, the kicks and the events with
 * from <= tsc <= to (0, UINT64_MAX for all). Returns 0 or -1 (errno set).
 */
int trace_events__write(const struct trace_events *s, FILE *out, uint64_t from, uint64_t to);
void trace_kick__write(const struct trace_kick *k, FILE *out);
/* Appends what in holds to s. 0, or -1 with "line N: what is wrong" in why. */
int trace_events__read(struct trace_events *s, FILE *in, char *why, size_t why_len);

#endif
