// SPDX-License-Identifier: MIT
/* The time a run has left, as the progress line estimates it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "progress.h"

static void nothing_known_yet(void **state)
{
	(void)state;
	/* No kick counted and no --duration: no estimate rather than a wrong one. */
	assert_true(progress__left_s(0, 1000, 0.5, 0, 0, 1, 0.5) < 0);
	assert_true(progress__left_s(0, 0, 0.5, 0, 0, 1, 0.5) < 0);
}

static void one_storm_at_its_pace(void **state)
{
	(void)state;
	/* A quarter done in 1 s: 3 s to go. */
	assert_float_equal(progress__left_s(250, 1000, 1.0, 0, 0, 1, 1.0), 3.0, 1e-9);
	/* --duration ends it sooner than the count would. */
	assert_float_equal(progress__left_s(250, 1000, 1.0, 2.0, 0, 1, 1.0), 1.0, 1e-9);
	/* Only --duration: its own clock. */
	assert_float_equal(progress__left_s(500, 0, 1.5, 4.0, 0, 1, 1.5), 2.5, 1e-9);
	/* Past the count (re-kicks, a burst's tail): nothing left, not negative. */
	assert_float_equal(progress__left_s(1010, 1000, 2.0, 0, 0, 1, 2.0), 0.0, 1e-9);
}

static void the_runs_still_to_come(void **state)
{
	(void)state;
	/* Third of four runs, the first two took 2 s each: 1 s of this one plus one more run. */
	assert_float_equal(progress__left_s(500, 1000, 1.0, 0, 2, 4, 5.0), 1.0 + 2.0, 1e-9);
	/* First of three: the others are taken to be like this one. */
	assert_float_equal(progress__left_s(500, 1000, 1.0, 0, 0, 3, 1.0), 1.0 + 2 * 2.0, 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nothing_known_yet),
		cmocka_unit_test(one_storm_at_its_pace),
		cmocka_unit_test(the_runs_still_to_come),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
