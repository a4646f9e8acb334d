// SPDX-License-Identifier: MIT
/* The JSON report: round trip through text and the contract fields (file writing: test_report_file.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "report.h"
#include "scenario.h"

static struct tsc_clock test_clock = { .khz = 2000000, .source = "test", .calibrated_khz = 2000000 };

static void fill_result(struct scenario_result *r)
{
	scenario_result__init(r, scenario_registry[0]);
	r->params = json_pack("{s:s, s:i}", "protocol", "sigmask", "vcpus", 2);
	r->tally.sent = 1000;
	r->tally.outcome[LEDGER_DELIVERED] = 980;
	r->tally.outcome[LEDGER_LATE] = 10;
	r->tally.outcome[LEDGER_COALESCED] = 6;
	r->tally.outcome[LEDGER_LOST] = 3;
	r->tally.outcome[LEDGER_UNRESOLVED] = 1;
	r->kicks = (struct kick_counts){ .sent = 1000, .rekicks = 3, .window_known = true,
					 .window = { .in_window = 5, .honoured = 2, .lost = 3 } };
	for (uint64_t i = 1; i <= 3; i++)
		histogram__record(r->tally.latency[SAMPLE_LOST_THEN_SERVED], 4000000000ull * i);
	r->latency = calloc(1, sizeof(*r->latency));
	histogram__init(r->latency);
	for (uint64_t i = 1; i <= 990; i++)
		histogram__record(r->latency, 2000 * i);	/* 1 us .. 990 us at 2 GHz */
	r->delivery = json_pack("{s:s, s:s}", "path", "wakeup", "reason", "test");
	r->completed = true;
	r->elapsed_s = 1.5;
}

static void scenario_round_trips_through_text(void **state)
{
	struct scenario_result r;
	struct histogram back;
	json_error_t err;

	(void)state;
	fill_result(&r);
	json_t *o = report__scenario_json(&r, &test_clock);
	char *text = json_dumps(o, JSON_SORT_KEYS);
	json_t *parsed = json_loads(text, 0, &err);

	assert_non_null(parsed);
	assert_string_equal(json_string_value(json_object_get(parsed, "name")), "signal");
	json_t *counts = json_object_get(parsed, "counts");
	assert_int_equal(json_integer_value(json_object_get(counts, "sent")), 1000);
	assert_int_equal(json_integer_value(json_object_get(counts, "delivered")), 980);
	assert_int_equal(json_integer_value(json_object_get(counts, "late")), 10);
	assert_int_equal(json_integer_value(json_object_get(counts, "coalesced")), 6);
	assert_int_equal(json_integer_value(json_object_get(counts, "lost")), 3);
	assert_int_equal(json_integer_value(json_object_get(counts, "unresolved")), 1);
	json_t *kicks = json_object_get(parsed, "kicks");
	assert_int_equal(json_integer_value(json_object_get(kicks, "in_window")), 5);
	assert_int_equal(json_integer_value(json_object_get(kicks, "lost")), 3);
	assert_int_equal(json_integer_value(json_object_get(kicks, "rekicks")), 3);
	/* Which samples are which: the lost requests' waits are kept apart. */
	json_t *by = json_object_get(parsed, "latency_by_outcome_ns");
	assert_true(json_is_null(json_object_get(by, "delivered")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(by, "lost_then_served"),
							    "count")), 3);
	assert_true(json_is_null(json_object_get(parsed, "error")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(parsed, "delivery"), "path")),
			    "wakeup");

	/* Latency is in ns: 2000 ticks at 2 GHz is 1000 ns. */
	json_t *lat = json_object_get(parsed, "latency_ns");
	assert_int_equal(json_integer_value(json_object_get(lat, "count")), 990);
	assert_int_equal(json_integer_value(json_object_get(lat, "min")), 1000);
	assert_int_equal(json_integer_value(json_object_get(lat, "max")), 990000);
	assert_int_equal(histogram__from_json(&back, lat), 0);
	assert_int_equal(back.count, 990);
	uint64_t p99 = histogram__percentile(&back, 99.0);
	assert_true(p99 >= 980000 * 0.99 && p99 <= 981000 * 1.01);

	free(text);
	json_decref(parsed);
	json_decref(o);
	scenario_result__release(&r);
}

static void report_has_the_contract_fields(void **state)
{
	struct ks_config cfg;
	struct report rep;
	struct scenario_result r;

	(void)state;
	config__defaults(&cfg);
	cfg.scenarios[cfg.nscenarios++] = scenario_registry[0];
	report__init(&rep, &cfg, json_object(), "2026-11-24T00:00:00Z");
	fill_result(&r);
	report__add(&rep, &r, &test_clock);
	scenario_result__release(&r);
	report__finish(&rep, true, "2026-11-24T00:00:05Z");

	static const char *const keys[] = { "schema_version", "tool", "started_at", "finished_at",
					    "interrupted", "host", "config", "scenarios" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_non_null(json_object_get(rep.root, keys[i]));
	assert_int_equal(json_integer_value(json_object_get(rep.root, "schema_version")),
			 REPORT_SCHEMA_VERSION);
	assert_true(json_is_true(json_object_get(rep.root, "interrupted")));
	assert_int_equal(json_array_size(json_object_get(rep.root, "scenarios")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(rep.root, "config"),
							    "lost_after_ms")), KS_DEFAULT_LOST_AFTER_MS);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(rep.root, "config"), "protocol")), "immediate-exit");
	report__release(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(scenario_round_trips_through_text),
		cmocka_unit_test(report_has_the_contract_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
