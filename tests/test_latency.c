// SPDX-License-Identifier: MIT
/*
 * Latency read back from a report: percentiles from bins agree with the
 * histogram that wrote them, log2 buckets keep every sample, and the
 * --percentiles list refuses what it should.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hist_text.h"
#include "histogram.h"
#include "latency.h"
#include "report_fixture.h"

/* A spread with a long tail, so percentiles fall in different bins. */
static void fill(struct histogram *h, uint64_t seed, unsigned n)
{
	uint64_t x = seed;

	histogram__init(h);
	for (unsigned i = 0; i < n; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		histogram__record(h, 20000 + (x >> 40) % 30000 + (i % 97 == 0 ? (x >> 20) % 3000000 : 0));
	}
}

static const double any_percentiles[] = { 0.1, 12.5, 37.5, 50, 63.2, 90, 95, 99, 99.5, 99.9, 99.95, 99.99 };

static void computed_percentiles_match_the_histogram(void **state)
{
	struct histogram *h = calloc(1, sizeof(*h));
	json_t *lat;

	(void)state;
	fill(h, 7, 20011);
	/* 1 ns per unit: the JSON bins are the histogram's own, so every percentile must agree exactly. */
	lat = histogram__to_json(h, 1.0);
	for (size_t i = 0; i < sizeof(any_percentiles) / sizeof(any_percentiles[0]); i++) {
		json_t *copy = json_deep_copy(lat);

		/* Without the stored keys every percentile comes from the bins. */
		json_object_del(copy, "p50");
		json_object_del(copy, "p90");
		json_object_del(copy, "p99");
		json_object_del(copy, "p999");
		json_object_del(copy, "p9999");
		assert_int_equal((uint64_t)latency__percentile(copy, any_percentiles[i]),
				 histogram__percentile(h, any_percentiles[i]));
		json_decref(copy);
	}
	assert_int_equal((uint64_t)latency__percentile(lat, 100), h->max);
	json_decref(lat);
	free(h);
}

static void stored_percentiles_are_taken_as_stored(void **state)
{
	json_t *lat = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:[{s:i, s:i, s:i}]}",
				"count", 4, "min", 10, "max", 40, "p50", 111, "p90", 222, "p99", 333,
				"p999", 444, "p9999", 555, "bins", "lo", 10, "hi", 40, "count", 4);

	(void)state;
	assert_true(latency__percentile(lat, 50) == 111);
	assert_true(latency__percentile(lat, 99.9) == 444);
	assert_true(latency__percentile(lat, 99.99) == 555);
	/* Not stored: from the one bin, its midpoint. */
	assert_true(latency__percentile(lat, 75) == 25);
	assert_true(isnan(latency__percentile(json_null(), 50)));
	json_decref(lat);
}

/* In a real report (ns_per_unit != 1) the bins still lead to the stored values' bins. */
static void fixture_bins_agree_with_stored_percentiles(void **state)
{
	json_t *root = report_fixture__load("report-v1.json"), *sc;
	static const struct { double pct; const char *key; } stored[] = {
		{ 50, "p50" }, { 90, "p90" }, { 99, "p99" }, { 99.9, "p999" },
	};
	size_t i, checked = 0;

	(void)state;
	json_array_foreach(json_object_get(root, "scenarios"), i, sc) {
		const json_t *lat = json_object_get(sc, "latency_ns");
		struct latency_bins b = { 0 };

		if (!latency__of(lat))
			continue;
		assert_int_equal(latency__bins_add(&b, lat), 0);
		for (size_t k = 0; k < 4; k++) {
			double want = json_number_value(json_object_get(lat, stored[k].key));
			double got = (double)latency__bins_percentile(&b, stored[k].pct);

			/* Rounding each bound to ns moves a midpoint by at most a ns or two. */
			assert_true(fabs(got - want) <= 2 + want * 0.002);
			checked++;
		}
		latency__bins_release(&b);
	}
	assert_true(checked >= 16);
	json_decref(root);
}

