/* SPDX-License-Identifier: MIT */
/*
 * `kickstorm compare`, the logic: load two reports (report_load.c), group
 * each report's entries by scenario name + params (a report made with
 * --repeat N holds N entries per group) and match the groups of BASE and
 * NEW (compare_group.c), and judge every metric against its threshold and,
 * when both sides hold enough repetitions, a Mann-Whitney U test
 * (compare.c, compare_stats.c). Nothing here prints: compare_text.c and
 * compare_format.c turn a compare_result into text, JSON, markdown, JUnit
 * XML, BMF or github-action-benchmark JSON, and tests drive these files
 * with reports built in memory.
 *
 * Every metric is lower-is-better. A latency metric regresses when the
 * median over repetitions grew by more than its threshold, the best
 * repetition did too (min of the per-repetition values: other load on the
 * host only ever slows a repetition down, so noise rarely moves the best
 * one, while a slower kernel moves them all), and, with at least
 * min_repeats repetitions on each side, the growth is significant
 * (two-sided Mann-Whitney p < alpha). With fewer, the thresholds decide
 * alone. Lost requests and lost kicks are correctness metrics: their mean
 * per repetition regresses on any growth beyond the threshold (0 by
 * default), with no statistics to excuse it. A scenario whose every
 * repetition failed in NEW but not in BASE is a regression too.
 *
 * compare never passes on nothing: when no scenario was measured on both
 * sides (no match, an empty report), or NEW is an interrupted run and
 * nothing regressed, the status says so (exit 2), not "no regression".
 */
#ifndef KICKSTORM_COMPARE_H
#define KICKSTORM_COMPARE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum compare_metric {
	COMPARE_P50,
	COMPARE_P90,
	COMPARE_P99,
	COMPARE_P999,
	COMPARE_MAX,
	COMPARE_MEAN,
	COMPARE_LOST,
	COMPARE_KICKS_LOST,
	COMPARE_LATE,
	COMPARE_UNRESOLVED,
	COMPARE_COALESCED,
	COMPARE_NMETRICS
};
#define COMPARE_LAST_LATENCY COMPARE_MEAN

/* A threshold that reports a metric without ever judging it. */
#define COMPARE_REPORT_ONLY (-1.0)
#define COMPARE_DEFAULT_MIN_REPEATS 5
#define COMPARE_DEFAULT_ALPHA 0.05
/* How long a report named as a FIFO may wait for its writer, by default. */
#define COMPARE_DEFAULT_WAIT_S 10
#define COMPARE_MAX_WAIT_S 86400
/* Largest na + nb for which the exact U distribution is enumerated. */
#define COMPARE_EXACT_MAX 40
#define COMPARE_LABEL_MAX 256
/* Schema versions compare reads (results/kickstorm-report.schema.json, v2 notes). */
#define COMPARE_SCHEMA_MIN 1
#define COMPARE_SCHEMA_MAX 2

struct compare_metric_info {
	const char *name;               /* "p99": --threshold and JSON key */
	const char *title;              /* "p99 latency" */
	const char *unit;               /* of the values compare__run produces: "ns", "requests" */
	bool latency;                   /* a latency in ns, shown in us */
	bool correctness;               /* any growth past the threshold regresses, no statistics */
	double default_threshold;       /* percent, or COMPARE_REPORT_ONLY */
};

extern const struct compare_metric_info compare_metrics[COMPARE_NMETRICS];

/* "p50, p90, ..., coalesced" for error messages. */
const char *compare__metric_names(void);
/* -1 when name is not a metric. */
int compare__metric_find(const char *name);

#define COMPARE_MAX_IGNORED 64
#define COMPARE_MAX_LEFT_OUT 64

/* A param one report records for a scenario and the other never does (compare_reconcile.c). */
struct compare_left_out {
	const char *name;                       /* scenario; borrowed from the reports' JSON */
	const char *param;
	bool recorded_by_new;                   /* NEW records it, BASE does not; else the other way */
};
struct compare_options {
	double threshold[COMPARE_NMETRICS];     /* percent, or COMPARE_REPORT_ONLY */
	unsigned min_repeats;                   /* per side, for the significance test */
	double alpha;
	unsigned wait_s;                        /* for a FIFO's writer */
	size_t nignored;                        /* --match-ignore: params that do not tell scenarios apart */
	char ignored[COMPARE_MAX_IGNORED][64];
	size_t nleft_out;                       /* filled by compare__run, not by the user */
	struct compare_left_out left_out[COMPARE_MAX_LEFT_OUT];
};

void compare__default_options(struct compare_options *o);
/*
 * Applies one --threshold argument: "p99=15%", "p99=15", "lost=0",
 * "max=off". Returns 0, or -1 with a one-line reason naming the bad value
 * and what is allowed in why.
 */
int compare__parse_threshold(struct compare_options *o, const char *arg, char *why, size_t why_len);
/* Applies one --match-ignore argument, "deadline_ms,seed". The same contract. */
int compare__parse_match_ignore(struct compare_options *o, const char *arg, char *why, size_t why_len);
bool compare__ignored(const struct compare_options *o, const char *param);
/* Is param left out of matching scenario name (compare__reconcile)? */
bool compare__left_out(const struct compare_options *o, const char *name, const char *param);


/* One param of a group: its key and its value as canonical JSON text (2.0 is "2"). */
struct compare_param {
	const char *key;                        /* borrowed from the report's JSON */
	char *value;
};

