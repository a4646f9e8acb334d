// SPDX-License-Identifier: MIT
/*
 * Unit tests for compare.c: threshold parsing, matching by name +
 * canonical params, direction, thresholds, the Mann-Whitney test on inputs
 * whose p-values are worked out by hand below (and at 60 000 repetitions),
 * the best-repetition check, the too-few-repetitions path, failed and
 * partial scenarios, v2's lost kicks, late and unresolved requests, and the
 * statuses that keep compare from passing on nothing. Loading is tested in
 * test_report_load.c, matching at scale in test_compare_match.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare.h"
#include "compare_fixtures.h"

#define EPS 1e-12

/* Repetitions of one signal/halted scenario with these p99 values. */
static json_t *p99_repetitions(const double *p99, size_t n)
{
	struct entry_spec specs[16];

	assert_true(n <= 16);
	for (size_t i = 0; i < n; i++)
		specs[i] = (struct entry_spec){ "signal", "halted", 10000, p99[i], 0, NULL };
	return report_of(specs, n);
}

/* ---- thresholds ------------------------------------------------------- */

static void test_defaults_and_direction(void **state)
{
	struct compare_options o;

	(void)state;
	compare__default_options(&o);
	assert_true(o.threshold[COMPARE_P50] == 25.0);
	assert_true(o.threshold[COMPARE_P99] == 50.0);
	assert_true(o.threshold[COMPARE_LOST] == 0.0);
	assert_true(o.threshold[COMPARE_MAX] == COMPARE_REPORT_ONLY);
	assert_int_equal(o.min_repeats, 5);
	assert_true(compare_metrics[COMPARE_LOST].correctness);
	assert_false(compare_metrics[COMPARE_P99].correctness);
	assert_int_equal(compare__metric_find("p999"), COMPARE_P999);
	assert_int_equal(compare__metric_find("p98"), -1);
}

static void test_threshold_parsing(void **state)
{
	static const char *const bad[][2] = {
		{ "p98=5", "unknown metric 'p98'" },
		{ "=5", "expected METRIC=PCT" },
		{ "p99", "expected METRIC=PCT" },
		{ "p99=", "'' is not a percentage" },
		{ "p99=abc", "'abc' is not a percentage" },
		{ "p99=-3", "'-3' is not a percentage" },
		{ "p99=5%%", "'5%%' is not a percentage" },
		{ "p99=100001", "'100001' is not a percentage" },
		{ "p99=1e9", "'1e9' is not a percentage" },
		{ "p99=nan", "'nan' is not a percentage" },
		{ "p99=12x", "'12x' is not a percentage" },
	};
	struct compare_options o;
	char why[256];

	(void)state;
	compare__default_options(&o);
	assert_int_equal(compare__parse_threshold(&o, "p99=15%", why, sizeof(why)), 0);
	assert_true(o.threshold[COMPARE_P99] == 15.0);
	assert_int_equal(compare__parse_threshold(&o, "p50=12.5", why, sizeof(why)), 0);
	assert_true(o.threshold[COMPARE_P50] == 12.5);
	assert_int_equal(compare__parse_threshold(&o, "max=200%", why, sizeof(why)), 0);
	assert_true(o.threshold[COMPARE_MAX] == 200.0);
	assert_int_equal(compare__parse_threshold(&o, "lost=off", why, sizeof(why)), 0);
	assert_true(o.threshold[COMPARE_LOST] == COMPARE_REPORT_ONLY);
	assert_int_equal(compare__parse_threshold(&o, "coalesced=0", why, sizeof(why)), 0);
	assert_true(o.threshold[COMPARE_COALESCED] == 0.0);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_int_equal(compare__parse_threshold(&o, bad[i][0], why, sizeof(why)), -1);
		/* Each message names the argument and what is allowed. */
		assert_non_null(strstr(why, bad[i][0]));
		assert_non_null(strstr(why, bad[i][1]));
		assert_true(strstr(why, "allowed") || strstr(why, "e.g."));
	}
	/* A failed parse leaves the earlier value alone. */
	assert_true(o.threshold[COMPARE_P99] == 15.0);
}

