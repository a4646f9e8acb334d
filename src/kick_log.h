/* SPDX-License-Identifier: MIT */
/*
 * The served kicks of a traced run, as the tracer needs them (struct
 * trace_kick): who kicked whom, when, and when the target saw it. Each
 * sender fills a log of its own from its ledger's watch, inside the storm,
 * so adding is a bounded copy into memory touched beforehand: no
 * allocation, no lock, no page fault. Kicks past the capacity are counted,
 * not kept.
 */
#ifndef KICKSTORM_KICK_LOG_H
#define KICKSTORM_KICK_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "trace_event.h"

/* Served kicks kept over all of a run's senders: 64 MiB of records at most. */
#define KICK_LOG_BUDGET (1u << 20)

struct kick_log {
	struct trace_kick *kick;
	size_t n, cap;
	uint64_t dropped;       /* served kicks that found the log full */
};

/* Room for cap kicks, written through so the storm takes no page faults on it. */
void kick_log__init(struct kick_log *l, size_t cap);
void kick_log__release(struct kick_log *l);

static inline void kick_log__add(struct kick_log *l, const struct trace_kick *k)
{
	if (l->n < l->cap)
		l->kick[l->n++] = *k;
	else
		l->dropped++;
}

/* Appends src's kicks and dropped count to dst, growing dst (after the storm). */
void kick_log__append(struct kick_log *dst, const struct kick_log *src);

/*
 * How many kicks one of nsenders may keep: what it can send (count, 0 for
 * unbounded) within its share of KICK_LOG_BUDGET.
 */
size_t kick_log__capacity(uint64_t count, unsigned nsenders);

#endif
