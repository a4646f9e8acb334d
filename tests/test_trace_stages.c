// SPDX-License-Identifier: MIT
/*
 * The stage builder (trace_stages.h) on event streams recorded on the
 * development host (kvm_pvm: no kvm_exit, kvm_entry, kvm_inj_virq) and on a
 * synthetic VMX-style stream that has them. tests/data/README.md says how
 * each file was made.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kick_log.h"
#include "trace_check.h"
#include "util.h"

static void recorded_msi_halted(void **state)
{
	static const enum trace_stage order[] = { TS_KICK_SYSCALL, TS_ACCEPT, TS_WAKEUP, TS_WAIT_CPU,
						  TS_HALT_END, TS_INJECTION, TS_HANDLER };
	static const char *const missing[] = { "kvm_exit", "kvm_entry", "kvm_inj_virq", NULL };
	struct trace_stage_stats st;
	struct fixture f;

	(void)state;
	load(&f, "trace-msi-halted.txt");
	assert_order(f.a, order, KS_ARRAY_SIZE(order));
	pvm_missing_events(f.a, missing);
	/* Injection is cut at kvm_eoi, the event this KVM emits when it injects. */
	assert_string_equal(trace_stages__event_of(f.a, TS_INJECTION, TRACE_KICK_MSI_IOCTL), "kvm_eoi");
	assert_true(trace_stages__stats(f.a, TS_INJECTION, &st));
	assert_int_equal(st.merged, TS_MASK(TS_EXIT));
	assert_true(trace_stages__stats(f.a, TS_HANDLER, &st));
	assert_int_equal(st.merged, TS_MASK(TS_ENTRY));
	assert_false(trace_stages__stats(f.a, TS_EXIT, &st));
	check_timelines(&f);
	assert_true(stages_in_most_kicks(f.a) >= 4);
	check_p50_sum(f.a);
	check_worst(f.a, TRACE_DEFAULT_WORST);
	release(&f);
}

static void recorded_signal_halted(void **state)
{
	/* The signal is queued (signal_generate) after the wake-up it causes. */
	static const enum trace_stage order[] = { TS_KICK_SYSCALL, TS_WAKEUP, TS_ACCEPT, TS_WAIT_CPU,
						  TS_HALT_END, TS_USER_EXIT, TS_INJECTION, TS_HANDLER };
	static const char *const missing[] = { "kvm_exit", NULL };
	struct trace_stage_stats st;
	struct fixture f;

	(void)state;
	load(&f, "trace-signal-halted.txt");
	assert_order(f.a, order, KS_ARRAY_SIZE(order));
	pvm_missing_events(f.a, missing);
	assert_string_equal(trace_stages__event_of(f.a, TS_ACCEPT, TRACE_KICK_SIGNAL), "signal_generate");
	assert_string_equal(trace_stages__event_of(f.a, TS_INJECTION, TRACE_KICK_SIGNAL), "signal_deliver");
	assert_true(trace_stages__stats(f.a, TS_USER_EXIT, &st));
	assert_int_equal(st.merged, TS_MASK(TS_EXIT));
	check_timelines(&f);
	assert_true(stages_in_most_kicks(f.a) >= 4);
	check_p50_sum(f.a);
	check_worst(f.a, TRACE_DEFAULT_WORST);
	release(&f);
}

static void recorded_ipi_halted(void **state)
{
	static const enum trace_stage order[] = { TS_IPI_SEND, TS_ACCEPT, TS_WAKEUP, TS_WAIT_CPU,
						  TS_HALT_END, TS_INJECTION, TS_HANDLER };
	static const char *const missing[] = { "kvm_exit", "kvm_entry", "kvm_inj_virq", NULL };
	struct trace_stage_stats st;
	struct fixture f;

	(void)state;
	load(&f, "trace-ipi-halted.txt");
	assert_order(f.a, order, KS_ARRAY_SIZE(order));
	pvm_missing_events(f.a, missing);
	/* No kvm_exit here: the sender's exit on its ICR write is inside ipi_send. */
	assert_true(trace_stages__stats(f.a, TS_IPI_SEND, &st));
	assert_int_equal(st.merged, TS_MASK(TS_SENDER_EXIT));
	check_timelines(&f);
	assert_true(stages_in_most_kicks(f.a) >= 4);
	check_p50_sum(f.a);
	check_worst(f.a, TRACE_DEFAULT_WORST);
	release(&f);
}

