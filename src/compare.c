// SPDX-License-Identifier: MIT
#include "compare.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Defaults tuned for noisy hosts: the median moves little between runs, the
 * tail a lot, and the single largest sample is one scheduler hiccup, so
 * p999 and max are shown but judged only on request (--threshold max=PCT).
 * Coalescing is allowed behaviour whose amount depends on timing; late
 * requests (observed after --deadline, never re-kicked) and unresolved ones
 * (the run ended first) say the host was busy, not that KVM lost anything.
 */
const struct compare_metric_info compare_metrics[COMPARE_NMETRICS] = {
	[COMPARE_P50] = { "p50", "p50 latency", "ns", true, false, 25.0 },
	[COMPARE_P90] = { "p90", "p90 latency", "ns", true, false, 35.0 },
	[COMPARE_P99] = { "p99", "p99 latency", "ns", true, false, 50.0 },
	[COMPARE_P999] = { "p999", "p99.9 latency", "ns", true, false, COMPARE_REPORT_ONLY },
	[COMPARE_MAX] = { "max", "max latency", "ns", true, false, COMPARE_REPORT_ONLY },
	[COMPARE_MEAN] = { "mean", "mean latency", "ns", true, false, COMPARE_REPORT_ONLY },
	[COMPARE_LOST] = { "lost", "lost requests per repetition", "requests", false, true, 0.0 },
	[COMPARE_KICKS_LOST] = { "kicks_lost", "lost kicks per repetition", "kicks", false, true, 0.0 },
	[COMPARE_LATE] = { "late", "late requests per repetition", "requests", false, false,
			   COMPARE_REPORT_ONLY },
	[COMPARE_UNRESOLVED] = { "unresolved", "unresolved requests per repetition", "requests", false,
				 false, COMPARE_REPORT_ONLY },
	[COMPARE_COALESCED] = { "coalesced", "coalesced requests per repetition", "requests", false,
				false, COMPARE_REPORT_ONLY },
};

#define THRESHOLD_MAX_PCT 100000.0

const char *compare__metric_names(void)
{
	return "p50, p90, p99, p999, max, mean, lost, kicks_lost, late, unresolved, coalesced";
}

int compare__metric_find(const char *name)
{
	for (int m = 0; m < COMPARE_NMETRICS; m++)
		if (!strcmp(name, compare_metrics[m].name))
			return m;
	return -1;
}

void compare__default_options(struct compare_options *o)
{
	memset(o, 0, sizeof(*o));
	for (int m = 0; m < COMPARE_NMETRICS; m++)
		o->threshold[m] = compare_metrics[m].default_threshold;
	o->min_repeats = COMPARE_DEFAULT_MIN_REPEATS;
	o->alpha = COMPARE_DEFAULT_ALPHA;
	o->wait_s = COMPARE_DEFAULT_WAIT_S;
}

static int parse_percent(const char *s, double *out)
{
	char *end;
	double v;

	if (!strcmp(s, "off")) {
		*out = COMPARE_REPORT_ONLY;
		return 0;
	}
	if (!*s || !(s[0] == '.' || (s[0] >= '0' && s[0] <= '9')))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || (*end && strcmp(end, "%")) || !isfinite(v) || v < 0 ||
	    v > THRESHOLD_MAX_PCT)
		return -1;
	*out = v;
	return 0;
}

int compare__parse_threshold(struct compare_options *o, const char *arg, char *why, size_t why_len)
{
	const char *eq = strchr(arg, '=');
	char metric[32];
	size_t len;
	int m;

	if (!eq || eq == arg) {
		ks_format(why, why_len, "--threshold '%s': expected METRIC=PCT, e.g. p99=50%% "
			  "(metrics: %s)", arg, compare__metric_names());
		return -1;
	}
	len = (size_t)(eq - arg);
	ks_format(metric, sizeof(metric), "%.*s", (int)(len < sizeof(metric) ? len : sizeof(metric) - 1), arg);
	m = len < sizeof(metric) ? compare__metric_find(metric) : -1;
	if (m < 0) {
		ks_format(why, why_len, "--threshold '%s': unknown metric '%.*s' (allowed: %s)",
			  arg, (int)len, arg, compare__metric_names());
		return -1;
	}
	if (parse_percent(eq + 1, &o->threshold[m]) < 0) {
		ks_format(why, why_len, "--threshold '%s': '%s' is not a percentage (allowed: 0-100000, "
			  "optionally followed by %%, or off to report %s without judging it)",
			  arg, eq + 1, metric);
		return -1;
	}
	return 0;
}

