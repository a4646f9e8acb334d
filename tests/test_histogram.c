// SPDX-License-Identifier: MIT
/*
 * Unit tests for the log-linear histogram: bin geometry, percentiles against
 * exact nearest-rank over sorted samples, moments against a two-pass long
 * double computation, merge, and the JSON round trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "histogram.h"
#include "util.h"

#define SAMPLES 20000

/* xorshift64*: deterministic across libcs, unlike rand(). */
struct xorshift {
	uint64_t state;
};

static uint64_t xorshift__next(struct xorshift *rng)
{
	uint64_t x = rng->state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng->state = x;
	return x * UINT64_C(0x2545F4914F6CDD1D);
}

/* Uniform in (0, 1], so log() of it is finite. */
static double xorshift__unit(struct xorshift *rng)
{
	return (double)((xorshift__next(rng) >> 11) + 1) * 0x1p-53;
}

enum dist {
	DIST_UNIFORM,
	DIST_EXPONENTIAL,
	DIST_BIMODAL,
	DIST_CONSTANT,
	DIST_CLUSTER,
	DIST_FULL_RANGE,
};

static uint64_t dist__sample(enum dist dist, struct xorshift *rng)
{
	uint64_t r = xorshift__next(rng);

	switch (dist) {
	case DIST_UNIFORM:
		return 100 + r % 1000000;
	case DIST_EXPONENTIAL:
		return 2000 + (uint64_t)(-5000.0 * log(xorshift__unit(rng)));
	case DIST_BIMODAL:
		/* A fast path near 10 and a slow one up to 1e9. */
		if (r % 10)
			return 10 + xorshift__next(rng) % 1000;
		return 100000000 + xorshift__next(rng) % 900000001;
	case DIST_CONSTANT:
		return 1000000000;
	case DIST_CLUSTER:
		/* Tight around a large value: where sumsq about 0 cancels. */
		return UINT64_C(3000000000000) + r % 16;
	case DIST_FULL_RANGE:
		return xorshift__next(rng) >> (r % 64);
	}
	return 0;
}

static void samples__fill(uint64_t *samples, size_t n, enum dist dist, uint64_t seed)
{
	struct xorshift rng = { .state = seed };
	size_t i;

	for (i = 0; i < n; i++)
		samples[i] = dist__sample(dist, &rng);
}

static uint64_t *samples__make(enum dist dist, size_t n, uint64_t seed)
{
	uint64_t *samples = ks_zalloc(n * sizeof(*samples));

	samples__fill(samples, n, dist, seed);
	return samples;
}

static int u64__cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static struct histogram *histogram__of(const uint64_t *samples, size_t n)
{
	struct histogram *h = ks_zalloc(sizeof(*h));
	size_t i;

	histogram__init(h);
	for (i = 0; i < n; i++)
		histogram__record(h, samples[i]);
	return h;
}

static void assert_within_bound(uint64_t got, uint64_t want, const char *what)
{
	uint64_t diff = got > want ? got - want : want - got;
	long double limit = (long double)histogram__max_relative_error() * (long double)want;

	if ((long double)diff > limit) {
		print_error("%s: got %" PRIu64 ", exact %" PRIu64 ", allowed error %.1Lf\n",
			    what, got, want, limit);
		fail();
	}
}

static void assert_close(double got, long double want, double rel, const char *what)
{
	long double limit = rel * fabsl(want) + 1e-6L;

	if (fabsl((long double)got - want) > limit) {
		print_error("%s: got %.17g, exact %.17Lg\n", what, got, want);
		fail();
	}
}

static void check_value_bin(uint64_t value)
{
	size_t index = histogram__bin_index(value);

	assert_true(index < HISTOGRAM_NBINS);
	assert_true(histogram__bin_low(index) <= value);
	assert_true(value <= histogram__bin_high(index));
	if (value < HISTOGRAM_SUB_COUNT) {
		assert_int_equal(index, value);
		assert_int_equal(histogram__bin_low(index), value);
		assert_int_equal(histogram__bin_high(index), value);
	}
	if (value != UINT64_MAX) {
		size_t next = histogram__bin_index(value + 1);

		assert_true(next == index || next == index + 1);
	}
}