/*
 * A running target on this host: no kick IPI, no wake-up, no halt; the
 * interrupt waits for the vCPU's next injection point, and that wait, not
 * an exit, is where the time goes.
 */
static void recorded_msi_running(void **state)
{
	struct trace_stage_stats inj, st, total;
	enum trace_stage order[TS__COUNT];
	size_t n, by_injection = 0;
	unsigned norder;
	struct fixture f;

	(void)state;
	load(&f, "trace-msi-running.txt");
	check_timelines(&f);
	n = trace_stages__nkicks(f.a);
	assert_true(trace_stages__stats(f.a, TS_WAKEUP, &st));
	assert_int_equal(st.count, 0);
	assert_int_equal(st.skipped, n - trace_stages__untraced(f.a));
	assert_true(trace_stages__stats(f.a, TS_HALT_END, &st));
	assert_int_equal(st.count, 0);
	assert_true(trace_stages__stats(f.a, TS_INJECTION, &inj));
	trace_stages__total(f.a, &total);
	assert_true(inj.p50_ns * 2 > total.p50_ns);
	norder = trace_stages__order(f.a, order);
	for (unsigned i = 0; i < norder; i++) {
		trace_stages__stats(f.a, order[i], &st);
		assert_true(order[i] == TS_INJECTION || st.p50_ns < inj.p50_ns);
	}
	for (size_t i = 0; i < n; i++) {
		char why[512];

		if (trace_stages__explain(f.a, i, why, sizeof(why)) != TS_INJECTION)
			continue;
		by_injection++;
		assert_non_null(strstr(why, "the vCPU was running"));
	}
	assert_true(by_injection * 2 > n);
	check_p50_sum(f.a);
	release(&f);
}

/* A busy loop (comm ks-hog) pinned to the target vCPU's CPU: the worst kick waited for it. */
static void recorded_cpu_hog(void **state)
{
	const struct trace_timeline *tl;
	char why[512], held[64];
	int hog = 0;
	size_t worst;
	struct fixture f;

	(void)state;
	load(&f, "trace-msi-halted-hog.txt");
	for (size_t i = 0; i < f.ev.ncomms; i++)
		if (!strcmp(f.ev.comms[i].comm, "ks-hog"))
			hog = f.ev.comms[i].pid;
	assert_true(hog > 0);
	worst = trace_stages__worst(f.a, 0);
	assert_int_equal(trace_stages__explain(f.a, worst, why, sizeof(why)), TS_WAIT_CPU);
	snprintf(held, sizeof(held), "held by pid %d (ks-hog)", hog);
	assert_non_null(strstr(why, held));
	tl = trace_stages__timeline(f.a, worst);
	for (unsigned p = 0; p < tl->nspans; p++)
		if (tl->span[p].stage == TS_WAIT_CPU)
			assert_int_equal(f.ev.ev[tl->span[p].event].prev, hog);
	check_timelines(&f);
	release(&f);
}

