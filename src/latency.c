// SPDX-License-Identifier: MIT
#include "latency.h"
#include "histogram.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The percentiles histogram__to_json() stores, by the key it stores them under. */
static const struct {
	double pct;
	const char *key;
} stored_percentiles[] = {
	{ 50.0, "p50" }, { 90.0, "p90" }, { 99.0, "p99" }, { 99.9, "p999" }, { 99.99, "p9999" },
};

const json_t *latency__of(const json_t *latency_ns)
{
	const json_t *count = json_object_get(latency_ns, "count");

	if (!json_is_object(latency_ns) || !json_is_integer(count) || json_integer_value(count) <= 0)
		return NULL;
	return latency_ns;
}

static bool json_u64(const json_t *v, uint64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*out = (uint64_t)json_integer_value(v);
	return true;
}

/* v1 writes {"lo","hi","count"}; the v2 note spells [lo, hi, count]: take either. */
static bool bin_of(const json_t *bin, struct latency_bin *out)
{
	if (json_is_array(bin))
		return json_array_size(bin) == 3 && json_u64(json_array_get(bin, 0), &out->lo) &&
		       json_u64(json_array_get(bin, 1), &out->hi) &&
		       json_u64(json_array_get(bin, 2), &out->count) && out->lo <= out->hi;
	return json_u64(json_object_get(bin, "lo"), &out->lo) &&
	       json_u64(json_object_get(bin, "hi"), &out->hi) &&
	       json_u64(json_object_get(bin, "count"), &out->count) && out->lo <= out->hi;
}

int latency__check(const json_t *lat, char *why, size_t why_len)
{
	const json_t *bins = json_object_get(lat, "bins"), *bin;
	uint64_t count, sum = 0, min, max;
	struct latency_bin b;
	size_t i;

	if (!json_is_object(lat) || !json_u64(json_object_get(lat, "count"), &count)) {
		ks_format(why, why_len, "has no non-negative integer \"count\"");
		return -1;
	}
	if (!count)
		return 0;
	if (!json_is_array(bins)) {
		ks_format(why, why_len, "has %llu samples but no \"bins\" array", (unsigned long long)count);
		return -1;
	}
	if (!json_u64(json_object_get(lat, "min"), &min) || !json_u64(json_object_get(lat, "max"), &max) ||
	    min > max) {
		ks_format(why, why_len, "needs integers \"min\" <= \"max\" (ns) with its samples");
		return -1;
	}
	json_array_foreach(bins, i, bin) {
		if (!bin_of(bin, &b) || b.count > UINT64_MAX - sum) {
			ks_format(why, why_len, "bins[%zu] is not {lo, hi, count} with 0 <= lo <= hi", i);
			return -1;
		}
		sum += b.count;
	}
	if (sum != count) {
		ks_format(why, why_len, "bins sum to %llu samples but \"count\" says %llu",
			  (unsigned long long)sum, (unsigned long long)count);
		return -1;
	}
	return 0;
}

static int bin_cmp(const void *a, const void *b)
{
	const struct latency_bin *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->hi < y->hi ? -1 : x->hi > y->hi;
}

/* Sorted by lo, with equal [lo, hi] (the same bin in two reports) merged. */
static void bins_normalise(struct latency_bins *b)
{
	size_t out = 0;

	qsort(b->bin, b->n, sizeof(*b->bin), bin_cmp);
	for (size_t i = 0; i < b->n; i++) {
		if (out && b->bin[out - 1].lo == b->bin[i].lo && b->bin[out - 1].hi == b->bin[i].hi)
			b->bin[out - 1].count += b->bin[i].count;
		else
			b->bin[out++] = b->bin[i];
	}
	b->n = out;
}

int latency__bins_add(struct latency_bins *b, const json_t *lat)
{
	const json_t *bins = json_object_get(lat, "bins"), *bin;
	uint64_t min = 0, max = 0;
	bool had_samples = b->count > 0;
	struct latency_bin one;
	size_t i;

	if (!latency__of(lat))
		return 0;
	if (!json_u64(json_object_get(lat, "min"), &min) || !json_u64(json_object_get(lat, "max"), &max))
		return -1;
	json_array_foreach(bins, i, bin) {
		if (!bin_of(bin, &one))
			return -1;
		if (!one.count)
			continue;
		if (b->n == b->cap) {
			b->cap = b->cap ? 2 * b->cap : 64;
			b->bin = realloc(b->bin, b->cap * sizeof(*b->bin));
			if (!b->bin) {
				ks_error("out of memory reading histogram bins");
				abort();
			}
		}
		b->bin[b->n++] = one;
		b->count += one.count;
	}
	b->min = had_samples && b->min < min ? b->min : min;
	b->max = max > b->max ? max : b->max;
	bins_normalise(b);
	return 0;
}

void latency__bins_release(struct latency_bins *b)
{
	free(b->bin);
	memset(b, 0, sizeof(*b));
}