static void log2_buckets_keep_every_sample(void **state)
{
	json_t *lat = json_pack("{s:i, s:i, s:i, s:[[i,i,i], [i,i,i], [i,i,i], [i,i,i]]}",
				"count", 2 + 5 + 7 + 1, "min", 0, "max", 1 << 20,
				"bins", 0, 0, 2, 1000, 1003, 5, 1024, 1031, 7, 1 << 20, 1 << 20, 1);
	uint64_t counts[LATENCY_LOG2_BUCKETS] = { 0 }, sum = 0;
	struct latency_bins b = { 0 };
	char why[128];

	(void)state;
	assert_int_equal(latency__check(lat, why, sizeof(why)), 0);
	assert_int_equal(latency__bins_add(&b, lat), 0);
	latency__log2_buckets(&b, counts);
	assert_int_equal(counts[0], 2);		/* [0, 1) */
	assert_int_equal(counts[10], 5);	/* [512, 1K): midpoint 1001 */
	assert_int_equal(counts[11], 7);	/* [1K, 2K) */
	assert_int_equal(counts[21], 1);	/* [1M, 2M) */
	for (int i = 0; i < LATENCY_LOG2_BUCKETS; i++)
		sum += counts[i];
	assert_int_equal(sum, 15);
	latency__bins_release(&b);
	json_decref(lat);
}

/* The text histogram of every fixture entry: its counts add up to latency_ns.count. */
static void text_histogram_sums_to_the_count(void **state)
{
	const char *fixtures[] = { "report-v1.json", "report-v2.json", "report-sweep.json" };
	size_t entries = 0;

	(void)state;
	for (size_t f = 0; f < 3; f++) {
		json_t *root = report_fixture__load(fixtures[f]), *sc;
		size_t i;

		json_array_foreach(json_object_get(root, "scenarios"), i, sc) {
			const json_t *lat = json_object_get(sc, "latency_ns");
			char *text = NULL, *line, *save;
			size_t len = 0;
			unsigned long long sum = 0, c;
			FILE *out = open_memstream(&text, &len);

			if (!latency__of(lat)) {
				fclose(out);
				free(text);
				continue;
			}
			hist_text__print_one(lat, out);
			fclose(out);
			for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
				assert_non_null(strchr(line, '|'));
				assert_int_equal(sscanf(strchr(line, ')') ? strchr(line, ')') + 1 :
							strchr(line, ']') + 1, "%llu", &c), 1);
				sum += c;
			}
			assert_int_equal(sum, json_integer_value(json_object_get(lat, "count")));
			free(text);
			entries++;
		}
		json_decref(root);
	}
	assert_true(entries >= 20);
}

static void histogram_lines_look_like_bpftrace(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	(void)state;
	hist_text__line(out, 15, 1523, 1523);	/* [16K, 32K) */
	hist_text__line(out, 16, 1, 1523);
	fclose(out);
	assert_non_null(strstr(text, "[16K, 32K)"));
	assert_non_null(strstr(text, "1523 |@@@@"));
	/* A lone sample still gets a mark. */
	assert_non_null(strstr(text, "[32K, 64K)"));
	assert_non_null(strstr(text, "1 |@ "));
	free(text);
}

static void malformed_bins_are_refused(void **state)
{
	json_t *wrong_sum = json_pack("{s:i, s:i, s:i, s:[{s:i, s:i, s:i}]}", "count", 5, "min", 1, "max", 2,
				      "bins", "lo", 1, "hi", 2, "count", 4);
	json_t *backwards = json_pack("{s:i, s:i, s:i, s:[[i,i,i]]}", "count", 1, "min", 3, "max", 9,
				      "bins", 9, 3, 1);
	json_t *no_bins = json_pack("{s:i}", "count", 3);
	json_t *no_max = json_pack("{s:i, s:i, s:[[i,i,i]]}", "count", 1, "min", 3, "bins", 3, 3, 1);
	char why[256];

	(void)state;
	assert_int_equal(latency__check(wrong_sum, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "sum to 4"));
	assert_int_equal(latency__check(backwards, why, sizeof(why)), -1);
	assert_int_equal(latency__check(no_bins, why, sizeof(why)), -1);
	assert_int_equal(latency__check(no_max, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "max"));
	json_decref(no_max);
	json_decref(wrong_sum);
	json_decref(backwards);
	json_decref(no_bins);
}