/* Exact timelines where every stage has its own event (kicks 1, 2, 5 and 6 of the file). */
static void vmx_timelines(void **state)
{
	static const struct want_span halted[] = {
		{ TS_KICK_SYSCALL, 100 }, { TS_ACCEPT, 700 }, { TS_WAKEUP, 200 }, { TS_WAIT_CPU, 2000 },
		{ TS_HALT_END, 2000 }, { TS_INJECTION, 1000 }, { TS_ENTRY, 500 }, { TS_HANDLER, 1500 },
	};
	/* The EPT exit after the entry is not the exit that let the interrupt in. */
	static const struct want_span running[] = {
		{ TS_KICK_SYSCALL, 100 }, { TS_ACCEPT, 800 }, { TS_EXIT, 500 }, { TS_INJECTION, 500 },
		{ TS_ENTRY, 200 }, { TS_HANDLER, 900 },
	};
	static const struct want_span ipi[] = {
		{ TS_SENDER_EXIT, 400 }, { TS_IPI_SEND, 300 }, { TS_ACCEPT, 100 }, { TS_WAKEUP, 100 },
		{ TS_WAIT_CPU, 1000 }, { TS_HALT_END, 1000 }, { TS_INJECTION, 200 }, { TS_ENTRY, 100 },
		{ TS_HANDLER, 800 },
	};
	static const struct want_span polling[] = {
		{ TS_KICK_SYSCALL, 100 }, { TS_ACCEPT, 200 }, { TS_WAKEUP, 100 }, { TS_HALT_END, 500 },
		{ TS_INJECTION, 100 }, { TS_ENTRY, 100 }, { TS_HANDLER, 400 },
	};
	static const char *const used[] = { "kvm_exit", "kvm_entry", "kvm_inj_virq", NULL };
	char why[256];
	struct fixture f;

	(void)state;
	load(&f, "trace-vmx-synthetic.txt");
	assert_int_equal(trace_stages__missing_events(f.a), 0);
	assert_int_equal(trace_stages__used_events(f.a) & tev_mask(used), tev_mask(used));
	/* On VMX kvm_eoi is the guest's EOI, after its handler: never the injection. */
	assert_false(trace_stages__used_events(f.a) & TEV_MASK(TEV_KVM_EOI));
	assert_timeline(f.a, 0, halted, KS_ARRAY_SIZE(halted), TS_MASK(TS_EXIT));
	assert_timeline(f.a, 1, running, KS_ARRAY_SIZE(running),
			TS_MASK(TS_WAKEUP) | TS_MASK(TS_WAIT_CPU) | TS_MASK(TS_HALT_END));
	assert_timeline(f.a, 4, ipi, KS_ARRAY_SIZE(ipi), TS_MASK(TS_EXIT));
	assert_timeline(f.a, 5, polling, KS_ARRAY_SIZE(polling), TS_MASK(TS_WAIT_CPU) | TS_MASK(TS_EXIT));
	assert_false(trace_stages__timeline(f.a, 6)->traced);
	assert_int_equal(trace_stages__untraced(f.a), 1);
	assert_int_equal(trace_stages__explain(f.a, 6, why, sizeof(why)), TS__COUNT);
	assert_non_null(strstr(why, "no trace event"));
	release(&f);
}

/* The causes the scheduler events show: a CPU hog, a descheduled sender. */
static void vmx_analysis(void **state)
{
	char why[512];
	struct fixture f;

	(void)state;
	load(&f, "trace-vmx-synthetic.txt");
	assert_int_equal(trace_stages__explain(f.a, 2, why, sizeof(why)), TS_WAIT_CPU);
	assert_string_equal(why, "wait_cpu: the vCPU thread waited 3.1 ms for CPU 0, held by pid 4242 "
			    "(stress) (100% of 3.1 ms)");
	assert_int_equal(trace_stages__explain(f.a, 3, why, sizeof(why)), TS_KICK_SYSCALL);
	assert_string_equal(why, "kick_syscall: the sender was descheduled for 3.3 ms before its kick: "
			    "CPU 1 ran pid 777 (kworker/1:1) (100% of 3.3 ms)");
	/* Worst first: kick 4 (3.3 ms), then kick 3 (3.1 ms), and at most five. */
	assert_int_equal(trace_stages__worst(f.a, 0), 3);
	assert_int_equal(trace_stages__worst(f.a, 1), 2);
	assert_int_equal(trace_stages__worst(f.a, 5), SIZE_MAX);
	release(&f);
}

