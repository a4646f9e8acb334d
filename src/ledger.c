// SPDX-License-Identifier: MIT
#include "ledger.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static const char *const outcome_names[LEDGER_NOUTCOMES] = {
	[LEDGER_DELIVERED] = "delivered",
	[LEDGER_LATE] = "late",
	[LEDGER_COALESCED] = "coalesced",
	[LEDGER_LOST] = "lost",
	[LEDGER_UNRESOLVED] = "unresolved",
};

static const char *const sample_names[LEDGER_NSAMPLES] = {
	[SAMPLE_DELIVERED] = "delivered",
	[SAMPLE_LATE] = "late",
	[SAMPLE_COALESCED] = "coalesced",
	[SAMPLE_LOST_THEN_SERVED] = "lost_then_served",
};

const char *ledger__outcome_name(enum ledger_outcome o)
{
	return outcome_names[o];
}

const char *ledger__sample_name(enum ledger_sample s)
{
	return sample_names[s];
}

void ledger_tally__init(struct ledger_tally *t)
{
	memset(t, 0, sizeof(*t));
	for (int k = 0; k < LEDGER_NSAMPLES; k++)
		t->latency[k] = ks_aligned_zalloc(KS_CACHELINE, sizeof(struct histogram));
}

void ledger_tally__release(struct ledger_tally *t)
{
	for (int k = 0; k < LEDGER_NSAMPLES; k++)
		free(t->latency[k]);
	memset(t, 0, sizeof(*t));
}

void ledger_tally__merge(struct ledger_tally *dst, const struct ledger_tally *src)
{
	dst->sent += src->sent;
	for (int k = 0; k < LEDGER_NOUTCOMES; k++)
		dst->outcome[k] += src->outcome[k];
	dst->withdrawn += src->withdrawn;
	dst->lost_unserved += src->lost_unserved;
	dst->early += src->early;
	dst->bogus += src->bogus;
	for (int k = 0; k < LEDGER_NSAMPLES; k++)
		histogram__merge(dst->latency[k], src->latency[k]);
}

struct histogram *ledger_tally__served(const struct ledger_tally *t)
{
	struct histogram *h = ks_aligned_zalloc(KS_CACHELINE, sizeof(*h));

	histogram__merge(h, t->latency[SAMPLE_DELIVERED]);
	histogram__merge(h, t->latency[SAMPLE_LATE]);
	histogram__merge(h, t->latency[SAMPLE_COALESCED]);
	return h;
}

uint64_t ledger_tally__accounted(const struct ledger_tally *t)
{
	uint64_t sum = 0;

	for (int k = 0; k < LEDGER_NOUTCOMES; k++)
		sum += t->outcome[k];
	return sum;
}

void ledger_stream__init(struct ledger_stream *s, const struct ledger_rules *rules,
			 struct ledger_tally *tally, unsigned capacity, uint64_t first)
{
	memset(s, 0, sizeof(*s));
	s->ring = ks_aligned_zalloc(KS_CACHELINE, (size_t)capacity * sizeof(*s->ring));
	s->mask = capacity - 1;
	s->published = s->resolved = s->served = s->kept = first;
	s->rules = rules;
	s->tally = tally;
}

void ledger_stream__release(struct ledger_stream *s)
{
	free(s->ring);
	s->ring = NULL;
}

static struct ledger_pub *record(const struct ledger_stream *s, uint64_t seq)
{
	return &s->ring[seq & s->mask];
}

/*
 * Room for one more record: the oldest lost request nothing has served yet
 * gives its record up (it stays lost, untimed); a pending one never does.
 */
bool ledger__can_publish(const struct ledger_stream *s)
{
	return s->published - s->resolved <= s->mask;
}

uint64_t ledger__publish(struct ledger_stream *s, const struct ledger_pub *request)
{
	uint64_t seq = ++s->published;

	if (seq - s->kept > s->mask + 1) {
		s->kept++;
		s->tally->lost_unserved++;
	}
	*record(s, seq) = *request;
	s->tally->sent++;
	return seq;
}

static void ledger__sample(struct ledger_stream *s, enum ledger_sample k, uint64_t seq, uint64_t obs)
{
	uint64_t intended = record(s, seq)->intended;

	/* A few ticks of cross-CPU TSC skew can put the observation first. */
	if ((int64_t)(obs - intended) < 0) {
		s->tally->early++;
		obs = intended;
	}
	histogram__record(s->tally->latency[k], obs - intended);
}

