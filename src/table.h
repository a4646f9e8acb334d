/* SPDX-License-Identifier: MIT */
/*
 * The human table of a report, built from the report's JSON so that run
 * (right after measuring) and show (any report, v1 or v2) print the same
 * thing: one row per scenario entry, repetitions of a scenario numbered
 * and followed by their median, and one sweep table per scenario whose
 * runs differ in one numeric parameter. Text or markdown.
 */
#ifndef KICKSTORM_TABLE_H
#define KICKSTORM_TABLE_H

#include <jansson.h>
#include <stdio.h>

#include "grid.h"
#include "latency.h"

struct table_options {
	double percentiles[LATENCY_MAX_PERCENTILES];
	size_t npercentiles;
	const char *scenario;           /* comma-separated names to show; NULL: all */
	enum grid_format format;
};

/* Percentiles 50, 90, 99, 99.9; every scenario; text. */
void table__default_options(struct table_options *o);

/* The main table; NULL when no entry is selected. */
struct grid *table__scenarios(const json_t *root, const struct table_options *o);
/* One table per sweep; sets *n (0: none, NULL returned). Free each grid and the array. */
struct grid **table__sweeps(const json_t *root, const struct table_options *o, size_t *n);

/* The main table, then each sweep table after a blank line. */
void table__print(const json_t *root, const struct table_options *o, FILE *out);

#endif
