// SPDX-License-Identifier: MIT
/* Checks shared by the trace stage tests (trace_check.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <string.h>

#include "trace_check.h"

#ifndef KS_TEST_DATA
#define KS_TEST_DATA "tests/data"
#endif

void load(struct fixture *f, const char *name)
{
	char path[512], why[256] = "";
	FILE *in;

	snprintf(path, sizeof(path), "%s/%s", KS_TEST_DATA, name);
	in = fopen(path, "r");
	if (!in)
		fail_msg("cannot open %s", path);
	memset(f, 0, sizeof(*f));
	if (trace_events__read(&f->ev, in, why, sizeof(why)) < 0)
		fail_msg("%s: %s", path, why);
	fclose(in);
	assert_true(f->ev.nkicks > 0);
	f->a = trace_stages__analyse(&f->ev, f->ev.kicks, f->ev.nkicks, NULL, why, sizeof(why));
	if (!f->a)
		fail_msg("%s: %s", path, why);
}

void release(struct fixture *f)
{
	trace_stages__free(f->a);
	trace_events__release(&f->ev);
}

uint32_t tev_mask(const char *const *names)
{
	uint32_t m = 0;

	for (; *names; names++) {
		int t = trace_event__from_name(*names);

		assert_true(t >= 0);
		m |= TEV_MASK(t);
	}
	return m;
}

void assert_order(const struct trace_analysis *a, const enum trace_stage *want, unsigned n)
{
	enum trace_stage order[TS__COUNT];
	unsigned got = trace_stages__order(a, order);

	assert_int_equal(got, n);
	for (unsigned i = 0; i < n; i++)
		assert_string_equal(trace_stage__name(order[i]), trace_stage__name(want[i]));
}

/* The event a span ends at is the stage's event, about this kick's target or sender. */
static void check_span_event(const struct fixture *f, const struct trace_kick *k, const struct trace_span *sp)
{
	const char *want = trace_stages__event_of(f->a, sp->stage, k->kind);
	const struct trace_event *e;

	if (sp->stage == TS_HANDLER) {
		assert_int_equal(sp->event, SIZE_MAX);
		assert_true(sp->end == k->observed_tsc);
		return;
	}
	assert_true(sp->event < f->ev.n);
	e = &f->ev.ev[sp->event];
	assert_true(e->tsc == sp->end);
	assert_string_equal(trace_event__name(e->type), want);
	switch (sp->stage) {
	case TS_WAKEUP:
	case TS_WAIT_CPU:
		assert_int_equal(e->other, k->target_tid);
		break;
	case TS_KICK_SYSCALL:
		assert_int_equal(e->pid, k->sender_tid);
		break;
	case TS_HALT_END:
	case TS_USER_EXIT:
		assert_int_equal(e->pid, k->target_tid);
		break;
	case TS_ACCEPT:
		if (k->kind == TRACE_KICK_SIGNAL)
			assert_int_equal(e->other, k->target_tid);
		else
			assert_int_equal(e->vector, (int)k->vector);
		break;
	default:
		break;
	}
}

/*
 * Every kick: spans in its kind's order without gaps from kick to
 * observation, ending at the right events; skipped and present stages
 * disjoint; every stage counted or skipped for every traced kick.
 */
void check_timelines(const struct fixture *f)
{
	size_t n = trace_stages__nkicks(f->a), traced = 0;
	enum trace_stage order[TS__COUNT];
	unsigned norder = trace_stages__order(f->a, order);

	for (size_t i = 0; i < n; i++) {
		const struct trace_timeline *tl = trace_stages__timeline(f->a, i);
		const struct trace_kick *k = trace_stages__kick(f->a, i);
		uint64_t at = k->kick_tsc;
		unsigned pos = 0;

		if (!tl->traced)
			continue;
		traced++;
		assert_true(tl->nspans >= 2);
		for (unsigned p = 0; p < tl->nspans; p++) {
			const struct trace_span *sp = &tl->span[p];

			assert_true(sp->start == at);
			assert_true(sp->end >= sp->start);
			assert_false(tl->skipped & TS_MASK(sp->stage));
			while (pos < norder && order[pos] != sp->stage)
				pos++;
			assert_true(pos < norder);          /* stages come in order */
			check_span_event(f, k, sp);
			at = sp->end;
		}
		assert_int_equal(tl->span[tl->nspans - 1].stage, TS_HANDLER);
		assert_true(at == k->observed_tsc);
	}
	for (unsigned s = 0; s < norder; s++) {
		struct trace_stage_stats st;

		assert_true(trace_stages__stats(f->a, order[s], &st));
		assert_int_equal(st.count + st.skipped, traced);
		if (st.count) {
			assert_true(st.p50_ns <= st.p90_ns && st.p90_ns <= st.p99_ns && st.p99_ns <= st.max_ns);
		}
	}
	assert_int_equal(traced + trace_stages__untraced(f->a), n);
}

