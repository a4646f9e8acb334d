// SPDX-License-Identifier: MIT
/*
 * The sentence that explains a slow kick: its dominant stage, and the cause
 * where the scheduler events show one (who held the CPU, who preempted
 * whom), in the spirit of rtla's timerlat auto-analysis.
 */
#include "trace_stages.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

/* How far back to look for the switch that took a thread off its CPU. */
#define LOOKBACK_EVENTS 100000
/* Off-CPU time explains a stage when it is at least this share of it. */
#define EXPLAINS_SHARE 0.5

struct off_cpu {
	uint64_t preempted, blocked;    /* ticks within the window */
	uint64_t longest;
	int cpu, by_pid;                /* of the longest: where, and who ran instead */
	int64_t state;
};

void trace_stages__format_ns(char *buf, size_t len, double ns)
{
	if (ns < 1e3)
		ks_format(buf, len, "%.0f ns", ns);
	else if (ns < 1e6)
		ks_format(buf, len, "%.1f us", ns / 1e3);
	else if (ns < 1e9)
		ks_format(buf, len, "%.1f ms", ns / 1e6);
	else
		ks_format(buf, len, "%.2f s", ns / 1e9);
}

static void who(const struct trace_analysis *a, int pid, char *buf, size_t len)
{
	const char *comm = trace_events__comm(trace_stages__events(a), pid);

	if (pid == 0)
		ks_format(buf, len, "the idle task");
	else if (comm)
		ks_format(buf, len, "pid %d (%s)", pid, comm);
	else
		ks_format(buf, len, "pid %d", pid);
}

/* TASK_RUNNING, possibly with the preempted marker above the state bits. */
static bool runnable(int64_t prev_state)
{
	return (prev_state & 0xff) == 0;
}

static void off_cpu__add(struct off_cpu *o, uint64_t from, uint64_t to, int cpu, int by, int64_t state)
{
	uint64_t d = to > from ? to - from : 0;

	if (runnable(state))
		o->preempted += d;
	else
		o->blocked += d;
	if (d > o->longest) {
		o->longest = d;
		o->cpu = cpu;
		o->by_pid = by;
		o->state = state;
	}
}

/* Time tid spent off its CPU within [start, end], from the sched_switch events. */
static void off_cpu__measure(const struct trace_analysis *a, int tid, uint64_t start, uint64_t end,
			     struct off_cpu *o)
{
	const struct trace_events *ev = trace_stages__events(a);
	size_t i0 = trace_events__lower_bound(ev, start), stop = i0 > LOOKBACK_EVENTS ? i0 - LOOKBACK_EVENTS : 0;
	const struct trace_event *out = NULL;
	uint64_t since = start;

	memset(o, 0, sizeof(*o));
	o->cpu = -1;
	if (tid <= 0)
		return;
	for (size_t i = i0; i-- > stop;) {
		const struct trace_event *e = &ev->ev[i];

		if (e->type != TEV_SCHED_SWITCH || (e->prev != tid && e->other != tid))
			continue;
		out = e->prev == tid ? e : NULL;
		break;
	}
	for (size_t i = i0; i < ev->n && ev->ev[i].tsc <= end; i++) {
		const struct trace_event *e = &ev->ev[i];

		if (e->type != TEV_SCHED_SWITCH)
			continue;
		if (e->prev == tid && !out) {
			out = e;
			since = e->tsc;
		} else if (e->other == tid && out) {
			off_cpu__add(o, since, e->tsc, out->cpu, out->other, out->arg);
			out = NULL;
		}
	}
	if (out)
		off_cpu__add(o, since, end, out->cpu, out->other, out->arg);
}

static bool sender_side(enum trace_stage s)
{
	return s == TS_KICK_SYSCALL || s == TS_SENDER_EXIT || s == TS_IPI_SEND || s == TS_ACCEPT ||
	       s == TS_WAKEUP;
}

