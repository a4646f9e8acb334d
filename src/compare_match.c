// SPDX-License-Identifier: MIT
/*
 * compare's labels and near misses. A group's label names only the params
 * that tell it from its namesakes in either report. For a scenario with no
 * match, the closest group of the same name on the other side is found
 * with hashes too: every group is also hashed with each of its params left
 * out in turn, which finds a group that differs in one param (the usual
 * case: a changed default) with a handful of lookups; only when none does
 * is a bounded number of namesakes scanned.
 */
#include "compare_index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Namesakes examined for a closest match when no group differs in one param only. */
#define CLOSEST_SCAN_MAX 512

/* ---- labels ------------------------------------------------------------ */

/*
 * A label cut at its buffer's end may end inside a UTF-8 sequence; JSON
 * and XML need whole characters, so the partial one goes.
 */
void compare__utf8_trim(char *s)
{
	size_t len = strlen(s), i = len, want;
	unsigned char lead;

	if (!len)
		return;
	while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0)
		return;
	lead = (unsigned char)s[i - 1];
	want = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
	if (len - (i - 1) < want)
		s[i - 1] = '\0';
}

void compare__value_text(const char *canonical, char *buf, size_t len)
{
	json_t *s;

	if (!canonical) {
		ks_format(buf, len, "(absent)");
		return;
	}
	if (canonical[0] != '"') {
		ks_format(buf, len, "%s", canonical);
		return;
	}
	s = json_loads(canonical, JSON_DECODE_ANY, NULL);
	ks_format(buf, len, "%s", json_is_string(s) ? json_string_value(s) : canonical);
	json_decref(s);
	compare__utf8_trim(buf);
}

static void append_param(char *buf, size_t len, const struct compare_param *p)
{
	size_t used = strlen(buf);
	char text[128];

	compare__value_text(p->value, text, sizeof(text));
	ks_format(buf + used, len - used, " %s=%s", p->key, text);
	compare__utf8_trim(buf);
}

void compare__full_label(const struct compare_group *g, char *buf, size_t len)
{
	ks_format(buf, len, "%s", g->name);
	compare__utf8_trim(buf);
	for (size_t j = 0; j < g->nparams; j++)
		append_param(buf, len, &g->param[j]);
}

/* For one name over both reports: does each param key take more than one value? */
struct key_stat {
	const char *key, *value;
	size_t count;
	bool varies;
};

struct name_stat {
	const char *name;
	size_t ngroups, nkeys, cap;
	struct key_stat *keys;
};

static size_t name_stat_of(struct hmap *m, struct name_stat *st, size_t *nst, const char *name)
{
	uint64_t h = hash_str(0, name);
	size_t pos = SIZE_MAX, idx;

	while ((idx = hmap__next(m, h, &pos)) != SIZE_MAX)
		if (!strcmp(st[idx].name, name))
			return idx;
	st[*nst].name = name;
	hmap__insert(m, h, *nst);
	return (*nst)++;
}

static struct key_stat *key_stat_of(struct name_stat *s, const char *key)
{
	for (size_t k = 0; k < s->nkeys; k++)
		if (!strcmp(s->keys[k].key, key))
			return &s->keys[k];
	if (s->nkeys == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->keys = realloc(s->keys, s->cap * sizeof(*s->keys));
		if (!s->keys) {
			ks_error("out of memory while labelling scenarios");
			abort();
		}
	}
	s->keys[s->nkeys] = (struct key_stat){ key, NULL, 0, false };
	return &s->keys[s->nkeys++];
}

