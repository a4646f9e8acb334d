// SPDX-License-Identifier: MIT
#include "compare.h"
#include "report.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/*
 * Defaults tuned for noisy hosts: the median moves little between runs, the
 * tail a lot, and the single largest sample is one scheduler hiccup, so
 * p999 and max are shown but judged only on request (--threshold max=PCT).
 * Coalescing is allowed behaviour whose amount depends on timing.
 */
const struct compare_metric_info compare_metrics[COMPARE_NMETRICS] = {
	[COMPARE_P50] = { "p50", "p50 latency, ns", false, 25.0 },
	[COMPARE_P90] = { "p90", "p90 latency, ns", false, 35.0 },
	[COMPARE_P99] = { "p99", "p99 latency, ns", false, 50.0 },
	[COMPARE_P999] = { "p999", "p99.9 latency, ns", false, COMPARE_REPORT_ONLY },
	[COMPARE_MAX] = { "max", "max latency, ns", false, COMPARE_REPORT_ONLY },
	[COMPARE_MEAN] = { "mean", "mean latency, ns", false, COMPARE_REPORT_ONLY },
	[COMPARE_LOST] = { "lost", "lost requests per repetition", true, 0.0 },
	[COMPARE_COALESCED] = { "coalesced", "coalesced requests", false, COMPARE_REPORT_ONLY },
};

/* The JSON keys each metric is read from. */
static const char *const latency_keys[] = {
	[COMPARE_P50] = "p50", [COMPARE_P90] = "p90", [COMPARE_P99] = "p99",
	[COMPARE_P999] = "p999", [COMPARE_MAX] = "max", [COMPARE_MEAN] = "mean",
};

#define THRESHOLD_MAX_PCT 100000.0

const char *compare__metric_names(void)
{
	return "p50, p90, p99, p999, max, mean, lost, coalesced";
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
	for (int m = 0; m < COMPARE_NMETRICS; m++)
		o->threshold[m] = compare_metrics[m].default_threshold;
	o->min_repeats = COMPARE_DEFAULT_MIN_REPEATS;
	o->alpha = COMPARE_DEFAULT_ALPHA;
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

/* ---- loading ---------------------------------------------------------- */

static json_t *read_json(const char *path, char *why, size_t why_len)
{
	bool is_stdin = !strcmp(path, "-");
	json_error_t err;
	struct stat st;
	json_t *root;
	FILE *f;

	if (!is_stdin && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		ks_format(why, why_len, "is a directory, not a report");
		return NULL;
	}
	f = is_stdin ? stdin : fopen(path, "r");
	if (!f) {
		ks_format(why, why_len, "cannot open: %s", strerror(errno));
		return NULL;
	}
	root = json_loadf(f, JSON_REJECT_DUPLICATES, &err);
	if (!is_stdin)
		fclose(f);
	if (!root)
		ks_format(why, why_len, "not valid JSON (line %d, column %d: %s)", err.line,
			  err.column, err.text);
	return root;
}

static bool is_count(const json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) >= 0;
}

static bool is_nonneg_number(const json_t *v)
{
	return json_is_number(v) && isfinite(json_number_value(v)) && json_number_value(v) >= 0;
}