/* The sender's thread: the ledger's, or for a guest IPI the vCPU thread that emulated the ICR write. */
static int sender_tid(const struct trace_analysis *a, const struct trace_kick *k, const struct trace_timeline *tl)
{
	if (k->sender_tid > 0)
		return k->sender_tid;
	for (unsigned p = 0; p < tl->nspans; p++)
		if (tl->span[p].stage == TS_IPI_SEND || tl->span[p].stage == TS_SENDER_EXIT)
			return trace_stages__events(a)->ev[tl->span[p].event].pid;
	return 0;
}

static bool has_span(const struct trace_timeline *tl, enum trace_stage s)
{
	for (unsigned p = 0; p < tl->nspans; p++)
		if (tl->span[p].stage == s)
			return true;
	return false;
}

static void explain_wait_cpu(const struct trace_analysis *a, const struct trace_span *sp, const char *d,
			     char *buf, size_t len)
{
	const struct trace_event *e = &trace_stages__events(a)->ev[sp->event];
	char holder[64];

	if (e->prev == 0) {
		ks_format(buf, len, "the vCPU thread waited %s for CPU %d to come out of idle", d, e->cpu);
		return;
	}
	who(a, e->prev, holder, sizeof(holder));
	ks_format(buf, len, "the vCPU thread waited %s for CPU %d, held by %s", d, e->cpu, holder);
}

/* A sentence around a duration: pre, the duration, post. */
struct phrase {
	const char *pre, *post;
};

static struct phrase injection_cause(const struct trace_timeline *tl, bool sig)
{
	if (sig)
		return has_span(tl, TS_USER_EXIT) ?
		       (struct phrase){ "the signal was delivered ", " after KVM_RUN returned" } :
		       (struct phrase){ "the signal was delivered ", " after the last traced event" };
	if (!has_span(tl, TS_WAKEUP) && !has_span(tl, TS_WAIT_CPU) && !has_span(tl, TS_HALT_END) &&
	    !has_span(tl, TS_EXIT))
		return (struct phrase){ "the vCPU was running (no wake-up or exit was traced) and the "
					"interrupt waited ", " for its next injection point" };
	return (struct phrase){ "KVM injected the interrupt ", " after the vCPU got back to it" };
}

static struct phrase plain_phrase(enum trace_stage s, const struct trace_timeline *tl, bool sig)
{
	switch (s) {
	case TS_KICK_SYSCALL: return (struct phrase){ "the sender took ", " to enter its kick syscall" };
	case TS_SENDER_EXIT: return (struct phrase){ "the sending vCPU took ", " to exit on its ICR write" };
	case TS_IPI_SEND: return (struct phrase){ "KVM took ", " to emulate the sender's ICR write" };
	case TS_ACCEPT:
		return sig ? (struct phrase){ "the kick syscall took ", " to queue the signal" } :
			     (struct phrase){ "the interrupt took ", " to reach the target's local APIC" };
	case TS_WAKEUP:
		return sig ? (struct phrase){ "the kick syscall took ", " to wake the vCPU thread" } :
			     (struct phrase){ "KVM took ", " from accepting the interrupt to waking the vCPU thread" };
	case TS_EXIT: return (struct phrase){ "the running vCPU took ", " to exit" };
	case TS_USER_EXIT: return (struct phrase){ "KVM_RUN took ", " to return to userspace" };
	case TS_INJECTION: return injection_cause(tl, sig);
	case TS_ENTRY: return (struct phrase){ "the vCPU took ", " from the injection to entering the guest" };
	default: return (struct phrase){ "the stage took ", "" };
	}
}

/* The stage's own sentence, when no scheduling event explains it. */
static void explain_plain(const struct trace_analysis *a, const struct trace_kick *k,
			  const struct trace_timeline *tl, unsigned p, const char *d, char *buf, size_t len)
{
	const struct trace_span *sp = &tl->span[p];
	struct phrase ph;

	if (sp->stage == TS_HALT_END) {
		ks_format(buf, len, "the vCPU thread took %s on CPU %d to leave its halt in KVM", d,
			  trace_stages__events(a)->ev[sp->event].cpu);
		return;
	}
	if (sp->stage == TS_HANDLER) {
		ks_format(buf, len, "the target observed the request %s after %s", d,
			  p ? trace_stages__event_of(a, tl->span[p - 1].stage, k->kind) : "the kick");
		return;
	}
	ph = plain_phrase((enum trace_stage)sp->stage, tl, k->kind == TRACE_KICK_SIGNAL);
	ks_format(buf, len, "%s%s%s", ph.pre, d, ph.post);
}

