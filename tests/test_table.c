// SPDX-License-Identifier: MIT
/*
 * The human table built from report JSON: which columns appear for v1 and
 * v2 reports, what their cells say, repetitions and medians, columns that
 * fit large values, markdown, and sweep detection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "grid.h"
#include "report_fixture.h"
#include "report_groups.h"
#include "report_read.h"
#include "table.h"

#define NONE ((size_t)-1)

static struct grid *table_of(const json_t *root, const char *only)
{
	struct table_options o;
	struct grid *t;

	table__default_options(&o);
	o.scenario = only;
	t = table__scenarios(root, &o);
	assert_non_null(t);
	return t;
}

/* The first row whose scenario and rep cells are these. */
static size_t row_of(const struct grid *t, const char *scenario, const char *rep)
{
	size_t sc = grid__find(t, "scenario"), rc = grid__find(t, "rep");

	for (size_t r = 0; r < grid__rows(t); r++)
		if (!strcmp(grid__cell(t, r, sc), scenario) && (rc == NONE || !strcmp(grid__cell(t, r, rc), rep)))
			return r;
	fail_msg("no row %s #%s", scenario, rep);
	return NONE;
}

static const char *cell(const struct grid *t, const char *scenario, const char *rep, const char *head)
{
	size_t c = grid__find(t, head);

	if (c == NONE)
		fail_msg("no column '%s'", head);
	return grid__cell(t, row_of(t, scenario, rep), c);
}

static char *print(const struct grid *t, enum grid_format f)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	grid__print(t, f, out);
	fclose(out);
	return text;
}

static void v1_columns_and_cells(void **state)
{
	json_t *root = report_fixture__load("report-v1.json");
	struct grid *t = table_of(root, NULL);
	static const char *const heads[] = { "scenario", "rep", "target", "protocol", "sent", "deliv", "late",
					     "coal", "lost", "unres", "p50 us", "p90 us", "p99 us",
					     "p99.9 us", "max us", "path" };

	(void)state;
	assert_int_equal(grid__columns(t), sizeof(heads) / sizeof(heads[0]));
	for (size_t c = 0; c < grid__columns(t); c++)
		assert_string_equal(grid__head(t, c), heads[c]);
	/* Four scenarios twice each, and a median row per scenario. */
	assert_int_equal(grid__rows(t), 4 * 3);
	assert_string_equal(cell(t, "signal", "2", "sent"), "100");
	assert_string_equal(cell(t, "signal", "1", "protocol"), "immediate-exit");
	/* v1 never recorded late or unresolved: not a zero it cannot vouch for. */
	assert_string_equal(cell(t, "signal", "1", "late"), "-");
	assert_string_equal(cell(t, "signal", "1", "unres"), "-");
	assert_string_equal(cell(t, "signal", "1", "path"), "wakeup");
	/* v1 wrote unknown for the scenarios without a kick path. */
	assert_string_equal(cell(t, "floor", "1", "path"), "-");
	assert_string_equal(cell(t, "broadcast", "median", "path"), "-");
	assert_string_equal(cell(t, "floor", "1", "target"), "-");
	assert_string_equal(cell(t, "broadcast", "2", "coal"), "396");
	grid__free(t);
	json_decref(root);
}

static void v2_columns_and_cells(void **state)
{
	json_t *root = report_fixture__load("report-v2.json");
	struct grid *t = table_of(root, NULL);
	char *text = print(t, GRID_TEXT);

	(void)state;
	assert_true(grid__find(t, "lost kicks") != NONE);
	assert_string_equal(cell(t, "signal", "1", "late"), "3");
	assert_string_equal(cell(t, "signal", "1", "deliv"), "97");
	assert_string_equal(cell(t, "signal", "1", "lost kicks"), "0");
	assert_string_equal(cell(t, "msi", "1", "lost kicks"), "-");
	assert_string_equal(cell(t, "msi", "2", "lost"), "1");
	assert_string_equal(cell(t, "msi", "1", "protocol"), "-");
	assert_string_equal(cell(t, "floor", "2", "path"), "-");
	assert_string_equal(cell(t, "broadcast", "1", "path"), "-");
	/* Medians of two repetitions: the mean of the middle pair. */
	assert_string_equal(cell(t, "signal", "median", "late"), "1.5");
	assert_string_equal(cell(t, "msi", "median", "sent"), "100.5");
	/* The scenario that did not run: no latency, its error under the row. */
	assert_string_equal(cell(t, "ipi", "1", "p50 us"), "-");
	assert_non_null(strstr(text, "\n  error: not available on this host"));
	assert_null(strstr(text, "late and unresolved were not recorded"));
	free(text);
	grid__free(t);
	json_decref(root);
}

