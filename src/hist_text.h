/* SPDX-License-Identifier: MIT */
/*
 * The text histogram kernel people paste into mail, in the shape bpftrace
 * and BCC print: one log2 bucket a line, its range, its count and a bar.
 * Built from a report's bins, so the buckets of a scenario always sum to
 * its latency_ns.count.
 */
#ifndef KICKSTORM_HIST_TEXT_H
#define KICKSTORM_HIST_TEXT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "latency.h"

#define HIST_TEXT_BAR_WIDTH 52

/* One bucket line: "[16K, 32K)         1523 |@@@@@     |". */
void hist_text__line(FILE *out, unsigned bucket, uint64_t count, uint64_t peak);
/* The histogram of one latency_ns object; nothing when it has no samples. */
void hist_text__print_one(const json_t *latency_ns, FILE *out);
/*
 * A histogram per scenario entry of root (only: comma-separated names, or
 * NULL for all), each under a line naming the scenario, its repetition and
 * its sample count. Markdown wraps each in a code block.
 */
void hist_text__print(const json_t *root, const char *only, int markdown, FILE *out);

#endif
