// SPDX-License-Identifier: MIT
/* Per-kick timelines and per-stage statistics (trace_stages.h). */
#include "trace_stages.h"
#include "histogram.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define SEQ_END TS__COUNT

/*
 * The order a kick of each kind passes the stages. A signal is queued after
 * its thread is woken: signal_generate fires at the end of the send, after
 * the wake-up it causes.
 */
static const enum trace_stage sequences[TRACE_KICK__COUNT][TS__COUNT + 1] = {
	[TRACE_KICK_SIGNAL] = { TS_KICK_SYSCALL, TS_WAKEUP, TS_ACCEPT, TS_WAIT_CPU, TS_HALT_END, TS_EXIT,
				TS_USER_EXIT, TS_INJECTION, TS_HANDLER, SEQ_END },
	[TRACE_KICK_MSI_IOCTL] = { TS_KICK_SYSCALL, TS_ACCEPT, TS_WAKEUP, TS_WAIT_CPU, TS_HALT_END, TS_EXIT,
				   TS_INJECTION, TS_ENTRY, TS_HANDLER, SEQ_END },
	[TRACE_KICK_EVENTFD] = { TS_KICK_SYSCALL, TS_ACCEPT, TS_WAKEUP, TS_WAIT_CPU, TS_HALT_END, TS_EXIT,
				 TS_INJECTION, TS_ENTRY, TS_HANDLER, SEQ_END },
	[TRACE_KICK_GUEST_IPI] = { TS_SENDER_EXIT, TS_IPI_SEND, TS_ACCEPT, TS_WAKEUP, TS_WAIT_CPU, TS_HALT_END,
				   TS_EXIT, TS_INJECTION, TS_ENTRY, TS_HANDLER, SEQ_END },
};

static const char *const stage_names[TS__COUNT] = {
	"kick_syscall", "sender_exit", "ipi_send", "accept", "wakeup", "wait_cpu", "halt_end", "exit",
	"user_exit", "injection", "entry", "handler",
};

/*
 * Anchors are matched first, by vector or by the signal's receiver, so that
 * the other stages are searched only between them: a kvm_exit after the
 * injection must not pass for the exit that let it in.
 */
#define ANCHORS (TS_MASK(TS_IPI_SEND) | TS_MASK(TS_ACCEPT) | TS_MASK(TS_INJECTION))

/* Events a KVM vendor module may define and never emit (kvm_pvm here). */
#define HOST_DEPENDENT (TEV_MASK(TEV_KVM_EXIT) | TEV_MASK(TEV_KVM_ENTRY) | TEV_MASK(TEV_KVM_INJ_VIRQ))

#define MAX_SOURCES 2

struct stage_stat {
	uint64_t count, skipped;
	struct histogram *h;
};

struct trace_analysis {
	const struct trace_events *ev;
	struct trace_kick *kicks;
	size_t nkicks;
	double ns_per_tick;
	unsigned nworst;
	struct trace_timeline *tl;
	size_t *by_latency;
	uint32_t usable;                /* TEV_MASK: enabled, and seen when host-dependent */
	uint32_t used, missing;         /* TEV_MASK */
	uint32_t applicable;            /* TS_MASK: some kick's kind passes it */
	uint32_t visible[TRACE_KICK__COUNT];
	int source[TRACE_KICK__COUNT][TS__COUNT];       /* the event type each stage is cut at */
	uint32_t merged[TS__COUNT];
	uint64_t untraced;
	struct stage_stat st[TS__COUNT];
	struct stage_stat total;        /* latency_ns of the traced kicks, in ns */
};

const char *trace_stage__name(unsigned stage)
{
	return stage < TS__COUNT ? stage_names[stage] : NULL;
}

