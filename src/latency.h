/* SPDX-License-Identifier: MIT */
/*
 * Latency read back out of a report: a latency_ns object (count, min, max,
 * p50 ... p9999, bins) as histogram__to_json() wrote it. Percentiles the
 * report stores are taken as stored; any other is computed from the bins
 * with the same nearest-rank rule and bin midpoint histogram.c uses, so a
 * computed p50 lands in the same bin as the stored one. Also the log2
 * buckets of the text histogram and the --percentiles list.
 *
 * Nothing here needs KVM; show, plot and the tests feed it JSON files.
 */
#ifndef KICKSTORM_LATENCY_H
#define KICKSTORM_LATENCY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LATENCY_MAX_PERCENTILES 12
#define LATENCY_LOG2_BUCKETS 65	/* [0, 1) then [2^k, 2^(k+1)) for k = 0..63 */

struct latency_bin {
	uint64_t lo, hi, count;	/* ns, both bounds inclusive */
};

/* A report's bins sorted by lo; several reports' bins when merged. */
struct latency_bins {
	struct latency_bin *bin;
	size_t n, cap;
	uint64_t count, min, max;
};

/*
 * A latency_ns object with at least one sample, or NULL (null, missing,
 * count 0, or not an object).
 */
const json_t *latency__of(const json_t *latency_ns);

/*
 * Checks a latency_ns object's bins: {"lo","hi","count"} objects (or
 * [lo, hi, count] arrays) of non-negative integers with lo <= hi, summing
 * to "count". 0, or -1 with the reason in why.
 */
int latency__check(const json_t *latency_ns, char *why, size_t why_len);

/* Adds lat's bins to b (b zeroed first for a fresh set); -1 when malformed. */
int latency__bins_add(struct latency_bins *b, const json_t *lat);
void latency__bins_release(struct latency_bins *b);

/* Nearest-rank percentile of the bins, pct in [0, 100]; 0 when empty. */
uint64_t latency__bins_percentile(const struct latency_bins *b, double pct);

/*
 * pct of one latency_ns object in ns: the stored p50/p90/p99/p999/p9999
 * (min at 0, max at 100) when pct is one of those, else from the bins.
 * NAN when lat has no samples.
 */
double latency__percentile(const json_t *lat, double pct);

/*
 * The log2 bucket of every bin's midpoint, added to counts[]: counts[0] is
 * [0, 1), counts[k + 1] is [2^k, 2^(k+1)). The buckets sum to the bins'
 * total exactly, since every bin goes to exactly one bucket.
 */
void latency__log2_buckets(const struct latency_bins *b, uint64_t counts[LATENCY_LOG2_BUCKETS]);

/*
 * Parses --percentiles: a comma-separated list of 1-LATENCY_MAX_PERCENTILES
 * distinct numbers in (0, 100], e.g. 50,90,99,99.9. Returns 0, or -1 with a
 * one-line reason naming the bad value in why.
 */
int latency__parse_percentiles(const char *list, double *out, size_t *n, char *why, size_t why_len);
/* The default list: 50, 90, 99, 99.9. */
size_t latency__default_percentiles(double *out);
/* "p50", "p99.9", "max" (100). */
void latency__percentile_name(double pct, char *buf, size_t len);

/*
 * ns as microseconds with the digits that matter: 0.052, 4.71, 879.1,
 * 34410; "-" for NAN.
 */
void latency__format_us(double ns, char *buf, size_t len);

#endif
