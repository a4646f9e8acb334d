/* SPDX-License-Identifier: MIT */
/*
 * `kickstorm compare`, the logic: load two reports, group each report's
 * entries by scenario name + params (a report made with --repeat N holds N
 * entries per group), match the groups of BASE and NEW, and judge every
 * metric against its threshold and, when both sides hold enough
 * repetitions, a Mann-Whitney U test. Nothing here prints: cmd_compare.c
 * turns a compare_result into the table or JSON, and tests drive this file
 * with reports built in memory.
 *
 * Every metric is lower-is-better. A latency metric regresses when the
 * median over repetitions grew by more than its threshold, the best
 * repetition did too (min of the per-repetition values: other load on the
 * host only ever slows a repetition down, so noise rarely moves the best
 * one, while a slower kernel moves them all), and, with at least
 * min_repeats repetitions on each side, the growth is significant
 * (two-sided Mann-Whitney p < alpha). With fewer, the thresholds decide
 * alone. lost is a correctness metric: its mean per
 * repetition regresses on any growth beyond its threshold (0 by default),
 * with no statistics to excuse it. A scenario whose every repetition
 * failed in NEW but not in BASE is a regression too.
 */
#ifndef KICKSTORM_COMPARE_H
#define KICKSTORM_COMPARE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum compare_metric {
	COMPARE_P50,
	COMPARE_P90,
	COMPARE_P99,
	COMPARE_P999,
	COMPARE_MAX,
	COMPARE_MEAN,
	COMPARE_LOST,
	COMPARE_COALESCED,
	COMPARE_NMETRICS
};

/* A threshold that reports a metric without ever judging it. */
#define COMPARE_REPORT_ONLY (-1.0)
#define COMPARE_DEFAULT_MIN_REPEATS 5
#define COMPARE_DEFAULT_ALPHA 0.05
/* Largest na + nb for which the exact U distribution is enumerated. */
#define COMPARE_EXACT_MAX 40
#define COMPARE_LABEL_MAX 256

struct compare_metric_info {
	const char *name;               /* "p99": --threshold and JSON key */
	const char *title;              /* "p99 latency, ns" */
	bool correctness;               /* any growth past the threshold regresses, no statistics */
	double default_threshold;       /* percent, or COMPARE_REPORT_ONLY */
};

extern const struct compare_metric_info compare_metrics[COMPARE_NMETRICS];

/* "p50, p90, ..., coalesced" for error messages. */
const char *compare__metric_names(void);
/* -1 when name is not a metric. */
int compare__metric_find(const char *name);

struct compare_options {
	double threshold[COMPARE_NMETRICS];     /* percent, or COMPARE_REPORT_ONLY */
	unsigned min_repeats;                   /* per side, for the significance test */
	double alpha;
};

void compare__default_options(struct compare_options *o);
/*
 * Applies one --threshold argument: "p99=15%", "p99=15", "lost=0",
 * "max=off". Returns 0, or -1 with a one-line reason naming the bad value
 * and what is allowed in why.
 */
int compare__parse_threshold(struct compare_options *o, const char *arg, char *why, size_t why_len);

/* One scenario + params of a report, with its repetitions. */
struct compare_group {
	const char *name;                       /* borrowed from the report's JSON */
	const json_t *params;
	size_t reps;                            /* entries with this name and params */
	size_t failed;                          /* of which carried an error and are left out */
	const char *error;                      /* the first such error */
	size_t n[COMPARE_NMETRICS];             /* usable values per metric */
	double *values[COMPARE_NMETRICS];       /* in report order */
};

struct compare_report {
	const char *path;                       /* borrowed: what messages call the file */
	json_t *root;
	bool interrupted;
	size_t ngroups;
	struct compare_group *groups;
};

/*
 * Reads and checks a report ("-" is stdin). Returns 0, or -1 with a
 * one-line reason (without the path) in why: the file cannot be read, is
 * not JSON, has another schema_version, or does not have a report's shape.
 */
int compare__load(struct compare_report *r, const char *path, char *why, size_t why_len);
/* The same on parsed JSON; takes over root's reference, even on failure. */
int compare__from_json(struct compare_report *r, json_t *root, const char *path,
		       char *why, size_t why_len);
void compare__release_report(struct compare_report *r);

/* Params compared canonically: key order ignored, 2 equals 2.0. */
bool compare__params_equal(const json_t *a, const json_t *b);

enum compare_verdict {
	VERDICT_OK,             /* within the threshold */
	VERDICT_REGRESSION,
	VERDICT_IMPROVED,
	VERDICT_NOISE,          /* median past the threshold, but not significant or not the best repetition */
	VERDICT_REPORT_ONLY,
	VERDICT_MISSING,        /* one side has no value */
};

const char *compare__verdict_name(enum compare_verdict v);

struct compare_cell {
	size_t nbase, nnew;
	double base, new;       /* median over repetitions; lost: mean per repetition */
	double change_pct;      /* INFINITY when base is 0 and new is not */
	double best_base, best_new;     /* best (lowest) repetition; NaN for lost */
	double best_change_pct;
	bool tested;            /* significance was judged */
	double p_value;         /* two-sided; NaN when not computed */
	bool exact;
	enum compare_verdict verdict;
};

struct compare_match {
	const struct compare_group *base, *new;
	char label[COMPARE_LABEL_MAX];          /* name + the params that tell groups apart */
	bool new_failed;                        /* every NEW repetition failed, not every BASE one */
	bool testable;                          /* enough repetitions for significance */
	struct compare_cell cell[COMPARE_NMETRICS];
};

struct compare_unmatched {
	const struct compare_group *group;
	char label[COMPARE_LABEL_MAX];
};

struct compare_result {
	size_t nmatches, nbase_only, nnew_only;
	struct compare_match *matches;
	struct compare_unmatched *base_only, *new_only;
	size_t nregressions;                    /* regressed cells + failed scenarios */
	char host_note[256];                    /* how the hosts differ, "" when they do not */
};

void compare__run(const struct compare_report *base, const struct compare_report *new,
		  const struct compare_options *o, struct compare_result *res);
void compare__release_result(struct compare_result *res);

/* Statistics, exposed for the tests. */
struct mann_whitney {
	double u;               /* of the first sample: pairs a > b, ties counting 1/2 */
	double p;               /* two-sided */
	bool exact;
};

/*
 * Two-sided Mann-Whitney U test. Exact (the permutation distribution of the
 * midrank sum, ties included) when na + nb <= COMPARE_EXACT_MAX, otherwise
 * the normal approximation with tie and continuity corrections. -1 when a
 * sample is empty.
 */
int compare__mann_whitney(const double *a, size_t na, const double *b, size_t nb,
			  struct mann_whitney *r);
/* Each method on its own, whatever the sizes. */
double compare__mw_exact_p(const double *a, size_t na, const double *b, size_t nb);
double compare__mw_normal_p(const double *a, size_t na, const double *b, size_t nb);
/* The smallest two-sided p any data can give with these sizes: 2 / C(na+nb, na). */
double compare__mw_min_p(size_t na, size_t nb);
double compare__median(const double *v, size_t n);

#endif