/* One entry of "scenarios": the fields compare reads must have their report shape. */
static int check_entry(const json_t *sc, size_t i, char *why, size_t why_len)
{
	const json_t *counts = json_object_get(sc, "counts");
	const json_t *lat = json_object_get(sc, "latency_ns");
	const json_t *err = json_object_get(sc, "error");

	if (!json_is_object(sc))
		ks_format(why, why_len, "scenarios[%zu] is not an object", i);
	else if (!json_is_string(json_object_get(sc, "name")))
		ks_format(why, why_len, "scenarios[%zu] has no \"name\" string", i);
	else if (!json_is_object(json_object_get(sc, "params")))
		ks_format(why, why_len, "scenarios[%zu] has no \"params\" object", i);
	else if (err && !json_is_null(err) && !json_is_string(err))
		ks_format(why, why_len, "scenarios[%zu].error is neither null nor a string", i);
	else if (!json_is_object(counts))
		ks_format(why, why_len, "scenarios[%zu] has no \"counts\" object", i);
	else if (!is_count(json_object_get(counts, "lost")) ||
		 !is_count(json_object_get(counts, "coalesced")))
		ks_format(why, why_len, "scenarios[%zu].counts needs non-negative integers "
			  "\"lost\" and \"coalesced\"", i);
	else if (lat && !json_is_null(lat) && !json_is_object(lat))
		ks_format(why, why_len, "scenarios[%zu].latency_ns is neither null nor an object", i);
	else if (json_is_object(lat) && !is_count(json_object_get(lat, "count")))
		ks_format(why, why_len, "scenarios[%zu].latency_ns.count is not a non-negative integer", i);
	else {
		for (int m = COMPARE_P50; json_is_object(lat) && m <= COMPARE_MEAN; m++) {
			if (!is_nonneg_number(json_object_get(lat, latency_keys[m]))) {
				ks_format(why, why_len, "scenarios[%zu].latency_ns.%s is not a "
					  "non-negative number", i, latency_keys[m]);
				return -1;
			}
		}
		return 0;
	}
	return -1;
}

static int check_top(const json_t *root, char *why, size_t why_len)
{
	const json_t *v = json_object_get(root, "schema_version");
	const json_t *sc = json_object_get(root, "scenarios");

	if (!json_is_object(root)) {
		ks_format(why, why_len, "not a kickstorm report: the top level is not a JSON object");
		return -1;
	}
	if (!v) {
		ks_format(why, why_len, "not a kickstorm report: no \"schema_version\"");
		return -1;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > REPORT_SCHEMA_VERSION) {
		char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

		ks_format(why, why_len, "schema_version %s is not supported (allowed: 1-%d)",
			  text ? text : "?", REPORT_SCHEMA_VERSION);
		free(text);
		return -1;
	}
	if (!json_is_array(sc)) {
		ks_format(why, why_len, "not a kickstorm report: no \"scenarios\" array");
		return -1;
	}
	return 0;
}

static bool numbers_equal(const json_t *a, const json_t *b)
{
	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) == json_integer_value(b);
	return json_number_value(a) == json_number_value(b);
}

bool compare__params_equal(const json_t *a, const json_t *b)
{
	const char *key;
	json_t *va;

	if (json_is_number(a) && json_is_number(b))
		return numbers_equal(a, b);
	if (json_is_object(a) && json_is_object(b)) {
		if (json_object_size(a) != json_object_size(b))
			return false;
		json_object_foreach((json_t *)a, key, va)
			if (!compare__params_equal(va, json_object_get(b, key)))
				return false;
		return true;
	}
	if (json_is_array(a) && json_is_array(b)) {
		if (json_array_size(a) != json_array_size(b))
			return false;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!compare__params_equal(json_array_get(a, i), json_array_get(b, i)))
				return false;
		return true;
	}
	return a && b && json_equal((json_t *)a, (json_t *)b);
}

static size_t group_index(struct compare_report *r, const json_t *sc)
{
	const char *name = json_string_value(json_object_get(sc, "name"));
	const json_t *params = json_object_get(sc, "params");
	size_t g;

	for (g = 0; g < r->ngroups; g++)
		if (!strcmp(r->groups[g].name, name) && compare__params_equal(r->groups[g].params, params))
			return g;
	r->groups[g].name = name;
	r->groups[g].params = params;
	r->ngroups++;
	return g;
}

static void group_add(struct compare_group *g, const json_t *sc)
{
	const json_t *counts = json_object_get(sc, "counts");
	const json_t *lat = json_object_get(sc, "latency_ns");
	const char *err = json_string_value(json_object_get(sc, "error"));

	if (err) {
		if (!g->failed++)
			g->error = err;
		return;
	}
	if (json_is_object(lat) && json_integer_value(json_object_get(lat, "count")) > 0)
		for (int m = COMPARE_P50; m <= COMPARE_MEAN; m++)
			g->values[m][g->n[m]++] = json_number_value(json_object_get(lat, latency_keys[m]));
	g->values[COMPARE_LOST][g->n[COMPARE_LOST]++] =
		(double)json_integer_value(json_object_get(counts, "lost"));
	g->values[COMPARE_COALESCED][g->n[COMPARE_COALESCED]++] =
		(double)json_integer_value(json_object_get(counts, "coalesced"));
}