static void test_bin_values(void **state)
{
	static const uint64_t values[] = {
		0, 1, 2, HISTOGRAM_SUB_COUNT - 2, HISTOGRAM_SUB_COUNT - 1, HISTOGRAM_SUB_COUNT,
		HISTOGRAM_SUB_COUNT + 1, 2 * HISTOGRAM_SUB_COUNT - 1, 2 * HISTOGRAM_SUB_COUNT,
		1000, 1000000, 1000000000, UINT64_C(1) << 63, UINT64_MAX - 1, UINT64_MAX,
	};
	struct xorshift rng = { .state = 0x9E3779B97F4A7C15ull };
	unsigned int k;
	size_t i;

	(void)state;
	for (i = 0; i < KS_ARRAY_SIZE(values); i++)
		check_value_bin(values[i]);
	for (k = 0; k < 64; k++) {
		check_value_bin((UINT64_C(1) << k) - 1);
		check_value_bin(UINT64_C(1) << k);
		check_value_bin((UINT64_C(1) << k) + 1);
	}
	for (i = 0; i < 200000; i++) {
		uint64_t r = xorshift__next(&rng);

		check_value_bin(r >> (r % 64));
	}
	assert_int_equal(histogram__bin_index(0), 0);
	assert_int_equal(histogram__bin_index(HISTOGRAM_SUB_COUNT), HISTOGRAM_SUB_COUNT);
	assert_int_equal(histogram__bin_index(UINT64_MAX), HISTOGRAM_NBINS - 1);
}

/* Every bin: contiguous, monotone, and within the stated error bound. */
static void test_bins_layout(void **state)
{
	double bound = histogram__max_relative_error();
	long double worst = 0;
	size_t i;

	(void)state;
	assert_true(bound > 0 && bound <= ldexp(1.0, -HISTOGRAM_SUB_BITS));
	assert_int_equal(histogram__bin_low(0), 0);
	assert_true(histogram__bin_high(HISTOGRAM_NBINS - 1) == UINT64_MAX);
	for (i = 0; i < HISTOGRAM_NBINS; i++) {
		uint64_t low = histogram__bin_low(i), high = histogram__bin_high(i);
		uint64_t width = high - low + 1, value = histogram__bin_value(i);
		long double err;

		assert_true(low <= value && value <= high);
		assert_int_equal(histogram__bin_index(low), i);
		assert_int_equal(histogram__bin_index(high), i);
		/* Power-of-two width, at most 1/2^SUB_BITS of the bin's start. */
		assert_int_equal(width & (width - 1), 0);
		assert_true(width == 1 || width <= low >> HISTOGRAM_SUB_BITS);
		if (!i)
			continue;
		assert_true(low == histogram__bin_high(i - 1) + 1);
		err = fmaxl((long double)(value - low) / low, (long double)(high - value) / high);
		assert_true(err <= bound);
		worst = fmaxl(worst, err);
	}
	/* The stated bound is what the bins reach, not a loose guess. */
	assert_true(worst > 0.99L * bound);
}

struct pct_case {
	double pct;
	uint64_t num, den;	/* pct / 100 as an exact fraction */
	const char *name;
};

static const struct pct_case pct_cases[] = {
	{ 1.0, 1, 100, "p1" },
	{ 50.0, 1, 2, "p50" },
	{ 90.0, 9, 10, "p90" },
	{ 99.0, 99, 100, "p99" },
	{ 99.9, 999, 1000, "p99.9" },
	{ 99.99, 9999, 10000, "p99.99" },
};

static void test_percentiles(void **state)
{
	enum dist dist = (enum dist)(uintptr_t)*state;
	uint64_t *samples = samples__make(dist, SAMPLES, 0x1234 + dist);
	struct histogram *h = histogram__of(samples, SAMPLES);
	size_t i;

	qsort(samples, SAMPLES, sizeof(*samples), u64__cmp);
	for (i = 0; i < KS_ARRAY_SIZE(pct_cases); i++) {
		const struct pct_case *c = &pct_cases[i];
		uint64_t rank = (SAMPLES * c->num + c->den - 1) / c->den;

		assert_within_bound(histogram__percentile(h, c->pct), samples[rank - 1], c->name);
	}
	assert_int_equal(histogram__percentile(h, 0.0), samples[0]);
	assert_int_equal(histogram__percentile(h, 100.0), samples[SAMPLES - 1]);
	assert_int_equal(h->min, samples[0]);
	assert_int_equal(h->max, samples[SAMPLES - 1]);
	assert_int_equal(h->count, SAMPLES);
	free(samples);
	free(h);
}