/* Per-stage counts over the MSI kicks alone: counted, skipped, untraced. */
static void vmx_stage_counts(void **state)
{
	static const struct { enum trace_stage s; uint64_t count, skipped; } want[] = {
		{ TS_KICK_SYSCALL, 5, 0 }, { TS_ACCEPT, 5, 0 }, { TS_WAKEUP, 3, 2 }, { TS_WAIT_CPU, 2, 3 },
		{ TS_HALT_END, 3, 2 }, { TS_EXIT, 2, 3 }, { TS_INJECTION, 5, 0 }, { TS_ENTRY, 5, 0 },
		{ TS_HANDLER, 5, 0 },
	};
	struct trace_kick msi[8];
	struct trace_stage_stats st;
	struct trace_analysis *a;
	size_t n = 0;
	struct fixture f;
	char why[128];

	(void)state;
	load(&f, "trace-vmx-synthetic.txt");
	for (size_t i = 0; i < f.ev.nkicks; i++)
		if (f.ev.kicks[i].kind == TRACE_KICK_MSI_IOCTL)
			msi[n++] = f.ev.kicks[i];
	assert_int_equal(n, 6);
	a = trace_stages__analyse(&f.ev, msi, n, NULL, why, sizeof(why));
	assert_non_null(a);
	for (size_t i = 0; i < KS_ARRAY_SIZE(want); i++) {
		assert_true(trace_stages__stats(a, want[i].s, &st));
		assert_int_equal(st.count, want[i].count);
		assert_int_equal(st.skipped, want[i].skipped);
	}
	/* Guest-IPI stages do not exist for host kicks. */
	assert_false(trace_stages__stats(a, TS_SENDER_EXIT, &st));
	assert_false(trace_stages__stats(a, TS_USER_EXIT, &st));
	trace_stages__stats(a, TS_WAIT_CPU, &st);
	assert_int_equal(st.max_ns, 3100000);
	assert_true(st.p50_ns >= 1990 && st.p50_ns <= 2010);   /* of 2000 and 3100000: the histogram's 0.4 % */
	assert_int_equal(trace_stages__untraced(a), 1);
	trace_stages__free(a);
	release(&f);
}

/* No TSC rate, no analysis: ns cannot be made up. */
static void analysis_needs_tsc_rate(void **state)
{
	struct trace_events ev = { 0 };
	struct trace_kick k = { .kick_tsc = 1, .observed_tsc = 2, .kind = TRACE_KICK_MSI_IOCTL };
	struct trace_stage_options o = { .tsc_khz = 1000 };
	struct trace_analysis *a;
	char why[128] = "";

	(void)state;
	assert_null(trace_stages__analyse(&ev, &k, 1, NULL, why, sizeof(why)));
	assert_non_null(strstr(why, "TSC rate"));
	a = trace_stages__analyse(&ev, &k, 1, &o, why, sizeof(why));
	assert_non_null(a);
	assert_int_equal(trace_stages__untraced(a), 1);
	trace_stages__free(a);
}

/* The report's trace object: stages, events, and worst kicks whose timelines add up. */
static void vmx_json(void **state)
{
	json_t *o, *worst, *stages, *first;
	size_t i;
	struct fixture f;

	(void)state;
	load(&f, "trace-vmx-synthetic.txt");
	o = trace_stages__to_json(f.a);
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "kicks"), "untraced")), 1);
	assert_int_equal(json_array_size(json_object_get(json_object_get(o, "events"), "missing")), 0);
	stages = json_object_get(o, "stages");
	assert_true(json_array_size(stages) >= 9);
	first = json_array_get(stages, 0);
	assert_string_equal(json_string_value(json_object_get(first, "name")), "kick_syscall");
	assert_string_equal(json_string_value(json_object_get(first, "event")), "sys_enter");
	worst = json_object_get(o, "worst");
	assert_int_equal(json_array_size(worst), TRACE_DEFAULT_WORST);
	json_array_foreach(worst, i, first) {
		json_t *tl = json_object_get(first, "timeline"), *span;
		json_int_t sum = 0;
		size_t p;

		json_array_foreach(tl, p, span) {
			assert_int_equal(json_integer_value(json_object_get(span, "start_ns")), sum);
			sum += json_integer_value(json_object_get(span, "duration_ns"));
		}
		assert_int_equal(sum, json_integer_value(json_object_get(first, "latency_ns")));
		assert_true(strlen(json_string_value(json_object_get(first, "analysis"))) > 20);
	}
	assert_string_equal(json_string_value(json_object_get(json_array_get(worst, 0), "dominant")),
			    "kick_syscall");
	json_decref(o);
	release(&f);
}

