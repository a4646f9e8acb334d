// SPDX-License-Identifier: MIT
/*
 * The request ledger on synthetic publish / observe / expire / finish
 * sequences: every outcome, the latency sample each served request gets, a
 * withdrawn loss, the publication ring wrapping, and a randomized run
 * checked against a simple model that keeps every request.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "ledger.h"

#define DEADLINE 100
#define LOST_AFTER 1000

static const struct ledger_rules rules = { .deadline = DEADLINE, .lost_after = LOST_AFTER };

struct fixture {
	struct ledger_tally tally;
	struct ledger_stream stream;
};

static struct fixture *fixture_new(unsigned capacity, uint64_t first)
{
	struct fixture *f = calloc(1, sizeof(*f));

	ledger_tally__init(&f->tally);
	ledger_stream__init(&f->stream, &rules, &f->tally, capacity, first);
	return f;
}

static void fixture_free(struct fixture *f)
{
	ledger_stream__release(&f->stream);
	ledger_tally__release(&f->tally);
	free(f);
}

/* A request kicked at its publication, with no excuse so far. */
static uint64_t publish(struct fixture *f, uint64_t intended, uint64_t published)
{
	struct ledger_pub r = { .intended = intended, .published = published, .kicked = published };

	return ledger__publish(&f->stream, &r);
}

static void observe(struct fixture *f, uint64_t seq, uint64_t obs)
{
	ledger__observe(&f->stream, seq, obs, 0);
}

static uint64_t expire(struct fixture *f, uint64_t now)
{
	return ledger__expire(&f->stream, now, 0);
}

static uint64_t outcome(const struct fixture *f, enum ledger_outcome o)
{
	return f->tally.outcome[o];
}

static const struct histogram *samples(const struct fixture *f, enum ledger_sample k)
{
	return f->tally.latency[k];
}

/* The invariant every report must hold, and one sample per served request. */
static void assert_balanced(const struct fixture *f)
{
	uint64_t served = outcome(f, LEDGER_DELIVERED) + outcome(f, LEDGER_LATE) +
			  outcome(f, LEDGER_COALESCED);

	assert_int_equal(f->tally.sent, ledger_tally__accounted(&f->tally));
	assert_int_equal(samples(f, SAMPLE_DELIVERED)->count + samples(f, SAMPLE_LATE)->count +
			 samples(f, SAMPLE_COALESCED)->count, served);
}

static void delivered_within_deadline(void **state)
{
	struct fixture *f = fixture_new(8, 0);

	(void)state;
	assert_int_equal(publish(f, 1000, 1010), 1);
	observe(f, 1, 1050);
	ledger__finish(&f->stream);
	assert_int_equal(outcome(f, LEDGER_DELIVERED), 1);
	/* From the intended time, not the publication. */
	assert_int_equal(samples(f, SAMPLE_DELIVERED)->min, 50);
	assert_balanced(f);
	fixture_free(f);
}

static void late_without_rekick(void **state)
{
	struct fixture *f = fixture_new(8, 0);

	(void)state;
	publish(f, 1000, 1000);
	/* Past the deadline, inside the loss window: nothing to re-kick. */
	assert_int_equal(expire(f, 1000 + LOST_AFTER), 0);
	observe(f, 1, 1000 + DEADLINE + 1);
	ledger__finish(&f->stream);
	assert_int_equal(outcome(f, LEDGER_LATE), 1);
	assert_int_equal(outcome(f, LEDGER_LOST), 0);
	assert_int_equal(samples(f, SAMPLE_LATE)->max, DEADLINE + 1);
	assert_balanced(f);
	fixture_free(f);
}

static void coalesced_requests_keep_their_own_wait(void **state)
{
	struct fixture *f = fixture_new(8, 0);

	(void)state;
	publish(f, 100, 100);
	publish(f, 200, 200);
	publish(f, 300, 300);
	observe(f, 3, 350);
	observe(f, 2, 360);    /* older than what was served: ignored */
	ledger__finish(&f->stream);
	assert_int_equal(outcome(f, LEDGER_COALESCED), 2);
	assert_int_equal(outcome(f, LEDGER_DELIVERED), 1);
	/* The oldest request waited longest, and its wait is in the distribution. */
	assert_int_equal(samples(f, SAMPLE_COALESCED)->max, 250);
	assert_int_equal(samples(f, SAMPLE_COALESCED)->min, 150);
	assert_int_equal(samples(f, SAMPLE_DELIVERED)->max, 50);
	assert_balanced(f);
	fixture_free(f);
}

