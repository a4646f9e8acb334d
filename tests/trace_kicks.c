// SPDX-License-Identifier: MIT
/* Kicks derived from recorded events (trace_kicks.h, tests/data/README.md). */
#include "trace_kicks.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSR_X2APIC_EOI 0x80b
#define NR_WRITE 1
#define NR_IOCTL 16
#define NR_TGKILL 234
/* A kick whose observation is not found this soon is left out: record.sh's --deadline. */
#define MAX_KICK_NS 60e9

struct derive {
	struct trace_events *s;
	enum trace_kick_kind kind;
	double ns_per_tick;
	size_t kept, dropped;
};

static bool has_prefix(const char *s, const char *prefix)
{
	return s && !strncmp(s, prefix, strlen(prefix));
}

/* kvm-vcpu-N: N, or -1. */
static int vcpu_of(const struct trace_events *s, int pid)
{
	const char *comm = trace_events__comm(s, pid);

	return has_prefix(comm, "kvm-vcpu-") ? atoi(comm + 9) : -1;
}

/* Is e the start of a kick of this kind (the sender's syscall, or the guest's ICR write)? */
static bool is_kick(const struct derive *d, const struct trace_event *e)
{
	const char *comm = trace_events__comm(d->s, e->pid);

	switch (d->kind) {
	case TRACE_KICK_MSI_IOCTL:
		return e->type == TEV_SYS_ENTER && e->arg == NR_IOCTL && has_prefix(comm, "ks-sender-");
	case TRACE_KICK_EVENTFD:
		return e->type == TEV_SYS_ENTER && e->arg == NR_WRITE && has_prefix(comm, "ks-sender-");
	case TRACE_KICK_SIGNAL:
		return e->type == TEV_SYS_ENTER && e->arg == NR_TGKILL && has_prefix(comm, "ks-sender-");
	case TRACE_KICK_GUEST_IPI:
		return e->type == TEV_KVM_APIC_IPI && has_prefix(comm, "kvm-vcpu-");
	default:
		return false;
	}
}

static size_t find(const struct trace_events *s, size_t from, int type, int pid, int vcpu, int vector,
		   int64_t arg)
{
	for (size_t i = from; i < s->n; i++) {
		const struct trace_event *e = &s->ev[i];

		if (e->type == type && (pid < 0 || e->pid == pid) && (vcpu < 0 || e->vcpu == vcpu) &&
		    (vector < 0 || e->vector == vector) && (arg < 0 || e->arg == arg))
			return i;
	}
	return SIZE_MAX;
}

/* The same sender's next kick: a closed-loop sender makes it only after seeing the observation. */
static uint64_t next_kick_tsc(const struct derive *d, size_t i)
{
	for (size_t j = i + 1; j < d->s->n; j++)
		if (d->s->ev[j].pid == d->s->ev[i].pid && is_kick(d, &d->s->ev[j]))
			return d->s->ev[j].tsc;
	return UINT64_MAX;
}

/* Interrupt kicks: the accepting APIC, its injection (kvm_eoi here), then the guest's EOI write. */
static bool complete_interrupt(struct derive *d, size_t i, struct trace_kick *k, uint64_t *obs)
{
	const struct trace_events *s = d->s;
	const struct trace_event *e = &s->ev[i];
	size_t acc, inj, eoi;

	if (d->kind == TRACE_KICK_GUEST_IPI) {
		k->target_vcpu = (unsigned)e->vcpu;
		k->vector = (unsigned)e->vector;
		k->sender_vcpu = vcpu_of(s, e->pid);
		acc = find(s, i, TEV_KVM_APIC_ACCEPT_IRQ, e->pid, e->vcpu, e->vector, -1);
	} else {
		k->sender_tid = e->pid;
		acc = find(s, i, TEV_KVM_APIC_ACCEPT_IRQ, e->pid, -1, -1, -1);
		if (acc == SIZE_MAX)
			return false;
		k->target_vcpu = (unsigned)s->ev[acc].vcpu;
		k->vector = (unsigned)s->ev[acc].vector;
	}
	if (acc == SIZE_MAX)
		return false;
	/*
	 * The injecting thread is the target's: only the command's threads are
	 * traced, while names can repeat (another kickstorm's kvm-vcpu-0).
	 */
	inj = find(s, acc, TEV_KVM_EOI, -1, (int)k->target_vcpu, (int)k->vector, -1);
	if (inj == SIZE_MAX)
		return false;
	k->target_tid = s->ev[inj].pid;
	eoi = find(s, inj, TEV_KVM_MSR, k->target_tid, -1, -1, MSR_X2APIC_EOI);
	if (eoi == SIZE_MAX)
		return false;
	*obs = s->ev[eoi].tsc;
	return true;
}