static void check_moments(const struct histogram *h, const uint64_t *samples, size_t n)
{
	long double sum = 0, sq = 0, mean;
	size_t i;

	for (i = 0; i < n; i++)
		sum += samples[i];
	mean = sum / n;
	for (i = 0; i < n; i++)
		sq += ((long double)samples[i] - mean) * ((long double)samples[i] - mean);
	assert_close(histogram__mean(h), mean, 1e-12, "mean");
	assert_close(histogram__stddev(h), sqrtl(sq / n), 1e-9, "stddev");
}

static void test_moments(void **state)
{
	enum dist dist = (enum dist)(uintptr_t)*state;
	uint64_t *samples = samples__make(dist, SAMPLES, 0x5678 + dist);
	struct histogram *h = histogram__of(samples, SAMPLES);

	check_moments(h, samples, SAMPLES);
	if (dist == DIST_CONSTANT)
		assert_true(histogram__stddev(h) == 0.0);
	free(samples);
	free(h);
}

static void check_percentile(const uint64_t *samples, size_t n, double pct, uint64_t want)
{
	struct histogram *h = histogram__of(samples, n);

	assert_int_equal(histogram__percentile(h, pct), want);
	free(h);
}

/* Values below 2^SUB_BITS are exact, so these test the rank, not the bins. */
static void test_percentile_nearest_rank(void **state)
{
	uint64_t *v = ks_zalloc(10000 * sizeof(*v));
	size_t i;

	(void)state;
	for (i = 0; i < 100; i++)
		v[i] = i + 1;
	check_percentile(v, 100, 50.0, 50);
	check_percentile(v, 100, 90.0, 90);
	check_percentile(v, 100, 99.0, 99);
	check_percentile(v, 100, 99.9, 100);
	check_percentile(v, 100, 0.5, 1);
	check_percentile(v, 100, -1.0, 1);
	check_percentile(v, 100, NAN, 1);
	check_percentile(v, 100, 250.0, 100);

	for (i = 0; i < 10000; i++)
		v[i] = 1;
	v[999] = 100;
	check_percentile(v, 1000, 99.9, 1);
	check_percentile(v, 1000, 99.95, 100);
	v[999] = 1;
	v[9999] = 100;
	check_percentile(v, 10000, 99.99, 1);
	check_percentile(v, 10000, 99.995, 100);

	v[0] = 1, v[1] = 2, v[2] = 100;
	check_percentile(v, 3, 50.0, 2);
	check_percentile(v, 2, 50.0, 1);

	/* One sample: clamping to [min, max] makes every percentile exact. */
	v[0] = 123456789;
	for (i = 0; i < KS_ARRAY_SIZE(pct_cases); i++)
		check_percentile(v, 1, pct_cases[i].pct, v[0]);
	free(v);
}

/* Counts past the 1e8 rank denominator take the quotient path of the rank. */
static void test_percentile_large_count(void **state)
{
	struct histogram *h = ks_zalloc(sizeof(*h));

	(void)state;
	h->count = 400000000;
	h->min = 1;
	h->max = 2;
	h->bins[1] = 300000000;
	h->bins[2] = 100000000;
	assert_int_equal(histogram__percentile(h, 75.0), 1);
	assert_int_equal(histogram__percentile(h, 75.000001), 2);
	assert_int_equal(histogram__percentile(h, 0.000001), 1);
	free(h);
}