/* Candidate events for a stage, best first; -1 ends the list. */
static void stage_sources(enum trace_stage s, enum trace_kick_kind kind, int src[MAX_SOURCES])
{
	bool sig = kind == TRACE_KICK_SIGNAL;

	src[0] = src[1] = -1;
	switch (s) {
	case TS_KICK_SYSCALL: src[0] = TEV_SYS_ENTER; break;
	case TS_SENDER_EXIT: src[0] = TEV_KVM_EXIT; break;
	case TS_IPI_SEND: src[0] = TEV_KVM_APIC_IPI; break;
	case TS_ACCEPT: src[0] = sig ? TEV_SIGNAL_GENERATE : TEV_KVM_APIC_ACCEPT_IRQ; break;
	case TS_WAKEUP: src[0] = TEV_SCHED_WAKING; break;
	case TS_WAIT_CPU: src[0] = TEV_SCHED_SWITCH; break;
	case TS_HALT_END: src[0] = TEV_KVM_VCPU_WAKEUP; break;
	case TS_EXIT: src[0] = TEV_KVM_EXIT; break;
	case TS_USER_EXIT: src[0] = TEV_KVM_USERSPACE_EXIT; break;
	case TS_INJECTION:
		src[0] = sig ? TEV_SIGNAL_DELIVER : TEV_KVM_INJ_VIRQ;
		/* kvm_pvm emits kvm_eoi as it injects; elsewhere kvm_eoi is the guest's EOI, after the handler. */
		src[1] = sig ? -1 : TEV_KVM_EOI;
		break;
	case TS_ENTRY: src[0] = TEV_KVM_ENTRY; break;
	default: break;
	}
}

const char *trace_stages__event_of(const struct trace_analysis *a, unsigned stage, enum trace_kick_kind kind)
{
	if (stage == TS_HANDLER)
		return "observed";
	if (stage >= TS__COUNT || (unsigned)kind >= TRACE_KICK__COUNT || a->source[kind][stage] < 0)
		return NULL;
	return trace_event__name((unsigned)a->source[kind][stage]);
}

static bool sender_syscall(enum trace_kick_kind kind, int64_t nr)
{
	switch (kind) {
	case TRACE_KICK_SIGNAL: return nr == 200 || nr == 234 || nr == 297;  /* tkill, tgkill, rt_tgsigqueueinfo */
	case TRACE_KICK_MSI_IOCTL: return nr == 16;                         /* ioctl */
	case TRACE_KICK_EVENTFD: return nr == 1;                            /* write */
	default: return false;
	}
}

static bool matches(const struct trace_event *e, int type, enum trace_stage s, const struct trace_kick *k)
{
	if (e->type != type)
		return false;
	switch (type) {
	case TEV_SYS_ENTER: return e->pid == k->sender_tid && sender_syscall(k->kind, e->arg);
	case TEV_KVM_EXIT:
		if (s == TS_SENDER_EXIT)
			return k->sender_vcpu >= 0 && e->vcpu == k->sender_vcpu;
		return e->pid == k->target_tid;
	case TEV_KVM_APIC_IPI:
		return e->vector == (int)k->vector && (e->vcpu == (int)k->target_vcpu || e->arg != 0);
	case TEV_KVM_APIC_ACCEPT_IRQ:
	case TEV_KVM_EOI:
		return e->vcpu == (int)k->target_vcpu && e->vector == (int)k->vector;
	case TEV_SIGNAL_GENERATE:
		return e->other == k->target_tid && (k->sender_tid <= 0 || e->pid == k->sender_tid);
	case TEV_SCHED_WAKING:
	case TEV_SCHED_SWITCH:
		return e->other == k->target_tid;
	case TEV_KVM_INJ_VIRQ: return e->pid == k->target_tid && e->vector == (int)k->vector;
	default: return e->pid == k->target_tid;
	}
}

/* First event in [from, to) that ends stage s for kick k, or SIZE_MAX. */
static size_t find_mark(const struct trace_analysis *a, const struct trace_kick *k, enum trace_stage s,
			size_t from, size_t to)
{
	int type = a->source[k->kind][s];

	if (type < 0)
		return SIZE_MAX;
	for (size_t i = from; i < to; i++)
		if (matches(&a->ev->ev[i], type, s, k))
			return i;
	return SIZE_MAX;
}

