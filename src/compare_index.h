/* SPDX-License-Identifier: MIT */
/*
 * compare's internal index of a report's groups, shared by grouping
 * (compare_group.c) and matching (compare_match.c): an open-addressing
 * multimap from 64-bit hashes to indices (the caller checks a candidate
 * for equality: a hash only narrows the search) and FNV-1a hashing of a
 * group's name and canonical params.
 */
#ifndef KICKSTORM_COMPARE_INDEX_H
#define KICKSTORM_COMPARE_INDEX_H

#include "compare.h"
#include "util.h"

#include <stdint.h>
#include <string.h>

/* ---- a multimap from 64-bit hashes to indices ------------------------ */

struct slot {
	uint64_t hash;
	size_t idx;                     /* index + 1; 0 marks an empty slot */
};

struct hmap {
	size_t mask;
	struct slot *slots;
};

static inline void hmap__init(struct hmap *m, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n + 16)
		cap *= 2;
	m->mask = cap - 1;
	m->slots = ks_zalloc(cap * sizeof(*m->slots));
}

/* The first slot at or after *pos (start with *pos = SIZE_MAX) holding hash, or SIZE_MAX. */
static inline size_t hmap__next(const struct hmap *m, uint64_t hash, size_t *pos)
{
	size_t i = *pos == SIZE_MAX ? hash & m->mask : (*pos + 1) & m->mask;

	for (; m->slots[i].idx; i = (i + 1) & m->mask) {
		if (m->slots[i].hash == hash) {
			*pos = i;
			return m->slots[i].idx - 1;
		}
	}
	return SIZE_MAX;
}

static inline void hmap__insert(struct hmap *m, uint64_t hash, size_t idx)
{
	size_t i = hash & m->mask;

	while (m->slots[i].idx)
		i = (i + 1) & m->mask;
	m->slots[i] = (struct slot){ hash, idx + 1 };
}

/* Inserts only when no entry has this hash yet: the leave-one-out map needs one witness. */
static inline void hmap__insert_first(struct hmap *m, uint64_t hash, size_t idx)
{
	size_t pos = SIZE_MAX;

	if (hmap__next(m, hash, &pos) == SIZE_MAX)
		hmap__insert(m, hash, idx);
}

static inline uint64_t fnv(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Length-prefixed, so that no two different lists of strings hash the same bytes. */
static inline uint64_t hash_str(uint64_t h, const char *s)
{
	uint64_t n = strlen(s);

	return fnv(fnv(h, &n, sizeof(n)), s, n);
}

struct name_list {
	const char *name;
	size_t n;
	size_t *groups;
};

struct compare_index {
	struct hmap exact;              /* group hash -> group */
	struct hmap by_name;            /* name hash -> names[] */
	size_t nnames;
	struct name_list *names;
	bool loo_built;
	struct hmap loo;                /* hash with one param left out -> a group */
};

/* The groups called name, or NULL. */
static inline const struct name_list *compare_index__names(const struct compare_index *ix, const char *name)
{
	size_t pos = SIZE_MAX, idx;

	while ((idx = hmap__next(&ix->by_name, hash_str(0, name), &pos)) != SIZE_MAX)
		if (!strcmp(ix->names[idx].name, name))
			return &ix->names[idx];
	return NULL;
}

/* The hash of g's name and params, leaving out param skip (SIZE_MAX: none). */
uint64_t compare__group_hash_without(const struct compare_group *g, size_t skip);
/* How many params a and b differ in (a value, or a key only one has); stops past limit. */
size_t compare__param_distance(const struct compare_group *a, const struct compare_group *b, size_t limit);

#endif
