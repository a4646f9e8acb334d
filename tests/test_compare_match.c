// SPDX-License-Identifier: MIT
/*
 * Unit tests for compare_group.c and compare_match.c: --match-ignore, the
 * closest namesake of an unmatched scenario and the params in which they
 * differ, labels, and matching at scale (10 000 scenarios, matched and
 * unmatched; the result is asserted, the time is bench/compare-scale.sh's
 * business).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "compare.h"
#include "compare_fixtures.h"
#include "compare_format.h"

/* n signal scenarios that differ in seed, all with this deadline. */
static json_t *seeded(size_t n, int deadline_ms, bool extra_param)
{
	json_t *scenarios = json_array();

	for (size_t i = 0; i < n; i++) {
		const struct entry_spec s = { "signal", "halted", 10000, 50000, 0, NULL };
		json_t *e = entry(&s), *params = json_object_get(e, "params");

		json_object_set_new(params, "seed", json_integer((json_int_t)i));
		json_object_set_new(params, "deadline_ms", json_integer(deadline_ms));
		if (extra_param)
			json_object_set_new(params, "lost_after_ms", json_integer(1000));
		json_array_append_new(scenarios, e);
	}
	return report_with(scenarios, 1, false);
}

static void test_match_ignore_parsing(void **state)
{
	static const char *const bad[][2] = {
		{ "", "'' is not a param name" },
		{ "deadline_ms,", "'' is not a param name" },
		{ ",seed", "'' is not a param name" },
		{ "Deadline", "'Deadline' is not a param name" },
		{ "a b", "'a b' is not a param name" },
	};
	struct compare_options o;
	char why[256];

	(void)state;
	compare__default_options(&o);
	assert_int_equal(compare__parse_match_ignore(&o, "deadline_ms,gap_ns", why, sizeof(why)), 0);
	assert_int_equal(compare__parse_match_ignore(&o, "seed", why, sizeof(why)), 0);
	assert_int_equal(o.nignored, 3);
	assert_true(compare__ignored(&o, "gap_ns"));
	assert_true(compare__ignored(&o, "seed"));
	assert_false(compare__ignored(&o, "vcpus"));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_int_equal(compare__parse_match_ignore(&o, bad[i][0], why, sizeof(why)), -1);
		if (!strstr(why, bad[i][1]) || !strstr(why, "allowed"))
			fail_msg("'%s': got '%s'", bad[i][0], why);
	}
}

/* The case: the reference was made with another --deadline. */
static void test_closest_names_the_difference(void **state)
{
	struct compare_report base, new;
	struct compare_result res;
	struct compare_options o;
	char text[512];

	(void)state;
	compare__default_options(&o);
	compare_json(seeded(3, 1000, false), seeded(3, 10, false), &o, &base, &new, &res);
	assert_int_equal(res.nmatches, 0);
	assert_int_equal(res.status, COMPARE_STATUS_NOTHING);
	assert_int_equal(res.nbase_only, 3);
	assert_int_equal(res.nnew_only, 3);
	for (size_t i = 0; i < 3; i++) {
		const struct compare_unmatched *u = &res.base_only[i];

		assert_non_null(u->closest);
		/* The seed matches too: the closest is the one that differs in deadline_ms only. */
		assert_ptr_equal(u->closest, &new.groups[i]);
		assert_int_equal(u->ndiffs, 1);
		assert_string_equal(u->diffs[0].param, "deadline_ms");
		assert_string_equal(u->diffs[0].base_value, "1000");
		assert_string_equal(u->diffs[0].new_value, "10");
	}
	compare__unmatched_text(&res.new_only[0], false, text, sizeof(text));
	assert_string_equal(text, "closest in BASE differs in deadline_ms: 1000 vs 10 (BASE vs NEW)");
	assert_string_equal(res.base_only[0].group->label, "signal deadline_ms=1000 seed=0");
	release(&base, &new, &res);

	/*
	 * A param only NEW records (BASE predates it) is left out of matching
	 * and said to be; the one that differs is still named.
	 */
	compare_json(seeded(1, 1000, false), seeded(1, 10, true), &o, &base, &new, &res);
	assert_int_equal(res.nleft_out, 1);
	assert_string_equal(res.left_out[0].param, "lost_after_ms");
	assert_true(res.left_out[0].recorded_by_new);
	assert_int_equal(res.base_only[0].ndiffs, 1);
	compare__unmatched_text(&res.base_only[0], true, text, sizeof(text));
	assert_string_equal(text, "closest in NEW differs in deadline_ms: 1000 vs 10 (BASE vs NEW)");
	release(&base, &new, &res);

	/* Both record it, with other values: it tells them apart, absent ones are named as such. */
	compare_json(seeded(1, 1000, true), seeded(1, 10, false), &o, &base, &new, &res);
	assert_int_equal(res.nleft_out, 1);
	assert_false(res.left_out[0].recorded_by_new);
	release(&base, &new, &res);

	/* Deliberately different: --match-ignore leaves the param out of the matching. */
	assert_int_equal(compare__parse_match_ignore(&o, "deadline_ms", text, sizeof(text)), 0);
	compare_json(seeded(3, 1000, false), seeded(3, 10, false), &o, &base, &new, &res);
	assert_int_equal(res.nmatches, 3);
	assert_int_equal(res.nbase_only + res.nnew_only, 0);
	assert_int_equal(res.status, COMPARE_STATUS_OK);
	/* Ignored params are not part of the label either. */
	assert_string_equal(res.matches[2].label, "signal seed=2");
	release(&base, &new, &res);
}