/* A param name as reports spell them: lower case, digits and '_'. */
static bool param_name_ok(const char *s, size_t len)
{
	if (!len || len >= sizeof(((struct compare_options *)0)->ignored[0]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

int compare__parse_match_ignore(struct compare_options *o, const char *arg, char *why, size_t why_len)
{
	const char *p = arg;

	do {
		size_t len = strcspn(p, ",");

		if (!param_name_ok(p, len)) {
			ks_format(why, why_len, "--match-ignore '%s': '%.*s' is not a param name (allowed: "
				  "a comma-separated list of params as reports name them, e.g. "
				  "deadline_ms,gap_ns)", arg, (int)len, p);
			return -1;
		}
		if (o->nignored >= COMPARE_MAX_IGNORED) {
			ks_format(why, why_len, "--match-ignore '%s': more than %d params (allowed: at "
				  "most %d)", arg, COMPARE_MAX_IGNORED, COMPARE_MAX_IGNORED);
			return -1;
		}
		ks_format(o->ignored[o->nignored++], sizeof(o->ignored[0]), "%.*s", (int)len, p);
		p += len;
	} while (*p++);
	return 0;
}

bool compare__ignored(const struct compare_options *o, const char *param)
{
	for (size_t i = 0; o && i < o->nignored; i++)
		if (!strcmp(o->ignored[i], param))
			return true;
	return false;
}

static double min_of(const double *v, size_t n)
{
	double m = v[0];

	for (size_t i = 1; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

static double max_of(const double *v, size_t n)
{
	double m = v[0];

	for (size_t i = 1; i < n; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

static double mean_of(const double *v, size_t n)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += v[i];
	return n ? sum / (double)n : NAN;
}

/* ---- judging ---------------------------------------------------------- */

static const char *const verdict_names[] = {
	[VERDICT_OK] = "ok", [VERDICT_REGRESSION] = "regression",
	[VERDICT_IMPROVED] = "improved", [VERDICT_NOISE] = "noise",
	[VERDICT_REPORT_ONLY] = "report only", [VERDICT_MISSING] = "missing",
};

const char *compare__verdict_name(enum compare_verdict v)
{
	return verdict_names[v];
}

static double change_pct(double base, double new)
{
	if (base == 0)
		return new == 0 ? 0 : INFINITY;
	return (new - base) / base * 100;
}

static bool enough_repeats(size_t nbase, size_t nnew, const struct compare_options *o)
{
	return nbase >= o->min_repeats && nnew >= o->min_repeats &&
	       compare__mw_min_p(nbase, nnew) < o->alpha;
}

static void judge_cell(struct compare_cell *c, enum compare_metric m, const struct compare_group *base,
		       const struct compare_group *new, const struct compare_options *o)
{
	double t = o->threshold[m];
	bool correct = compare_metrics[m].correctness, best_worse, best_better, significant = true;
	struct mann_whitney mw;

	*c = (struct compare_cell){ .nbase = base->n[m], .nnew = new->n[m], .base = NAN, .new = NAN,
				    .change_pct = NAN, .best_base = NAN, .best_new = NAN,
				    .best_change_pct = NAN, .worst_new = NAN, .p_value = NAN,
				    .verdict = VERDICT_MISSING };
	if (!c->nbase || !c->nnew)
		return;
	/* lost: one lost request in any repetition must show, so no median hides it. */
	c->base = correct ? mean_of(base->values[m], c->nbase) : compare__median(base->values[m], c->nbase);
	c->new = correct ? mean_of(new->values[m], c->nnew) : compare__median(new->values[m], c->nnew);
	c->change_pct = change_pct(c->base, c->new);
	c->worst_new = max_of(new->values[m], c->nnew);
	if (!correct) {
		c->best_base = min_of(base->values[m], c->nbase);
		c->best_new = min_of(new->values[m], c->nnew);
		c->best_change_pct = change_pct(c->best_base, c->best_new);
	}
	if (!correct && enough_repeats(c->nbase, c->nnew, o) &&
	    !compare__mann_whitney(new->values[m], c->nnew, base->values[m], c->nbase, &mw)) {
		c->tested = true;
		c->p_value = mw.p;
		c->exact = mw.exact;
		significant = mw.p < o->alpha;
	}
	if (t < 0) {
		c->verdict = VERDICT_REPORT_ONLY;
		return;
	}
	/* Correctness metrics have no best repetition (NaN): their mean alone decides. */
	best_worse = isnan(c->best_change_pct) || c->best_change_pct > t;
	best_better = isnan(c->best_change_pct) || c->best_change_pct < -t;
	if (c->change_pct > t)
		c->verdict = best_worse && significant ? VERDICT_REGRESSION : VERDICT_NOISE;
	else if (c->change_pct < -t && best_better && significant)
		c->verdict = VERDICT_IMPROVED;
	else
		c->verdict = VERDICT_OK;
}

static const char *host_string(const json_t *root, const char *a, const char *b)
{
	const json_t *v = json_object_get(json_object_get(root, "host"), a);

	return json_string_value(b ? json_object_get(v, b) : v);
}

static void host_difference(const struct compare_report *base, const struct compare_report *new,
			    char *buf, size_t len)
{
	static const char *const fields[][3] = {
		{ "cpu", "model", "CPU" }, { "kernel", NULL, "kernel" },
	};
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < KS_ARRAY_SIZE(fields); i++) {
		const char *x = host_string(base->root, fields[i][0], fields[i][1]);
		const char *y = host_string(new->root, fields[i][0], fields[i][1]);

		if (!x || !y || !strcmp(x, y))
			continue;
		ks_format(buf + used, len - used, "%s%s '%s' vs '%s'", used ? "; " : "",
			  fields[i][2], x, y);
		used = strlen(buf);
	}
}

static void match_groups(const struct compare_group *b, const struct compare_group *n,
			 const struct compare_options *o, struct compare_result *res)
{
	struct compare_match *mt = &res->matches[res->nmatches++];

	mt->base = b;
	mt->new = n;
	mt->label = b->label;
	/*
	 * Nothing measured in NEW cannot pass for no regression. A few failed
	 * repetitions (a VM that did not start on a loaded host) are reported,
	 * and the rest judged.
	 */
	mt->new_failed = n->failed && n->failed == n->reps && b->failed < b->reps;
	mt->testable = enough_repeats(b->n[COMPARE_P50], n->n[COMPARE_P50], o);
	res->nregressions += mt->new_failed;
	for (int m = 0; m < COMPARE_NMETRICS; m++) {
		judge_cell(&mt->cell[m], m, b, n, o);
		mt->measured |= mt->cell[m].verdict != VERDICT_MISSING;
		res->nregressions += mt->cell[m].verdict == VERDICT_REGRESSION;
	}
	res->nmeasured += mt->measured;
}

static void decide_status(const struct compare_report *base, const struct compare_report *new,
			  struct compare_result *res)
{
	if (res->nregressions) {
		res->status = COMPARE_STATUS_REGRESSION;
		ks_format(res->reason, sizeof(res->reason), "%zu regression%s", res->nregressions,
			  res->nregressions == 1 ? "" : "s");
	} else if (!new->nentries || !base->nentries) {
		res->status = COMPARE_STATUS_NOTHING;
		ks_format(res->reason, sizeof(res->reason), "compared nothing: %s holds no scenario%s",
			  !new->nentries ? "NEW" : "BASE",
			  (!new->nentries ? new : base)->interrupted ? " (an interrupted run)" : "");
	} else if (!res->nmatches) {
		res->status = COMPARE_STATUS_NOTHING;
		ks_format(res->reason, sizeof(res->reason), "compared nothing: no scenario of NEW matches "
			  "one of BASE by name and params (the lines above name the params that differ; "
			  "--match-ignore PARAM,... leaves a param out)");
	} else if (!res->nmeasured) {
		res->status = COMPARE_STATUS_NOTHING;
		ks_format(res->reason, sizeof(res->reason), "compared nothing: %zu scenario%s matched, but "
			  "none was measured in both reports (every repetition failed or was cut short)",
			  res->nmatches, res->nmatches == 1 ? "" : "s");
	} else if (new->interrupted) {
		res->status = COMPARE_STATUS_INTERRUPTED;
		ks_format(res->reason, sizeof(res->reason), "NEW is an interrupted run: no regression in "
			  "the %zu scenario%s it measured, but a partial run cannot pass", res->nmeasured,
			  res->nmeasured == 1 ? "" : "s");
	} else {
		res->status = COMPARE_STATUS_OK;
		ks_format(res->reason, sizeof(res->reason), "no regression (%zu scenario%s compared)",
			  res->nmeasured, res->nmeasured == 1 ? "" : "s");
	}
}

/*
 * A group that differs from its closest namesake only in the param its own
 * report swept is a point the other report did not run: say so.
 */
static void mark_sweep_point(const struct compare_report *own, struct compare_unmatched *u)
{
	const json_t *spec = json_object_get(json_object_get(own->root, "config"), "sweep");
	const char *key = json_string_value(json_object_get(spec, "key"));

	if (u->closest && u->ndiffs == 1 && key && !strcmp(u->diffs[0].param, key))
		u->sweep_param = json_string_value(json_object_get(spec, "parameter"));
}

void compare__run(const struct compare_report *base, const struct compare_report *new,
		  const struct compare_options *o, struct compare_result *res)
{
	struct compare_options local;

	memset(res, 0, sizeof(*res));
	local = *o;
	local.nleft_out = 0;
	if (compare__reconcile((struct compare_report *)base, (struct compare_report *)new, &local)) {
		o = &local;
		res->nleft_out = local.nleft_out;
		memcpy(res->left_out, local.left_out, local.nleft_out * sizeof(*local.left_out));
	}
	/* Labels depend on both reports: which params tell namesakes apart. */
	compare__label_groups((struct compare_report *)base, (struct compare_report *)new);
	res->matches = ks_zalloc((base->ngroups + 1) * sizeof(*res->matches));
	res->base_only = ks_zalloc((base->ngroups + 1) * sizeof(*res->base_only));
	res->new_only = ks_zalloc((new->ngroups + 1) * sizeof(*res->new_only));
	for (size_t i = 0; i < base->ngroups; i++) {
		const struct compare_group *b = &base->groups[i], *n = compare__find_group(new, b);

		if (n) {
			match_groups(b, n, o, res);
			continue;
		}
		res->base_only[res->nbase_only].group = b;
		compare__closest(new, true, &res->base_only[res->nbase_only]);
		mark_sweep_point(base, &res->base_only[res->nbase_only++]);
	}
	for (size_t i = 0; i < new->ngroups; i++) {
		const struct compare_group *n = &new->groups[i];

		if (compare__find_group(base, n))
			continue;
		res->new_only[res->nnew_only].group = n;
		compare__closest(base, false, &res->new_only[res->nnew_only]);
		mark_sweep_point(new, &res->new_only[res->nnew_only++]);
	}
	host_difference(base, new, res->host_note, sizeof(res->host_note));
	decide_status(base, new, res);
}

void compare__release_result(struct compare_result *res)
{
	for (size_t i = 0; i < res->nbase_only; i++)
		free(res->base_only[i].diffs);
	for (size_t i = 0; i < res->nnew_only; i++)
		free(res->new_only[i].diffs);
	free(res->matches);
	free(res->base_only);
	free(res->new_only);
	memset(res, 0, sizeof(*res));
}

int compare__exit_status(const struct compare_result *res)
{
	switch (res->status) {
	case COMPARE_STATUS_OK:
		return KS_EXIT_OK;
	case COMPARE_STATUS_REGRESSION:
		return KS_EXIT_FAIL;
	default:
		return KS_EXIT_USAGE;
	}
}

const char *compare__status_name(enum compare_status s)
{
	static const char *const names[] = {
		[COMPARE_STATUS_OK] = "no regression", [COMPARE_STATUS_REGRESSION] = "regression",
		[COMPARE_STATUS_NOTHING] = "compared nothing", [COMPARE_STATUS_INTERRUPTED] = "interrupted",
	};

	return names[s];
}