/* msi, floor and broadcast have no signal protocol: with signal filtered out the column goes. */
static void no_protocol_column_without_a_protocol(void **state)
{
	json_t *root = report_fixture__load("report-v2.json");
	struct grid *t = table_of(root, "msi,floor");

	(void)state;
	assert_true(grid__find(t, "protocol") == NONE);
	assert_true(grid__find(t, "lost kicks") == NONE);
	assert_true(grid__find(t, "p90 us") != NONE);
	assert_int_equal(grid__rows(t), 6);
	grid__free(t);
	json_decref(root);
}

static void chosen_percentiles_become_columns(void **state)
{
	json_t *root = report_fixture__load("report-v1.json");
	const json_t *lat = json_object_get(json_array_get(json_object_get(root, "scenarios"), 0), "latency_ns");
	struct table_options o;
	struct grid *t;
	char want[32];

	(void)state;
	table__default_options(&o);
	o.percentiles[0] = 50;
	o.percentiles[1] = 99.5;
	o.npercentiles = 2;
	t = table__scenarios(root, &o);
	assert_true(grid__find(t, "p50 us") != NONE);
	assert_true(grid__find(t, "p99.5 us") != NONE);
	assert_true(grid__find(t, "p90 us") == NONE);
	latency__format_us(latency__percentile(lat, 99.5), want, sizeof(want));
	assert_string_equal(cell(t, "signal", "1", "p99.5 us"), want);
	grid__free(t);
	json_decref(root);
}

/* Every line's last column starts at the same offset: the widest cell sets the width. */
static void columns_fit_large_values(void **state)
{
	json_t *root = report_fixture__load("report-v2.json");
	json_t *sc = json_array_get(json_object_get(root, "scenarios"), 1);
	json_t *lat = json_object_get(sc, "latency_ns");
	char *text, *line, *save;
	struct grid *t;
	long offset = -1;

	(void)state;
	json_object_set_new(json_object_get(sc, "counts"), "sent", json_integer(123456789));
	json_object_set_new(lat, "p50", json_integer(34410000));
	t = table_of(root, "msi");
	text = print(t, GRID_TEXT);
	assert_non_null(strstr(text, " 123456789 "));
	assert_non_null(strstr(text, " 34410 "));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		long at = (long)(strrchr(line, ' ') - line);

		if (offset < 0)
			offset = at;
		assert_int_equal(at, offset);
	}
	free(text);
	grid__free(t);
	json_decref(root);
}

static void markdown_is_a_pipe_table(void **state)
{
	json_t *root = report_fixture__load("report-v2.json");
	struct grid *t = table_of(root, "signal,ipi");
	char *text = print(t, GRID_MARKDOWN), *line, *save;
	unsigned rows = 0;

	(void)state;
	assert_true(!strncmp(text, "| scenario | rep | target |", 26));
	assert_non_null(strstr(text, "\n|---|---:|---|"));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t pipes = 0;

		if (line[0] != '|')
			continue;
		for (char *p = line; *p; p++)
			pipes += *p == '|';
		assert_int_equal(pipes, grid__columns(t) + 1);
		rows++;
	}
	/* Header, separator, two signal repetitions, their median and ipi. */
	assert_int_equal(rows, 6);
	free(text);
	grid__free(t);
	json_decref(root);
}