static void explain_off_cpu(const struct trace_analysis *a, const struct off_cpu *o, bool sender,
			    enum trace_stage s, char *buf, size_t len)
{
	char d[32], by[64];

	trace_stages__format_ns(d, sizeof(d), (double)(o->preempted + o->blocked) * trace_stages__ns_per_tick(a));
	who(a, o->by_pid, by, sizeof(by));
	if (!runnable(o->state))
		ks_format(buf, len, "the %s was blocked (state 0x%llx) for %s", sender ? "sender" : "vCPU thread",
			  (unsigned long long)o->state, d);
	else if (sender && s == TS_KICK_SYSCALL)
		ks_format(buf, len, "the sender was descheduled for %s before its kick: CPU %d ran %s", d, o->cpu, by);
	else if (sender)
		ks_format(buf, len, "the sender was preempted for %s during its kick: CPU %d ran %s", d, o->cpu, by);
	else
		ks_format(buf, len, "the vCPU thread was preempted for %s on CPU %d by %s", d, o->cpu, by);
}

static void merged_note(const struct trace_analysis *a, enum trace_stage s, char *buf, size_t len)
{
	struct trace_stage_stats st;
	size_t used = 0;

	buf[0] = '\0';
	if (!trace_stages__stats(a, s, &st) || !st.merged)
		return;
	for (unsigned m = 0; m < TS__COUNT; m++)
		if (st.merged & TS_MASK(m))
			used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
						 used ? ", " : "; includes ", trace_stage__name(m));
	if (used < len)
		snprintf(buf + used, len - used, ", not traced on this host");
}

enum trace_stage trace_stages__explain(const struct trace_analysis *a, size_t i, char *buf, size_t len)
{
	const struct trace_timeline *tl = trace_stages__timeline(a, i);
	const struct trace_kick *k = trace_stages__kick(a, i);
	char d[32], total[32], cause[256], note[96];
	const struct trace_span *sp;
	struct off_cpu o;
	uint64_t ticks, all;
	unsigned top = 0;
	bool sender;

	if (!tl || !tl->traced || !tl->nspans) {
		ks_format(buf, len, "no trace event of this kick was recorded (events lost, or the kick "
			  "came outside the recording)");
		return TS__COUNT;
	}
	for (unsigned p = 1; p < tl->nspans; p++)
		if (tl->span[p].end - tl->span[p].start > tl->span[top].end - tl->span[top].start)
			top = p;
	sp = &tl->span[top];
	ticks = sp->end - sp->start;
	all = tl->span[tl->nspans - 1].end - tl->span[0].start;
	trace_stages__format_ns(d, sizeof(d), (double)ticks * trace_stages__ns_per_tick(a));
	trace_stages__format_ns(total, sizeof(total), (double)all * trace_stages__ns_per_tick(a));
	sender = sender_side((enum trace_stage)sp->stage);
	off_cpu__measure(a, sender ? sender_tid(a, k, tl) : k->target_tid, sp->start, sp->end, &o);
	if (sp->stage == TS_WAIT_CPU)
		explain_wait_cpu(a, sp, d, cause, sizeof(cause));
	else if ((double)(o.preempted + o.blocked) >= EXPLAINS_SHARE * (double)ticks && ticks)
		explain_off_cpu(a, &o, sender, (enum trace_stage)sp->stage, cause, sizeof(cause));
	else
		explain_plain(a, k, tl, top, d, cause, sizeof(cause));
	merged_note(a, (enum trace_stage)sp->stage, note, sizeof(note));
	ks_format(buf, len, "%s: %s (%.0f%% of %s%s)", trace_stage__name(sp->stage), cause,
		  all ? 100.0 * (double)ticks / (double)all : 100.0, total, note);
	return (enum trace_stage)sp->stage;
}