/* Where the next found anchor after position p of seq sits, or to. */
static size_t next_anchor(const enum trace_stage *seq, unsigned p, const size_t *found, size_t to)
{
	for (unsigned j = p + 1; seq[j] != SEQ_END; j++)
		if ((ANCHORS & TS_MASK(seq[j])) && found[seq[j]] != SIZE_MAX)
			return found[seq[j]];
	return to;
}

static void build_timeline(struct trace_analysis *a, const struct trace_kick *k, struct trace_timeline *tl)
{
	const enum trace_stage *seq = sequences[k->kind];
	uint32_t visible = a->visible[k->kind];
	size_t found[TS__COUNT], lo, hi, pos;
	uint64_t prev = k->kick_tsc;

	for (unsigned s = 0; s < TS__COUNT; s++)
		found[s] = SIZE_MAX;
	lo = trace_events__lower_bound(a->ev, k->kick_tsc);
	hi = trace_events__lower_bound(a->ev, k->observed_tsc + 1);
	pos = lo;
	for (unsigned p = 0; seq[p] != SEQ_END; p++)
		if ((ANCHORS & visible & TS_MASK(seq[p])) &&
		    (found[seq[p]] = find_mark(a, k, seq[p], pos, hi)) != SIZE_MAX)
			pos = found[seq[p]] + 1;
	pos = lo;
	for (unsigned p = 0; seq[p] != SEQ_END; p++) {
		enum trace_stage s = seq[p];

		if (ANCHORS & TS_MASK(s)) {
			pos = found[s] != SIZE_MAX ? found[s] + 1 : pos;
			continue;
		}
		if (!(visible & TS_MASK(s)) || s == TS_HANDLER)
			continue;
		found[s] = find_mark(a, k, s, pos, next_anchor(seq, p, found, hi));
		pos = found[s] != SIZE_MAX ? found[s] + 1 : pos;
	}
	memset(tl, 0, sizeof(*tl));
	for (unsigned p = 0; seq[p] != SEQ_END; p++) {
		enum trace_stage s = seq[p];
		struct trace_span *sp = &tl->span[tl->nspans];

		if (!(visible & TS_MASK(s)))
			continue;
		if (s != TS_HANDLER && found[s] == SIZE_MAX) {
			tl->skipped |= TS_MASK(s);
			continue;
		}
		tl->traced |= s != TS_HANDLER;
		sp->stage = (uint8_t)s;
		sp->start = prev;
		sp->end = s == TS_HANDLER ? k->observed_tsc : a->ev->ev[found[s]].tsc;
		sp->event = s == TS_HANDLER ? SIZE_MAX : found[s];
		/* Cross-CPU TSC skew of a few ticks must not make a stage negative. */
		if (sp->end < sp->start)
			sp->end = sp->start;
		prev = sp->end;
		tl->nspans++;
	}
}

static bool kind_present(const struct trace_analysis *a, enum trace_kick_kind kind)
{
	for (size_t i = 0; i < a->nkicks; i++)
		if (a->kicks[i].kind == kind)
			return true;
	return false;
}

