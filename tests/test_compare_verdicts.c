// SPDX-License-Identifier: MIT
/*
 * Unit tests for what compare concludes beyond single metrics: schema v2's
 * counts (lost kicks regress like lost requests, late and unresolved are
 * reported only, v1's lost is v2's lost), repetitions cut short by a
 * signal, and the statuses that keep compare from passing on nothing: an
 * empty report, no match, nothing measured on both sides, an interrupted
 * NEW.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compare.h"
#include "compare_fixtures.h"

/* A v2 signal entry: counts and kicks as given, latency as in entry(). */
static json_t *v2_entry(long long lost, long long late, long long unresolved, long long kicks_lost,
			bool interrupted)
{
	const struct entry_spec s = { "signal", "halted", 10000, 50000, lost, NULL };
	json_t *e = entry(&s), *counts = json_object_get(e, "counts");

	json_object_set_new(counts, "late", json_integer(late));
	json_object_set_new(counts, "unresolved", json_integer(unresolved));
	json_object_set_new(e, "kicks", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "sent", (json_int_t)1000,
						  "rekicks", (json_int_t)0, "failed", (json_int_t)0,
						  "in_window", (json_int_t)4, "honoured", (json_int_t)4,
						  "lost", (json_int_t)kicks_lost));
	json_object_set_new(e, "interrupted", json_boolean(interrupted));
	return e;
}

static json_t *v2_report(json_t *e1, json_t *e2)
{
	json_t *scenarios = json_array();

	json_array_append_new(scenarios, e1);
	if (e2)
		json_array_append_new(scenarios, e2);
	return report_with(scenarios, 2, false);
}

struct outcome {
	size_t nregressions;
	enum compare_verdict verdict[COMPARE_NMETRICS];
	enum compare_status status;
	int exit_status;
};

static struct outcome compare_roots(json_t *base_root, json_t *new_root)
{
	struct compare_report base, new;
	struct compare_result res;
	struct compare_options o;
	struct outcome out = { 0 };

	compare__default_options(&o);
	compare_json(base_root, new_root, &o, &base, &new, &res);
	out.nregressions = res.nregressions;
	for (int m = 0; m < COMPARE_NMETRICS && res.nmatches; m++)
		out.verdict[m] = res.matches[0].cell[m].verdict;
	out.status = res.status;
	out.exit_status = compare__exit_status(&res);
	release(&base, &new, &res);
	return out;
}

static void test_v2_counts(void **state)
{
	struct outcome out;

	(void)state;
	/* One more lost kick: a correctness failure, like a lost request. */
	out = compare_roots(v2_report(v2_entry(0, 0, 0, 0, false), NULL),
			    v2_report(v2_entry(0, 0, 0, 1, false), NULL));
	assert_int_equal(out.verdict[COMPARE_KICKS_LOST], VERDICT_REGRESSION);
	assert_int_equal(out.nregressions, 1);
	assert_int_equal(out.exit_status, 1);

	/* Many more late and unresolved requests: reported, never a failure by themselves. */
	out = compare_roots(v2_report(v2_entry(0, 0, 0, 0, false), NULL),
			    v2_report(v2_entry(0, 400, 90, 0, false), NULL));
	assert_int_equal(out.verdict[COMPARE_LATE], VERDICT_REPORT_ONLY);
	assert_int_equal(out.verdict[COMPARE_UNRESOLVED], VERDICT_REPORT_ONLY);
	assert_int_equal(out.nregressions, 0);
	assert_int_equal(out.exit_status, 0);

	/* v1 BASE, v2 NEW with the same params: v1's lost is v2's lost, and a v1 late is 0. */
	{
		const struct entry_spec s = { "signal", "halted", 10000, 50000, 0, NULL };

		out = compare_roots(report_of(&s, 1), v2_report(v2_entry(2, 7, 0, 1, false), NULL));
	}
	assert_int_equal(out.verdict[COMPARE_LOST], VERDICT_REGRESSION);
	assert_int_equal(out.verdict[COMPARE_LATE], VERDICT_REPORT_ONLY);
	/* v1 says nothing of lost kicks: unknown, so not judged. */
	assert_int_equal(out.verdict[COMPARE_KICKS_LOST], VERDICT_MISSING);
	assert_int_equal(out.nregressions, 1);
}