/* ---- statistics ------------------------------------------------------- */

static void test_median(void **state)
{
	const double odd[] = { 5, 1, 3 }, even[] = { 4, 1, 3, 2 };

	(void)state;
	assert_true(compare__median(odd, 3) == 3);
	assert_true(compare__median(even, 4) == 2.5);
	assert_true(isnan(compare__median(odd, 0)));
}

/*
 * No overlap, 5 vs 5: a's ranks are 1..5, so U_a = 15 - 15 = 0. Only one of
 * the C(10,5) = 252 equally likely rank sets is that extreme on each side:
 * p = 2/252. Normal approximation: mu = 12.5, var = 25 * 11 / 12, z =
 * (12.5 - 0.5) / sqrt(22.9167) = 2.5067, p = erfc(z / sqrt 2) = 0.012186.
 */
static void test_mann_whitney_separated(void **state)
{
	const double a[] = { 1, 2, 3, 4, 5 }, b[] = { 6, 7, 8, 9, 10 };
	struct mann_whitney mw;

	(void)state;
	assert_int_equal(compare__mann_whitney(a, 5, b, 5, &mw), 0);
	assert_true(mw.exact);
	assert_true(mw.u == 0);
	assert_true(fabs(mw.p - 2.0 / 252) < EPS);
	assert_int_equal(compare__mann_whitney(b, 5, a, 5, &mw), 0);
	assert_true(mw.u == 25);
	assert_true(fabs(mw.p - 2.0 / 252) < EPS);
	assert_true(fabs(compare__mw_normal_p(a, 5, b, 5) - erfc(12.0 / sqrt(25.0 * 11 / 12) / sqrt(2))) < EPS);
	assert_true(fabs(compare__mw_normal_p(a, 5, b, 5) - 0.012185780355) < 1e-9);

	/* 3 vs 3: 2 / C(6,3) = 0.1, never significant at 0.05. */
	assert_true(fabs(compare__mw_exact_p(a, 3, b, 3) - 0.1) < EPS);
	assert_true(fabs(compare__mw_min_p(3, 3) - 0.1) < EPS);
	assert_true(fabs(compare__mw_min_p(5, 5) - 2.0 / 252) < EPS);
	assert_true(fabs(compare__mw_min_p(4, 4) - 2.0 / 70) < EPS);
}

/*
 * Ties: a = {1,2,2,3}, b = {2,3,4,5}. Pooled and sorted, 1 has rank 1, the
 * three 2s share midrank 3, the two 3s 5.5, 4 is 7, 5 is 8, so
 * W_a = 1 + 3 + 3 + 5.5 = 12.5 and U_a = 12.5 - 10 = 2.5.
 * Exact, in doubled ranks {2,6,6,6,11,11,14,16} with W2_a = 25: the 4-sets
 * summing to at most 25 are {2,6,6,6} (1 way) and {2,6,6,11} (3 x 2 ways),
 * 7 of C(8,4) = 70; fewer sets lie below than above, so p = 2 * 7/70 = 0.2.
 * Normal: sum(t^3 - t) = 24 + 6 = 30, var = 16/12 * (9 - 30/56) = 11.2857,
 * z = (|2.5 - 8| - 0.5) / 3.35942 = 1.48835, p = erfc(z / sqrt 2) = 0.136658.
 */
static void test_mann_whitney_ties(void **state)
{
	const double a[] = { 1, 2, 2, 3 }, b[] = { 2, 3, 4, 5 };
	const double same[] = { 7, 7, 7 };
	struct mann_whitney mw;

	(void)state;
	assert_int_equal(compare__mann_whitney(a, 4, b, 4, &mw), 0);
	assert_true(mw.u == 2.5);
	assert_true(mw.exact);
	assert_true(fabs(mw.p - 0.2) < EPS);
	assert_true(fabs(compare__mw_normal_p(a, 4, b, 4) - 0.13665824774) < 1e-9);

	/* All tied: no evidence either way. */
	assert_true(compare__mw_exact_p(same, 3, same, 3) == 1.0);
	assert_true(compare__mw_normal_p(same, 3, same, 3) == 1.0);
	assert_int_equal(compare__mann_whitney(a, 0, b, 4, &mw), -1);
}