static void test_empty(void **state)
{
	struct histogram *h = malloc(sizeof(*h));
	json_t *obj;

	(void)state;
	memset(h, 0xa5, sizeof(*h));
	histogram__init(h);
	assert_int_equal(h->count, 0);
	assert_int_equal(histogram__percentile(h, 0.0), 0);
	assert_int_equal(histogram__percentile(h, 50.0), 0);
	assert_int_equal(histogram__percentile(h, 100.0), 0);
	assert_true(histogram__mean(h) == 0.0);
	assert_true(histogram__stddev(h) == 0.0);

	obj = histogram__to_json(h, 1.0);
	assert_non_null(obj);
	assert_int_equal(json_integer_value(json_object_get(obj, "count")), 0);
	assert_int_equal(json_integer_value(json_object_get(obj, "p99")), 0);
	assert_int_equal(json_array_size(json_object_get(obj, "bins")), 0);
	assert_int_equal(histogram__from_json(h, obj), 0);
	assert_int_equal(h->count, 0);
	json_decref(obj);

	/* A zeroed struct records without histogram__init(). */
	histogram__record(h, 77);
	assert_int_equal(h->min, 77);
	assert_int_equal(h->max, 77);
	assert_int_equal(h->bins[77], 1);
	assert_true(histogram__mean(h) == 77.0);
	assert_true(histogram__stddev(h) == 0.0);
	free(h);
}

static void assert_same_histogram(const struct histogram *a, const struct histogram *b)
{
	assert_int_equal(a->count, b->count);
	assert_int_equal(a->min, b->min);
	assert_int_equal(a->max, b->max);
	assert_memory_equal(a->bins, b->bins, sizeof(a->bins));
}

static void test_merge(void **state)
{
	uint64_t *samples = ks_zalloc(SAMPLES * sizeof(*samples));
	struct histogram *all, *a, *b, *empty = ks_zalloc(sizeof(*empty));
	size_t i;

	(void)state;
	/* Origins 3e12 apart, so merge must move b's sums onto a's origin. */
	samples__fill(samples, SAMPLES / 4, DIST_CLUSTER, 1);
	samples__fill(samples + SAMPLES / 4, SAMPLES - SAMPLES / 4, DIST_BIMODAL, 2);
	all = histogram__of(samples, SAMPLES);
	a = histogram__of(samples, SAMPLES / 4);
	b = histogram__of(samples + SAMPLES / 4, SAMPLES - SAMPLES / 4);

	histogram__merge(a, b);
	assert_same_histogram(a, all);
	check_moments(a, samples, SAMPLES);
	for (i = 0; i < KS_ARRAY_SIZE(pct_cases); i++)
		assert_int_equal(histogram__percentile(a, pct_cases[i].pct),
				 histogram__percentile(all, pct_cases[i].pct));

	/* Merging an empty one changes nothing; merging into one copies. */
	histogram__merge(a, empty);
	assert_same_histogram(a, all);
	histogram__merge(empty, a);
	assert_same_histogram(empty, all);
	check_moments(empty, samples, SAMPLES);
	free(empty);
	free(samples);
	free(all);
	free(a);
	free(b);
}

static json_int_t json_int_of(const json_t *obj, const char *key)
{
	const json_t *value = json_object_get(obj, key);

	assert_true(json_is_integer(value));
	return json_integer_value(value);
}

static void check_json_fields(const struct histogram *h, double ns_per_unit)
{
	static const char *const keys[] = { "p50", "p90", "p99", "p999", "p9999" };
	static const double pcts[] = { 50.0, 90.0, 99.0, 99.9, 99.99 };
	json_t *obj = histogram__to_json(h, ns_per_unit), *bins;
	size_t i, n = 0;

	assert_non_null(obj);
	assert_int_equal(json_int_of(obj, "count"), h->count);
	assert_int_equal(json_int_of(obj, "min"), llround(h->min * ns_per_unit));
	assert_int_equal(json_int_of(obj, "max"), llround(h->max * ns_per_unit));
	for (i = 0; i < KS_ARRAY_SIZE(keys); i++)
		assert_int_equal(json_int_of(obj, keys[i]),
				 llround(histogram__percentile(h, pcts[i]) * ns_per_unit));
	assert_true(json_is_real(json_object_get(obj, "mean")));
	assert_close(json_real_value(json_object_get(obj, "mean")),
		     histogram__mean(h) * ns_per_unit, 1e-15, "json mean");
	assert_close(json_real_value(json_object_get(obj, "stddev")),
		     histogram__stddev(h) * ns_per_unit, 1e-15, "json stddev");

	bins = json_object_get(obj, "bins");
	for (i = 0; i < HISTOGRAM_NBINS; i++) {
		const json_t *bin;

		if (!h->bins[i])
			continue;
		bin = json_array_get(bins, n++);
		assert_int_equal(json_int_of(bin, "lo"), llround(histogram__bin_low(i) * ns_per_unit));
		assert_int_equal(json_int_of(bin, "hi"), llround(histogram__bin_high(i) * ns_per_unit));
		assert_int_equal(json_int_of(bin, "count"), h->bins[i]);
	}
	assert_int_equal(json_array_size(bins), n);
	json_decref(obj);
}

