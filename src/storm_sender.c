// SPDX-License-Identifier: MIT
/*
 * The sender threads' loops, the storm's hot path: publish, kick, and feed
 * the ledger what the observers saw. Nothing here allocates or locks, and
 * each sender touches only its own data and its targets' mailbox slots.
 */
#include "storm_internal.h"
#include "observation.h"
#include "storm.h"

#include <sched.h>
#include <stdio.h>
#include <unistd.h>

static uint64_t xorshift64(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

static bool storm__aborting(struct storm *st)
{
	return atomic_load_explicit(&st->stop, memory_order_relaxed);
}

/* now: a recent clock__tsc(), so one timestamp serves a whole pass of the loop. */
static bool sender__should_stop(struct storm_sender *s, uint64_t now)
{
	struct storm *st = s->storm;

	if (storm__aborting(st))
		return true;
	if (st->count && s->kicks.sent >= st->count)
		return true;
	return st->end_tsc && (int64_t)(now - st->end_tsc) >= 0;
}

/*
 * Waiting for outstanding requests ends on Ctrl-C or a failed vCPU, and one
 * deadline (at most STORM_END_GRACE_MS) after --duration: what is still
 * pending then is unresolved.
 */
static bool sender__give_up(struct storm_sender *s, uint64_t now)
{
	struct storm *st = s->storm;

	if (storm__aborting(st))
		return true;
	return st->end_tsc && (int64_t)(now - st->end_tsc) > (int64_t)st->end_grace;
}

static void sender__count_kick_error(struct storm_sender *s, int ret)
{
	if (ret < 0 && !s->kicks.failed++)
		s->first_kick_error = -ret;
}

/* Kicks t again for its newest request, after the ledger declared requests lost. */
static void sender__rekick(struct storm_sender *s, struct storm_target *t, uint64_t now)
{
	struct storm *st = s->storm;

	sender__count_kick_error(s, st->kick->kick(st->state, s->id, t->vcpu, t->stream.published));
	s->kicks.rekicks++;
	t->last_kick = now;
}

/*
 * Publishes the next request and kicks. The release store orders our earlier
 * writes before the sequence for the observer's acquire; the kick (a
 * syscall) orders the store before anything the target does because of it.
 * The request's time is taken just before the kick, and its record written
 * after it, before this thread reads any observation. intended is the
 * schedule's time (open loop), or 0 for "the kick's own". Returns the TSC
 * after the kick.
 */
static uint64_t sender__publish(struct storm_sender *s, struct storm_target *t, uint64_t intended)
{
	struct storm *st = s->storm;
	uint64_t seq = t->stream.published + 1, before, after;

	__atomic_store_n(&t->slot->pub_seq, seq, __ATOMIC_RELEASE);
	before = clock__tsc();
	sender__count_kick_error(s, st->kick->kick(st->state, s->id, t->vcpu, seq));
	after = clock__tsc();
	if (after - before > st->stall_ticks) {
		s->stalls++;
		s->stall_max = after - before > s->stall_max ? after - before : s->stall_max;
	}
	ledger__publish(&t->stream, &(struct ledger_pub){
		.intended = intended ? intended : before, .published = before, .kicked = after,
		.excuse = atomic_load_explicit(&t->vcpu->excuse_ticks, memory_order_relaxed),
	});
	t->last_kick = before;
	s->kicks.sent++;
	atomic_store_explicit(&s->progress, s->kicks.sent, memory_order_relaxed);
	return after;
}

/* Guest TSC = host TSC + KVM_VCPU_TSC_OFFSET (checked unmoved after the storm). */
static void sender__observe(struct storm_sender *s, struct storm_target *t, uint64_t seq,
			    uint64_t obs_tsc)
{
	ledger__observe(&t->stream, seq, s->storm->guest_tsc ? obs_tsc - t->vcpu->tsc_offset : obs_tsc,
			atomic_load_explicit(&t->vcpu->excuse_ticks, memory_order_relaxed));
}

/*
 * A request served by its own observation is a kick the tracer can follow
 * from the sender's syscall to the target. A coalesced one shares the
 * observation of a newer request, so it has no end of its own to explain.
 */
void sender__log_served(void *arg, const struct ledger_stream *stream, const struct ledger_pub *request,
			uint64_t obs, enum ledger_outcome o)
{
	struct storm_target *t = arg;
	struct storm_sender *s = t->sender;
	const struct storm_kick *kick = s->storm->kick;

	(void)stream;
	if (o == LEDGER_COALESCED)
		return;
	kick_log__add(&s->log, &(struct trace_kick){
		.kick_tsc = request->published, .observed_tsc = obs,
		.sender_tid = s->tid, .sender_vcpu = -1,
		.target_tid = t->vcpu->tid, .target_vcpu = t->vcpu->id,
		.vector = kick->is_interrupt ? REQ_VECTOR(s->id) : 0, .kind = kick->trace_kind,
		.latency_ns = obs > request->published ?
			(uint64_t)clock__ticks_to_ns(s->storm->engine->ctx->clock, obs - request->published) : 0,
	});
}

/*
 * What waited past the loss window by the clock is lost only if it did
 * also once the target's excuse is taken off: read fresh, rarely.
 */
static uint64_t sender__expire(struct storm_sender *s, struct storm_target *t, uint64_t now)
{
	if (!ledger__overdue(&t->stream, now))
		return 0;
	return ledger__expire(&t->stream, now, engine__excuse_now(s->storm->engine, t->vcpu));
}

static void sender__wait_step(struct storm_sender *s)
{
	if (s->storm->yield)
		sched_yield();
	else
		clock__relax();
}

/*
 * Closed loop: waits until t's newest request is served. Declared lost, it
 * is kicked again and waited for one more loss window, so that its whole
 * wait is timed when it does come; then the loop goes on without it.
 */
static void sender__await(struct storm_sender *s, struct storm_target *t)
{
	uint64_t seq = t->stream.published, lost_at = 0, now, obs_seq, obs_tsc;
	const struct ledger_rules *rules = &s->storm->rules;

	while (t->stream.served < seq && !sender__give_up(s, now = clock__tsc())) {
		if (observation__read_newest(t->slot, &obs_seq, &obs_tsc) && obs_seq > t->stream.served) {
			sender__observe(s, t, obs_seq, obs_tsc);
			continue;
		}
		if (sender__expire(s, t, now)) {
			lost_at = now;
			sender__rekick(s, t, now);
		} else if (lost_at && now - lost_at > rules->lost_after) {
			return;
		}
		sender__wait_step(s);
	}
}

static void sender__pick(struct storm_sender *s, unsigned *first, unsigned *n)
{
	switch (s->storm->cfg->pattern) {
	case PATTERN_ONE_TO_ALL:
		*first = 0;
		*n = s->ntargets;
		break;
	case PATTERN_ALL_TO_ALL:
		*first = s->next_target;
		*n = 1;
		s->next_target = (s->next_target + 1) % s->ntargets;
		break;
	default:
		*first = 0;
		*n = 1;
	}
}

static void sender__closed_loop(struct storm_sender *s)
{
	struct storm *st = s->storm;

	while (!sender__should_stop(s, clock__tsc())) {
		unsigned first, n;

		sender__pick(s, &first, &n);
		for (unsigned k = 0; k < n; k++)
			sender__publish(s, &s->targets[first + k], 0);
		for (unsigned k = 0; k < n; k++)
			sender__await(s, &s->targets[first + k]);
		if (st->gap_ticks)
			clock__spin(xorshift64(&s->rng) % (st->gap_ticks + 1));
	}
}

/*
 * Open loop: accounts for every observation t's observer logged since the
 * last look, oldest first, then lets the ledger expire what waited past the
 * loss window, and kicks t again if it did.
 */
static void sender__collect(struct storm_sender *s, struct storm_target *t, uint64_t now)
{
	uint64_t logged = __atomic_load_n(&t->slot->obs_count, __ATOMIC_ACQUIRE);

	/* STORM_COLLECT_EVERY rules this out; counted, so that a report would show it. */
	if (logged - t->obs_read > MB_OBS_RING) {
		s->log_overruns += logged - t->obs_read - MB_OBS_RING;
		t->obs_read = logged - MB_OBS_RING;
	}
	for (; t->obs_read != logged; t->obs_read++) {
		const struct mb_obs *o = &t->slot->obs_ring[t->obs_read & (MB_OBS_RING - 1)];

		sender__observe(s, t, __atomic_load_n(&o->seq, __ATOMIC_RELAXED),
				__atomic_load_n(&o->tsc, __ATOMIC_RELAXED));
	}
	if (sender__expire(s, t, now))
		sender__rekick(s, t, now);
}

static void sender__collect_all(struct storm_sender *s, uint64_t now)
{
	for (unsigned i = 0; i < s->ntargets; i++)
		sender__collect(s, &s->targets[i], now);
}

static bool sender__pending(struct storm_sender *s)
{
	for (unsigned i = 0; i < s->ntargets; i++)
		if (ledger__pending(&s->targets[i].stream))
			return true;
	return false;
}

/*
 * Open loop: t has as many requests pending as the ledger keeps records
 * for. The schedule does not wait, so the time spent here shows as latency.
 */
static bool sender__make_room(struct storm_sender *s, struct storm_target *t)
{
	uint64_t now;

	while (!ledger__can_publish(&t->stream)) {
		if (sender__give_up(s, now = clock__tsc()))
			return false;
		sender__collect(s, t, now);
		sender__wait_step(s);
	}
	return true;
}

/* One burst of the open loop; false when the storm is over. */
static bool sender__burst(struct storm_sender *s, uint64_t intended, uint64_t *now,
			  unsigned *unread)
{
	struct storm *st = s->storm;

	for (unsigned b = 0; b < st->cfg->burst; b++) {
		unsigned first, n;

		if (b && sender__should_stop(s, *now))
			return true;
		sender__pick(s, &first, &n);
		for (unsigned k = 0; k < n; k++) {
			struct storm_target *t = &s->targets[first + k];

			if (!ledger__can_publish(&t->stream) && !sender__make_room(s, t))
				return false;
			*now = sender__publish(s, t, intended);
		}
		if (++*unread == STORM_COLLECT_EVERY) {
			sender__collect_all(s, *now);
			*unread = 0;
		}
	}
	return true;
}

/*
 * Ahead of its schedule, the sender reads the observers' logs on every pass
 * and pauses; behind it, it kicks back to back and reads them every
 * STORM_COLLECT_EVERY kicks per target. The timestamp after each kick is the
 * next pass's clock, so the deadline checks run late, never early.
 */
static void sender__open_loop(struct storm_sender *s)
{
	struct storm *st = s->storm;
	uint64_t next = clock__tsc(), now = next;
	unsigned unread = 0;        /* kicks per target since the last read */

	while (!sender__should_stop(s, now)) {
		if ((int64_t)(now - next) >= 0) {
			if (!sender__burst(s, next, &now, &unread))
				break;
			/* Coordinated omission: the schedule never slips, so a stalled sender shows as latency. */
			next += st->interval_ticks;
		}
		if ((int64_t)(now - next) < 0) {
			sender__collect_all(s, now);
			unread = 0;
			sender__wait_step(s);
		} else if (st->yield) {
			/* Overcommitted: let the vCPU that shares our CPU take the kicks. */
			sender__wait_step(s);
		}
		now = clock__tsc();
	}
	/* Let the last requests land, or become lost, or run out of time. */
	while (sender__pending(s) && !sender__give_up(s, now = clock__tsc())) {
		sender__collect_all(s, now);
		sender__wait_step(s);
	}
	sender__collect_all(s, clock__tsc());
}

void *sender__thread(void *arg)
{
	struct storm_sender *s = arg;
	struct storm *st = s->storm;
	char name[16];

	snprintf(name, sizeof(name), "ks-sender-%u", s->id);
	pthread_setname_np(pthread_self(), name);
	s->tid = (int)gettid();
	if (s->cpu >= 0) {
		int ret = topology__bind_self(st->engine->ctx->topo, s->cpu);

		s->bind_error = ret < 0 ? -ret : 0;
	}
	cpu_trace__sample(&s->ran_on);
	s->sched_before = schedstat__read(s->tid);
	if (st->cfg->rate_hz)
		sender__open_loop(s);
	else
		sender__closed_loop(s);
	s->sched_after = schedstat__read(s->tid);
	cpu_trace__sample(&s->ran_on);
	atomic_store_explicit(&s->done, true, memory_order_release);
	sem_post(&st->finished);
	return NULL;
}

