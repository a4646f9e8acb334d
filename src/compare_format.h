/* SPDX-License-Identifier: MIT */
/*
 * compare's outputs: the text table (compare_text.c), JSON, Bencher Metric
 * Format and github-action-benchmark JSON (compare_json.c), a markdown
 * table and JUnit XML (compare_markup.c). Each prints one compare_result;
 * none decides anything.
 */
#ifndef KICKSTORM_COMPARE_FORMAT_H
#define KICKSTORM_COMPARE_FORMAT_H

#include "compare.h"

#include <stdio.h>

enum compare_format {
	COMPARE_FORMAT_TEXT,
	COMPARE_FORMAT_JSON,
	COMPARE_FORMAT_MARKDOWN,
	COMPARE_FORMAT_JUNIT,
	COMPARE_FORMAT_BMF,
	COMPARE_FORMAT_GITHUB,
	COMPARE_NFORMATS
};

/* -1 when name is not a format. */
int compare__format_find(const char *name);
/* "text, json, markdown, junit, bmf, github" */
const char *compare__format_names(void);

struct compare_view {
	const struct compare_report *base, *new;
	const struct compare_result *res;
	const struct compare_options *o;
};

/* Prints v in format f; 0, or -1 when out could not be written. */
int compare__print(enum compare_format f, const struct compare_view *v, FILE *out);

void compare__print_text(const struct compare_view *v, FILE *out);
int compare__print_json(const struct compare_view *v, FILE *out);
int compare__print_bmf(const struct compare_view *v, FILE *out);
int compare__print_github(const struct compare_view *v, FILE *out);
void compare__print_markdown(const struct compare_view *v, FILE *out);
void compare__print_junit(const struct compare_view *v, FILE *out);

/* Shared by the formats. */
/* Latencies in us with one decimal, as run's table shows them; counts as they are. */
void compare__format_value(double v, enum compare_metric m, char *buf, size_t len);
/* "us" for latencies, else the metric's unit. */
const char *compare__display_unit(enum compare_metric m);
void compare__format_change(double pct, char *buf, size_t len);
/* "deadline_ms: 1000 vs 10 (BASE vs NEW)", or why there is no closest. */
void compare__unmatched_text(const struct compare_unmatched *u, bool in_base, char *buf, size_t len);
/* The smallest per-side count at which the test can reach p < alpha. */
unsigned compare__repeats_needed(const struct compare_options *o);
/* Is the metric shown as a column of the short formats (markdown)? */
bool compare__metric_judged(const struct compare_options *o, enum compare_metric m);

#endif
