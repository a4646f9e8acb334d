// SPDX-License-Identifier: MIT
#include "hist_text.h"
#include "report_groups.h"
#include "util.h"

#include <string.h>

/* 2^shift with a binary suffix, as bpftrace labels its buckets: 16K is 16384. */
static void power_label(unsigned shift, char *buf, size_t len)
{
	static const char suffix[] = " KMGTPE";
	unsigned unit = shift / 10;

	if (unit >= sizeof(suffix) - 1)
		unit = sizeof(suffix) - 2;
	if (!unit)
		ks_format(buf, len, "%llu", 1ull << shift);
	else
		ks_format(buf, len, "%llu%c", 1ull << (shift - 10 * unit), suffix[unit]);
}

void hist_text__line(FILE *out, unsigned bucket, uint64_t count, uint64_t peak)
{
	char lo[16], hi[16], range[40], bar[HIST_TEXT_BAR_WIDTH + 1];
	size_t n = peak ? (size_t)((double)count / (double)peak * HIST_TEXT_BAR_WIDTH + 0.5) : 0;

	/* A bucket that holds anything gets at least one @, so a lone outlier stays visible. */
	if (count && !n)
		n = 1;
	memset(bar, '@', n);
	bar[n] = '\0';
	if (bucket == 0) {
		ks_format(range, sizeof(range), "[0]");
	} else {
		power_label(bucket - 1, lo, sizeof(lo));
		power_label(bucket, hi, sizeof(hi));
		ks_format(range, sizeof(range), "[%s, %s)", lo, hi);
	}
	fprintf(out, "%-14s %10llu |%-*s|\n", range, (unsigned long long)count, HIST_TEXT_BAR_WIDTH, bar);
}

void hist_text__print_one(const json_t *latency_ns, FILE *out)
{
	uint64_t counts[LATENCY_LOG2_BUCKETS] = { 0 }, peak = 0;
	struct latency_bins b = { 0 };
	int first = -1, last = -1;

	if (!latency__of(latency_ns) || latency__bins_add(&b, latency_ns) < 0) {
		latency__bins_release(&b);
		return;
	}
	latency__log2_buckets(&b, counts);
	for (int i = 0; i < LATENCY_LOG2_BUCKETS; i++) {
		if (!counts[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		peak = counts[i] > peak ? counts[i] : peak;
	}
	/* Empty buckets between the first and the last stay: the gaps are the shape. */
	for (int i = first; i >= 0 && i <= last; i++)
		hist_text__line(out, (unsigned)i, counts[i], peak);
	latency__bins_release(&b);
}

static void print_entry(const struct report_groups *gs, const struct report_group *g, size_t j,
			int markdown, FILE *out)
{
	const json_t *sc = report_groups__entry(gs, g, j);
	const json_t *lat = json_object_get(sc, "latency_ns");
	char label[512];

	report_groups__label(g, j, label, sizeof(label));
	fprintf(out, "%s%s", markdown ? "```\n" : "", label);
	if (latency__of(lat)) {
		fprintf(out, ": latency in ns, %lld samples\n",
			(long long)json_integer_value(json_object_get(lat, "count")));
		hist_text__print_one(lat, out);
	} else {
		fputs(": no latency samples\n", out);
	}
	fputs(markdown ? "```\n\n" : "\n", out);
}

void hist_text__print(const json_t *root, const char *only, int markdown, FILE *out)
{
	struct report_groups gs;

	report_groups__build(&gs, root, only);
	if (gs.n)
		fputs("log2 histograms (K = 1024, M = 1048576 ns)\n\n", out);
	for (size_t g = 0; g < gs.n; g++)
		for (size_t j = 0; j < gs.group[g].n; j++)
			print_entry(&gs, &gs.group[g], j, markdown, out);
	report_groups__release(&gs);
}
