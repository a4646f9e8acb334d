// SPDX-License-Identifier: MIT
#include "kick_log.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

void kick_log__init(struct kick_log *l, size_t cap)
{
	memset(l, 0, sizeof(*l));
	l->cap = cap;
	if (cap) {
		l->kick = ks_zalloc(cap * sizeof(*l->kick));
		/* calloc may hand back untouched zero pages: make them ours now. */
		memset(l->kick, 0, cap * sizeof(*l->kick));
	}
}

void kick_log__release(struct kick_log *l)
{
	free(l->kick);
	memset(l, 0, sizeof(*l));
}

void kick_log__append(struct kick_log *dst, const struct kick_log *src)
{
	if (dst->n + src->n > dst->cap) {
		size_t cap = dst->n + src->n;

		struct trace_kick *grown = ks_zalloc(cap * sizeof(*grown));

		if (dst->n)
			memcpy(grown, dst->kick, dst->n * sizeof(*grown));
		free(dst->kick);
		dst->kick = grown;
		dst->cap = cap;
	}
	if (src->n)
		memcpy(dst->kick + dst->n, src->kick, src->n * sizeof(*src->kick));
	dst->n += src->n;
	dst->dropped += src->dropped;
}

size_t kick_log__capacity(uint64_t count, unsigned nsenders)
{
	size_t share = KICK_LOG_BUDGET / (nsenders ? nsenders : 1);

	return count && count < share ? (size_t)count : share;
}