/* Which event each stage is cut at, which stages are visible, and what was missing. */
static void choose_sources(struct trace_analysis *a)
{
	uint32_t seen = 0, enabled = a->ev->enabled;

	for (size_t i = 0; i < a->ev->n; i++)
		seen |= TEV_MASK(a->ev->ev[i].type);
	/* A file without an "enabled" line: what it holds is all we know. */
	enabled = enabled ? enabled : seen;
	a->usable = enabled & (~HOST_DEPENDENT | seen);
	for (unsigned kind = 0; kind < TRACE_KICK__COUNT; kind++) {
		const enum trace_stage *seq = sequences[kind];
		uint32_t pending = 0;

		if (!kind_present(a, (enum trace_kick_kind)kind))
			continue;
		for (unsigned p = 0; seq[p] != SEQ_END; p++) {
			enum trace_stage s = seq[p];
			int src[MAX_SOURCES];

			a->source[kind][s] = -1;
			a->applicable |= TS_MASK(s);
			stage_sources(s, (enum trace_kick_kind)kind, src);
			for (int j = 0; j < MAX_SOURCES && src[j] >= 0 && a->source[kind][s] < 0; j++) {
				if (a->usable & TEV_MASK(src[j]))
					a->source[kind][s] = src[j];
				else
					a->missing |= TEV_MASK(src[j]);
			}
			if (s != TS_HANDLER && a->source[kind][s] < 0) {
				pending |= TS_MASK(s);
				continue;
			}
			if (s != TS_HANDLER)
				a->used |= TEV_MASK(a->source[kind][s]);
			a->visible[kind] |= TS_MASK(s);
			a->merged[s] |= pending;
			pending = 0;
		}
	}
	/* Guest IPIs have no sender syscall and host kicks no sender exit: not missing for them. */
	a->missing &= ~a->used;
}

static void record_stats(struct trace_analysis *a)
{
	for (size_t i = 0; i < a->nkicks; i++) {
		const struct trace_timeline *tl = &a->tl[i];

		if (!tl->traced) {
			a->untraced++;
			continue;
		}
		if (!a->total.h)
			a->total.h = ks_zalloc(sizeof(*a->total.h));
		a->total.count++;
		histogram__record(a->total.h, a->kicks[i].latency_ns);
		for (unsigned p = 0; p < tl->nspans; p++) {
			struct stage_stat *st = &a->st[tl->span[p].stage];

			if (!st->h)
				st->h = ks_zalloc(sizeof(*st->h));
			st->count++;
			histogram__record(st->h, tl->span[p].end - tl->span[p].start);
		}
		for (unsigned s = 0; s < TS__COUNT; s++)
			if (tl->skipped & TS_MASK(s))
				a->st[s].skipped++;
	}
}

static int by_latency_desc(const void *x, const void *y, void *kicks)
{
	const struct trace_kick *a = (const struct trace_kick *)kicks + *(const size_t *)x;
	const struct trace_kick *b = (const struct trace_kick *)kicks + *(const size_t *)y;

	if (a->latency_ns != b->latency_ns)
		return a->latency_ns < b->latency_ns ? 1 : -1;
	return *(const size_t *)x < *(const size_t *)y ? -1 : 1;
}

struct trace_analysis *trace_stages__analyse(const struct trace_events *events,
					     const struct trace_kick *kicks, size_t nkicks,
					     const struct trace_stage_options *o,
					     char *why, size_t why_len)
{
	static const struct trace_stage_options defaults;
	struct trace_analysis *a;
	uint64_t khz;

	o = o ? o : &defaults;
	khz = o->tsc_khz ? o->tsc_khz : events->tsc_khz;
	if (!khz) {
		ks_format(why, why_len, "the TSC rate is unknown, so trace times cannot be converted to ns");
		return NULL;
	}
	a = ks_zalloc(sizeof(*a));
	a->ev = events;
	a->ns_per_tick = 1e6 / (double)khz;
	a->nworst = o->worst ? o->worst : TRACE_DEFAULT_WORST;
	a->nkicks = nkicks;
	memset(a->source, 0xff, sizeof(a->source));   /* -1: no event cuts the stage */
	a->kicks = ks_zalloc((nkicks ? nkicks : 1) * sizeof(*a->kicks));
	a->tl = ks_zalloc((nkicks ? nkicks : 1) * sizeof(*a->tl));
	a->by_latency = ks_zalloc((nkicks ? nkicks : 1) * sizeof(*a->by_latency));
	if (nkicks)
		memcpy(a->kicks, kicks, nkicks * sizeof(*kicks));
	choose_sources(a);
	for (size_t i = 0; i < nkicks; i++) {
		a->by_latency[i] = i;
		if ((unsigned)a->kicks[i].kind < TRACE_KICK__COUNT)
			build_timeline(a, &a->kicks[i], &a->tl[i]);
	}
	record_stats(a);
	qsort_r(a->by_latency, nkicks, sizeof(*a->by_latency), by_latency_desc, a->kicks);
	return a;
}

