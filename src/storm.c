// SPDX-License-Identifier: MIT
#include "storm.h"
#include "engine.h"
#include "scenario.h"
#include "mailbox.h"
#include "monitor.h"
#include "observation.h"
#include "schedstat.h"

#include <errno.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Per sender, records of pending requests kept over all its targets: 1 MiB. */
#define STORM_RECORDS_PER_SENDER (1u << 16)
#define STORM_RECORDS_MIN 64
#define STORM_RECORDS_MAX 4096
/*
 * Open loop: a sender that is behind its schedule reads the observers' logs
 * once every this many kicks per target instead of after each one. Between
 * two reads an observer logs at most one entry per kick plus one for a
 * re-kick, so the log never wraps past an unread entry.
 */
#define STORM_COLLECT_EVERY 16
/* The controller looks at Ctrl-C, failed vCPUs and progress this often (ms). */
#define STORM_MONITOR_MS 20
/*
 * A kick syscall that takes longer than this was not just slow: the sender
 * was descheduled inside it, and the request's wait includes that.
 */
#define STORM_STALL_NS 100000
_Static_assert(STORM_COLLECT_EVERY + 1 <= MB_OBS_RING, "the observation log outlasts a batch");

struct storm_target {
	struct vcpu *vcpu;
	struct mb_slot *slot;
	struct ledger_stream stream;
	uint64_t obs_read;          /* observer's log entries read */
	uint64_t last_kick;         /* TSC of the newest kick or re-kick */
};

struct storm;

struct storm_sender {
	struct storm *storm;
	unsigned id;
	int cpu;
	int bind_error;
	int tid;
	pthread_t thread;
	bool started;
	unsigned ntargets;
	struct storm_target *targets;
	unsigned next_target;
	uint64_t rng;
	struct ledger_tally tally;
	struct kick_counts kicks;
	int first_kick_error;
	uint64_t stalls, stall_max;     /* ticks */
	uint64_t log_overruns;
	struct sched_sample sched_before, sched_after;
	struct cpu_trace ran_on;
	KS_ALIGNED_CACHELINE _Atomic uint64_t progress;
	atomic_bool done;
};

struct storm {
	struct engine *engine;
	const struct storm_kick *kick;
	void *state;                /* the scenario's, for its kick */
	bool guest_tsc;             /* observations are guest TSC */
	const struct ks_config *cfg;
	struct ledger_rules rules;
	unsigned nsenders;
	struct storm_sender **senders;
	uint64_t count;             /* per sender, 0 = unbounded */
	uint64_t end_tsc;           /* 0 = unbounded */
	uint64_t gap_ticks;
	uint64_t interval_ticks;    /* open loop: between bursts */
	uint64_t stall_ticks;
	uint64_t end_grace;         /* ticks after end_tsc that outstanding requests may take */
	bool yield;                 /* overcommitted: spinning would starve the vCPU we wait for */
	sem_t finished;             /* posted by each sender as it ends */
	KS_ALIGNED_CACHELINE atomic_bool stop;
};

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
	ledger__publish(&t->stream, intended ? intended : before, before);
	t->last_kick = before;
	s->kicks.sent++;
	atomic_store_explicit(&s->progress, s->kicks.sent, memory_order_relaxed);
	return after;
}