static void a_vcpu_sweep_gets_a_sweep_table(void **state)
{
	json_t *root = report_fixture__load("report-sweep.json");
	struct table_options o;
	struct grid **sw;
	size_t n;

	(void)state;
	table__default_options(&o);
	sw = table__sweeps(root, &o, &n);
	assert_int_equal(n, 1);
	assert_int_equal(grid__rows(sw[0]), 4);
	assert_string_equal(grid__head(sw[0], 0), "vcpus");
	for (size_t r = 0; r < 4; r++)
		assert_int_equal(atoi(grid__cell(sw[0], r, 0)), 1 << r);
	assert_true(grid__find(sw[0], "memslot p99") != NONE);
	assert_true(grid__find(sw[0], "lost") != NONE);
	grid__free(sw[0]);
	free(sw);
	json_decref(root);

	root = report_fixture__load("report-v1.json");
	sw = table__sweeps(root, &o, &n);
	assert_int_equal(n, 0);
	assert_null(sw);
	json_decref(root);
}

/* A matrix: signal at vcpus 1, 2, 4 for each of two sender counts, and msi twice alike. */
static json_t *matrix(void)
{
	json_t *scenarios = json_array();

	for (int senders = 1; senders <= 2; senders++)
		for (int vcpus = 1; vcpus <= 4; vcpus *= 2)
			json_array_append_new(scenarios, json_pack("{s:s, s:{s:i, s:i, s:s}, s:{}}", "name",
								   "signal", "params", "vcpus", vcpus, "senders",
								   senders, "target_state", "halted", "counts"));
	json_array_append_new(scenarios, json_pack("{s:s, s:{s:i}, s:{}}", "name", "msi", "params", "vcpus", 2,
						   "counts"));
	json_array_append_new(scenarios, json_pack("{s:s, s:{s:i}, s:{}}", "name", "msi", "params", "vcpus", 2,
						   "counts"));
	return json_pack("{s:i, s:o}", "schema_version", 2, "scenarios", scenarios);
}

static void sweeps_follow_the_parameter_with_most_points(void **state)
{
	json_t *root = matrix();
	struct report_groups gs;
	struct sweeps sw;

	(void)state;
	report_groups__build(&gs, root, NULL);
	assert_int_equal(gs.n, 7);
	assert_int_equal(gs.group[6].n, 2);
	assert_string_equal(gs.group[4].varying, "senders=2 vcpus=2");
	assert_string_equal(gs.group[6].varying, "");
	report_groups__sweeps(&gs, &sw);
	assert_int_equal(sw.n, 1);
	assert_string_equal(sw.sweep[0].name, "signal");
	/* vcpus has three values, senders two: the sweep runs along vcpus, one series per sender count. */
	assert_string_equal(sw.sweep[0].key, "vcpus");
	assert_int_equal(sw.sweep[0].nseries, 2);
	assert_string_equal(sw.sweep[0].series[0].label, "senders=1");
	assert_int_equal(sw.sweep[0].series[1].n, 3);
	assert_true(sw.sweep[0].series[1].x[2] == 4);
	report_groups__release_sweeps(&sw);
	report_groups__release(&gs);
	json_decref(root);
}

/* A halt-poll-ns sweep of msi: latency, CPU per request and polls per point. */
static json_t *halt_poll_sweep(void)
{
	json_t *scenarios = json_array();
	static const int limits[] = { 0, 50000, 1000000 };

	for (int i = 0; i < 3; i++) {
		json_t *lat = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "count", 10, "min", 9000,
					"p50", 20000 - 5000 * i, "p90", 30000, "p99", 40000, "p999", 40000,
					"max", 40000, "p9999", 40000);

		json_array_append_new(scenarios, json_pack(
			"{s:s, s:{s:i, s:s}, s:{s:i, s:i, s:i, s:i, s:i, s:i}, s:o, s:{s:{s:f, s:o}}}",
			"name", "msi", "params", "halt_poll_ns", limits[i], "target_state", "halted",
			"counts", "sent", 10, "delivered", 10, "late", 0, "coalesced", 0, "lost", 0, "unresolved", 0,
			"latency_ns", lat, "kvm_stats", "halt_poll", "cpu_ns_per_request", 30000.0 + 1000 * i,
			"poll_success_ratio", i ? json_real(0.5 * i) : json_null()));
	}
	return json_pack("{s:i, s:o}", "schema_version", 2, "scenarios", scenarios);
}