/* Stages seen in (nearly) every kick: the must-show of issue 11, on recorded data. */
unsigned stages_in_most_kicks(const struct trace_analysis *a)
{
	enum trace_stage order[TS__COUNT];
	unsigned n = trace_stages__order(a, order), full = 0;

	for (unsigned i = 0; i < n; i++) {
		struct trace_stage_stats st;

		trace_stages__stats(a, order[i], &st);
		full += st.count * 100 >= trace_stages__nkicks(a) * 95;
	}
	return full;
}

/* The sum of the stage p50s against the kicks' own p50: within 25 %. */
void check_p50_sum(const struct trace_analysis *a)
{
	enum trace_stage order[TS__COUNT];
	unsigned n = trace_stages__order(a, order);
	struct trace_stage_stats total;
	double sum = 0;

	for (unsigned i = 0; i < n; i++) {
		struct trace_stage_stats st;

		trace_stages__stats(a, order[i], &st);
		if (st.count * 2 > trace_stages__nkicks(a))
			sum += (double)st.p50_ns;
	}
	trace_stages__total(a, &total);
	assert_true(total.count > 0);
	if (sum < 0.75 * (double)total.p50_ns || sum > 1.25 * (double)total.p50_ns)
		fail_msg("stage p50s sum to %.0f ns, kicks' p50 is %llu ns", sum,
			 (unsigned long long)total.p50_ns);
}

/* The slowest kicks, explained: each sentence names its dominant stage first. */
void check_worst(const struct trace_analysis *a, unsigned want)
{
	uint64_t prev = UINT64_MAX;
	unsigned rank;
	size_t i;

	for (rank = 0; (i = trace_stages__worst(a, rank)) != SIZE_MAX; rank++) {
		char why[512];
		enum trace_stage top = trace_stages__explain(a, i, why, sizeof(why));
		const char *name = trace_stage__name(top);

		assert_true(trace_stages__kick(a, i)->latency_ns <= prev);
		prev = trace_stages__kick(a, i)->latency_ns;
		assert_non_null(name);
		assert_memory_equal(why, name, strlen(name));
		assert_true(strlen(why) > strlen(name) + 20);
	}
	assert_int_equal(rank, want);
}

void pvm_missing_events(const struct trace_analysis *a, const char *const *missing)
{
	static const char *const always[] = { "sched_waking", "sched_switch", "kvm_vcpu_wakeup", NULL };
	uint32_t used = trace_stages__used_events(a);

	assert_int_equal(trace_stages__missing_events(a), tev_mask(missing));
	assert_int_equal(used & tev_mask(always), tev_mask(always));
	assert_int_equal(used & trace_stages__missing_events(a), 0);
}

void assert_timeline(const struct trace_analysis *a, size_t i, const struct want_span *want,
			    unsigned n, uint32_t skipped)
{
	const struct trace_timeline *tl = trace_stages__timeline(a, i);

	assert_true(tl->traced);
	assert_int_equal(tl->nspans, n);
	for (unsigned p = 0; p < n; p++) {
		assert_string_equal(trace_stage__name(tl->span[p].stage), trace_stage__name(want[p].stage));
		assert_int_equal(tl->span[p].end - tl->span[p].start, want[p].ticks);
	}
	assert_int_equal(tl->skipped, skipped);
}