static void test_json_fields(void **state)
{
	uint64_t *samples = samples__make(DIST_BIMODAL, SAMPLES, 4);
	struct histogram *h = histogram__of(samples, SAMPLES);
	uint64_t huge = UINT64_MAX;
	json_t *obj;

	(void)state;
	check_json_fields(h, 1.0);
	check_json_fields(h, 0.25);
	check_json_fields(h, 1.0 / 2.9);
	assert_null(histogram__to_json(h, 0.0));
	assert_null(histogram__to_json(h, -1.0));
	assert_null(histogram__to_json(h, INFINITY));
	assert_null(histogram__to_json(h, NAN));
	free(samples);
	free(h);

	/* jansson integers are signed: a bin reaching UINT64_MAX saturates. */
	h = histogram__of(&huge, 1);
	obj = histogram__to_json(h, 1.0);
	assert_non_null(obj);
	assert_int_equal(json_int_of(obj, "max"), INT64_MAX);
	assert_int_equal(json_int_of(obj, "p50"), INT64_MAX);
	json_decref(obj);
	free(h);
}

static void test_json_round_trip(void **state)
{
	enum dist dist = (enum dist)(uintptr_t)*state;
	uint64_t *samples = samples__make(dist, SAMPLES, 0x9abc + dist);
	struct histogram *h = histogram__of(samples, SAMPLES);
	struct histogram *back = ks_zalloc(sizeof(*back));
	json_t *obj = histogram__to_json(h, 1.0), *parsed;
	char *text;
	double pct;

	assert_non_null(obj);
	/* Through text, as the report loader reads it. */
	text = json_dumps(obj, JSON_COMPACT);
	assert_non_null(text);
	parsed = json_loads(text, 0, NULL);
	assert_non_null(parsed);
	assert_int_equal(histogram__from_json(back, parsed), 0);

	assert_same_histogram(back, h);
	for (pct = 0.0; pct <= 100.0; pct += 0.5)
		assert_int_equal(histogram__percentile(back, pct), histogram__percentile(h, pct));
	assert_int_equal(histogram__percentile(back, 99.99), histogram__percentile(h, 99.99));
	assert_close(histogram__mean(back), histogram__mean(h), 1e-12, "round-trip mean");
	assert_close(histogram__stddev(back), histogram__stddev(h), 1e-6, "round-trip stddev");
	free(text);
	json_decref(parsed);
	json_decref(obj);
	free(samples);
	free(h);
	free(back);
}

static void test_from_json_without_moments(void **state)
{
	json_t *obj = json_loads("{\"count\": 4, \"min\": 200, \"max\": 300, \"bins\": ["
				 "{\"lo\": 200, \"hi\": 201, \"count\": 2},"
				 "{\"lo\": 300, \"hi\": 301, \"count\": 2}]}", 0, NULL);
	struct histogram *h = ks_zalloc(sizeof(*h));

	(void)state;
	assert_non_null(obj);
	assert_int_equal(histogram__from_json(h, obj), 0);
	assert_int_equal(h->count, 4);
	assert_int_equal(histogram__percentile(h, 50.0), 200);
	assert_int_equal(histogram__percentile(h, 75.0), 300);
	/* Estimated from bin values 200 and 300 (clamped to max). */
	assert_close(histogram__mean(h), 250.0L, 1e-12, "estimated mean");
	assert_close(histogram__stddev(h), 50.0L, 1e-12, "estimated stddev");
	json_decref(obj);
	free(h);
}

