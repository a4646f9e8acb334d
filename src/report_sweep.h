/* SPDX-License-Identifier: MIT */
#ifndef KICKSTORM_REPORT_SWEEP_H
#define KICKSTORM_REPORT_SWEEP_H

#include <jansson.h>

/*
 * After every scenario ran: when config.sweep names a swept parameter, adds
 * the report's top-level "sweep" section,
 *   {"parameter": "race-window", "key": "race_window_ns", "points": [...],
 *    "scenarios": [{"name": "signal", "points": [{"value", "entries",
 *      "errors", "counts", "lost_fraction", "kicks_lost", "latency_ns",
 *      "cpu_ns_per_request"}, ...]}, ...]}
 * with one item per point for each scenario the sweep shaped, its
 * repetitions pooled. Nothing when the run had no sweep.
 */
void report_sweep__annotate(json_t *root);

#endif