static void vmx_print(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct fixture f;

	(void)state;
	load(&f, "trace-vmx-synthetic.txt");
	trace_stages__print(f.a, "msi", out);
	fclose(out);
	assert_non_null(strstr(text, "where the time goes, msi: 7 kicks, 1 untraced\n"));
	assert_non_null(strstr(text, "  wait_cpu "));
	assert_non_null(strstr(text, "slowest kick, 3.3 ms: kick_syscall: the sender was descheduled"));
	free(text);
	release(&f);
}

/* --trace-threshold's file: the events around one kick, which analyse to the same timeline. */
static void window_round_trip(void **state)
{
	char path[] = "/tmp/ks-trace-window.XXXXXX", why[256] = "";
	const struct trace_timeline *orig, *again;
	struct trace_events back = { 0 };
	struct trace_analysis *a;
	struct fixture f;
	FILE *in;
	int fd;

	(void)state;
	load(&f, "trace-vmx-synthetic.txt");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	if (trace_stages__write_window(f.a, 4, path, why, sizeof(why)) < 0)
		fail_msg("%s", why);
	in = fopen(path, "r");
	assert_non_null(in);
	if (trace_events__read(&back, in, why, sizeof(why)) < 0)
		fail_msg("%s", why);
	fclose(in);
	unlink(path);
	assert_int_equal(back.nkicks, 1);
	assert_int_equal(back.kicks[0].kick_tsc, f.ev.kicks[4].kick_tsc);
	assert_int_equal(back.tsc_khz, f.ev.tsc_khz);
	/* At least 1 ms before the kick, 100 us after it was observed: kick 4's events, not kick 6's. */
	assert_true(back.n > 0);
	assert_true(back.ev[0].tsc >= f.ev.kicks[4].kick_tsc - 1000000);
	assert_true(back.ev[back.n - 1].tsc <= f.ev.kicks[4].observed_tsc + 100000);
	assert_int_equal(back.ev[0].tsc, 10300050);
	a = trace_stages__analyse(&back, back.kicks, 1, NULL, why, sizeof(why));
	assert_non_null(a);
	orig = trace_stages__timeline(f.a, 4);
	again = trace_stages__timeline(a, 0);
	assert_int_equal(again->nspans, orig->nspans);
	for (unsigned p = 0; p < orig->nspans; p++) {
		assert_int_equal(again->span[p].stage, orig->span[p].stage);
		assert_true(again->span[p].end == orig->span[p].end);
	}
	trace_stages__free(a);
	trace_events__release(&back);
	release(&f);
}