/* Past COMPARE_EXACT_MAX the normal approximation takes over. */
static void test_mann_whitney_large(void **state)
{
	double a[30], b[30];
	struct mann_whitney mw;

	(void)state;
	for (int i = 0; i < 30; i++) {
		a[i] = i;
		b[i] = i + 0.5;
	}
	assert_int_equal(compare__mann_whitney(a, 30, b, 30, &mw), 0);
	assert_false(mw.exact);
	assert_true(fabs(mw.p - compare__mw_normal_p(a, 30, b, 30)) < EPS);
	assert_true(mw.p > 0.5);
	/* The exact method agrees closely at these sizes. */
	assert_true(fabs(compare__mw_exact_p(a, 20, b, 20) - compare__mw_normal_p(a, 20, b, 20)) < 0.02);
}

/*
 * At the limits: 60 000 repetitions a side pool 120 000 ranks, and a rank
 * sum of about 3.6e9 each way. Summed in 32 bits it wrapped, and a sample
 * compared with itself (U = n^2 / 2, the null's mean) came out p = 0.
 */
static void test_mann_whitney_limits(void **state)
{
	const size_t n = 60000;
	double *a = malloc(n * sizeof(*a)), *b = malloc(n * sizeof(*b));
	struct mann_whitney mw;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	for (size_t i = 0; i < n; i++)
		a[i] = 1000.0 + (double)((i * 7919) % n);
	assert_int_equal(compare__mann_whitney(a, n, a, n, &mw), 0);
	assert_false(mw.exact);
	assert_true(mw.u == (double)n * (double)n / 2);
	assert_true(mw.p > 0.99);
	/* Shifted by more than the spread: every pair a < b, U = 0, p as small as doubles go. */
	for (size_t i = 0; i < n; i++)
		b[i] = a[i] + (double)n;
	assert_int_equal(compare__mann_whitney(a, n, b, n, &mw), 0);
	assert_true(mw.u == 0);
	assert_true(mw.p < 1e-12);
	assert_int_equal(compare__mann_whitney(b, n, a, n, &mw), 0);
	assert_true(mw.u == (double)n * (double)n);
	assert_true(mw.p < 1e-12);
	/* Every value tied: no evidence at all. */
	for (size_t i = 0; i < n; i++)
		a[i] = b[i] = 5;
	assert_int_equal(compare__mann_whitney(a, n, b, n, &mw), 0);
	assert_true(mw.p == 1.0);
	free(a);
	free(b);
}

/* ---- matching --------------------------------------------------------- */

static void test_params_equal(void **state)
{
	json_t *a = json_loads("{\"x\": 2, \"s\": \"halted\", \"l\": [1, {\"k\": true}]}", 0, NULL);
	json_t *b = json_loads("{\"l\": [1.0, {\"k\": true}], \"s\": \"halted\", \"x\": 2.0}", 0, NULL);
	json_t *c = json_loads("{\"x\": 3, \"s\": \"halted\", \"l\": [1, {\"k\": true}]}", 0, NULL);
	json_t *d = json_loads("{\"x\": 2, \"s\": \"halted\"}", 0, NULL);

	(void)state;
	assert_true(compare__params_equal(a, b));
	assert_false(compare__params_equal(a, c));
	assert_false(compare__params_equal(a, d));
	assert_false(compare__params_equal(d, a));
	json_decref(a);
	json_decref(b);
	json_decref(c);
	json_decref(d);
}

