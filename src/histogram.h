/* SPDX-License-Identifier: MIT */
/*
 * Log-linear latency histogram, one per measuring thread, merged after the
 * run. Values are unsigned 64-bit integers in whatever unit the recorder
 * uses (TSC cycles in kickstorm); conversion to ns happens only on output.
 *
 * Layout: values below 2^HISTOGRAM_SUB_BITS get one bin each and are exact.
 * Every power-of-two range [2^k, 2^(k+1)) above that is cut into
 * 2^HISTOGRAM_SUB_BITS equal bins of width 2^(k - HISTOGRAM_SUB_BITS), so a
 * bin is never wider than 1/2^HISTOGRAM_SUB_BITS of its smallest value.
 * Reporting a bin by its midpoint is then off by at most half a width, which
 * bounds the relative error by 2^-(HISTOGRAM_SUB_BITS + 1): see
 * histogram__max_relative_error().
 */
#ifndef KICKSTORM_HISTOGRAM_H
#define KICKSTORM_HISTOGRAM_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define HISTOGRAM_SUB_BITS 7
#define HISTOGRAM_SUB_COUNT (1u << HISTOGRAM_SUB_BITS)
/*
 * Exact bins for [0, 2^SUB_BITS), then one group of SUB_COUNT bins for each
 * power of two from 2^SUB_BITS up to 2^63.
 */
#define HISTOGRAM_NBINS ((size_t)(64 - HISTOGRAM_SUB_BITS + 1) << HISTOGRAM_SUB_BITS)

/*
 * An all-zero histogram is a valid empty one, so ks_zalloc() needs no
 * histogram__init() after it.
 *
 * sum and sumsq accumulate (value - origin), origin being the first value
 * recorded: latencies cluster far from zero, and sumsq/count - mean^2 taken
 * about zero cancels away the variance of a tight cluster of large values
 * (1e9 +/- 10 squares to 1e18, past the 53 bits a double holds exactly).
 */
struct histogram {
	uint64_t count;
	uint64_t min, max;	/* exact; 0 when empty */
	uint64_t origin;
	double sum, sumsq;	/* of (value - origin): exact mean, stable stddev */
	uint64_t bins[HISTOGRAM_NBINS];
};

/*
 * OR-ing in 2^SUB_BITS gives every value below it the shift of the first
 * group (0), so those values index themselves, and keeps clzll's argument
 * non-zero, where it would be undefined.
 */
static inline size_t histogram__bin_index(uint64_t value)
{
	unsigned int msb = 63 - (unsigned int)__builtin_clzll(value | HISTOGRAM_SUB_COUNT);
	unsigned int shift = msb - HISTOGRAM_SUB_BITS;

	return ((size_t)shift << HISTOGRAM_SUB_BITS) + (size_t)(value >> shift);
}

/*
 * Hot path: runs between two measurements on the measuring thread, so it
 * allocates nothing, locks nothing, and its only branch is the first-sample
 * one, which the predictor learns immediately.
 */
static inline void histogram__record(struct histogram *h, uint64_t value)
{
	double delta;

	if (__builtin_expect(h->count == 0, 0)) {
		h->origin = value;
		h->min = value;
		h->max = value;
	}
	/* Exact below 2^53: both conversions and the difference are integers. */
	delta = (double)value - (double)h->origin;
	h->count++;
	h->min = value < h->min ? value : h->min;
	h->max = value > h->max ? value : h->max;
	h->sum += delta;
	h->sumsq += delta * delta;
	h->bins[histogram__bin_index(value)]++;
}

void histogram__init(struct histogram *h);
void histogram__merge(struct histogram *dst, const struct histogram *src);

/* Bin bounds, both inclusive; index must be below HISTOGRAM_NBINS. */
uint64_t histogram__bin_low(size_t index);
uint64_t histogram__bin_high(size_t index);
/* The value a bin reports: its midpoint, rounded down. */
uint64_t histogram__bin_value(size_t index);

/*
 * The guaranteed bound on |reported - true| / true for any value reported
 * from a bin: 2^-(HISTOGRAM_SUB_BITS + 1), i.e. 1/256 (0.39%).
 */
double histogram__max_relative_error(void);

/*
 * Nearest-rank percentile, pct in [0, 100]: the value of the bin holding
 * the ceil(pct/100 * count)-th smallest sample, clamped to [min, max].
 * pct <= 0 (or NaN) gives min, pct >= 100 gives max, an empty histogram 0.
 * pct is resolved to 1e-6 percent, finer than any percentile reported.
 */
uint64_t histogram__percentile(const struct histogram *h, double pct);
/*
 * The nearest rank of pct (0 < pct < 100) among count samples, 1-based and
 * at least 1: the rule histogram__percentile() uses, for readers of a
 * report's bins to share.
 */
uint64_t histogram__rank(uint64_t count, double pct);

double histogram__mean(const struct histogram *h);
/* Population standard deviation; 0 when count < 2. */
double histogram__stddev(const struct histogram *h);

/*
 * {"count", "min", "mean", "stddev", "p50", "p90", "p99", "p999", "p9999",
 *  "max", "bins": [{"lo", "hi", "count"}, ...]}, with only non-empty bins.
 * Values are multiplied by ns_per_unit and rounded to integer ns, except
 * mean and stddev, which are real ns. Returns a new reference, or NULL when
 * ns_per_unit is not a positive finite number or allocation fails.
 */
json_t *histogram__to_json(const struct histogram *h, double ns_per_unit);

/*
 * Rebuilds h, in ns, from an object made by histogram__to_json(). Each bin's
 * count goes to the bin holding the midpoint of its [lo, hi], so input made
 * with ns_per_unit = 1 round-trips exactly. mean and stddev are restored
 * when present, else estimated from the bins. Returns 0, or -1 with h left
 * empty when obj is malformed.
 */
int histogram__from_json(struct histogram *h, const json_t *obj);

#endif