/* seq is served by the observation of newest at obs, and had no outcome yet. */
static void ledger__serve(struct ledger_stream *s, uint64_t seq, uint64_t newest, uint64_t obs)
{
	int64_t waited = (int64_t)(obs - record(s, seq)->published);
	enum ledger_outcome o;

	if (seq < newest)
		o = LEDGER_COALESCED;
	else if (waited <= (int64_t)s->rules->deadline)
		o = LEDGER_DELIVERED;
	else
		o = LEDGER_LATE;
	s->tally->outcome[o]++;
	ledger__sample(s, (enum ledger_sample)o, seq, obs);
	if (s->watch)
		s->watch->served(s->watch->arg, s, record(s, seq), obs, o);
}

/* How long a request waited by obs, not counting the target's excuse meanwhile. */
static int64_t ledger__waited(const struct ledger_stream *s, uint64_t seq, uint64_t at, uint64_t excuse)
{
	const struct ledger_pub *r = record(s, seq);
	int64_t excused = (int64_t)(excuse - r->excuse);

	return (int64_t)(at - r->kicked) - (excused > 0 ? excused : 0);
}

/*
 * A lost request the observation serves. Its verdict stands if the
 * observation came after the loss window; one that came inside it was only
 * read late (the observer was descheduled between its timestamp and its
 * log entry), or the target's excuse grew since the verdict (the host had
 * stopped or starved it), so the verdict is withdrawn.
 */
static void ledger__serve_lost(struct ledger_stream *s, uint64_t seq, uint64_t newest, uint64_t obs,
			       uint64_t excuse)
{
	if (ledger__waited(s, seq, obs, excuse) <= (int64_t)s->rules->lost_after) {
		s->tally->outcome[LEDGER_LOST]--;
		s->tally->withdrawn++;
		ledger__serve(s, seq, newest, obs);
		return;
	}
	ledger__sample(s, SAMPLE_LOST_THEN_SERVED, seq, obs);
}

void ledger__observe(struct ledger_stream *s, uint64_t seq, uint64_t obs, uint64_t excuse)
{
	if (seq <= s->served)
		return;
	if (seq > s->published) {
		s->tally->bogus++;
		return;
	}
	for (uint64_t n = s->kept + 1; n <= s->resolved && n <= seq; n++)
		ledger__serve_lost(s, n, seq, obs, excuse);
	for (uint64_t n = s->resolved + 1; n <= seq; n++)
		ledger__serve(s, n, seq, obs);
	s->served = seq;
	if (s->kept < seq)
		s->kept = seq;
	if (s->resolved < seq)
		s->resolved = seq;
}

bool ledger__overdue(const struct ledger_stream *s, uint64_t now)
{
	return s->published > s->resolved &&
	       (int64_t)(now - record(s, s->resolved + 1)->kicked) > (int64_t)s->rules->lost_after;
}

uint64_t ledger__expire(struct ledger_stream *s, uint64_t now, uint64_t excuse)
{
	uint64_t n = s->resolved;

	while (n < s->published && ledger__waited(s, n + 1, now, excuse) > (int64_t)s->rules->lost_after)
		n++;
	if (n == s->resolved)
		return 0;
	uint64_t newly = n - s->resolved;

	s->tally->outcome[LEDGER_LOST] += newly;
	s->resolved = n;
	return newly;
}

void ledger__finish(struct ledger_stream *s)
{
	s->tally->lost_unserved += s->resolved - s->kept;
	s->tally->outcome[LEDGER_UNRESOLVED] += s->published - s->resolved;
	s->kept = s->served = s->resolved = s->published;
}

void ledger__settle_counted(struct ledger_tally *t, uint64_t posted, uint64_t handled,
			    bool last_served, bool verified)
{
	t->sent += posted;
	if (!posted)
		return;
	if (!verified) {
		t->outcome[LEDGER_UNRESOLVED] += posted;
		return;
	}
	if (last_served) {
		t->outcome[LEDGER_DELIVERED]++;
		if (handled)
			handled--;
	} else {
		t->outcome[LEDGER_LOST]++;
	}
	posted--;
	if (handled > posted)
		handled = posted;
	t->outcome[LEDGER_DELIVERED] += handled;
	t->outcome[LEDGER_COALESCED] += posted - handled;
}