static void test_matching(void **state)
{
	const struct entry_spec base_specs[] = {
		{ "signal", "halted", 10000, 50000, 0, NULL },
		{ "signal", "running", 500000, 900000, 0, NULL },
		{ "msi", "halted", 20000, 60000, 0, NULL },
		{ "signal", "halted", 10000, 50000, 0, NULL },
	};
	const struct entry_spec new_specs[] = {
		{ "signal", "running", 500000, 900000, 0, NULL },
		{ "signal", "halted", 10000, 50000, 0, NULL },
		{ "floor", "halted", 100, 200, 0, NULL },
	};
	struct compare_report base, new;
	struct compare_result res;
	struct compare_options o;
	json_t *new_root = report_of(new_specs, 3);

	(void)state;
	/* Key order and 2 vs 2.0 do not keep params from matching. */
	json_t *params = json_object_get(json_array_get(json_object_get(new_root, "scenarios"), 0), "params");
	json_object_del(params, "target_state");
	json_object_set_new(params, "vcpus", json_real(2.0));
	json_object_set_new(params, "target_state", json_string("running"));

	compare__default_options(&o);
	compare_json(report_of(base_specs, 4), new_root, &o, &base, &new, &res);
	assert_int_equal(base.ngroups, 3);
	assert_int_equal(base.groups[0].reps, 2);
	assert_int_equal(res.nmatches, 2);
	assert_string_equal(res.matches[0].label, "signal target_state=halted");
	assert_int_equal(res.matches[0].cell[COMPARE_P50].nbase, 2);
	assert_int_equal(res.matches[0].cell[COMPARE_P50].nnew, 1);
	assert_string_equal(res.matches[1].label, "signal target_state=running");
	assert_int_equal(res.nbase_only, 1);
	assert_string_equal(res.base_only[0].group->label, "msi");
	assert_null(res.base_only[0].closest);
	assert_int_equal(res.nnew_only, 1);
	assert_string_equal(res.new_only[0].group->label, "floor");
	/* Unmatched scenarios are listed, never regressions. */
	assert_int_equal(res.nregressions, 0);
	for (int m = 0; m < COMPARE_NMETRICS; m++)
		assert_int_not_equal(res.matches[0].cell[m].verdict, VERDICT_REGRESSION);
	release(&base, &new, &res);
}

/* ---- judging ---------------------------------------------------------- */

static enum compare_verdict p99_verdict(double base_p99, double new_p99, double *change)
{
	struct compare_report base, new;
	struct compare_result res;
	struct compare_options o;
	enum compare_verdict v;

	compare__default_options(&o);
	compare_json(p99_repetitions(&base_p99, 1), p99_repetitions(&new_p99, 1), &o, &base, &new, &res);
	assert_int_equal(res.nmatches, 1);
	assert_false(res.matches[0].testable);
	assert_false(res.matches[0].cell[COMPARE_P99].tested);
	v = res.matches[0].cell[COMPARE_P99].verdict;
	*change = res.matches[0].cell[COMPARE_P99].change_pct;
	assert_int_equal(res.nregressions, v == VERDICT_REGRESSION);
	release(&base, &new, &res);
	return v;
}

static void test_direction_and_threshold(void **state)
{
	double change;

	(void)state;
	assert_int_equal(p99_verdict(1000, 2000, &change), VERDICT_REGRESSION);
	assert_true(fabs(change - 100) < EPS);
	assert_int_equal(p99_verdict(1000, 1500, &change), VERDICT_OK);   /* exactly +50%: not past it */
	assert_int_equal(p99_verdict(1000, 1501, &change), VERDICT_REGRESSION);
	assert_int_equal(p99_verdict(1000, 1200, &change), VERDICT_OK);
	/* Lower is better: a drop past the threshold is an improvement, never a regression. */
	assert_int_equal(p99_verdict(2500, 1000, &change), VERDICT_IMPROVED);
	assert_true(fabs(change + 60) < EPS);
	assert_int_equal(p99_verdict(1000, 900, &change), VERDICT_OK);
}

