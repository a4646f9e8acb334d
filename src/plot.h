/* SPDX-License-Identifier: MIT */
/*
 * `kickstorm plot`, the picture: one SVG document with a title from the
 * reports' host and config, then panels stacked top to bottom:
 *   - the latency percentile spectrum: x is the percentile on a log scale
 *     of 1/(1 - p) (0, 90, 99, 99.9, 99.99), y the latency on a log scale;
 *     one line per scenario (name + params, repetitions merged), so the
 *     lines of BASE and NEW overlay when several reports are given;
 *   - a sweep panel per scenario swept along one parameter: p50 and p99
 *     against the parameter, and the lost fraction on a right-hand axis;
 *   - stage bars for every entry carrying trace.stages (name, p50_ns,
 *     p99_ns): where a kick's time goes.
 */
#ifndef KICKSTORM_PLOT_H
#define KICKSTORM_PLOT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

struct plot_report {
	const json_t *root;
	const char *label;      /* the report's name in legends when several are drawn */
};

/* Lines past this many are left out of the spectrum, with a note under it. */
#define PLOT_MAX_LINES 16

/* Writes the picture of reports[0..n) (only: comma-separated scenario names, or NULL) to out. */
void plot__svg(const struct plot_report *reports, size_t n, const char *only, FILE *out);

#endif