/* n signal entries with halt_poll_ns: one value, or n values (a sweep of it). */
static json_t *halt_polled(size_t n, bool swept, json_t *sweep_spec)
{
	json_t *scenarios = json_array(), *root;

	for (size_t i = 0; i < n; i++) {
		const struct entry_spec s = { "signal", "halted", 10000, 50000, 0, NULL };
		json_t *e = entry(&s), *params = json_object_get(e, "params");

		json_object_set_new(params, "halt_poll_ns", json_integer(swept ? (json_int_t)i * 1000 : 200000));
		json_object_set_new(params, "deadline_ms", json_integer(10));
		json_object_set_new(params, "seed", json_integer(swept ? 0 : (json_int_t)i));
		json_array_append_new(scenarios, e);
	}
	root = report_with(scenarios, 2, false);
	if (sweep_spec)
		json_object_set_new(root, "config", json_pack("{s:o}", "sweep", sweep_spec));
	return root;
}

/* A report made before kickstorm recorded a param still matches a newer one. */
static void test_params_only_one_report_records(void **state)
{
	struct compare_report base, new;
	struct compare_result res;
	struct compare_options o;
	char text[512];

	(void)state;
	compare__default_options(&o);
	compare_json(seeded(3, 10, false), halt_polled(3, false, NULL), &o, &base, &new, &res);
	assert_int_equal(res.nmatches, 3);
	assert_int_equal(res.status, COMPARE_STATUS_OK);
	assert_int_equal(res.nleft_out, 1);
	assert_string_equal(res.left_out[0].name, "signal");
	assert_string_equal(res.left_out[0].param, "halt_poll_ns");
	release(&base, &new, &res);

	/* The other way round too. */
	compare_json(halt_polled(3, false, NULL), seeded(3, 10, false), &o, &base, &new, &res);
	assert_int_equal(res.nmatches, 3);
	assert_false(res.left_out[0].recorded_by_new);
	release(&base, &new, &res);

	/*
	 * A param NEW varies (it swept it) stays: leaving it out would pool
	 * different runs. BASE never ran those points; NEW's points say so.
	 */
	compare_json(seeded(1, 10, false), halt_polled(2, true, json_pack("{s:s, s:s, s:[i, i]}",
		     "parameter", "halt-poll-ns", "key", "halt_poll_ns", "points", 0, 1000)),
		     &o, &base, &new, &res);
	assert_int_equal(res.nleft_out, 0);
	assert_int_equal(res.nmatches, 0);
	assert_int_equal(res.nnew_only, 2);
	release(&base, &new, &res);

	/* Two sweeps with a point in common: it matches, the others are named as points. */
	compare_json(halt_polled(2, true, json_pack("{s:s, s:s, s:[i, i]}", "parameter", "halt-poll-ns",
						    "key", "halt_poll_ns", "points", 0, 1000)),
		     halt_polled(3, true, json_pack("{s:s, s:s, s:[i, i, i]}", "parameter", "halt-poll-ns",
						    "key", "halt_poll_ns", "points", 0, 1000, 2000)),
		     &o, &base, &new, &res);
	assert_int_equal(res.nmatches, 2);
	assert_int_equal(res.nbase_only, 0);
	assert_int_equal(res.nnew_only, 1);
	assert_string_equal(res.new_only[0].sweep_param, "halt-poll-ns");
	compare__unmatched_text(&res.new_only[0], false, text, sizeof(text));
	assert_string_equal(text, "a point of NEW's halt-poll-ns sweep that BASE did not run; closest in "
			    "BASE differs in halt_poll_ns: 0 vs 2000 (BASE vs NEW)");
	release(&base, &new, &res);
}