static void percentile_lists_parse_and_refuse(void **state)
{
	static const char *const bad[] = {
		"", ",", "50,", ",50", "50,,90", "0", "101", "-5", "0x10", "1e2", "nan", "inf",
		"50,50", "ninety", "50 ", "1,2,3,4,5,6,7,8,9,10,11,12,13",
	};
	double p[LATENCY_MAX_PERCENTILES];
	char why[256];
	size_t n;

	(void)state;
	assert_int_equal(latency__parse_percentiles("50,90,99.9,99.999,100", p, &n, why, sizeof(why)), 0);
	assert_int_equal(n, 5);
	assert_true(p[2] == 99.9 && p[3] == 99.999 && p[4] == 100);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		if (latency__parse_percentiles(bad[i], p, &n, why, sizeof(why)) != -1)
			fail_msg("'%s' was accepted", bad[i]);
		assert_non_null(strstr(why, "--percentiles"));
	}
	assert_int_equal(latency__default_percentiles(p), 4);
	assert_true(p[0] == 50 && p[1] == 90 && p[2] == 99 && p[3] == 99.9);
}

static void microseconds_keep_the_digits_that_matter(void **state)
{
	char buf[32];

	(void)state;
	latency__format_us(52, buf, sizeof(buf));
	assert_string_equal(buf, "0.052");
	latency__format_us(4711, buf, sizeof(buf));
	assert_string_equal(buf, "4.71");
	latency__format_us(879100, buf, sizeof(buf));
	assert_string_equal(buf, "879.1");
	latency__format_us(34410000, buf, sizeof(buf));
	assert_string_equal(buf, "34410");
	latency__format_us(NAN, buf, sizeof(buf));
	assert_string_equal(buf, "-");
	latency__percentile_name(99.9, buf, sizeof(buf));
	assert_string_equal(buf, "p99.9");
	latency__percentile_name(100, buf, sizeof(buf));
	assert_string_equal(buf, "max");
}

static void merged_bins_are_the_merged_histogram(void **state)
{
	struct histogram *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	json_t *ja, *jb;
	struct latency_bins m = { 0 };

	(void)state;
	fill(a, 1, 5003);
	fill(b, 2, 7001);
	ja = histogram__to_json(a, 1.0);
	jb = histogram__to_json(b, 1.0);
	assert_int_equal(latency__bins_add(&m, ja), 0);
	assert_int_equal(latency__bins_add(&m, jb), 0);
	histogram__merge(a, b);
	assert_int_equal(m.count, a->count);
	assert_int_equal(m.min, a->min);
	assert_int_equal(m.max, a->max);
	for (size_t i = 0; i < sizeof(any_percentiles) / sizeof(any_percentiles[0]); i++)
		assert_int_equal(latency__bins_percentile(&m, any_percentiles[i]),
				 histogram__percentile(a, any_percentiles[i]));
	latency__bins_release(&m);
	json_decref(ja);
	json_decref(jb);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(computed_percentiles_match_the_histogram),
		cmocka_unit_test(stored_percentiles_are_taken_as_stored),
		cmocka_unit_test(fixture_bins_agree_with_stored_percentiles),
		cmocka_unit_test(log2_buckets_keep_every_sample),
		cmocka_unit_test(text_histogram_sums_to_the_count),
		cmocka_unit_test(histogram_lines_look_like_bpftrace),
		cmocka_unit_test(malformed_bins_are_refused),
		cmocka_unit_test(percentile_lists_parse_and_refuse),
		cmocka_unit_test(microseconds_keep_the_digits_that_matter),
		cmocka_unit_test(merged_bins_are_the_merged_histogram),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