static void test_report_only_and_custom_threshold(void **state)
{
	const double b = 1000, n = 5000;
	struct compare_report base, new;
	struct compare_result res;
	struct compare_options o;
	char why[128];

	(void)state;
	compare__default_options(&o);
	assert_int_equal(compare__parse_threshold(&o, "p99=off", why, sizeof(why)), 0);
	compare_json(p99_repetitions(&b, 1), p99_repetitions(&n, 1), &o, &base, &new, &res);
	/* max moved from 3000 to 15000, p99 by +400%: both only reported. */
	assert_int_equal(res.matches[0].cell[COMPARE_P99].verdict, VERDICT_REPORT_ONLY);
	assert_int_equal(res.matches[0].cell[COMPARE_MAX].verdict, VERDICT_REPORT_ONLY);
	assert_int_equal(res.nregressions, 0);
	release(&base, &new, &res);

	assert_int_equal(compare__parse_threshold(&o, "max=500", why, sizeof(why)), 0);
	assert_int_equal(compare__parse_threshold(&o, "p999=300%", why, sizeof(why)), 0);
	compare_json(p99_repetitions(&b, 1), p99_repetitions(&n, 1), &o, &base, &new, &res);
	assert_int_equal(res.matches[0].cell[COMPARE_MAX].verdict, VERDICT_OK);
	assert_int_equal(res.matches[0].cell[COMPARE_P999].verdict, VERDICT_REGRESSION);
	assert_int_equal(res.nregressions, 1);
	release(&base, &new, &res);
}

static enum compare_verdict lost_verdict(const long long *base_lost, size_t nb,
					 const long long *new_lost, size_t nn, const char *threshold)
{
	struct entry_spec bs[8], ns[8];
	struct compare_report base, new;
	struct compare_result res;
	struct compare_options o;
	enum compare_verdict v;
	char why[128];

	for (size_t i = 0; i < nb; i++)
		bs[i] = (struct entry_spec){ "signal", "halted", 1000, 2000, base_lost[i], NULL };
	for (size_t i = 0; i < nn; i++)
		ns[i] = (struct entry_spec){ "signal", "halted", 1000, 2000, new_lost[i], NULL };
	compare__default_options(&o);
	if (threshold)
		assert_int_equal(compare__parse_threshold(&o, threshold, why, sizeof(why)), 0);
	compare_json(report_of(bs, nb), report_of(ns, nn), &o, &base, &new, &res);
	v = res.matches[0].cell[COMPARE_LOST].verdict;
	/* Correctness is never excused by statistics, nor by a best repetition. */
	assert_false(res.matches[0].cell[COMPARE_LOST].tested);
	assert_true(isnan(res.matches[0].cell[COMPARE_LOST].best_change_pct));
	release(&base, &new, &res);
	return v;
}

static void test_lost_is_strict(void **state)
{
	const long long zero[] = { 0, 0, 0, 0, 0, 0 }, one_late[] = { 0, 0, 0, 0, 0, 1 };
	const long long two[] = { 2 }, three[] = { 3 }, one[] = { 1 };

	(void)state;
	/* One lost request in one of six repetitions fails, whatever the noise. */
	assert_int_equal(lost_verdict(zero, 6, one_late, 6, NULL), VERDICT_REGRESSION);
	assert_int_equal(lost_verdict(zero, 6, zero, 6, NULL), VERDICT_OK);
	assert_int_equal(lost_verdict(two, 1, two, 1, NULL), VERDICT_OK);
	assert_int_equal(lost_verdict(three, 1, one, 1, NULL), VERDICT_IMPROVED);
	assert_int_equal(lost_verdict(two, 1, three, 1, NULL), VERDICT_REGRESSION);
	assert_int_equal(lost_verdict(two, 1, three, 1, "lost=60"), VERDICT_OK);
	assert_int_equal(lost_verdict(zero, 1, one, 1, "lost=60"), VERDICT_REGRESSION);
	assert_int_equal(lost_verdict(zero, 1, one, 1, "lost=off"), VERDICT_REPORT_ONLY);
}