static void test_no_namesake(void **state)
{
	const struct entry_spec a = { "msi", "halted", 1, 2, 0, NULL }, b = { "ipi", "halted", 1, 2, 0, NULL };
	struct compare_report base, new;
	struct compare_result res;
	struct compare_options o;
	char text[256];

	(void)state;
	compare__default_options(&o);
	compare_json(report_of(&a, 1), report_of(&b, 1), &o, &base, &new, &res);
	assert_null(res.base_only[0].closest);
	compare__unmatched_text(&res.base_only[0], true, text, sizeof(text));
	assert_string_equal(text, "NEW has no scenario named 'msi'");
	release(&base, &new, &res);
}

/* A label cut at its buffer's end keeps whole UTF-8 characters (JSON and XML need them). */
static void test_long_labels_stay_utf8(void **state)
{
	struct compare_report base, new;
	struct compare_result res;
	struct compare_options o;
	char value[1200] = "", full[1024], text[512];
	json_t *root, *checked;

	(void)state;
	for (int i = 0; i < 300; i++)
		strcat(value, i % 2 ? "\xc3\xa9" : "\xe2\x82\xac");	/* é, € */
	root = seeded(2, 10, false);
	json_object_set_new(json_object_get(json_array_get(json_object_get(root, "scenarios"), 0), "params"),
			    "target_state", json_string(value));
	compare__default_options(&o);
	compare_json(root, seeded(1, 1000, false), &o, &base, &new, &res);
	assert_true(strlen(base.groups[0].label) > 150);
	checked = json_string(base.groups[0].label);
	assert_non_null(checked);
	json_decref(checked);
	compare__full_label(&base.groups[0], full, sizeof(full));
	checked = json_string(full);
	assert_non_null(checked);
	json_decref(checked);
	compare__unmatched_text(&res.base_only[0], true, text, sizeof(text));
	checked = json_string(text);
	assert_non_null(checked);
	json_decref(checked);
	release(&base, &new, &res);
}

#define SCALE 10000

/* The measure: 10 000 scenarios against themselves (quadratic matching took minutes). */
static void test_scale(void **state)
{
	struct compare_report base, new;
	struct compare_result res;
	struct compare_options o;

	(void)state;
	compare__default_options(&o);
	compare_json(seeded(SCALE, 10, false), seeded(SCALE, 10, false), &o, &base, &new, &res);
	assert_int_equal(res.nmatches, SCALE);
	assert_int_equal(res.nmeasured, SCALE);
	assert_int_equal(res.nregressions, 0);
	assert_int_equal(res.status, COMPARE_STATUS_OK);
	assert_string_equal(res.matches[SCALE - 1].label, "signal seed=9999");
	assert_ptr_equal(res.matches[1234].new, &new.groups[1234]);
	release(&base, &new, &res);

	/* All unmatched: every one still finds the namesake that differs in one param. */
	compare_json(seeded(SCALE, 1000, false), seeded(SCALE, 10, false), &o, &base, &new, &res);
	assert_int_equal(res.nmatches, 0);
	assert_int_equal(res.nbase_only, SCALE);
	for (size_t i = 0; i < SCALE; i++) {
		if (res.base_only[i].ndiffs != 1 || res.base_only[i].closest != &new.groups[i])
			fail_msg("base_only[%zu]: %zu differences", i, res.base_only[i].ndiffs);
	}
	release(&base, &new, &res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_ignore_parsing),
		cmocka_unit_test(test_closest_names_the_difference),
		cmocka_unit_test(test_params_only_one_report_records),
		cmocka_unit_test(test_no_namesake),
		cmocka_unit_test(test_long_labels_stay_utf8),
		cmocka_unit_test(test_scale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