/* Signal kicks: the signal queued to a vCPU thread, delivered, then KVM_RUN entered again. */
static bool complete_signal(struct derive *d, size_t i, struct trace_kick *k, uint64_t *obs)
{
	const struct trace_events *s = d->s;
	size_t gen = find(s, i, TEV_SIGNAL_GENERATE, s->ev[i].pid, -1, -1, -1), del, run;

	if (gen == SIZE_MAX)
		return false;
	k->sender_tid = s->ev[i].pid;
	k->target_tid = s->ev[gen].other;
	k->target_vcpu = (unsigned)vcpu_of(s, k->target_tid);
	del = find(s, gen, TEV_SIGNAL_DELIVER, k->target_tid, -1, -1, -1);
	run = del == SIZE_MAX ? SIZE_MAX : find(s, del, TEV_SYS_ENTER, k->target_tid, -1, -1, NR_IOCTL);
	if (run == SIZE_MAX)
		return false;
	*obs = s->ev[run].tsc;
	return true;
}

static void derive_one(struct derive *d, size_t i)
{
	struct trace_kick k = { .kick_tsc = d->s->ev[i].tsc, .sender_vcpu = -1, .kind = d->kind };
	uint64_t obs, next;
	bool ok;

	ok = d->kind == TRACE_KICK_SIGNAL ? complete_signal(d, i, &k, &obs) : complete_interrupt(d, i, &k, &obs);
	next = next_kick_tsc(d, i);
	if (ok && next < obs)
		obs = next;
	if (!ok || obs < k.kick_tsc || (double)(obs - k.kick_tsc) * d->ns_per_tick > MAX_KICK_NS) {
		d->dropped++;
		return;
	}
	k.observed_tsc = obs;
	k.latency_ns = (uint64_t)((double)(obs - k.kick_tsc) * d->ns_per_tick + 0.5);
	trace_events__append_kick(d->s, &k);
	d->kept++;
}

int trace_kicks__derive(struct trace_events *s, const char *kind, char *why, size_t why_len)
{
	struct derive d = { .s = s };

	if (!s->tsc_khz) {
		ks_format(why, why_len, "the recording has no tsc_khz");
		return -1;
	}
	d.ns_per_tick = 1e6 / (double)s->tsc_khz;
	if (!strcmp(kind, "ipi"))
		d.kind = TRACE_KICK_GUEST_IPI;
	else if (trace_kick__kind_from_name(kind) >= 0)
		d.kind = (enum trace_kick_kind)trace_kick__kind_from_name(kind);
	else {
		ks_format(why, why_len, "unknown kick kind '%s' (allowed: msi, eventfd, signal, ipi)", kind);
		return -1;
	}
	for (size_t i = 0; i < s->n; i++)
		if (is_kick(&d, &s->ev[i]))
			derive_one(&d, i);
	fprintf(stderr, "trace_record: %zu kicks derived, %zu without an observation left out\n",
		d.kept, d.dropped);
	if (!d.kept) {
		ks_format(why, why_len, "no %s kick found in the recording", kind);
		return -1;
	}
	return 0;
}