static void test_significance(void **state)
{
	const double base_p99[] = { 1000, 1010, 990, 1005, 995 };
	const double doubled[] = { 2000, 2020, 1980, 2010, 1990 };
	/* Median 120 -> 190 (+58%), but the samples interleave: exact p = 0.548. */
	const double noisy_base[] = { 100, 110, 300, 120, 130 };
	const double noisy_new[] = { 200, 105, 115, 400, 190 };
	const double slowed_base[] = { 100, 101, 102, 103, 104, 105, 106, 107 };
	const double slowed_new[] = { 100.5, 300, 301, 302, 303, 304, 305, 306 };
	struct compare_report base, new;
	struct compare_result res;
	struct compare_options o;
	const struct compare_cell *c;

	(void)state;
	compare__default_options(&o);
	compare_json(p99_repetitions(base_p99, 5), p99_repetitions(doubled, 5), &o, &base, &new, &res);
	c = &res.matches[0].cell[COMPARE_P99];
	assert_true(res.matches[0].testable);
	assert_true(c->tested);
	assert_true(c->exact);
	assert_true(fabs(c->p_value - 2.0 / 252) < EPS);
	assert_true(c->base == 1000 && c->new == 2000);
	assert_true(c->best_base == 990 && c->best_new == 1980);
	assert_true(fabs(c->best_change_pct - 100) < EPS);
	assert_int_equal(c->verdict, VERDICT_REGRESSION);
	/* p50 did not move: tied everywhere, p = 1. */
	assert_true(res.matches[0].cell[COMPARE_P50].p_value == 1.0);
	assert_int_equal(res.matches[0].cell[COMPARE_P50].verdict, VERDICT_OK);
	release(&base, &new, &res);

	compare_json(p99_repetitions(noisy_base, 5), p99_repetitions(noisy_new, 5), &o, &base, &new, &res);
	c = &res.matches[0].cell[COMPARE_P99];
	assert_true(c->tested);
	assert_true(fabs(c->change_pct - 7000.0 / 120) < 1e-9);
	assert_true(fabs(c->p_value - 138.0 / 252) < EPS);
	assert_int_equal(c->verdict, VERDICT_NOISE);
	assert_int_equal(res.nregressions, 0);
	release(&base, &new, &res);

	/*
	 * Significant and past the threshold on the median, but the best new
	 * repetition is as good as the best old one: seven of eight runs were
	 * slowed by something else. Median 103.5 -> 302.5 (+192%); exact
	 * p = 2 * 45 / C(16,8) = 90/12870 (U = 1 + 7 * 8 = 57 of 64); best
	 * 100 -> 100.5 (+0.5%).
	 */
	compare_json(p99_repetitions(slowed_base, 8), p99_repetitions(slowed_new, 8), &o, &base, &new, &res);
	c = &res.matches[0].cell[COMPARE_P99];
	assert_true(fabs(c->p_value - 90.0 / 12870) < EPS);
	assert_true(fabs(c->change_pct - (302.5 / 103.5 * 100 - 100)) < 1e-9);
	assert_true(c->best_base == 100 && c->best_new == 100.5);
	assert_int_equal(c->verdict, VERDICT_NOISE);
	assert_int_equal(res.nregressions, 0);
	release(&base, &new, &res);

	/*
	 * Asking for more repetitions than the reports hold leaves the
	 * thresholds to judge: the doubling still regresses, the interleaved
	 * samples still do not (their best repetition moved 5%).
	 */
	o.min_repeats = 6;
	compare_json(p99_repetitions(base_p99, 5), p99_repetitions(doubled, 5), &o, &base, &new, &res);
	assert_false(res.matches[0].testable);
	assert_false(res.matches[0].cell[COMPARE_P99].tested);
	assert_int_equal(res.matches[0].cell[COMPARE_P99].verdict, VERDICT_REGRESSION);
	release(&base, &new, &res);
	compare_json(p99_repetitions(noisy_base, 5), p99_repetitions(noisy_new, 5), &o, &base, &new, &res);
	assert_false(res.matches[0].cell[COMPARE_P99].tested);
	assert_int_equal(res.matches[0].cell[COMPARE_P99].verdict, VERDICT_NOISE);
	release(&base, &new, &res);
}