/* Valid bins, for the cases below that break something else. */
#define ONE_BIN "\"bins\": [{\"lo\": 5, \"hi\": 5, \"count\": 1}]}"

static void test_from_json_malformed(void **state)
{
	static const char *const bad[] = {
		"[]",
		"{}",
		"{\"count\": -1, \"min\": 5, \"max\": 5, \"bins\": []}",
		"{\"count\": 1.0, \"min\": 5, \"max\": 5, " ONE_BIN,
		"{\"count\": 2, \"min\": 5, \"max\": 5, " ONE_BIN,
		"{\"count\": 1, \"min\": 5, \"max\": 5, \"bins\": {}}",
		"{\"count\": 1, \"min\": 5, \"max\": 5, \"bins\": [5]}",
		"{\"count\": 1, \"min\": 5, \"max\": 5, \"bins\": [{\"lo\": 6, \"hi\": 5, \"count\": 1}]}",
		"{\"count\": 1, \"min\": 5, \"max\": 5, \"bins\": [{\"lo\": 500, \"hi\": 503, \"count\": 1}]}",
		"{\"count\": 1, \"min\": 9, \"max\": 5, " ONE_BIN,
		"{\"count\": 1, \"min\": 5, \"max\": 5, \"bins\": [{\"lo\": 5, \"hi\": 5, \"count\": \"1\"}]}",
		"{\"count\": 1, \"min\": 5, \"max\": 5, \"bins\": [{\"lo\": 5, \"count\": 1}]}",
		"{\"count\": 1, \"min\": 5, \"max\": 5, \"mean\": 5.0, " ONE_BIN,
		"{\"count\": 1, \"min\": 5, \"max\": 5, \"mean\": 5.0, \"stddev\": -1.0, " ONE_BIN,
	};
	static const char *const good =
		"{\"count\": 1, \"min\": 5, \"max\": 5, \"mean\": 5.0, \"stddev\": 0.0, " ONE_BIN;
	struct histogram *h = ks_zalloc(sizeof(*h));
	json_t *obj;
	size_t i;

	(void)state;
	for (i = 0; i < KS_ARRAY_SIZE(bad); i++) {
		obj = json_loads(bad[i], 0, NULL);
		assert_non_null(obj);
		histogram__record(h, 42);
		if (histogram__from_json(h, obj) != -1) {
			print_error("accepted malformed input %s\n", bad[i]);
			fail();
		}
		assert_int_equal(h->count, 0);
		json_decref(obj);
	}
	/* The control differs from the cases above only where they are broken. */
	obj = json_loads(good, 0, NULL);
	assert_int_equal(histogram__from_json(h, obj), 0);
	assert_int_equal(h->count, 1);
	assert_int_equal(histogram__percentile(h, 50.0), 5);
	assert_true(histogram__mean(h) == 5.0);
	json_decref(obj);
	free(h);
}

#define DIST_TEST(func, dist) { #func "/" #dist, func, NULL, NULL, (void *)(uintptr_t)(dist) }
/* Every distribution whose values fit the signed 64-bit integers of JSON. */
#define DIST_TESTS(func) \
	DIST_TEST(func, DIST_UNIFORM), DIST_TEST(func, DIST_EXPONENTIAL), \
	DIST_TEST(func, DIST_BIMODAL), DIST_TEST(func, DIST_CONSTANT), DIST_TEST(func, DIST_CLUSTER)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bin_values),
		cmocka_unit_test(test_bins_layout),
		DIST_TESTS(test_percentiles),
		DIST_TEST(test_percentiles, DIST_FULL_RANGE),
		DIST_TESTS(test_moments),
		DIST_TEST(test_moments, DIST_FULL_RANGE),
		cmocka_unit_test(test_percentile_nearest_rank),
		cmocka_unit_test(test_percentile_large_count),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_json_fields),
		DIST_TESTS(test_json_round_trip),
		cmocka_unit_test(test_from_json_without_moments),
		cmocka_unit_test(test_from_json_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