/* "signal target_state=halted vcpus=4": only what tells a group from its namesakes. */
void compare__label_groups(struct compare_report *base, struct compare_report *new)
{
	struct compare_report *reports[2] = { base, new };
	size_t total = base->ngroups + new->ngroups, nst = 0;
	struct name_stat *st = ks_zalloc((total + 1) * sizeof(*st));
	struct hmap m;

	hmap__init(&m, total);
	for (int r = 0; r < 2; r++) {
		for (size_t i = 0; i < reports[r]->ngroups; i++) {
			const struct compare_group *g = &reports[r]->groups[i];
			struct name_stat *s = &st[name_stat_of(&m, st, &nst, g->name)];

			s->ngroups++;
			for (size_t j = 0; j < g->nparams; j++) {
				struct key_stat *k = key_stat_of(s, g->param[j].key);

				if (!k->count++)
					k->value = g->param[j].value;
				else if (strcmp(k->value, g->param[j].value))
					k->varies = true;
			}
		}
	}
	for (int r = 0; r < 2; r++) {
		for (size_t i = 0; i < reports[r]->ngroups; i++) {
			struct compare_group *g = &reports[r]->groups[i];
			struct name_stat *s = &st[name_stat_of(&m, st, &nst, g->name)];

			ks_format(g->label, sizeof(g->label), "%s", g->name);
			compare__utf8_trim(g->label);
			for (size_t j = 0; j < g->nparams; j++) {
				struct key_stat *k = key_stat_of(s, g->param[j].key);

				if (k->varies || k->count != s->ngroups)
					append_param(g->label, sizeof(g->label), &g->param[j]);
			}
		}
	}
	for (size_t i = 0; i < nst; i++)
		free(st[i].keys);
	free(st);
	free(m.slots);
}

/* ---- the closest namesake of an unmatched group ------------------------ */

static void build_leave_one_out(const struct compare_report *r)
{
	struct compare_index *ix = r->index;
	size_t total = 0;

	for (size_t g = 0; g < r->ngroups; g++)
		total += r->groups[g].nparams;
	hmap__init(&ix->loo, total);
	for (size_t g = 0; g < r->ngroups; g++)
		for (size_t j = 0; j < r->groups[g].nparams; j++)
			hmap__insert_first(&ix->loo, compare__group_hash_without(&r->groups[g], j), g);
	ix->loo_built = true;
}

struct closest {
	const struct compare_group *g, *best;
	size_t distance;
};

static void consider(struct closest *c, const struct compare_group *h)
{
	size_t d;

	if (strcmp(h->name, c->g->name))
		return;
	d = compare__param_distance(c->g, h, c->distance);
	if (d < c->distance) {
		c->distance = d;
		c->best = h;
	}
}

static void consider_hash(struct closest *c, const struct compare_report *other, const struct hmap *m,
			  uint64_t hash)
{
	size_t pos = SIZE_MAX, idx;

	while (c->distance > 1 && (idx = hmap__next(m, hash, &pos)) != SIZE_MAX)
		consider(c, &other->groups[idx]);
}

static void fill_differences(struct compare_unmatched *u, bool other_is_new)
{
	const struct compare_group *a = u->group, *b = u->closest;
	size_t i = 0, j = 0;

	u->diffs = ks_zalloc((a->nparams + b->nparams + 1) * sizeof(*u->diffs));
	while (i < a->nparams || j < b->nparams) {
		int c = i == a->nparams ? 1 : j == b->nparams ? -1 : strcmp(a->param[i].key, b->param[j].key);
		const char *mine = NULL, *theirs = NULL, *key;

		if (c == 0 && !strcmp(a->param[i].value, b->param[j].value)) {
			i++, j++;
			continue;
		}
		key = c <= 0 ? a->param[i].key : b->param[j].key;
		if (c <= 0)
			mine = a->param[i++].value;
		if (c >= 0)
			theirs = b->param[j++].value;
		u->diffs[u->ndiffs++] = (struct compare_difference){
			key, other_is_new ? mine : theirs, other_is_new ? theirs : mine };
	}
}

void compare__closest(const struct compare_report *other, bool other_is_new, struct compare_unmatched *u)
{
	struct closest c = { u->group, NULL, SIZE_MAX };
	const struct name_list *names = other->index ? compare_index__names(other->index, u->group->name) : NULL;

	u->closest = NULL;
	u->ndiffs = 0;
	u->diffs = NULL;
	if (!names)
		return;
	if (!other->index->loo_built)
		build_leave_one_out(other);
	/* A namesake without one of g's params, with another value of it, or with one more. */
	for (size_t j = 0; j < c.g->nparams && c.distance > 1; j++) {
		uint64_t h = compare__group_hash_without(c.g, j);

		consider_hash(&c, other, &other->index->exact, h);
		consider_hash(&c, other, &other->index->loo, h);
	}
	consider_hash(&c, other, &other->index->loo, c.g->hash);
	for (size_t k = 0; k < names->n && k < CLOSEST_SCAN_MAX && c.distance > 1; k++)
		consider(&c, &other->groups[names->groups[k]]);
	u->closest = c.best;
	if (c.best)
		fill_differences(u, other_is_new);
}
