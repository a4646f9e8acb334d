/* SPDX-License-Identifier: MIT */
/*
 * --sweep PARAM=LIST (and its older alias --sweep-vcpus LIST): which run
 * options a sweep can vary, the points it was given, and the configuration
 * each point runs with. A point changes the swept option and nothing else,
 * so the entries of one sweep differ in exactly that param: the table,
 * the report's sweep section and compare all find the points by it.
 */
#ifndef KICKSTORM_SWEEP_SPEC_H
#define KICKSTORM_SWEEP_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"

struct sweep_param_info {
	const char *name;       /* "race-window": PARAM, the option without its dashes */
	const char *key;        /* "race_window_ns": the param every entry it shapes records */
	unsigned option;        /* the KS_OPT_* it varies */
	uint64_t min, max;
	const char *allowed;    /* "0-10^9 ns", for messages */
};

/* NULL for SWEEP_NONE. */
const struct sweep_param_info *sweep_spec__info(enum sweep_param p);
/* "vcpus, senders, ...": every PARAM, for messages. */
const char *sweep_spec__names(void);
/* "race-window, deadline": the PARAMs among options, in table order; "" when none. */
void sweep_spec__names_for(unsigned options, char *buf, size_t len);

/*
 * Parses --sweep's "PARAM=LIST", or with param set (--sweep-vcpus) LIST
 * alone: up to KS_MAX_SWEEP distinct plain decimals in PARAM's range. Returns
 * 0, or KS_EXIT_USAGE after one line naming opt, the bad value and what is
 * allowed. A second sweep on one command line is refused the same way.
 */
int sweep_spec__parse(struct sweep_spec *s, const char *opt, const char *arg);
int sweep_spec__parse_list(struct sweep_spec *s, enum sweep_param p, const char *opt, const char *list);

/* Does the sweep vary an option among options (a scenario's KS_OPT_* mask)? */
bool sweep_spec__shapes(const struct sweep_spec *s, unsigned options);

/*
 * The checks that need the whole configuration (defaults resolved): the
 * PARAM must shape a chosen scenario, and every point must be valid with
 * the other options (a --burst above 1 needs an open-loop rate, --lost-after
 * is never below --deadline). A deadline sweep without --lost-after widens
 * the loss window to its largest point, so the window does not vary too.
 * Returns 0, or KS_EXIT_USAGE after one line naming the point.
 */
int sweep_spec__check(struct ks_config *cfg);

/* The configuration point k runs with: base, with the swept option at points[k]. */
void sweep_spec__apply(const struct ks_config *base, unsigned k, struct ks_config *out);

/* {"parameter": "race-window", "key": "race_window_ns", "points": [...]}, or null. */
json_t *sweep_spec__to_json(const struct sweep_spec *s);

#endif