uint64_t latency__bins_percentile(const struct latency_bins *b, double pct)
{
	uint64_t rank, seen = 0, v;

	if (!b->count)
		return 0;
	if (!(pct > 0.0))
		return b->min;
	if (pct >= 100.0)
		return b->max;
	rank = histogram__rank(b->count, pct);
	for (size_t i = 0; i < b->n; i++) {
		seen += b->bin[i].count;
		if (seen < rank)
			continue;
		/* The bin's midpoint, as histogram__bin_value() reports it, kept inside [min, max]. */
		v = b->bin[i].lo + (b->bin[i].hi - b->bin[i].lo) / 2;
		return v < b->min ? b->min : v > b->max ? b->max : v;
	}
	return b->max;
}

double latency__percentile(const json_t *lat, double pct)
{
	struct latency_bins b = { 0 };
	double v;

	if (!latency__of(lat))
		return NAN;
	if (pct <= 0.0 || pct >= 100.0)
		return json_number_value(json_object_get(lat, pct <= 0.0 ? "min" : "max"));
	for (size_t i = 0; i < KS_ARRAY_SIZE(stored_percentiles); i++)
		if (fabs(pct - stored_percentiles[i].pct) < 1e-9 &&
		    json_is_number(json_object_get(lat, stored_percentiles[i].key)))
			return json_number_value(json_object_get(lat, stored_percentiles[i].key));
	if (latency__bins_add(&b, lat) < 0 || !b.count) {
		latency__bins_release(&b);
		return NAN;
	}
	v = (double)latency__bins_percentile(&b, pct);
	latency__bins_release(&b);
	return v;
}

void latency__log2_buckets(const struct latency_bins *b, uint64_t counts[LATENCY_LOG2_BUCKETS])
{
	for (size_t i = 0; i < b->n; i++) {
		uint64_t mid = b->bin[i].lo + (b->bin[i].hi - b->bin[i].lo) / 2;

		counts[mid ? 64 - __builtin_clzll(mid) : 0] += b->bin[i].count;
	}
}

static int parse_one_percentile(const char *item, size_t len, double *out)
{
	char buf[32], *end;

	/* Plain decimals, as every number kickstorm reads: no ".5", "050" or "5.". */
	if (!len || len >= sizeof(buf) || !isdigit((unsigned char)item[0]) ||
	    (item[0] == '0' && len > 1 && isdigit((unsigned char)item[1])) || item[len - 1] == '.')
		return -1;
	memcpy(buf, item, len);
	buf[len] = '\0';
	errno = 0;
	*out = strtod(buf, &end);
	/* Decimal only: strtod would also take hex, "inf" and exponents. */
	if (errno || *end || strpbrk(buf, "xXeEpP") || !(*out > 0.0) || *out > 100.0)
		return -1;
	return 0;
}

int latency__parse_percentiles(const char *list, double *out, size_t *n, char *why, size_t why_len)
{
	const char *p = list;

	*n = 0;
	for (;;) {
		size_t len = strcspn(p, ",");
		double v;

		if (*n == LATENCY_MAX_PERCENTILES) {
			ks_format(why, why_len, "--percentiles '%s': more than %d percentiles (allowed: 1-%d)",
				  list, LATENCY_MAX_PERCENTILES, LATENCY_MAX_PERCENTILES);
			return -1;
		}
		if (parse_one_percentile(p, len, &v) < 0) {
			ks_format(why, why_len, "--percentiles '%s': '%.*s' is not a percentile "
				  "(allowed: comma-separated numbers above 0 and up to 100, e.g. 50,90,99,99.9)",
				  list, (int)len, p);
			return -1;
		}
		for (size_t i = 0; i < *n; i++) {
			if (out[i] == v) {
				ks_format(why, why_len, "--percentiles '%s': %g is listed twice (allowed: each once)",
				  list, v);
				return -1;
			}
		}
		out[(*n)++] = v;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

size_t latency__default_percentiles(double *out)
{
	static const double defaults[] = { 50.0, 90.0, 99.0, 99.9 };

	memcpy(out, defaults, sizeof(defaults));
	return KS_ARRAY_SIZE(defaults);
}

void latency__percentile_name(double pct, char *buf, size_t len)
{
	if (pct >= 100.0)
		ks_format(buf, len, "max");
	else
		ks_format(buf, len, "p%.10g", pct);
}

void latency__format_us(double ns, char *buf, size_t len)
{
	double us = ns / 1000.0;

	if (isnan(ns))
		ks_format(buf, len, "-");
	else if (us < 1.0)
		ks_format(buf, len, "%.3f", us);
	else if (us < 10.0)
		ks_format(buf, len, "%.2f", us);
	else if (us < 1000.0)
		ks_format(buf, len, "%.1f", us);
	else
		ks_format(buf, len, "%.0f", us);
}