static void test_partial_repetitions(void **state)
{
	struct compare_report base, new;
	struct compare_result res;
	struct compare_options o;

	(void)state;
	compare__default_options(&o);
	/* NEW's second repetition was cut short with twice the lost count: left out, not judged. */
	compare_json(v2_report(v2_entry(1, 0, 0, 0, false), v2_entry(1, 0, 0, 0, false)),
		     v2_report(v2_entry(1, 0, 0, 0, false), v2_entry(2, 0, 9, 0, true)), &o, &base, &new, &res);
	assert_int_equal(res.nmatches, 1);
	assert_int_equal(res.matches[0].new->partial, 1);
	assert_int_equal(res.matches[0].cell[COMPARE_LOST].nnew, 1);
	assert_int_equal(res.matches[0].cell[COMPARE_LOST].verdict, VERDICT_OK);
	assert_int_equal(res.status, COMPARE_STATUS_OK);
	release(&base, &new, &res);

	/* Every NEW repetition cut short: matched, but nothing was measured on both sides. */
	compare_json(v2_report(v2_entry(0, 0, 0, 0, false), NULL), v2_report(v2_entry(0, 0, 0, 0, true), NULL),
		     &o, &base, &new, &res);
	assert_false(res.matches[0].measured);
	assert_false(res.matches[0].new_failed);
	assert_int_equal(res.status, COMPARE_STATUS_NOTHING);
	assert_non_null(strstr(res.reason, "none was measured in both reports"));
	assert_int_equal(compare__exit_status(&res), 2);
	release(&base, &new, &res);
}

static void expect_status(json_t *base_root, json_t *new_root, enum compare_status status, const char *reason)
{
	struct compare_report base, new;
	struct compare_result res;
	struct compare_options o;

	compare__default_options(&o);
	compare_json(base_root, new_root, &o, &base, &new, &res);
	assert_int_equal(res.status, status);
	if (!strstr(res.reason, reason))
		fail_msg("expected '%s' in '%s'", reason, res.reason);
	assert_int_equal(compare__exit_status(&res), status == COMPARE_STATUS_OK ? 0 :
			 status == COMPARE_STATUS_REGRESSION ? 1 : 2);
	release(&base, &new, &res);
}

static void test_never_passes_on_nothing(void **state)
{
	const struct entry_spec halted = { "signal", "halted", 10000, 50000, 0, NULL };
	const struct entry_spec running = { "signal", "running", 10000, 50000, 0, NULL };
	const struct entry_spec slower = { "signal", "halted", 10000, 150000, 0, NULL };
	const struct entry_spec failed = { "signal", "halted", 0, 0, 0, "could not start the VM" };
	json_t *interrupted;

	(void)state;
	expect_status(report_of(&halted, 1), report_of(&halted, 1), COMPARE_STATUS_OK,
		      "no regression (1 scenario compared)");
	expect_status(report_of(&halted, 1), report_of(NULL, 0), COMPARE_STATUS_NOTHING,
		      "compared nothing: NEW holds no scenario");
	expect_status(report_of(NULL, 0), report_of(&halted, 1), COMPARE_STATUS_NOTHING,
		      "compared nothing: BASE holds no scenario");
	expect_status(report_of(&halted, 1), report_of(&running, 1), COMPARE_STATUS_NOTHING,
		      "no scenario of NEW matches one of BASE");
	/* Failed on both sides: NEW did not get worse, but nothing was compared either. */
	expect_status(report_of(&failed, 1), report_of(&failed, 1), COMPARE_STATUS_NOTHING,
		      "none was measured in both reports");

	/* An interrupted NEW cannot pass, even where what it measured is fine... */
	interrupted = report_of(&halted, 1);
	json_object_set_new(interrupted, "interrupted", json_true());
	expect_status(report_of(&halted, 1), interrupted, COMPARE_STATUS_INTERRUPTED,
		      "NEW is an interrupted run");
	/* ...but a regression in it is still a regression. */
	interrupted = report_of(&slower, 1);
	json_object_set_new(interrupted, "interrupted", json_true());
	expect_status(report_of(&halted, 1), interrupted, COMPARE_STATUS_REGRESSION, "1 regression");
	/* An interrupted BASE is a partial reference: what it holds is compared. */
	interrupted = report_of(&halted, 1);
	json_object_set_new(interrupted, "interrupted", json_true());
	expect_status(interrupted, report_of(&halted, 1), COMPARE_STATUS_OK, "no regression");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v2_counts),
		cmocka_unit_test(test_partial_repetitions),
		cmocka_unit_test(test_never_passes_on_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