static void lost_only_after_the_window_then_served(void **state)
{
	struct fixture *f = fixture_new(8, 0);

	(void)state;
	publish(f, 0, 0);
	assert_int_equal(expire(f, LOST_AFTER), 0);
	assert_int_equal(expire(f, LOST_AFTER + 1), 1);
	assert_int_equal(expire(f, LOST_AFTER + 2), 0);
	assert_int_equal(ledger__pending(&f->stream), 0);
	/* Served after the re-kick: still lost, and its whole wait is kept apart. */
	observe(f, 1, 5000);
	ledger__finish(&f->stream);
	assert_int_equal(outcome(f, LEDGER_LOST), 1);
	assert_int_equal(samples(f, SAMPLE_LOST_THEN_SERVED)->count, 1);
	assert_int_equal(samples(f, SAMPLE_LOST_THEN_SERVED)->max, 5000);
	assert_balanced(f);
	fixture_free(f);
}

struct watched {
	unsigned n;
	uint64_t published[8], obs[8];
	enum ledger_outcome outcome[8];
};

static void watch_served(void *arg, const struct ledger_stream *stream, const struct ledger_pub *request,
			 uint64_t obs, enum ledger_outcome o)
{
	struct watched *w = arg;

	assert_non_null(stream);
	assert_true(w->n < 8);
	w->published[w->n] = request->published;
	w->obs[w->n] = obs;
	w->outcome[w->n++] = o;
}

/* The watch hears of every served request with its record, and of nothing else. */
static void watch_sees_every_served_request(void **state)
{
	struct fixture *f = fixture_new(8, 0);
	struct watched w = { 0 };
	struct ledger_watch watch = { .served = watch_served, .arg = &w };

	(void)state;
	f->stream.watch = &watch;
	publish(f, 0, 0);
	observe(f, 1, 40);              /* delivered */
	publish(f, 100, 100);
	publish(f, 110, 110);
	observe(f, 3, 400);             /* 2 coalesced, 3 late */
	publish(f, 500, 500);
	expire(f, 500 + LOST_AFTER + 1);
	observe(f, 4, 5000);            /* lost, served after the window: not a served kick */
	publish(f, 6000, 6000);
	ledger__finish(&f->stream);     /* unresolved: never served */
	assert_int_equal(w.n, 3);
	assert_int_equal(w.outcome[0], LEDGER_DELIVERED);
	assert_int_equal(w.published[0], 0);
	assert_int_equal(w.obs[0], 40);
	assert_int_equal(w.outcome[1], LEDGER_COALESCED);
	assert_int_equal(w.published[1], 100);
	assert_int_equal(w.outcome[2], LEDGER_LATE);
	assert_int_equal(w.published[2], 110);
	assert_int_equal(w.obs[2], 400);
	assert_balanced(f);
	fixture_free(f);
}

static void loss_withdrawn_when_observed_inside_the_window(void **state)
{
	struct fixture *f = fixture_new(8, 0);

	(void)state;
	publish(f, 0, 0);
	publish(f, 10, 10);
	assert_int_equal(expire(f, LOST_AFTER + 20), 2);
	/* The observer saw 2 at 500 but its log entry was read only now. */
	observe(f, 2, 500);
	ledger__finish(&f->stream);
	assert_int_equal(outcome(f, LEDGER_LOST), 0);
	assert_int_equal(f->tally.withdrawn, 2);
	assert_int_equal(outcome(f, LEDGER_COALESCED), 1);
	assert_int_equal(outcome(f, LEDGER_LATE), 1);
	assert_balanced(f);
	fixture_free(f);
}

static void interrupted_run_is_unresolved(void **state)
{
	struct fixture *f = fixture_new(8, 0);

	(void)state;
	for (int i = 0; i < 3; i++)
		publish(f, (uint64_t)i * 10, (uint64_t)i * 10);
	observe(f, 1, 15);
	ledger__finish(&f->stream);
	assert_int_equal(outcome(f, LEDGER_DELIVERED), 1);
	assert_int_equal(outcome(f, LEDGER_UNRESOLVED), 2);
	assert_balanced(f);
	fixture_free(f);
}

