/* SPDX-License-Identifier: MIT */
/*
 * The progress line of a long run on a terminal: which scenario, which
 * repetition and sweep point, how far the storm is, and about how long the
 * whole run has left. One line, rewritten in place on stderr; nothing when
 * stderr is not a terminal or the run is --quiet.
 */
#ifndef KICKSTORM_PROGRESS_H
#define KICKSTORM_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ks_config;

/* Counts the scenario runs cfg makes (repetitions x points) and starts the clock. */
void progress__start(const struct ks_config *cfg, bool enabled);
/* The next scenario run: its repetition (0-based) and sweep point ("vcpus=4", k of n; NULL: none). */
void progress__entry(unsigned rep, const char *point, unsigned k, unsigned n);
/* A scenario run ended: ends the line. */
void progress__entry_done(void);
/* scenario_ctx.progress: the storm's count so far, its total (0: unknown), seconds in it. */
void progress__update(const char *scenario, uint64_t done, uint64_t total, double elapsed_s);

/*
 * Seconds the run has left, from the storm's own pace and the average of
 * the scenario runs so far; negative when nothing is known yet. Exposed for
 * the unit test.
 */
double progress__left_s(uint64_t done, uint64_t total, double elapsed_s, double duration_s,
			unsigned entries_done, unsigned entries, double run_elapsed_s);

#endif