static void group_entries(struct compare_report *r)
{
	const json_t *scenarios = json_object_get(r->root, "scenarios");
	size_t n = json_array_size(scenarios);
	size_t *which = ks_zalloc(n * sizeof(*which));

	r->groups = ks_zalloc(n * sizeof(*r->groups));
	for (size_t i = 0; i < n; i++) {
		which[i] = group_index(r, json_array_get(scenarios, i));
		r->groups[which[i]].reps++;
	}
	for (size_t g = 0; g < r->ngroups; g++)
		for (int m = 0; m < COMPARE_NMETRICS; m++)
			r->groups[g].values[m] = ks_zalloc(r->groups[g].reps * sizeof(double));
	for (size_t i = 0; i < n; i++)
		group_add(&r->groups[which[i]], json_array_get(scenarios, i));
	free(which);
}

int compare__from_json(struct compare_report *r, json_t *root, const char *path,
		       char *why, size_t why_len)
{
	const json_t *scenarios;
	const json_t *sc;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->path = path;
	r->root = root;
	if (check_top(root, why, why_len) < 0)
		goto err;
	scenarios = json_object_get(root, "scenarios");
	json_array_foreach(scenarios, i, sc)
		if (check_entry(sc, i, why, why_len) < 0)
			goto err;
	r->interrupted = json_is_true(json_object_get(root, "interrupted"));
	group_entries(r);
	return 0;
err:
	json_decref(root);
	r->root = NULL;
	return -1;
}

int compare__load(struct compare_report *r, const char *path, char *why, size_t why_len)
{
	json_t *root = read_json(path, why, why_len);

	if (!root) {
		memset(r, 0, sizeof(*r));
		return -1;
	}
	return compare__from_json(r, root, path, why, why_len);
}

void compare__release_report(struct compare_report *r)
{
	for (size_t g = 0; g < r->ngroups; g++)
		for (int m = 0; m < COMPARE_NMETRICS; m++)
			free(r->groups[g].values[m]);
	free(r->groups);
	json_decref(r->root);
	memset(r, 0, sizeof(*r));
}

static double min_of(const double *v, size_t n)
{
	double m = v[0];

	for (size_t i = 1; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

static double mean_of(const double *v, size_t n)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += v[i];
	return n ? sum / (double)n : NAN;
}

/* ---- matching and judging -------------------------------------------- */

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
				    .best_change_pct = NAN, .p_value = NAN, .verdict = VERDICT_MISSING };
	if (!c->nbase || !c->nnew)
		return;
	/* lost: one lost request in any repetition must show, so no median hides it. */
	c->base = correct ? mean_of(base->values[m], c->nbase) : compare__median(base->values[m], c->nbase);
	c->new = correct ? mean_of(new->values[m], c->nnew) : compare__median(new->values[m], c->nnew);
	c->change_pct = change_pct(c->base, c->new);
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
	/* lost has no best repetition (NaN): its mean alone decides. */
	best_worse = isnan(c->best_change_pct) || c->best_change_pct > t;
	best_better = isnan(c->best_change_pct) || c->best_change_pct < -t;
	if (c->change_pct > t)
		c->verdict = best_worse && significant ? VERDICT_REGRESSION : VERDICT_NOISE;
	else if (c->change_pct < -t && best_better && significant)
		c->verdict = VERDICT_IMPROVED;
	else
		c->verdict = VERDICT_OK;
}

static void value_text(const json_t *v, char *buf, size_t len)
{
	char *text;

	if (json_is_string(v)) {
		ks_format(buf, len, "%s", json_string_value(v));
		return;
	}
	text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
	ks_format(buf, len, "%s", text ? text : "?");
	free(text);
}