/* Halt polling's trade-off in one table: latency beside the CPU each request cost. */
static void cpu_per_request_beside_the_latency(void **state)
{
	json_t *root = halt_poll_sweep();
	struct table_options o;
	struct grid *t = table_of(root, NULL), **sw;
	size_t n;

	(void)state;
	assert_true(grid__find(t, "cpu/req us") > grid__find(t, "max us"));
	assert_string_equal(grid__cell(t, 1, grid__find(t, "cpu/req us")), "31.0");
	grid__free(t);
	table__default_options(&o);
	sw = table__sweeps(root, &o, &n);
	assert_int_equal(n, 1);
	assert_string_equal(grid__head(sw[0], 0), "halt_poll_ns");
	/* Whole numbers print whole: 1000000, not 1e+06. */
	assert_string_equal(grid__cell(sw[0], 2, 0), "1000000");
	assert_string_equal(grid__cell(sw[0], 0, grid__find(sw[0], "polls ok %")), "-");
	assert_string_equal(grid__cell(sw[0], 2, grid__find(sw[0], "polls ok %")), "100.0");
	assert_string_equal(grid__cell(sw[0], 2, grid__find(sw[0], "cpu/req us")), "32.0");
	/* No entry records lost kicks: no such column. */
	assert_true(grid__find(sw[0], "lost kicks") == NONE);
	grid__free(sw[0]);
	free(sw);
	json_decref(root);

	/* Reports without kvm_stats.halt_poll (v1, older v2) get no such column. */
	root = report_fixture__load("report-v2.json");
	t = table_of(root, NULL);
	assert_true(grid__find(t, "cpu/req us") == NONE);
	grid__free(t);
	json_decref(root);
}

static void bad_reports_are_refused_with_a_reason(void **state)
{
	static const char *const bad[][2] = {
		{ "[]", "not a JSON object" },
		{ "{\"scenarios\": []}", "schema_version" },
		{ "{\"schema_version\": 3, \"scenarios\": []}", "schema_version 3 is not supported" },
		{ "{\"schema_version\": 1}", "no \"scenarios\" array" },
		{ "{\"schema_version\": 2, \"scenarios\": [{\"name\": \"x\", \"params\": {}}]}", "counts" },
		{ "{\"schema_version\": 1, \"scenarios\": [{\"name\": \"x\", \"params\": {}, \"counts\": {},"
		  "\"latency_ns\": {\"count\": 2, \"min\": 1, \"max\": 2, \"bins\": [{\"lo\": 1, \"hi\": 2, \"count\": 1}]}}]}",
		  "sum to 1" },
	};
	char why[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *doc = json_loads(bad[i][0], 0, NULL);

		assert_non_null(doc);
		assert_int_equal(report_read__check(doc, why, sizeof(why)), -1);
		if (!strstr(why, bad[i][1]))
			fail_msg("'%s': reason '%s' lacks '%s'", bad[i][0], why, bad[i][1]);
		json_decref(doc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(v1_columns_and_cells),
		cmocka_unit_test(v2_columns_and_cells),
		cmocka_unit_test(no_protocol_column_without_a_protocol),
		cmocka_unit_test(chosen_percentiles_become_columns),
		cmocka_unit_test(columns_fit_large_values),
		cmocka_unit_test(markdown_is_a_pipe_table),
		cmocka_unit_test(a_vcpu_sweep_gets_a_sweep_table),
		cmocka_unit_test(sweeps_follow_the_parameter_with_most_points),
		cmocka_unit_test(cpu_per_request_beside_the_latency),
		cmocka_unit_test(bad_reports_are_refused_with_a_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
