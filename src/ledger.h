/* SPDX-License-Identifier: MIT */
/*
 * The request ledger: the one place that decides what became of a request.
 *
 * A stream is the requests of one sender to one target, numbered 1, 2, 3...
 * (or on from where an earlier storm on the same mailbox slot stopped). The
 * sender publishes each request with the time it was meant to go (intended,
 * the open-loop schedule), the time it went (published, taken just before
 * the kick), the time its kick had certainly been sent (kicked, just after),
 * and the target's excuse so far (below). The target's observer reports the
 * newest sequence it has seen and when; an observation of m serves every
 * request up to m, as KVM's request bits merge.
 *
 * The excuse is a running total of the time the target could not have
 * observed anything for reasons that are not KVM's: its thread runnable but
 * waiting for a CPU, the whole process stopped. The loss window counts only
 * the rest, so a starved or stopped host makes requests late, never lost.
 *
 * Each published request ends in exactly one outcome:
 *
 *   delivered   its own observation came within the deadline of publication
 *   late        its own observation came after the deadline, but within the
 *               loss window: the host was busy or the tool was stopped
 *   coalesced   an observation of a newer request served it first
 *   lost        still unobserved when the loss window ran out: lost_after
 *               since its kick, not counting the target's excuse meanwhile;
 *               the caller re-kicks only then. A verdict is withdrawn if an
 *               observation read later proves it was served inside the
 *               window
 *   unresolved  the run ended first
 *
 * so sent = delivered + late + coalesced + lost + unresolved at any time
 * after ledger__finish. Every served request (delivered, late, coalesced)
 * adds one latency sample from its intended time to the observation; a lost
 * request served later adds one to a histogram of its own.
 *
 * Everything is TSC ticks, host time. Pure C: no KVM, no threads; each
 * stream and tally belongs to one thread.
 */
#ifndef KICKSTORM_LEDGER_H
#define KICKSTORM_LEDGER_H

#include <stdbool.h>
#include <stdint.h>

#include "histogram.h"

enum ledger_outcome {
	LEDGER_DELIVERED,
	LEDGER_LATE,
	LEDGER_COALESCED,
	LEDGER_LOST,
	LEDGER_UNRESOLVED,
	LEDGER_NOUTCOMES,
};

/* The latency histograms: one per served outcome, and lost-then-served. */
enum ledger_sample {
	SAMPLE_DELIVERED,
	SAMPLE_LATE,
	SAMPLE_COALESCED,
	SAMPLE_LOST_THEN_SERVED,
	LEDGER_NSAMPLES,
};

/* "delivered", "late", ...: the report's key for an outcome. */
const char *ledger__outcome_name(enum ledger_outcome o);
/* "delivered", "late", "coalesced", "lost_then_served". */
const char *ledger__sample_name(enum ledger_sample s);

struct ledger_rules {
	uint64_t deadline;      /* ticks: observed within it is delivered, after it late */
	uint64_t lost_after;    /* ticks: unobserved this long after publication is lost */
};

/* Outcomes and samples of every stream one thread owns; merged after the run. */
struct ledger_tally {
	uint64_t sent;
	uint64_t outcome[LEDGER_NOUTCOMES];
	uint64_t withdrawn;         /* lost verdicts undone by an observation inside the window */
	uint64_t lost_unserved;     /* lost requests never served before their record was dropped */
	uint64_t early;             /* observations stamped before their request's intended time */
	uint64_t bogus;             /* observations of a sequence never published: ignored */
	struct histogram *latency[LEDGER_NSAMPLES];
};

struct ledger_pub {
	uint64_t intended;
	uint64_t published;
	uint64_t kicked;
	uint64_t excuse;
};

/*
 * Told of each request as it is served (delivered, late or coalesced; a
 * lost request served after its loss window is not), with its record and
 * the observation that served it: how a tracer learns which kicks to
 * explain. Called on the stream owner's thread; it must not block.
 */
struct ledger_stream;

struct ledger_watch {
	void (*served)(void *arg, const struct ledger_stream *stream, const struct ledger_pub *request,
		       uint64_t obs, enum ledger_outcome o);
	void *arg;
};

/*
 * Sequences (served, resolved] were declared lost and are not yet served;
 * (resolved, published] are pending. The ring keeps the records of
 * (kept, published], kept >= served, so a lost request can still be timed
 * when something finally serves it.
 */
struct ledger_stream {
	struct ledger_pub *ring;
	uint64_t mask;
	uint64_t published;
	uint64_t resolved;
	uint64_t served;
	uint64_t kept;
	const struct ledger_rules *rules;
	struct ledger_tally *tally;
	const struct ledger_watch *watch;       /* NULL: nobody watches */
};

void ledger_tally__init(struct ledger_tally *t);
void ledger_tally__release(struct ledger_tally *t);
/* Adds src's counts and histograms into dst. */
void ledger_tally__merge(struct ledger_tally *dst, const struct ledger_tally *src);
/* A new histogram of every served request: delivered, late and coalesced. */
struct histogram *ledger_tally__served(const struct ledger_tally *t);
/* Sum of the five outcomes; equals sent once every stream is finished. */
uint64_t ledger_tally__accounted(const struct ledger_tally *t);

/*
 * capacity: records kept, a power of two >= 2. first: the sequence already
 * used on this slot (0 on a fresh one). The ring is written through here so
 * the storm takes no page faults on it.
 */
void ledger_stream__init(struct ledger_stream *s, const struct ledger_rules *rules,
			 struct ledger_tally *tally, unsigned capacity, uint64_t first);
void ledger_stream__release(struct ledger_stream *s);

/* False when the pending requests fill the ring: the sender must wait. */
bool ledger__can_publish(const struct ledger_stream *s);
/* Records the next request (see struct ledger_pub); returns its sequence. Call ledger__can_publish first. */
uint64_t ledger__publish(struct ledger_stream *s, const struct ledger_pub *request);
/*
 * The observer saw sequence seq at obs (host ticks): serves every request
 * up to it. excuse: the target's excuse now (for a loss verdict to withdraw).
 */
void ledger__observe(struct ledger_stream *s, uint64_t seq, uint64_t obs, uint64_t excuse);
/*
 * A pending request has waited lost_after since its kick by the clock:
 * only then is the target's excuse worth reading, for ledger__expire.
 */
bool ledger__overdue(const struct ledger_stream *s, uint64_t now);
/*
 * Declares lost every pending request that waited more than lost_after
 * since its kick, not counting what the target's excuse grew by since (it
 * is excuse now). Returns how many; the caller re-kicks the target when > 0.
 */
uint64_t ledger__expire(struct ledger_stream *s, uint64_t now, uint64_t excuse);
/* The run is over: whatever is pending is unresolved. */
void ledger__finish(struct ledger_stream *s);

static inline uint64_t ledger__pending(const struct ledger_stream *s)
{
	return s->published - s->resolved;
}

/*
 * Requests whose observations cannot be timed one by one (the broadcast
 * scenario sees, per vCPU, how many requests it handled and whether it
 * handled the last one). posted requests, handled distinct handlings seen;
 * last_served says the newest request was seen handled within the loss
 * window, verified that there was a look at all (false: the run ended
 * before it, and every request is unresolved).
 */
void ledger__settle_counted(struct ledger_tally *t, uint64_t posted, uint64_t handled,
			    bool last_served, bool verified);

#endif
