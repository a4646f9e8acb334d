// SPDX-License-Identifier: MIT
/*
 * compare's grouping and matching: a report's entries are grouped by name
 * and canonical params (key order ignored, 2.0 equal to 2, --match-ignore
 * params left out), each group hashed once, so grouping a report and
 * matching two of them take time linear in their entries, not quadratic.
 * compare_match.c labels the groups and finds an unmatched one's closest
 * namesake.
 */
#include "compare_index.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t compare__group_hash_without(const struct compare_group *g, size_t skip)
{
	uint64_t h = hash_str(0xcbf29ce484222325ULL, g->name);

	for (size_t j = 0; j < g->nparams; j++) {
		if (j == skip)
			continue;
		h = hash_str(hash_str(h, g->param[j].key), g->param[j].value);
	}
	return h;
}

static char *dup_or_die(char *s)
{
	if (!s) {
		ks_error("out of memory while grouping a report's scenarios");
		abort();
	}
	return s;
}

/* A copy in which every integral real is an integer, so that 2.0 prints as 2. */
static json_t *canonical_copy(const json_t *v)
{
	const char *key;
	json_t *c, *item;
	size_t i;

	if (json_is_real(v)) {
		double d = json_real_value(v);

		return d == floor(d) && fabs(d) < 9e18 ? json_integer((json_int_t)d) : json_real(d);
	}
	if (json_is_object(v)) {
		c = json_object();
		json_object_foreach((json_t *)v, key, item)
			json_object_set_new(c, key, canonical_copy(item));
		return c;
	}
	if (json_is_array(v)) {
		c = json_array();
		json_array_foreach(v, i, item)
			json_array_append_new(c, canonical_copy(item));
		return c;
	}
	return json_incref((json_t *)v);
}

static char *format_or_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *format_or_die(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int ret;

	va_start(ap, fmt);
	ret = vasprintf(&s, fmt, ap);
	va_end(ap);
	return dup_or_die(ret < 0 ? NULL : s);
}

/* A string jansson would print as it is, between quotes. */
static bool plain_string(const char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
			return false;
	return true;
}