static void ring_wraps_and_applies_back_pressure(void **state)
{
	struct fixture *f = fixture_new(4, 0);
	uint64_t t = 0;

	(void)state;
	/* Many laps of the ring, one request at a time. */
	for (int i = 0; i < 1000; i++) {
		uint64_t seq = publish(f, t, t);

		observe(f, seq, t + 5);
		t += 10;
	}
	for (int i = 0; i < 4; i++)
		publish(f, t, t);
	assert_false(ledger__can_publish(&f->stream));
	assert_int_equal(expire(f, t + LOST_AFTER + 1), 4);
	assert_true(ledger__can_publish(&f->stream));
	/* A new record pushes out the oldest lost one, never a pending one. */
	publish(f, t + 2000, t + 2000);
	assert_int_equal(f->tally.lost_unserved, 1);
	observe(f, 1005, t + 2050);
	ledger__finish(&f->stream);
	assert_int_equal(outcome(f, LEDGER_DELIVERED), 1001);
	assert_int_equal(outcome(f, LEDGER_LOST), 4);
	assert_int_equal(samples(f, SAMPLE_LOST_THEN_SERVED)->count, 3);
	assert_balanced(f);
	fixture_free(f);
}

static void continues_an_earlier_storm_and_ignores_nonsense(void **state)
{
	struct fixture *f = fixture_new(8, 41);

	(void)state;
	observe(f, 41, 5);     /* the earlier storm's: not ours */
	assert_int_equal(publish(f, 100, 100), 42);
	observe(f, 43, 110);   /* never published */
	assert_int_equal(f->tally.bogus, 1);
	observe(f, 42, 90);    /* TSC skew: before the request */
	assert_int_equal(f->tally.early, 1);
	assert_int_equal(samples(f, SAMPLE_DELIVERED)->max, 0);
	ledger__finish(&f->stream);
	assert_balanced(f);
	fixture_free(f);
}

static void counted_settlement(void **state)
{
	struct ledger_tally t;

	(void)state;
	ledger_tally__init(&t);
	ledger__settle_counted(&t, 10, 4, true, true);
	assert_int_equal(t.outcome[LEDGER_DELIVERED], 4);
	assert_int_equal(t.outcome[LEDGER_COALESCED], 6);
	ledger__settle_counted(&t, 5, 9, false, true);
	assert_int_equal(t.outcome[LEDGER_LOST], 1);
	assert_int_equal(t.outcome[LEDGER_DELIVERED], 8);
	ledger__settle_counted(&t, 7, 3, false, false);
	assert_int_equal(t.outcome[LEDGER_UNRESOLVED], 7);
	assert_int_equal(t.sent, ledger_tally__accounted(&t));
	ledger_tally__release(&t);
}

/* The model: every request kept, decided by the rules read literally. */
enum model_state { M_PENDING, M_LOST, M_DONE };

struct model_req {
	uint64_t intended, published;
	enum model_state state;
	bool served;
};

struct model {
	struct model_req *req;
	uint64_t n, counts[LEDGER_NOUTCOMES], samples;
};

static void model_observe(struct model *m, uint64_t seq, uint64_t obs)
{
	for (uint64_t i = 1; i <= seq; i++) {
		struct model_req *r = &m->req[i];
		int64_t waited = (int64_t)(obs - r->published);

		if (r->served)
			continue;
		r->served = true;
		if (r->state == M_LOST) {
			if (waited > LOST_AFTER)
				continue;
			m->counts[LEDGER_LOST]--;
		}
		r->state = M_DONE;
		m->samples++;
		if (i < seq)
			m->counts[LEDGER_COALESCED]++;
		else
			m->counts[waited <= DEADLINE ? LEDGER_DELIVERED : LEDGER_LATE]++;
	}
}

static void model_expire(struct model *m, uint64_t now)
{
	for (uint64_t i = 1; i <= m->n; i++) {
		if (m->req[i].state == M_PENDING && !m->req[i].served &&
		    (int64_t)(now - m->req[i].published) > LOST_AFTER) {
			m->req[i].state = M_LOST;
			m->counts[LEDGER_LOST]++;
		}
	}
}

