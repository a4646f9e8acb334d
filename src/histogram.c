// SPDX-License-Identifier: MIT
#include "histogram.h"

#include <limits.h>
#include <math.h>
#include <string.h>

/*
 * Percentiles are resolved to 1e-6 percent as integers: decimal percentiles
 * such as 99.9 are not exact in binary, and pct / 100 * count can land an
 * ulp above a whole number, where ceil() would step nearest-rank onto the
 * next sample.
 */
#define HISTOGRAM_PCT_STEPS 1000000ull			/* per percent */
#define HISTOGRAM_RANK_DEN (100 * HISTOGRAM_PCT_STEPS)	/* steps in 100% */

void histogram__init(struct histogram *h)
{
	memset(h, 0, sizeof(*h));
}

/* The bins of group g (g >= 1) are 2^(g-1) wide; group 0 shares width 1. */
static unsigned int histogram__bin_shift(size_t index)
{
	size_t group = index >> HISTOGRAM_SUB_BITS;

	return group ? (unsigned int)group - 1 : 0;
}

uint64_t histogram__bin_low(size_t index)
{
	unsigned int shift;

	if (index >= HISTOGRAM_NBINS)
		return UINT64_MAX;
	shift = histogram__bin_shift(index);
	return (uint64_t)(index - ((size_t)shift << HISTOGRAM_SUB_BITS)) << shift;
}

uint64_t histogram__bin_high(size_t index)
{
	if (index >= HISTOGRAM_NBINS)
		return UINT64_MAX;
	/* Written as low + (width - 1) so the last bin ends at UINT64_MAX without overflowing. */
	return histogram__bin_low(index) + ((UINT64_C(1) << histogram__bin_shift(index)) - 1);
}

uint64_t histogram__bin_value(size_t index)
{
	uint64_t low = histogram__bin_low(index);

	return low + (histogram__bin_high(index) - low) / 2;
}

/*
 * A bin of width w = 2^s (s >= 1) starts at low >= 2^SUB_BITS * w, and its
 * value, low + w/2 - 1, is at most w/2 from any v in [low, low + w - 1].
 * Since v >= low, |value - v| / v <= (w/2) / (2^SUB_BITS * w). Bins of
 * width 1 are exact, and clamping to [min, max] only moves a percentile
 * towards the sample it stands for.
 */
double histogram__max_relative_error(void)
{
	return ldexp(1.0, -(HISTOGRAM_SUB_BITS + 1));
}

/* dst and src must be distinct. */
void histogram__merge(struct histogram *dst, const struct histogram *src)
{
	double shift, n;
	size_t i;

	if (!src->count)
		return;
	if (!dst->count) {
		memcpy(dst, src, sizeof(*dst));
		return;
	}
	/*
	 * Move src's sums from its origin to dst's: with delta' = delta + shift,
	 * sum delta'^2 = sum delta^2 + 2 shift sum delta + n shift^2.
	 */
	shift = (double)src->origin - (double)dst->origin;
	n = (double)src->count;
	dst->sumsq += src->sumsq + 2.0 * shift * src->sum + n * shift * shift;
	dst->sum += src->sum + n * shift;
	dst->count += src->count;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	for (i = 0; i < HISTOGRAM_NBINS; i++)
		dst->bins[i] += src->bins[i];
}

/* ceil(count * steps / DEN), split as count = q DEN + r so nothing overflows. */
uint64_t histogram__rank(uint64_t count, double pct)
{
	uint64_t steps = (uint64_t)llround(pct * HISTOGRAM_PCT_STEPS);
	uint64_t q = count / HISTOGRAM_RANK_DEN;
	uint64_t r = count % HISTOGRAM_RANK_DEN;
	uint64_t rank = q * steps + (r * steps + HISTOGRAM_RANK_DEN - 1) / HISTOGRAM_RANK_DEN;

	return rank ? rank : 1;
}

static uint64_t histogram__clamp(const struct histogram *h, uint64_t value)
{
	if (value < h->min)
		return h->min;
	if (value > h->max)
		return h->max;
	return value;
}

uint64_t histogram__percentile(const struct histogram *h, double pct)
{
	uint64_t rank, seen = 0;
	size_t i;

	if (!h->count)
		return 0;
	if (!(pct > 0.0))
		return h->min;
	if (pct >= 100.0)
		return h->max;

	rank = histogram__rank(h->count, pct);
	for (i = 0; i < HISTOGRAM_NBINS; i++) {
		seen += h->bins[i];
		if (seen >= rank)
			return histogram__clamp(h, histogram__bin_value(i));
	}
	/* Only reachable if bins sum to less than count, i.e. h was corrupted. */
	return h->max;
}

double histogram__mean(const struct histogram *h)
{
	if (!h->count)
		return 0.0;
	return (double)h->origin + h->sum / (double)h->count;
}

double histogram__stddev(const struct histogram *h)
{
	double n, offset, variance;

	if (h->count < 2)
		return 0.0;
	n = (double)h->count;
	offset = h->sum / n;
	variance = h->sumsq / n - offset * offset;
	/* Rounding can leave a tiny negative where the true variance is 0. */
	return variance > 0.0 ? sqrt(variance) : 0.0;
}

/* jansson integers are signed 64-bit; saturating costs only bins past 292 years. */
static json_int_t histogram__json_ns(uint64_t value, double ns_per_unit)
{
	double ns = (double)value * ns_per_unit;

	if (ns >= 0x1p63)
		return LLONG_MAX;
	return (json_int_t)llround(ns);
}

