// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for what show and plot do with a file they are given:
 * any bytes must be refused with a reason or checked and then rendered
 * (table, sweep tables, markdown, histograms, SVG) without a crash, and a
 * checked report's histograms must sum to their counts.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist_text.h"
#include "latency.h"
#include "plot.h"
#include "report_read.h"
#include "table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_buckets(const json_t *root)
{
	const json_t *sc;
	size_t i;

	json_array_foreach(json_object_get(root, "scenarios"), i, sc) {
		const json_t *lat = json_object_get(sc, "latency_ns");
		uint64_t counts[LATENCY_LOG2_BUCKETS] = { 0 }, sum = 0;
		struct latency_bins b = { 0 };

		if (!latency__of(lat))
			continue;
		if (latency__bins_add(&b, lat) < 0)
			abort();	/* the check passed these bins */
		latency__log2_buckets(&b, counts);
		for (int k = 0; k < LATENCY_LOG2_BUCKETS; k++)
			sum += counts[k];
		if (sum != (uint64_t)json_integer_value(json_object_get(lat, "count")))
			abort();
		latency__bins_release(&b);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plot_report rep;
	struct table_options o;
	json_error_t err;
	char why[512] = "";
	FILE *sink;
	json_t *root = json_loadb((const char *)data, size, 0, &err);

	if (!root)
		return 0;
	if (report_read__check(root, why, sizeof(why)) < 0) {
		if (!why[0])
			abort();	/* a refusal must say why */
		json_decref(root);
		return 0;
	}
	check_buckets(root);
	sink = fopen("/dev/null", "w");
	table__default_options(&o);
	o.percentiles[o.npercentiles++] = 99.95;
	table__print(root, &o, sink);
	o.format = GRID_MARKDOWN;
	table__print(root, &o, sink);
	hist_text__print(root, NULL, 0, sink);
	rep = (struct plot_report){ root, "fuzz.json" };
	plot__svg(&rep, 1, NULL, sink);
	fclose(sink);
	json_decref(root);
	return 0;
}