/* The value as compact JSON with sorted keys and integral reals as integers. */
static char *canonical_text(const json_t *v)
{
	json_t *c;
	char *text;

	/* Scalars, nearly every param, without a copy and a dump each. */
	if (json_is_integer(v))
		return format_or_die("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	if (json_is_string(v) && plain_string(json_string_value(v)))
		return format_or_die("\"%s\"", json_string_value(v));
	if (json_is_real(v) || json_is_object(v) || json_is_array(v) || json_is_string(v)) {
		c = canonical_copy(v);
		text = json_dumps(c, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(c);
		return dup_or_die(text);
	}
	return format_or_die("%s", json_is_true(v) ? "true" : json_is_false(v) ? "false" : "null");
}

bool compare__params_equal(const json_t *a, const json_t *b)
{
	char *x, *y;
	bool same;

	if (!a || !b)
		return a == b;
	x = canonical_text(a);
	y = canonical_text(b);
	same = !strcmp(x, y);
	free(x);
	free(y);
	return same;
}

static int param_cmp(const void *a, const void *b)
{
	return strcmp(((const struct compare_param *)a)->key, ((const struct compare_param *)b)->key);
}

static void group_init(struct compare_group *g, const json_t *sc, const struct compare_options *o)
{
	const json_t *params = json_object_get(sc, "params");
	const char *key;
	json_t *v;

	memset(g, 0, sizeof(*g));
	g->name = json_string_value(json_object_get(sc, "name"));
	g->params = params;
	g->param = ks_zalloc((json_object_size(params) + 1) * sizeof(*g->param));
	json_object_foreach((json_t *)params, key, v) {
		if (compare__ignored(o, key) || (g->name && compare__left_out(o, g->name, key)))
			continue;
		g->param[g->nparams].key = key;
		g->param[g->nparams++].value = canonical_text(v);
	}
	qsort(g->param, g->nparams, sizeof(*g->param), param_cmp);
	g->hash = compare__group_hash_without(g, SIZE_MAX);
}

static void group_free_params(struct compare_group *g)
{
	for (size_t j = 0; j < g->nparams; j++)
		free(g->param[j].value);
	free(g->param);
	g->param = NULL;
	g->nparams = 0;
}

size_t compare__param_distance(const struct compare_group *a, const struct compare_group *b, size_t limit)
{
	size_t i = 0, j = 0, d = 0;

	while ((i < a->nparams || j < b->nparams) && d <= limit) {
		int c = i == a->nparams ? 1 : j == b->nparams ? -1 : strcmp(a->param[i].key, b->param[j].key);

		if (c == 0)
			d += strcmp(a->param[i++].value, b->param[j++].value) != 0;
		else if (c < 0)
			d++, i++;
		else
			d++, j++;
	}
	return d;
}

static bool groups_equal(const struct compare_group *a, const struct compare_group *b)
{
	return a->hash == b->hash && !strcmp(a->name, b->name) && compare__param_distance(a, b, 0) == 0;
}

static const struct compare_group *index_find(const struct compare_report *r, const struct compare_group *g)
{
	size_t pos = SIZE_MAX, idx;

	if (!r->index)
		return NULL;
	while ((idx = hmap__next(&r->index->exact, g->hash, &pos)) != SIZE_MAX)
		if (groups_equal(&r->groups[idx], g))
			return &r->groups[idx];
	return NULL;
}

const struct compare_group *compare__find_group(const struct compare_report *r, const struct compare_group *g)
{
	return index_find(r, g);
}

/* ---- grouping ---------------------------------------------------------- */

static void group_add(struct compare_group *g, const json_t *sc)
{
	static const char *const latency_keys[] = {
		[COMPARE_P50] = "p50", [COMPARE_P90] = "p90", [COMPARE_P99] = "p99",
		[COMPARE_P999] = "p999", [COMPARE_MAX] = "max", [COMPARE_MEAN] = "mean",
	};
	static const struct { enum compare_metric m; const char *key; } counts[] = {
		{ COMPARE_LOST, "lost" }, { COMPARE_LATE, "late" },
		{ COMPARE_UNRESOLVED, "unresolved" }, { COMPARE_COALESCED, "coalesced" },
	};
	const json_t *c = json_object_get(sc, "counts");
	const json_t *lat = json_object_get(sc, "latency_ns");
	const json_t *kicks_lost = json_object_get(json_object_get(sc, "kicks"), "lost");
	const char *err = json_string_value(json_object_get(sc, "error"));

	if (json_is_number(json_object_get(sc, "elapsed_s")))
		g->elapsed_s += json_number_value(json_object_get(sc, "elapsed_s"));
	if (err) {
		if (!g->failed++)
			g->error = err;
		return;
	}
	/* Cut short by a signal: fewer kicks than its namesakes, so not comparable. */
	if (json_is_true(json_object_get(sc, "interrupted"))) {
		g->partial++;
		return;
	}
	if (json_is_object(lat) && json_integer_value(json_object_get(lat, "count")) > 0)
		for (int m = COMPARE_P50; m <= COMPARE_LAST_LATENCY; m++)
			g->values[m][g->n[m]++] = json_number_value(json_object_get(lat, latency_keys[m]));
	/* v1 has no late and no unresolved: as good as none. */
	for (size_t i = 0; i < KS_ARRAY_SIZE(counts); i++)
		g->values[counts[i].m][g->n[counts[i].m]++] =
			(double)json_integer_value(json_object_get(c, counts[i].key));
	/* Lost kicks are known for the signal scenario of v2 only; elsewhere unknown, not 0. */
	if (json_is_integer(kicks_lost))
		g->values[COMPARE_KICKS_LOST][g->n[COMPARE_KICKS_LOST]++] = (double)json_integer_value(kicks_lost);
}

static void index_names(struct compare_report *r)
{
	struct compare_index *ix = r->index;
	size_t *which = ks_zalloc((r->ngroups + 1) * sizeof(*which));

	hmap__init(&ix->by_name, r->ngroups);
	ix->names = ks_zalloc((r->ngroups + 1) * sizeof(*ix->names));
	for (size_t g = 0; g < r->ngroups; g++) {
		uint64_t h = hash_str(0, r->groups[g].name);
		size_t pos = SIZE_MAX, idx;

		while ((idx = hmap__next(&ix->by_name, h, &pos)) != SIZE_MAX)
			if (!strcmp(ix->names[idx].name, r->groups[g].name))
				break;
		if (idx == SIZE_MAX) {
			idx = ix->nnames++;
			ix->names[idx].name = r->groups[g].name;
			hmap__insert(&ix->by_name, h, idx);
		}
		which[g] = idx;
		ix->names[idx].n++;
	}
	for (size_t i = 0; i < ix->nnames; i++) {
		ix->names[i].groups = ks_zalloc(ix->names[i].n * sizeof(size_t));
		ix->names[i].n = 0;
	}
	for (size_t g = 0; g < r->ngroups; g++)
		ix->names[which[g]].groups[ix->names[which[g]].n++] = g;
	free(which);
}

int compare__group_entries(struct compare_report *r, const struct compare_options *o)
{
	const json_t *scenarios = json_object_get(r->root, "scenarios");
	size_t n = json_array_size(scenarios);
	size_t *which = ks_zalloc((n + 1) * sizeof(*which));

	r->nentries = n;
	r->groups = ks_zalloc((n + 1) * sizeof(*r->groups));
	r->index = ks_zalloc(sizeof(*r->index));
	hmap__init(&r->index->exact, n);
	for (size_t i = 0; i < n; i++) {
		struct compare_group *g = &r->groups[r->ngroups];
		const struct compare_group *found;

		group_init(g, json_array_get(scenarios, i), o);
		found = index_find(r, g);
		if (found) {
			group_free_params(g);
			which[i] = (size_t)(found - r->groups);
		} else {
			hmap__insert(&r->index->exact, g->hash, r->ngroups);
			which[i] = r->ngroups++;
		}
		r->groups[which[i]].reps++;
	}
	for (size_t g = 0; g < r->ngroups; g++)
		for (int m = 0; m < COMPARE_NMETRICS; m++)
			r->groups[g].values[m] = ks_zalloc(r->groups[g].reps * sizeof(double));
	for (size_t i = 0; i < n; i++)
		group_add(&r->groups[which[i]], json_array_get(scenarios, i));
	free(which);
	index_names(r);
	return 0;
}

void compare__release_groups(struct compare_report *r)
{
	struct compare_index *ix = r->index;

	for (size_t g = 0; g < r->ngroups; g++) {
		group_free_params(&r->groups[g]);
		for (int m = 0; m < COMPARE_NMETRICS; m++)
			free(r->groups[g].values[m]);
	}
	free(r->groups);
	if (ix) {
		for (size_t i = 0; i < ix->nnames; i++)
			free(ix->names[i].groups);
		free(ix->names);
		free(ix->exact.slots);
		free(ix->by_name.slots);
		free(ix->loo.slots);
		free(ix);
	}
	r->groups = NULL;
	r->index = NULL;
	r->ngroups = 0;
}