/* Does key take more than one value (or go missing) among the groups named name? */
static bool key_varies(const char *name, const char *key, const json_t *value,
		       const struct compare_report *const reports[2])
{
	for (int i = 0; i < 2; i++)
		for (size_t g = 0; g < reports[i]->ngroups; g++) {
			const struct compare_group *h = &reports[i]->groups[g];

			if (!strcmp(h->name, name) &&
			    !compare__params_equal(json_object_get(h->params, key), value))
				return true;
		}
	return false;
}

static int str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "signal target_state=halted vcpus=4": only what tells this group from its namesakes. */
static void group_label(const struct compare_group *g, const struct compare_report *const reports[2],
			char *buf, size_t len)
{
	size_t nkeys = json_object_size(g->params), k = 0, used;
	const char **keys = ks_zalloc((nkeys + 1) * sizeof(*keys));
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)g->params, key, v)
		keys[k++] = key;
	qsort(keys, nkeys, sizeof(*keys), str_ptr_cmp);
	ks_format(buf, len, "%s", g->name);
	for (k = 0; k < nkeys; k++) {
		char text[96];

		v = json_object_get(g->params, keys[k]);
		if (!key_varies(g->name, keys[k], v, reports))
			continue;
		value_text(v, text, sizeof(text));
		used = strlen(buf);
		ks_format(buf + used, len - used, " %s=%s", keys[k], text);
	}
	free(keys);
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

static const struct compare_group *find_group(const struct compare_report *r, const struct compare_group *g)
{
	for (size_t i = 0; i < r->ngroups; i++)
		if (!strcmp(r->groups[i].name, g->name) && compare__params_equal(r->groups[i].params, g->params))
			return &r->groups[i];
	return NULL;
}

static void match_groups(const struct compare_group *b, const struct compare_group *n,
			 const struct compare_options *o, const struct compare_report *const reports[2],
			 struct compare_result *res)
{
	struct compare_match *mt = &res->matches[res->nmatches++];

	mt->base = b;
	mt->new = n;
	group_label(b, reports, mt->label, sizeof(mt->label));
	/*
	 * Nothing measured in NEW cannot pass for no regression. A few failed
	 * repetitions (a VM that did not start on a loaded host) are reported,
	 * and the rest judged.
	 */
	mt->new_failed = n->failed == n->reps && b->failed < b->reps;
	mt->testable = enough_repeats(b->n[COMPARE_P50], n->n[COMPARE_P50], o);
	res->nregressions += mt->new_failed;
	for (int m = 0; m < COMPARE_NMETRICS; m++) {
		judge_cell(&mt->cell[m], m, b, n, o);
		res->nregressions += mt->cell[m].verdict == VERDICT_REGRESSION;
	}
}

void compare__run(const struct compare_report *base, const struct compare_report *new,
		  const struct compare_options *o, struct compare_result *res)
{
	const struct compare_report *const reports[2] = { base, new };

	memset(res, 0, sizeof(*res));
	res->matches = ks_zalloc((base->ngroups + 1) * sizeof(*res->matches));
	res->base_only = ks_zalloc((base->ngroups + 1) * sizeof(*res->base_only));
	res->new_only = ks_zalloc((new->ngroups + 1) * sizeof(*res->new_only));
	for (size_t i = 0; i < base->ngroups; i++) {
		const struct compare_group *b = &base->groups[i], *n = find_group(new, b);

		if (n) {
			match_groups(b, n, o, reports, res);
		} else {
			res->base_only[res->nbase_only].group = b;
			group_label(b, reports, res->base_only[res->nbase_only++].label, COMPARE_LABEL_MAX);
		}
	}
	for (size_t i = 0; i < new->ngroups; i++) {
		const struct compare_group *n = &new->groups[i];

		if (find_group(base, n))
			continue;
		res->new_only[res->nnew_only].group = n;
		group_label(n, reports, res->new_only[res->nnew_only++].label, COMPARE_LABEL_MAX);
	}
	host_difference(base, new, res->host_note, sizeof(res->host_note));
}

void compare__release_result(struct compare_result *res)
{
	free(res->matches);
	free(res->base_only);
	free(res->new_only);
	memset(res, 0, sizeof(*res));
}
