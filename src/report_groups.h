/* SPDX-License-Identifier: MIT */
/*
 * A report's entries grouped the way people read them: one group per
 * scenario name + params (a run with --repeat N leaves N entries in each),
 * and sweeps, the groups of one scenario whose params differ in exactly
 * one numeric parameter (vcpus with --sweep-vcpus today). Found from the
 * params alone, so a sweep over any future parameter shows up unchanged.
 */
#ifndef KICKSTORM_REPORT_GROUPS_H
#define KICKSTORM_REPORT_GROUPS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct report_group {
	const char *name;               /* borrowed from the report */
	const json_t *params;
	size_t n;                       /* repetitions */
	size_t *entry;                  /* indices into scenarios[], in report order */
	/*
	 * "senders=2 vcpus=4": the params in which this group differs from
	 * other groups of its scenario, target_state and protocol excepted
	 * (tables give those their own columns). "" when none differ.
	 */
	char *varying;
};

struct report_groups {
	const json_t *scenarios;
	size_t n;
	struct report_group *group;     /* in order of first appearance */
};

/*
 * Groups root's scenarios; with only (a comma-separated list of names)
 * set, the entries of other scenarios are left out. O(n log n).
 */
void report_groups__build(struct report_groups *gs, const json_t *root, const char *only);
void report_groups__release(struct report_groups *gs);
/* Repetition j (0-based) of g. */
const json_t *report_groups__entry(const struct report_groups *gs, const struct report_group *g, size_t j);
/*
 * The median of metric over g's repetitions that ran (no error) and have
 * it (metric returns NAN where an entry has none); NAN when none does.
 */
double report_groups__median(const struct report_groups *gs, const struct report_group *g,
			     double (*metric)(const json_t *sc, const void *arg), const void *arg);
/* "msi, target halted, protocol naive, vcpus=4, repetition 2": what repetition j of g is. */
void report_groups__label(const struct report_group *g, size_t j, char *buf, size_t len);
/* true when name is one of the comma-separated list (NULL: every name). */
bool report_groups__name_in(const char *name, const char *list);

/* One curve of a sweep: the groups that differ only in the swept key. */
struct sweep_series {
	char *label;                    /* the other varying params, "" when none */
	size_t n;
	size_t *group;                  /* indices into report_groups, by increasing x */
	double *x;                      /* the swept parameter's value */
};

struct sweep {
	const char *name;               /* scenario */
	const char *key;                /* the swept parameter */
	size_t nseries;
	struct sweep_series *series;
};

struct sweeps {
	size_t n;
	struct sweep *sweep;
};

/*
 * The sweeps among gs: per scenario, the numeric parameter along which the
 * most groups form series of two or more points (on a tie, the one with
 * the longest series); every group is in at most one sweep.
 */
void report_groups__sweeps(const struct report_groups *gs, struct sweeps *out);
void report_groups__release_sweeps(struct sweeps *sw);

#endif