static json_int_t histogram__json_count(uint64_t count)
{
	return count > LLONG_MAX ? LLONG_MAX : (json_int_t)count;
}

static json_t *histogram__bins_to_json(const struct histogram *h, double ns_per_unit)
{
	json_t *bins = json_array();
	size_t i;

	if (!bins)
		return NULL;
	for (i = 0; i < HISTOGRAM_NBINS; i++) {
		if (!h->bins[i])
			continue;
		/* append_new takes a NULL from a failed pack as an error. */
		if (json_array_append_new(bins, json_pack("{s:I, s:I, s:I}",
				"lo", histogram__json_ns(histogram__bin_low(i), ns_per_unit),
				"hi", histogram__json_ns(histogram__bin_high(i), ns_per_unit),
				"count", histogram__json_count(h->bins[i])))) {
			json_decref(bins);
			return NULL;
		}
	}
	return bins;
}

json_t *histogram__to_json(const struct histogram *h, double ns_per_unit)
{
	json_t *obj;

	if (!(ns_per_unit > 0.0) || !isfinite(ns_per_unit))
		return NULL;
	obj = json_pack("{s:I, s:I, s:f, s:f, s:I, s:I, s:I, s:I, s:I, s:I}",
			"count", histogram__json_count(h->count),
			"min", histogram__json_ns(h->min, ns_per_unit),
			"mean", histogram__mean(h) * ns_per_unit,
			"stddev", histogram__stddev(h) * ns_per_unit,
			"p50", histogram__json_ns(histogram__percentile(h, 50.0), ns_per_unit),
			"p90", histogram__json_ns(histogram__percentile(h, 90.0), ns_per_unit),
			"p99", histogram__json_ns(histogram__percentile(h, 99.0), ns_per_unit),
			"p999", histogram__json_ns(histogram__percentile(h, 99.9), ns_per_unit),
			"p9999", histogram__json_ns(histogram__percentile(h, 99.99), ns_per_unit),
			"max", histogram__json_ns(h->max, ns_per_unit));
	if (!obj)
		return NULL;
	/* set_new consumes the bins reference even when it fails. */
	if (json_object_set_new(obj, "bins", histogram__bins_to_json(h, ns_per_unit))) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

static int histogram__json_u64(const json_t *obj, const char *key, uint64_t *out)
{
	const json_t *value = json_object_get(obj, key);

	if (!json_is_integer(value) || json_integer_value(value) < 0)
		return -1;
	*out = (uint64_t)json_integer_value(value);
	return 0;
}

/*
 * Adds one {"lo", "hi", "count"} to h, whose min, max and origin are already
 * set. The sums get the bin's value per sample, an estimate that
 * histogram__stats_from_json() replaces when the input carries mean/stddev.
 */
static int histogram__bin_from_json(struct histogram *h, const json_t *bin)
{
	uint64_t lo, hi, count;
	double delta;

	if (!json_is_object(bin) || histogram__json_u64(bin, "lo", &lo) ||
	    histogram__json_u64(bin, "hi", &hi) || histogram__json_u64(bin, "count", &count))
		return -1;
	/* Rounding to ns is monotone, so every real bin still meets [min, max]. */
	if (lo > hi || hi < h->min || lo > h->max || count > UINT64_MAX - h->count)
		return -1;

	h->count += count;
	h->bins[histogram__bin_index(lo + (hi - lo) / 2)] += count;
	delta = (double)histogram__clamp(h, lo + (hi - lo) / 2) - (double)h->origin;
	h->sum += (double)count * delta;
	h->sumsq += (double)count * delta * delta;
	return 0;
}

/* mean and stddev are optional, but only as a pair. */
static int histogram__stats_from_json(struct histogram *h, const json_t *obj)
{
	const json_t *mean = json_object_get(obj, "mean");
	const json_t *stddev = json_object_get(obj, "stddev");
	double n = (double)h->count, offset, sd;

	if (!mean && !stddev)
		return 0;
	if (!json_is_number(mean) || !json_is_number(stddev))
		return -1;
	sd = json_number_value(stddev);
	offset = json_number_value(mean) - (double)h->origin;
	if (!isfinite(offset) || !isfinite(sd) || sd < 0.0)
		return -1;
	h->sum = offset * n;
	h->sumsq = n * (sd * sd + offset * offset);
	return 0;
}

int histogram__from_json(struct histogram *h, const json_t *obj)
{
	const json_t *bins, *bin;
	uint64_t count;
	size_t i;

	histogram__init(h);
	if (!json_is_object(obj) || histogram__json_u64(obj, "count", &count) ||
	    histogram__json_u64(obj, "min", &h->min) || histogram__json_u64(obj, "max", &h->max))
		goto malformed;
	bins = json_object_get(obj, "bins");
	if (!json_is_array(bins) || h->min > h->max)
		goto malformed;

	h->origin = h->min;
	json_array_foreach(bins, i, bin) {
		if (histogram__bin_from_json(h, bin))
			goto malformed;
	}
	if (h->count != count)
		goto malformed;
	if (!count) {
		/* An empty histogram is all zeroes, whatever min and max said. */
		histogram__init(h);
		return 0;
	}
	if (histogram__stats_from_json(h, obj))
		goto malformed;
	return 0;

malformed:
	histogram__init(h);
	return -1;
}