/* One scenario + params of a report, with its repetitions. */
struct compare_group {
	const char *name;                       /* borrowed from the report's JSON */
	const json_t *params;
	size_t nparams;                         /* without the --match-ignore ones */
	struct compare_param *param;            /* sorted by key */
	uint64_t hash;
	size_t reps;                            /* entries with this name and params */
	size_t failed;                          /* of which carried an error and are left out */
	size_t partial;                         /* of which a signal cut short, left out too */
	const char *error;                      /* the first such error */
	double elapsed_s;                       /* summed over the entries that have it */
	size_t n[COMPARE_NMETRICS];             /* usable values per metric */
	double *values[COMPARE_NMETRICS];       /* in report order */
	char label[COMPARE_LABEL_MAX];          /* name + the params that tell it from its namesakes */
};

struct compare_index;

struct compare_report {
	const char *path;                       /* borrowed: what messages call the file */
	json_t *root;
	int schema_version;
	bool interrupted;
	size_t nentries;
	size_t ngroups;
	struct compare_group *groups;
	struct compare_index *index;            /* groups by name + params */
};

/*
 * Reads, checks and groups a report ("-" is stdin). A FIFO waits up to
 * o->wait_s for a writer. Returns 0, or -1 with a one-line reason (without
 * the path) in why: the file cannot be read, is not JSON, has another
 * schema_version, a field compare reads has the wrong type, or memory ran
 * out. o may be NULL for the defaults.
 */
int compare__load(struct compare_report *r, const char *path, const struct compare_options *o,
		  char *why, size_t why_len);
/* The same on bytes in memory (the fuzzer's entry point). */
int compare__load_buffer(struct compare_report *r, const char *data, size_t size, const char *path,
			 const struct compare_options *o, char *why, size_t why_len);
/* The same on parsed JSON; takes over root's reference, even on failure. */
int compare__from_json(struct compare_report *r, json_t *root, const char *path,
		       const struct compare_options *o, char *why, size_t why_len);
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
	double base, new;       /* median over repetitions; correctness metrics: mean per repetition */
	double change_pct;      /* INFINITY when base is 0 and new is not */
	double best_base, best_new;     /* best (lowest) repetition; NaN for correctness metrics */
	double best_change_pct;
	double worst_new;       /* NEW's highest repetition */
	bool tested;            /* significance was judged */
	double p_value;         /* two-sided; NaN when not computed */
	bool exact;
	enum compare_verdict verdict;
};

struct compare_match {
	const struct compare_group *base, *new;
	const char *label;                      /* the base group's */
	bool new_failed;                        /* every NEW repetition failed, not every BASE one */
	bool testable;                          /* enough repetitions for significance */
	bool measured;                          /* some metric has values on both sides */
	struct compare_cell cell[COMPARE_NMETRICS];
};

/* A param in which a group differs from its closest namesake; NULL: absent. */
struct compare_difference {
	const char *param;
	const char *base_value, *new_value;     /* canonical JSON text */
};

struct compare_unmatched {
	const struct compare_group *group;
	const struct compare_group *closest;    /* on the other side, same name; NULL when none */
	size_t ndiffs;
	struct compare_difference *diffs;
	/*
	 * "race-window" when group is a point of its report's sweep (config.sweep)
	 * that differs from the closest only in the swept param: a point the
	 * other report did not run. NULL otherwise.
	 */
	const char *sweep_param;
};

enum compare_status {
	COMPARE_STATUS_OK,              /* exit 0 */
	COMPARE_STATUS_REGRESSION,      /* exit 1 */
	COMPARE_STATUS_NOTHING,         /* exit 2: no scenario measured on both sides */
	COMPARE_STATUS_INTERRUPTED,     /* exit 2: NEW is an interrupted run and nothing regressed */
};

struct compare_result {
	size_t nleft_out;                       /* params left out of matching (compare__reconcile) */
	struct compare_left_out left_out[COMPARE_MAX_LEFT_OUT];
	size_t nmatches, nbase_only, nnew_only;
	struct compare_match *matches;
	struct compare_unmatched *base_only, *new_only;
	size_t nmeasured;                       /* matches with values on both sides */
	size_t nregressions;                    /* regressed cells + failed scenarios */
	enum compare_status status;
	char reason[256];                       /* why status is what it is, one line */
	char host_note[256];                    /* how the hosts differ, "" when they do not */
};

void compare__run(const struct compare_report *base, const struct compare_report *new,
		  const struct compare_options *o, struct compare_result *res);
void compare__release_result(struct compare_result *res);
int compare__exit_status(const struct compare_result *res);
const char *compare__status_name(enum compare_status s);

/* Matching (compare_group.c), used by compare__run. */
void compare__label_groups(struct compare_report *base, struct compare_report *new);
const struct compare_group *compare__find_group(const struct compare_report *r,
						const struct compare_group *g);
/* The closest group of the same name in other; fills u's closest and diffs. */
void compare__closest(const struct compare_report *other, bool other_is_new, struct compare_unmatched *u);
/* "name key=value ..." with every param: a name that stays the same from run to run. */
void compare__full_label(const struct compare_group *g, char *buf, size_t len);
/* Canonical value text as a label shows it: strings without their quotes. */
void compare__value_text(const char *canonical, char *buf, size_t len);
/* Drops a UTF-8 sequence cut short at the end of s. */
void compare__utf8_trim(char *s);

/*
 * Leaves out of matching each param that one report records for a scenario
 * (with one value) and the other records for none of its groups of that
 * name: the other was made before kickstorm recorded it. Adds them to o
 * and regroups both reports when there are any; true then.
 */
bool compare__reconcile(struct compare_report *base, struct compare_report *new, struct compare_options *o);

/* Grouping (compare_group.c), used by the loader. */
int compare__group_entries(struct compare_report *r, const struct compare_options *o);
void compare__release_groups(struct compare_report *r);

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