void trace_stages__free(struct trace_analysis *a)
{
	if (!a)
		return;
	for (unsigned s = 0; s < TS__COUNT; s++)
		free(a->st[s].h);
	free(a->total.h);
	free(a->kicks);
	free(a->tl);
	free(a->by_latency);
	free(a);
}

size_t trace_stages__nkicks(const struct trace_analysis *a)
{
	return a->nkicks;
}

const struct trace_kick *trace_stages__kick(const struct trace_analysis *a, size_t i)
{
	return i < a->nkicks ? &a->kicks[i] : NULL;
}

const struct trace_timeline *trace_stages__timeline(const struct trace_analysis *a, size_t i)
{
	return i < a->nkicks ? &a->tl[i] : NULL;
}

uint64_t trace_stages__untraced(const struct trace_analysis *a)
{
	return a->untraced;
}

static void fill_stats(const struct stage_stat *st, double ns_per_unit, struct trace_stage_stats *out)
{
	out->count = st->count;
	out->skipped = st->skipped;
	if (!st->h)
		return;
	out->p50_ns = (uint64_t)((double)histogram__percentile(st->h, 50) * ns_per_unit + 0.5);
	out->p90_ns = (uint64_t)((double)histogram__percentile(st->h, 90) * ns_per_unit + 0.5);
	out->p99_ns = (uint64_t)((double)histogram__percentile(st->h, 99) * ns_per_unit + 0.5);
	out->max_ns = (uint64_t)((double)st->h->max * ns_per_unit + 0.5);
}

bool trace_stages__stats(const struct trace_analysis *a, enum trace_stage s, struct trace_stage_stats *out)
{
	bool visible = false;

	if ((unsigned)s >= TS__COUNT)
		return false;
	for (unsigned kind = 0; kind < TRACE_KICK__COUNT; kind++)
		visible |= (a->visible[kind] & TS_MASK(s)) != 0;
	if (!visible)
		return false;
	memset(out, 0, sizeof(*out));
	fill_stats(&a->st[s], a->ns_per_tick, out);
	out->merged = a->merged[s];
	return true;
}

void trace_stages__total(const struct trace_analysis *a, struct trace_stage_stats *out)
{
	memset(out, 0, sizeof(*out));
	fill_stats(&a->total, 1.0, out);
}

unsigned trace_stages__order(const struct trace_analysis *a, enum trace_stage order[TS__COUNT])
{
	uint32_t done = 0, kinds_done = 0;
	unsigned n = 0;

	/* The first kick's kind sets the order; any other kind's stages follow. */
	for (size_t i = 0; i < a->nkicks; i++) {
		unsigned kind = (unsigned)a->kicks[i].kind;

		if (kind >= TRACE_KICK__COUNT || (kinds_done & (1u << kind)))
			continue;
		kinds_done |= 1u << kind;
		for (unsigned p = 0; sequences[kind][p] != SEQ_END; p++) {
			enum trace_stage s = sequences[kind][p];

			if ((a->visible[kind] & TS_MASK(s)) && !(done & TS_MASK(s))) {
				done |= TS_MASK(s);
				order[n++] = s;
			}
		}
	}
	return n;
}

uint32_t trace_stages__used_events(const struct trace_analysis *a)
{
	return a->used;
}

uint32_t trace_stages__missing_events(const struct trace_analysis *a)
{
	return a->missing;
}

size_t trace_stages__worst(const struct trace_analysis *a, unsigned rank)
{
	return rank < a->nworst && rank < a->nkicks ? a->by_latency[rank] : SIZE_MAX;
}

double trace_stages__ns_per_tick(const struct trace_analysis *a)
{
	return a->ns_per_tick;
}

const struct trace_events *trace_stages__events(const struct trace_analysis *a)
{
	return a->ev;
}
