// SPDX-License-Identifier: MIT
#include "report_groups.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct keyed {
	char *key;
	size_t idx;
	double x;
};

static int keyed_cmp(const void *a, const void *b)
{
	const struct keyed *p = a, *q = b;
	int c = strcmp(p->key, q->key);

	if (c)
		return c;
	if (p->x != q->x)
		return p->x < q->x ? -1 : 1;
	return p->idx < q->idx ? -1 : p->idx > q->idx;
}

/* Sorted keys and compact numbers: equal params give equal text. */
static char *canonical(const char *name, const json_t *params)
{
	char *text = json_dumps(params, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
	size_t len = strlen(name) + (text ? strlen(text) : 0) + 2;
	char *key = ks_zalloc(len);

	ks_format(key, len, "%s\x1f%s", name, text ? text : "");
	free(text);
	return key;
}

bool report_groups__name_in(const char *name, const char *list)
{
	size_t len = strlen(name);

	if (!list)
		return true;
	for (const char *p = list; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
		if (strcspn(p, ",") == len && !strncmp(p, name, len))
			return true;
	}
	return false;
}

static int group_first_cmp(const void *a, const void *b)
{
	const struct report_group *p = a, *q = b;

	return p->entry[0] < q->entry[0] ? -1 : p->entry[0] > q->entry[0];
}

/* "k=v" with strings bare, other values as compact JSON, a missing one as "-". */
static void append_param(char **label, const char *key, const json_t *v)
{
	char *text = json_is_string(v) ? strdup(json_string_value(v)) :
		     v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("-");
	size_t old = *label ? strlen(*label) : 0;
	size_t len = old + strlen(key) + strlen(text ? text : "?") + 3;
	char *out = ks_zalloc(len);

	ks_format(out, len, "%s%s%s=%s", *label ? *label : "", old ? " " : "", key, text ? text : "?");
	free(*label);
	free(text);
	*label = out;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* keys (a set kept as an object) in name order, without skip1 and skip2. */
static char *label_of(const json_t *params, const json_t *keys, const char *skip1, const char *skip2)
{
	size_t n = json_object_size(keys), m = 0;
	const char **sorted = ks_zalloc((n + 1) * sizeof(*sorted));
	const char *key;
	char *label = NULL;
	json_t *unused;

	json_object_foreach((json_t *)keys, key, unused)
		sorted[m++] = key;
	qsort(sorted, m, sizeof(*sorted), str_cmp);
	for (size_t i = 0; i < m; i++)
		if ((!skip1 || strcmp(sorted[i], skip1)) && (!skip2 || strcmp(sorted[i], skip2)))
			append_param(&label, sorted[i], json_object_get(params, sorted[i]));
	free(sorted);
	return label ? label : strdup("");
}

/* The params in which the groups gi[0..m) differ from gi[0]: a set (object). */
static json_t *varying_keys(const struct report_groups *gs, const size_t *gi, size_t m)
{
	const json_t *ref = m ? gs->group[gi[0]].params : NULL, *v;
	json_t *keys = json_object();
	const char *key;

	for (size_t i = 1; i < m; i++) {
		const json_t *p = gs->group[gi[i]].params;

		json_object_foreach((json_t *)p, key, v)
			if (!json_equal(v, json_object_get(ref, key)))
				json_object_set_new(keys, key, json_true());
		json_object_foreach((json_t *)ref, key, v)
			if (!json_object_get(p, key))
				json_object_set_new(keys, key, json_true());
	}
	return keys;
}

static const struct report_groups *sort_gs;

static int by_name_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(sort_gs->group[x].name, sort_gs->group[y].name);

	return c ? c : (x < y ? -1 : x > y);
}

/*
 * Group indices sorted by scenario name (then first appearance), so each
 * scenario's groups are one run: calls fn once per run.
 */
static void for_each_name(const struct report_groups *gs, void *ctx,
			  void (*fn)(const struct report_groups *gs, const size_t *gi, size_t m, void *ctx))
{
	size_t *gi = ks_zalloc((gs->n + 1) * sizeof(*gi));

	for (size_t g = 0; g < gs->n; g++)
		gi[g] = g;
	sort_gs = gs;
	qsort(gi, gs->n, sizeof(*gi), by_name_cmp);
	for (size_t i = 0, run; i < gs->n; i += run) {
		for (run = 1; i + run < gs->n && !strcmp(gs->group[gi[i]].name, gs->group[gi[i + run]].name); run++)
			;
		fn(gs, gi + i, run, ctx);
	}
	free(gi);
}

static void label_name(const struct report_groups *gs, const size_t *gi, size_t m, void *ctx)
{
	json_t *keys = varying_keys(gs, gi, m);

	(void)ctx;
	for (size_t i = 0; i < m; i++)
		gs->group[gi[i]].varying = label_of(gs->group[gi[i]].params, keys, "target_state", "protocol");
	json_decref(keys);
}

void report_groups__build(struct report_groups *gs, const json_t *root, const char *only)
{
	const json_t *scenarios = json_object_get(root, "scenarios"), *sc;
	size_t n = json_array_size(scenarios), m = 0, i;
	struct keyed *k = ks_zalloc((n + 1) * sizeof(*k));

	memset(gs, 0, sizeof(*gs));
	gs->scenarios = scenarios;
	json_array_foreach(scenarios, i, sc) {
		const char *name = json_string_value(json_object_get(sc, "name"));

		if (name && report_groups__name_in(name, only))
			k[m++] = (struct keyed){ canonical(name, json_object_get(sc, "params")), i, 0 };
	}
	qsort(k, m, sizeof(*k), keyed_cmp);
	gs->group = ks_zalloc((m + 1) * sizeof(*gs->group));
	for (i = 0; i < m;) {
		size_t run = 1;
		struct report_group *g = &gs->group[gs->n++];
		const json_t *first = json_array_get(scenarios, k[i].idx);

		while (i + run < m && !strcmp(k[i].key, k[i + run].key))
			run++;
		g->name = json_string_value(json_object_get(first, "name"));
		g->params = json_object_get(first, "params");
		g->n = run;
		g->entry = ks_zalloc(run * sizeof(*g->entry));
		for (size_t j = 0; j < run; j++)
			g->entry[j] = k[i + j].idx;
		i += run;
	}
	for (i = 0; i < m; i++)
		free(k[i].key);
	free(k);
	qsort(gs->group, gs->n, sizeof(*gs->group), group_first_cmp);
	for_each_name(gs, NULL, label_name);
}

void report_groups__release(struct report_groups *gs)
{
	for (size_t g = 0; g < gs->n; g++) {
		free(gs->group[g].entry);
		free(gs->group[g].varying);
	}
	free(gs->group);
	memset(gs, 0, sizeof(*gs));
}

const json_t *report_groups__entry(const struct report_groups *gs, const struct report_group *g, size_t j)
{
	return json_array_get(gs->scenarios, g->entry[j]);
}

static int double_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double report_groups__median(const struct report_groups *gs, const struct report_group *g,
			     double (*metric)(const json_t *sc, const void *arg), const void *arg)
{
	double *v = ks_zalloc((g->n + 1) * sizeof(*v)), m = NAN;
	size_t n = 0;

	for (size_t j = 0; j < g->n; j++) {
		const json_t *sc = report_groups__entry(gs, g, j);
		double x = json_is_string(json_object_get(sc, "error")) ? NAN : metric(sc, arg);

		if (!isnan(x))
			v[n++] = x;
	}
	if (n) {
		qsort(v, n, sizeof(*v), double_cmp);
		m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	}
	free(v);
	return m;
}

/* ---- sweeps ------------------------------------------------------------ */

/*
 * Sorts the groups in gi by (params without key, value of key). Each run
 * of equal rest with two or more points is a series; returns how many
 * groups the series cover, and adds them to sw when it is not NULL.
 */
static size_t series_along(const struct report_groups *gs, const size_t *gi, size_t m,
			   const char *key, const json_t *keys, struct sweep *sw, size_t *nseries)
{
	struct keyed *k = ks_zalloc(m * sizeof(*k));
	size_t covered = 0;

	*nseries = 0;
	for (size_t i = 0; i < m; i++) {
		json_t *rest = json_deep_copy(gs->group[gi[i]].params);

		json_object_del(rest, key);
		k[i] = (struct keyed){ canonical("", rest), gi[i],
				       json_number_value(json_object_get(gs->group[gi[i]].params, key)) };
		json_decref(rest);
	}
	qsort(k, m, sizeof(*k), keyed_cmp);
	for (size_t i = 0, run; i < m; i += run) {
		struct sweep_series *s;

		for (run = 1; i + run < m && !strcmp(k[i].key, k[i + run].key); run++)
			;
		if (run < 2)
			continue;
		covered += run;
		(*nseries)++;
		if (!sw)
			continue;
		sw->series = realloc(sw->series, (sw->nseries + 1) * sizeof(*sw->series));
		if (!sw->series)
			abort();
		s = &sw->series[sw->nseries++];
		s->label = label_of(gs->group[k[i].idx].params, keys, key, NULL);
		s->n = run;
		s->group = ks_zalloc(run * sizeof(*s->group));
		s->x = ks_zalloc(run * sizeof(*s->x));
		for (size_t j = 0; j < run; j++) {
			s->group[j] = k[i + j].idx;
			s->x[j] = k[i + j].x;
		}
	}
	for (size_t i = 0; i < m; i++)
		free(k[i].key);
	free(k);
	return covered;
}

static bool numeric_in_all(const struct report_groups *gs, const size_t *gi, size_t m, const char *key)
{
	for (size_t i = 0; i < m; i++)
		if (!json_is_number(json_object_get(gs->group[gi[i]].params, key)))
			return false;
	return true;
}

static void sweep_of_name(const struct report_groups *gs, const size_t *gi, size_t m, void *ctx)
{
	json_t *keys = varying_keys(gs, gi, m), *unused;
	const char *key, *best = NULL;
	struct sweeps *out = ctx;
	size_t best_cover = 0, best_series = 0, nseries;

	json_object_foreach(keys, key, unused) {
		size_t cover;

		if (!numeric_in_all(gs, gi, m, key))
			continue;
		cover = series_along(gs, gi, m, key, keys, NULL, &nseries);
		if (!cover)
			continue;
		/*
		 * The key along which most groups line up; then the one with the
		 * longest curves (fewest series); then the first name, so the
		 * choice does not depend on hashing.
		 */
		if (cover > best_cover || (cover == best_cover && nseries < best_series) ||
		    (cover == best_cover && nseries == best_series && strcmp(key, best) < 0)) {
			best_cover = cover;
			best_series = nseries;
			best = key;
		}
	}
	if (best) {
		struct sweep *sw;

		out->sweep = realloc(out->sweep, (out->n + 1) * sizeof(*out->sweep));
		if (!out->sweep)
			abort();
		sw = &out->sweep[out->n++];
		memset(sw, 0, sizeof(*sw));
		sw->name = gs->group[gi[0]].name;
		/* The key string must outlive keys: take the report's own copy. */
		json_object_foreach((json_t *)gs->group[gi[0]].params, key, unused)
			if (!strcmp(key, best))
				sw->key = key;
		series_along(gs, gi, m, sw->key, keys, sw, &nseries);
	}
	json_decref(keys);
}

static int sweep_first_cmp(const void *a, const void *b)
{
	const struct sweep *p = a, *q = b;
	size_t x = p->series[0].group[0], y = q->series[0].group[0];

	return x < y ? -1 : x > y;
}

void report_groups__sweeps(const struct report_groups *gs, struct sweeps *out)
{
	memset(out, 0, sizeof(*out));
	for_each_name(gs, out, sweep_of_name);
	/* In the order the report ran them, not by name. */
	if (out->n)
		qsort(out->sweep, out->n, sizeof(*out->sweep), sweep_first_cmp);
}

void report_groups__release_sweeps(struct sweeps *sw)
{
	for (size_t i = 0; i < sw->n; i++) {
		for (size_t s = 0; s < sw->sweep[i].nseries; s++) {
			free(sw->sweep[i].series[s].label);
			free(sw->sweep[i].series[s].group);
			free(sw->sweep[i].series[s].x);
		}
		free(sw->sweep[i].series);
	}
	free(sw->sweep);
	memset(sw, 0, sizeof(*sw));
}

void report_groups__label(const struct report_group *g, size_t j, char *buf, size_t len)
{
	const char *target = json_string_value(json_object_get(g->params, "target_state"));
	const char *proto = json_string_value(json_object_get(g->params, "protocol"));
	size_t n = 0;

	n += (size_t)snprintf(buf + n, len - n, "%s", g->name);
	if (target && n < len)
		n += (size_t)snprintf(buf + n, len - n, ", target %s", target);
	if (proto && n < len)
		n += (size_t)snprintf(buf + n, len - n, ", protocol %s", proto);
	if (g->varying[0] && n < len)
		n += (size_t)snprintf(buf + n, len - n, ", %s", g->varying);
	if (g->n > 1 && n < len)
		snprintf(buf + n, len - n, ", repetition %zu", j + 1);
}