static void test_too_few_repetitions(void **state)
{
	const double base_p99[] = { 1000, 1010, 990 }, doubled[] = { 2000, 2020, 1980 };
	struct compare_report base, new;
	struct compare_result res;
	struct compare_options o;

	(void)state;
	compare__default_options(&o);
	compare_json(p99_repetitions(base_p99, 3), p99_repetitions(doubled, 3), &o, &base, &new, &res);
	assert_false(res.matches[0].testable);
	assert_false(res.matches[0].cell[COMPARE_P99].tested);
	assert_true(isnan(res.matches[0].cell[COMPARE_P99].p_value));
	assert_true(res.matches[0].cell[COMPARE_P99].base == 1000);
	assert_int_equal(res.matches[0].cell[COMPARE_P99].verdict, VERDICT_REGRESSION);
	release(&base, &new, &res);

	/* --min-repeats 2 with 2 each: allowed, but p < 0.05 is out of reach, so still too few. */
	o.min_repeats = 2;
	compare_json(p99_repetitions(base_p99, 2), p99_repetitions(doubled, 2), &o, &base, &new, &res);
	assert_false(res.matches[0].testable);
	release(&base, &new, &res);
}

static void test_failed_scenarios(void **state)
{
	const struct entry_spec ok[] = { { "signal", "halted", 1000, 2000, 0, NULL } };
	const struct entry_spec failed[] = { { "signal", "halted", 0, 0, 0, "could not start the VM" } };
	const struct entry_spec ok_three[] = { ok[0], ok[0], ok[0] };
	const struct entry_spec one_failed[] = { ok[0], failed[0], ok[0] };
	struct compare_report base, new;
	struct compare_result res;
	struct compare_options o;

	(void)state;
	compare__default_options(&o);
	compare_json(report_of(ok, 1), report_of(failed, 1), &o, &base, &new, &res);
	assert_int_equal(res.nmatches, 1);
	assert_true(res.matches[0].new_failed);
	assert_string_equal(res.matches[0].new->error, "could not start the VM");
	assert_int_equal(res.matches[0].cell[COMPARE_P99].verdict, VERDICT_MISSING);
	assert_int_equal(res.nregressions, 1);
	release(&base, &new, &res);

	/* Failing in BASE only is not a regression of NEW. */
	compare_json(report_of(failed, 1), report_of(ok, 1), &o, &base, &new, &res);
	assert_false(res.matches[0].new_failed);
	assert_int_equal(res.nregressions, 0);
	release(&base, &new, &res);

	/* One failed repetition of three is left out; the other two are judged. */
	compare_json(report_of(ok_three, 3), report_of(one_failed, 3), &o, &base, &new, &res);
	assert_false(res.matches[0].new_failed);
	assert_int_equal(res.matches[0].new->failed, 1);
	assert_int_equal(res.matches[0].cell[COMPARE_P99].nnew, 2);
	assert_int_equal(res.matches[0].cell[COMPARE_P99].verdict, VERDICT_OK);
	assert_int_equal(res.nregressions, 0);
	release(&base, &new, &res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_direction),
		cmocka_unit_test(test_threshold_parsing),
		cmocka_unit_test(test_median),
		cmocka_unit_test(test_mann_whitney_separated),
		cmocka_unit_test(test_mann_whitney_ties),
		cmocka_unit_test(test_mann_whitney_large),
		cmocka_unit_test(test_mann_whitney_limits),
		cmocka_unit_test(test_params_equal),
		cmocka_unit_test(test_matching),
		cmocka_unit_test(test_direction_and_threshold),
		cmocka_unit_test(test_report_only_and_custom_threshold),
		cmocka_unit_test(test_lost_is_strict),
		cmocka_unit_test(test_significance),
		cmocka_unit_test(test_too_few_repetitions),
		cmocka_unit_test(test_failed_scenarios),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
