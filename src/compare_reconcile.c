// SPDX-License-Identifier: MIT
/*
 * Params one report records and the other never does. A kickstorm that
 * learns a new option records it in params (halt_poll_ns, say), so every
 * report made before has no such key and nothing it holds would match
 * anything newer. A param that one report records for a scenario, with a
 * single value across that scenario's groups, while the other report
 * records it for none of that scenario's groups, is therefore left out of
 * matching that scenario, and the result says so. A param whose value
 * varies within the report that has it (a sweep of it) stays: leaving it
 * out would pool different runs.
 */
#include "compare_index.h"

#include <stdlib.h>
#include <string.h>

#define KEYS_MAX 256

/* What one report's groups of one name record under one key. */
struct key_use {
	const char *key;
	const char *value;          /* canonical text of the first group's value */
	bool varies;
};

struct key_uses {
	size_t n;
	bool overflow;              /* more than KEYS_MAX keys: no report of ours */
	struct key_use use[KEYS_MAX];
};

/* The key's entry; NULL once there are too many keys to keep the search short. */
static struct key_use *key_use_of(struct key_uses *k, const char *key)
{
	for (size_t i = 0; i < k->n; i++)
		if (!strcmp(k->use[i].key, key))
			return &k->use[i];
	if (k->n == KEYS_MAX) {
		k->overflow = true;
		return NULL;
	}
	k->use[k->n] = (struct key_use){ key, NULL, false };
	return &k->use[k->n++];
}

static void collect(const struct compare_report *r, const struct name_list *nl, struct key_uses *k)
{
	for (size_t g = 0; g < nl->n; g++) {
		const struct compare_group *grp = &r->groups[nl->groups[g]];

		for (size_t j = 0; j < grp->nparams; j++) {
			struct key_use *u = key_use_of(k, grp->param[j].key);

			if (!u)
				return;
			if (!u->value)
				u->value = grp->param[j].value;
			else if (strcmp(u->value, grp->param[j].value))
				u->varies = true;
		}
	}
}

static bool has_key(const struct key_uses *k, const char *key)
{
	for (size_t i = 0; i < k->n; i++)
		if (!strcmp(k->use[i].key, key))
			return true;
	return false;
}

/* Keys of mine the other never records, recorded by mine with one value: left out. */
static void leave_out(struct compare_options *o, const char *name, const struct key_uses *mine,
		      const struct key_uses *other, bool mine_is_new)
{
	for (size_t i = 0; i < mine->n; i++) {
		const struct key_use *u = &mine->use[i];

		if (u->varies || has_key(other, u->key) || o->nleft_out == COMPARE_MAX_LEFT_OUT)
			continue;
		o->left_out[o->nleft_out++] = (struct compare_left_out){ name, u->key, mine_is_new };
	}
}

/* Over the names both reports hold; the reports must be grouped (compare__group_entries). */
static void find_left_out(const struct compare_report *base, const struct compare_report *new,
			  struct compare_options *o)
{
	struct key_uses *k = ks_zalloc(2 * sizeof(*k)), *kb = &k[0], *kn = &k[1];

	for (size_t i = 0; base->index && i < base->index->nnames; i++) {
		const struct name_list *b = &base->index->names[i];
		const struct name_list *n = new->index ? compare_index__names(new->index, b->name) : NULL;

		if (!n)
			continue;
		kb->n = kn->n = 0;
		kb->overflow = kn->overflow = false;
		collect(base, b, kb);
		collect(new, n, kn);
		/* Scenarios record a dozen params; hundreds are no report of ours: leave them be. */
		if (!kb->overflow && !kn->overflow) {
			leave_out(o, b->name, kn, kb, true);
			leave_out(o, b->name, kb, kn, false);
		}
	}
	free(k);
}

bool compare__left_out(const struct compare_options *o, const char *name, const char *param)
{
	for (size_t i = 0; o && i < o->nleft_out; i++)
		if (!strcmp(o->left_out[i].param, param) && !strcmp(o->left_out[i].name, name))
			return true;
	return false;
}

bool compare__reconcile(struct compare_report *base, struct compare_report *new, struct compare_options *o)
{
	size_t before = o->nleft_out;

	find_left_out(base, new, o);
	if (o->nleft_out == before)
		return false;
	/* Names and keys are the reports' own strings, which regrouping keeps. */
	compare__release_groups(base);
	compare__release_groups(new);
	compare__group_entries(base, o);
	compare__group_entries(new, o);
	return true;
}