static void random_runs_match_the_model(void **state)
{
	(void)state;
	srand(7);
	for (int run = 0; run < 50; run++) {
		struct fixture *f = fixture_new(1024, 0);
		struct model m = { .req = calloc(600, sizeof(struct model_req)) };
		uint64_t now = 0, newest_seen = 0;

		for (int step = 0; step < 2000 && m.n < 500; step++) {
			int op = rand() % 10;

			now += (uint64_t)(rand() % 200);
			if (op < 4 && ledger__can_publish(&f->stream)) {
				uint64_t intended = now - (uint64_t)(rand() % 50);

				m.n = publish(f, intended, now);
				m.req[m.n] = (struct model_req){ .intended = intended, .published = now };
			} else if (op < 7 && m.n > newest_seen) {
				/* Observed a little in the past, as a late-read log entry is. */
				uint64_t seq = newest_seen + 1 + (uint64_t)rand() % (m.n - newest_seen);
				uint64_t obs = now - (uint64_t)(rand() % 300);

				if ((int64_t)(obs - m.req[seq].published) < 0)
					obs = m.req[seq].published;
				observe(f, seq, obs);
				model_observe(&m, seq, obs);
				newest_seen = seq;
			} else {
				uint64_t newly = expire(f, now);
				uint64_t before = m.counts[LEDGER_LOST];

				model_expire(&m, now);
				assert_int_equal(newly, m.counts[LEDGER_LOST] - before);
			}
		}
		ledger__finish(&f->stream);
		for (uint64_t i = 1; i <= m.n; i++)
			if (m.req[i].state == M_PENDING && !m.req[i].served)
				m.counts[LEDGER_UNRESOLVED]++;
		for (int k = 0; k < LEDGER_NOUTCOMES; k++)
			assert_int_equal(outcome(f, (enum ledger_outcome)k), m.counts[k]);
		assert_int_equal(f->tally.sent, m.n);
		assert_balanced(f);
		free(m.req);
		fixture_free(f);
	}
}

/*
 * The target was starved (or the process stopped) for 600 ticks of the
 * window: the request is lost only once the loss window has passed without
 * counting them, and a loss verdict reached before the excuse was known is
 * withdrawn when the observation comes.
 */
static void excused_time_does_not_count(void **state)
{
	struct fixture *f = fixture_new(8, 0);
	struct ledger_pub r = { .intended = 0, .published = 0, .kicked = 10, .excuse = 100 };

	(void)state;
	ledger__publish(&f->stream, &r);
	assert_true(ledger__overdue(&f->stream, LOST_AFTER + 11));
	assert_int_equal(ledger__expire(&f->stream, LOST_AFTER + 500, 700), 0);
	assert_int_equal(ledger__expire(&f->stream, LOST_AFTER + 611, 700), 1);
	assert_int_equal(outcome(f, LEDGER_LOST), 1);
	/* Served at LOST_AFTER + 620, and the target had waited 50 more meanwhile. */
	ledger__observe(&f->stream, 1, LOST_AFTER + 620, 750);
	assert_int_equal(outcome(f, LEDGER_LOST), 0);
	assert_int_equal(f->tally.withdrawn, 1);
	assert_int_equal(outcome(f, LEDGER_LATE), 1);
	ledger__finish(&f->stream);
	assert_balanced(f);
	fixture_free(f);
}

static void tallies_merge(void **state)
{
	struct fixture *a = fixture_new(8, 0), *b = fixture_new(8, 0);

	(void)state;
	publish(a, 0, 0);
	observe(a, 1, 10);
	publish(b, 0, 0);
	ledger__finish(&a->stream);
	ledger__finish(&b->stream);
	ledger_tally__merge(&a->tally, &b->tally);
	assert_int_equal(a->tally.sent, 2);
	assert_int_equal(outcome(a, LEDGER_UNRESOLVED), 1);
	assert_int_equal(samples(a, SAMPLE_DELIVERED)->count, 1);
	assert_balanced(a);
	assert_string_equal(ledger__outcome_name(LEDGER_UNRESOLVED), "unresolved");
	assert_string_equal(ledger__sample_name(SAMPLE_LOST_THEN_SERVED), "lost_then_served");
	fixture_free(a);
	fixture_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(delivered_within_deadline),
		cmocka_unit_test(late_without_rekick),
		cmocka_unit_test(coalesced_requests_keep_their_own_wait),
		cmocka_unit_test(lost_only_after_the_window_then_served),
		cmocka_unit_test(loss_withdrawn_when_observed_inside_the_window),
		cmocka_unit_test(interrupted_run_is_unresolved),
		cmocka_unit_test(ring_wraps_and_applies_back_pressure),
		cmocka_unit_test(continues_an_earlier_storm_and_ignores_nonsense),
		cmocka_unit_test(counted_settlement),
		cmocka_unit_test(random_runs_match_the_model),
		cmocka_unit_test(excused_time_does_not_count),
		cmocka_unit_test(tallies_merge),
		cmocka_unit_test(watch_sees_every_served_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