/* Guest TSC = host TSC + KVM_VCPU_TSC_OFFSET (checked unmoved after the storm). */
static void sender__observe(struct storm_sender *s, struct storm_target *t, uint64_t seq,
			    uint64_t obs_tsc)
{
	ledger__observe(&t->stream, seq, s->storm->guest_tsc ? obs_tsc - t->vcpu->tsc_offset : obs_tsc);
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
		if (ledger__expire(&t->stream, now)) {
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
	if (ledger__expire(&t->stream, now))
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

static void *sender__thread(void *arg)
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

/* Records a sender keeps per target: enough for its rate, within a budget. */
static unsigned sender__records(const struct storm *st, unsigned ntargets)
{
	unsigned n = STORM_RECORDS_MAX;

	if (!st->cfg->rate_hz)
		return STORM_RECORDS_MIN;
	while (n > STORM_RECORDS_MIN && (uint64_t)n * ntargets > STORM_RECORDS_PER_SENDER)
		n /= 2;
	return n;
}

static struct storm_sender *sender__create(struct storm *st, unsigned id)
{
	struct engine *e = st->engine;
	unsigned nvcpus = e->vm.nvcpus;
	struct storm_sender *s = ks_aligned_zalloc(KS_CACHELINE, sizeof(*s));

	s->storm = st;
	s->id = id;
	s->cpu = e->ctx->plan.sender_cpu[id];
	s->rng = (st->cfg->seed ^ (0x9e3779b97f4a7c15ull * (id + 1))) | 1;
	ledger_tally__init(&s->tally);
	atomic_init(&s->progress, 0);
	atomic_init(&s->done, false);
	s->ntargets = st->cfg->pattern == PATTERN_ONE_TO_ONE ? 1 : nvcpus;
	s->targets = ks_zalloc(s->ntargets * sizeof(*s->targets));
	for (unsigned i = 0; i < s->ntargets; i++) {
		struct storm_target *t = &s->targets[i];
		unsigned v = st->cfg->pattern == PATTERN_ONE_TO_ONE ? id % nvcpus : i;

		t->vcpu = &e->vm.vcpus[v];
		t->slot = &t->vcpu->mb->slot[id];
		/*
		 * Go on from the slot's sequence: zero on a fresh VM, the last
		 * one sent when a storm follows another on the same VM. Whatever
		 * the observer reports up to it belongs to the earlier storm.
		 */
		ledger_stream__init(&t->stream, &st->rules, &s->tally, sender__records(st, s->ntargets),
				    __atomic_load_n(&t->slot->pub_seq, __ATOMIC_RELAXED));
		t->obs_read = __atomic_load_n(&t->slot->obs_count, __ATOMIC_ACQUIRE);
	}
	return s;
}

static void sender__destroy(struct storm_sender *s)
{
	for (unsigned i = 0; i < s->ntargets; i++)
		ledger_stream__release(&s->targets[i].stream);
	free(s->targets);
	ledger_tally__release(&s->tally);
	free(s);
}

static json_t *sender__placement(const struct storm_sender *s)
{
	json_t *targets = json_array();

	for (unsigned i = 0; i < s->ntargets; i++)
		json_array_append_new(targets, json_integer(s->targets[i].vcpu->id));
	json_t *o = json_pack("{s:i, s:o, s:o, s:o, s:o}", "sender", (int)s->id,
			      "thread", json_sprintf("ks-sender-%u", s->id),
			      "bound_cpu", s->cpu >= 0 ? json_integer(s->cpu) : json_null(),
			      "ran_on", cpu_trace__to_json(&s->ran_on), "targets", targets);
	if (s->bind_error)
		json_object_set_new(o, "bind_error", json_string(strerror(s->bind_error)));
	return o;
}

static void storm__configure(struct storm *st)
{
	const struct ks_config *cfg = st->cfg;
	struct tsc_clock *clock = st->engine->ctx->clock;

	st->nsenders = cfg->senders;
	st->count = cfg->count;
	st->rules.deadline = clock__ns_to_ticks(clock, (uint64_t)cfg->deadline_ms * 1000000ull);
	st->rules.lost_after = clock__ns_to_ticks(clock, (uint64_t)cfg->lost_after_ms * 1000000ull);
	st->gap_ticks = clock__ns_to_ticks(clock, cfg->gap_ns);
	st->stall_ticks = clock__ns_to_ticks(clock, STORM_STALL_NS);
	st->end_grace = clock__ns_to_ticks(clock, (uint64_t)(cfg->deadline_ms < MONITOR_END_GRACE_MS ?
							     cfg->deadline_ms : MONITOR_END_GRACE_MS) * 1000000ull);
	if (cfg->rate_hz)
		st->interval_ticks = clock__ns_to_ticks(clock, cfg->burst * 1000000000ull / cfg->rate_hz);
	st->yield = st->engine->ctx->plan.overcommit;
	sem_init(&st->finished, 0, 0);
	atomic_init(&st->stop, false);
}

/* The monitor's look: how many requests went out, and whether every sender ended. */
static bool storm__poll(void *arg, uint64_t *sent)
{
	struct storm *st = arg;
	bool all_done = true;

	*sent = 0;
	for (unsigned i = 0; i < st->nsenders; i++) {
		*sent += atomic_load_explicit(&st->senders[i]->progress, memory_order_relaxed);
		all_done &= atomic_load_explicit(&st->senders[i]->done, memory_order_acquire);
	}
	return all_done;
}

/* The senders keep --duration themselves; only an abort is news to them. */
static void storm__stop(void *arg, enum monitor_stop how)
{
	struct storm *st = arg;

	if (how == MONITOR_ABORT)
		atomic_store_explicit(&st->stop, true, memory_order_relaxed);
}

/* Merges the senders' ledgers and kicks into res; every stream is finished first. */
static void storm__collect(struct storm *st, struct scenario_result *res, struct storm_summary *sum)
{
	uint64_t log_overruns = 0, stall_max = 0;
	int first_error = 0;

	sum->senders = json_array();
	sum->threads = json_array();
	sum->stall_threshold_ns = STORM_STALL_NS;
	for (unsigned i = 0; i < st->nsenders; i++) {
		struct storm_sender *s = st->senders[i];

		for (unsigned k = 0; k < s->ntargets; k++)
			ledger__finish(&s->targets[k].stream);
		ledger_tally__merge(&res->tally, &s->tally);
		res->kicks.sent += s->kicks.sent;
		res->kicks.rekicks += s->kicks.rekicks;
		res->kicks.failed += s->kicks.failed;
		log_overruns += s->log_overruns;
		sum->stalls += s->stalls;
		stall_max = s->stall_max > stall_max ? s->stall_max : stall_max;
		if (!first_error)
			first_error = s->first_kick_error;
		json_array_append_new(sum->senders, sender__placement(s));
		json_array_append_new(sum->threads, engine__thread_wait_json(
			"ks-sender", s->id, s->tid, schedstat__delta(s->sched_before, s->sched_after)));
	}
	sum->stall_max_ns = clock__ticks_to_ns(st->engine->ctx->clock, stall_max);
	if (res->kicks.failed && !res->error[0])
		snprintf(res->error, sizeof(res->error), "%llu %s kicks failed: %s",
			 (unsigned long long)res->kicks.failed, st->kick->name, strerror(first_error));
	res->latency = ledger_tally__served(&res->tally);
	res->extra = json_pack("{s:s, s:I}", "kick", st->kick->name,
			       "observations_overwritten", (json_int_t)log_overruns);
}

int storm__run(struct scenario_run *run)
{
	struct engine *e = run->engine;
	struct storm st = {
		.engine = e, .kick = run->sc->kick, .state = run->state, .cfg = e->ctx->cfg,
		.guest_tsc = run->sc->flags & SCENARIO_GUEST_TSC,
	};
	struct monitor_ops mon = {
		.period_ms = STORM_MONITOR_MS, .wake = &st.finished, .poll = storm__poll,
		.stop = storm__stop, .arg = &st,
	};
	int ret = 0;

	storm__configure(&st);
	mon.total = st.count * st.nsenders;
	st.senders = ks_zalloc(st.nsenders * sizeof(*st.senders));
	for (unsigned i = 0; i < st.nsenders; i++)
		st.senders[i] = sender__create(&st, i);
	if (e->ctx->cfg->duration_s > 0)
		st.end_tsc = clock__tsc() + clock__ns_to_ticks(e->ctx->clock,
							       (uint64_t)(e->ctx->cfg->duration_s * 1e9));
	for (unsigned i = 0; i < st.nsenders; i++) {
		int err = pthread_create(&st.senders[i]->thread, NULL, sender__thread, st.senders[i]);

		if (err) {
			ks_error_errno(err, "cannot start sender thread %u", i);
			atomic_store(&st.stop, true);
			for (unsigned j = i; j < st.nsenders; j++)
				atomic_store(&st.senders[j]->done, true);
			ret = -1;
			break;
		}
		st.senders[i]->started = true;
	}
	monitor__run(run, &mon);
	for (unsigned i = 0; i < st.nsenders; i++)
		if (st.senders[i]->started)
			pthread_join(st.senders[i]->thread, NULL);
	storm__collect(&st, run->res, &run->summary);
	for (unsigned i = 0; i < st.nsenders; i++)
		sender__destroy(st.senders[i]);
	free(st.senders);
	sem_destroy(&st.finished);
	return run->res->error[0] ? -1 : ret;
}