/* The text format: what is written reads back the same; a bad line is named. */
static void text_format(void **state)
{
	static const char *const bad[] = {
		"12 0 1 no_such_event\n", "12 0 1 sched_switch prev=1 bogus=2\n", "12 0 1 kvm_eoi apicid=x\n",
		"kick kind=msi kick=10 observed=5\n", "kick kind=smoke kick=1 observed=2\n", "enabled kvm_nope\n",
	};
	struct trace_events back = { 0 };
	char *text = NULL, why[256];
	size_t len = 0;
	struct fixture f;
	FILE *io;

	(void)state;
	load(&f, "trace-vmx-synthetic.txt");
	io = open_memstream(&text, &len);
	assert_int_equal(trace_events__write(&f.ev, io, 0, UINT64_MAX), 0);
	fclose(io);
	io = fmemopen(text, len, "r");
	assert_int_equal(trace_events__read(&back, io, why, sizeof(why)), 0);
	fclose(io);
	assert_int_equal(back.n, f.ev.n);
	assert_memory_equal(back.ev, f.ev.ev, f.ev.n * sizeof(*f.ev.ev));
	assert_int_equal(back.nkicks, f.ev.nkicks);
	assert_memory_equal(back.kicks, f.ev.kicks, f.ev.nkicks * sizeof(*f.ev.kicks));
	assert_int_equal(back.enabled, f.ev.enabled);
	assert_string_equal(trace_events__comm(&back, 4242), "stress");
	trace_events__release(&back);
	free(text);
	for (size_t i = 0; i < KS_ARRAY_SIZE(bad); i++) {
		char line[128];

		snprintf(line, sizeof(line), "tsc_khz 1000\n%s", bad[i]);
		io = fmemopen(line, strlen(line), "r");
		assert_int_equal(trace_events__read(&back, io, why, sizeof(why)), -1);
		assert_memory_equal(why, "line 2: ", 8);
		fclose(io);
		trace_events__release(&back);
	}
	release(&f);
}

/* A log keeps what fits, counts what does not, and merges into a growing one. */
static void kick_log_bounds(void **state)
{
	struct kick_log a, b, all = { 0 };
	struct trace_kick k = { .kick_tsc = 1, .observed_tsc = 2, .latency_ns = 7 };

	(void)state;
	kick_log__init(&a, 2);
	kick_log__init(&b, 1);
	for (int i = 0; i < 3; i++) {
		k.kick_tsc = (uint64_t)i;
		kick_log__add(&a, &k);
	}
	kick_log__add(&b, &k);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.dropped, 1);
	kick_log__append(&all, &a);
	kick_log__append(&all, &b);
	assert_int_equal(all.n, 3);
	assert_int_equal(all.dropped, 1);
	assert_int_equal(all.kick[1].kick_tsc, 1);
	assert_int_equal(all.kick[2].kick_tsc, 2);
	/* A sender's share of the budget, or what it can send when that is less. */
	assert_int_equal(kick_log__capacity(500, 1), 500);
	assert_int_equal(kick_log__capacity(0, 4), KICK_LOG_BUDGET / 4);
	assert_int_equal(kick_log__capacity(1ull << 40, 1), KICK_LOG_BUDGET);
	kick_log__release(&a);
	kick_log__release(&b);
	kick_log__release(&all);
}

/* A trace that failed prints why, not an empty table. */
static void print_json_error(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	json_t *o = json_pack("{s:s}", "error", "cannot start tracing: Device or resource busy");

	(void)state;
	trace_stages__print_json(o, "msi", out);
	fclose(out);
	assert_string_equal(text, "where the time goes, msi: not traced: cannot start tracing: "
			    "Device or resource busy\n");
	json_decref(o);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(recorded_msi_halted),
		cmocka_unit_test(recorded_signal_halted),
		cmocka_unit_test(recorded_ipi_halted),
		cmocka_unit_test(recorded_msi_running),
		cmocka_unit_test(recorded_cpu_hog),
		cmocka_unit_test(vmx_timelines),
		cmocka_unit_test(vmx_analysis),
		cmocka_unit_test(vmx_stage_counts),
		cmocka_unit_test(vmx_json),
		cmocka_unit_test(vmx_print),
		cmocka_unit_test(window_round_trip),
		cmocka_unit_test(text_format),
		cmocka_unit_test(analysis_needs_tsc_rate),
		cmocka_unit_test(kick_log_bounds),
		cmocka_unit_test(print_json_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
