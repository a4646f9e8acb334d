// SPDX-License-Identifier: MIT
#include "storm.h"
#include "mailbox.h"

#include <errno.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Open loop: publication times of the last STORM_RING requests per target. */
#define STORM_RING 4096
#define STORM_RING_MASK (STORM_RING - 1)
#define STORM_SEQLOCK_RETRIES 1000
/*
 * Open loop: a sender that is behind its schedule reads the observers' logs
 * once every this many kicks per target instead of after each one. Between
 * two reads an observer logs at most one entry per kick plus one for the
 * re-kick of the read before, so the log never wraps past an unread entry.
 */
#define STORM_COLLECT_EVERY 16
/* The controller looks at Ctrl-C, failed vCPUs and progress this often (ms). */
#define STORM_MONITOR_MS 20
_Static_assert(STORM_COLLECT_EVERY + 1 <= MB_OBS_RING, "the observation log outlasts a batch");

struct storm_pub {
	uint64_t intended;          /* schedule time: latency is measured from here */
	uint64_t published;         /* actual time: the deadline runs from here */
};

struct storm_target {
	struct vcpu *vcpu;
	struct mb_slot *slot;
	uint64_t seq;               /* newest published */
	uint64_t acked;             /* newest observed and accounted */
	uint64_t lost_upto;         /* sequences up to here were counted lost */
	uint64_t obs_read;          /* observer's log entries read */
	struct storm_pub *ring;
};

struct storm;

struct storm_sender {
	struct storm *storm;
	unsigned id;
	int cpu;
	int bind_error;
	pthread_t thread;
	bool started;
	unsigned ntargets;
	struct storm_target *targets;
	unsigned next_target;
	uint64_t rng;
	uint64_t sent, delivered, coalesced, lost, rekicks, kick_errors, clock_skew, log_overruns;
	int first_kick_error;
	struct cpu_trace ran_on;
	KS_ALIGNED_CACHELINE _Atomic uint64_t progress;
	atomic_bool done;
	KS_ALIGNED_CACHELINE struct histogram hist;
};

struct storm {
	struct engine *engine;
	const struct storm_ops *ops;
	const struct ks_config *cfg;
	unsigned nsenders;
	struct storm_sender **senders;
	uint64_t count;             /* per sender, 0 = unbounded */
	uint64_t end_tsc;           /* 0 = unbounded */
	uint64_t deadline_ticks;
	uint64_t gap_ticks;
	uint64_t interval_ticks;    /* open loop: between bursts */
	bool yield;                 /* overcommitted: spinning would starve the vCPU we wait for */
	sem_t finished;             /* posted by each sender as it ends */
	KS_ALIGNED_CACHELINE atomic_bool stop;
};

uint64_t storm__host_tsc(void *arg, const struct vcpu *target, uint64_t obs_tsc)
{
	(void)arg;
	(void)target;
	return obs_tsc;
}

uint64_t storm__guest_to_host_tsc(void *arg, const struct vcpu *target, uint64_t obs_tsc)
{
	(void)arg;
	return obs_tsc - target->tsc_offset;
}

/*
 * The vCPU thread's look at its requests, between two KVM_RUNs. Pairs with
 * the release store in sender__publish: seeing a sequence means seeing
 * everything the sender wrote before it.
 */
void storm__observe_slots(struct vcpu *vcpu)
{
	uint64_t slots = vcpu->observed_slots;

	while (slots) {
		unsigned k = (unsigned)__builtin_ctzll(slots);
		struct mb_slot *slot = &vcpu->mb->slot[k];
		uint64_t seq = __atomic_load_n(&slot->pub_seq, __ATOMIC_ACQUIRE);

		slots &= slots - 1;
		if (seq == vcpu->last_seen[k])
			continue;
		vcpu->last_seen[k] = seq;
		/* Same seqlock and log as the guest handler (mailbox.h). */
		uint64_t tsc = clock__tsc_ordered(), n = slot->obs_count;
		struct mb_obs *entry = &slot->obs_ring[n & (MB_OBS_RING - 1)];

		__atomic_store_n(&slot->obs_gen, slot->obs_gen + 1, __ATOMIC_RELAXED);
		atomic_thread_fence(memory_order_release);
		__atomic_store_n(&slot->obs_tsc, tsc, __ATOMIC_RELAXED);
		__atomic_store_n(&slot->obs_seq, seq, __ATOMIC_RELAXED);
		__atomic_store_n(&slot->obs_gen, slot->obs_gen + 1, __ATOMIC_RELEASE);
		__atomic_store_n(&entry->seq, seq, __ATOMIC_RELAXED);
		__atomic_store_n(&entry->tsc, tsc, __ATOMIC_RELAXED);
		__atomic_store_n(&slot->obs_count, n + 1, __ATOMIC_RELEASE);
	}
}

static bool read_observation(struct mb_slot *slot, uint64_t *seq, uint64_t *tsc)
{
	for (int i = 0; i < STORM_SEQLOCK_RETRIES; i++) {
		uint64_t g1 = __atomic_load_n(&slot->obs_gen, __ATOMIC_ACQUIRE);

		if (g1 & 1) {
			clock__relax();
			continue;
		}
		*seq = __atomic_load_n(&slot->obs_seq, __ATOMIC_RELAXED);
		*tsc = __atomic_load_n(&slot->obs_tsc, __ATOMIC_RELAXED);
		atomic_thread_fence(memory_order_acquire);
		if (__atomic_load_n(&slot->obs_gen, __ATOMIC_RELAXED) == g1)
			return true;
	}
	return false;
}

static uint64_t xorshift64(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

/* now: a recent clock__tsc(), so one timestamp serves a whole pass of the loop. */
static bool sender__should_stop(struct storm_sender *s, uint64_t now)
{
	struct storm *st = s->storm;

	if (atomic_load_explicit(&st->stop, memory_order_relaxed))
		return true;
	if (st->count && s->sent >= st->count)
		return true;
	return st->end_tsc && now >= st->end_tsc;
}

static void sender__kick(struct storm_sender *s, struct storm_target *t)
{
	struct storm *st = s->storm;
	int ret = st->ops->kick(st->ops->arg, s->id, t->vcpu);

	if (ret < 0 && !s->kick_errors++)
		s->first_kick_error = -ret;
}

/*
 * Publishes the next request, then kicks. The kick (a syscall) orders the
 * store before anything the target does because of it; the release store
 * orders our earlier writes before the sequence for the observer's acquire.
 * intended is when the schedule wanted it, published when it happens.
 */
static void sender__publish(struct storm_sender *s, struct storm_target *t, uint64_t intended,
			    uint64_t published)
{
	t->seq++;
	if (t->ring) {
		t->ring[t->seq & STORM_RING_MASK].intended = intended;
		t->ring[t->seq & STORM_RING_MASK].published = published;
	}
	__atomic_store_n(&t->slot->pub_seq, t->seq, __ATOMIC_RELEASE);
	sender__kick(s, t);
	s->sent++;
	atomic_store_explicit(&s->progress, s->sent, memory_order_relaxed);
}

static void sender__record(struct storm_sender *s, struct storm_target *t,
			   uint64_t obs_tsc, uint64_t since)
{
	struct storm *st = s->storm;
	uint64_t host = st->ops->to_host_tsc(st->ops->arg, t->vcpu, obs_tsc);

	/* A few ticks of cross-CPU TSC skew can put the observation "before" the send. */
	if ((int64_t)(host - since) < 0) {
		s->clock_skew++;
		host = since;
	}
	histogram__record(&s->hist, host - since);
}

static bool storm__aborting(struct storm *st)
{
	return atomic_load_explicit(&st->stop, memory_order_relaxed);
}

static void sender__wait_step(struct storm_sender *s)
{
	if (s->storm->yield)
		sched_yield();
	else
		clock__relax();
}

/* Closed loop: waits for t's newest request, re-kicking it every deadline once it is lost. */
static void sender__await(struct storm_sender *s, struct storm_target *t, uint64_t pub_tsc)
{
	struct storm *st = s->storm;
	uint64_t deadline = pub_tsc + st->deadline_ticks;
	uint64_t seq, tsc;

	while (!storm__aborting(st)) {
		if (read_observation(t->slot, &seq, &tsc) && seq == t->seq) {
			if (t->lost_upto < t->seq) {
				sender__record(s, t, tsc, pub_tsc);
				s->delivered++;
			}
			t->acked = seq;
			return;
		}
		uint64_t now = clock__tsc();

		if (now > deadline) {
			if (t->lost_upto < t->seq) {
				s->lost++;
				t->lost_upto = t->seq;
			}
			s->rekicks++;
			sender__kick(s, t);
			deadline = now + st->deadline_ticks;
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
	uint64_t pub_tsc[KS_MAX_VCPUS];

	while (!sender__should_stop(s, clock__tsc())) {
		unsigned first, n;

		sender__pick(s, &first, &n);
		for (unsigned k = 0; k < n; k++) {
			pub_tsc[k] = clock__tsc();
			sender__publish(s, &s->targets[first + k], pub_tsc[k], pub_tsc[k]);
		}
		for (unsigned k = 0; k < n; k++)
			sender__await(s, &s->targets[first + k], pub_tsc[k]);
		if (st->gap_ticks)
			clock__spin(xorshift64(&s->rng) % (st->gap_ticks + 1));
	}
}

/* Open loop: the newest of t's sequences that is delivered, coalesced or lost. */
static uint64_t target__resolved(const struct storm_target *t)
{
	return t->acked > t->lost_upto ? t->acked : t->lost_upto;
}

/* Open loop: one observation of t, seq seen at obs_tsc. */
static void sender__account(struct storm_sender *s, struct storm_target *t, uint64_t seq,
			    uint64_t obs_tsc)
{
	uint64_t base = target__resolved(t);

	/* Older than what is accounted (a repeat, or a request already counted lost)? */
	if (seq <= t->acked || seq > t->seq)
		return;
	if (seq > base) {
		s->delivered++;
		s->coalesced += seq - base - 1;
		if (t->seq - seq < STORM_RING)
			sender__record(s, t, obs_tsc, t->ring[seq & STORM_RING_MASK].intended);
	}
	t->acked = seq;
}

/*
 * Open loop: accounts for every observation t's observer logged since the
 * last look, oldest first, then counts the requests whose deadline passed
 * unobserved as lost and kicks t again.
 */
static void sender__collect(struct storm_sender *s, struct storm_target *t, uint64_t now)
{
	struct storm *st = s->storm;
	uint64_t logged = __atomic_load_n(&t->slot->obs_count, __ATOMIC_ACQUIRE), base;

	/* STORM_COLLECT_EVERY rules this out; counted, so that a report would show it. */
	if (logged - t->obs_read > MB_OBS_RING) {
		s->log_overruns += logged - t->obs_read - MB_OBS_RING;
		t->obs_read = logged - MB_OBS_RING;
	}
	for (; t->obs_read != logged; t->obs_read++) {
		const struct mb_obs *o = &t->slot->obs_ring[t->obs_read & (MB_OBS_RING - 1)];

		sender__account(s, t, __atomic_load_n(&o->seq, __ATOMIC_RELAXED),
				__atomic_load_n(&o->tsc, __ATOMIC_RELAXED));
	}
	base = target__resolved(t);
	if (t->seq == base)
		return;

	uint64_t oldest = base + 1, s_ = oldest;

	while (s_ <= t->seq && (t->seq - s_ >= STORM_RING ||
				(int64_t)(now - t->ring[s_ & STORM_RING_MASK].published) >
				(int64_t)st->deadline_ticks))
		s_++;
	if (s_ == oldest)
		return;
	s->lost += s_ - oldest;
	t->lost_upto = s_ - 1;
	s->rekicks++;
	sender__kick(s, t);
}

static void sender__collect_all(struct storm_sender *s, uint64_t now)
{
	for (unsigned i = 0; i < s->ntargets; i++)
		sender__collect(s, &s->targets[i], now);
}

static bool sender__pending(struct storm_sender *s)
{
	for (unsigned i = 0; i < s->ntargets; i++) {
		struct storm_target *t = &s->targets[i];

		if (t->seq > target__resolved(t))
			return true;
	}
	return false;
}

/*
 * Ahead of its schedule, the sender reads the observers' logs on every pass
 * and pauses; behind it, it kicks back to back and reads them every
 * STORM_COLLECT_EVERY kicks per target, so that a saturated pass costs one
 * timestamp and the kicks. Each pass's timestamp is taken before its kicks,
 * so the deadline checks in sender__collect run late, never early.
 */
static void sender__open_loop(struct storm_sender *s)
{
	struct storm *st = s->storm;
	uint64_t next = clock__tsc(), now;
	unsigned unread = 0;        /* kicks per target since the last read */

	while (!sender__should_stop(s, now = clock__tsc())) {
		if ((int64_t)(now - next) >= 0) {
			for (unsigned b = 0; b < st->cfg->burst; b++) {
				unsigned first, n;

				if (b && sender__should_stop(s, now = clock__tsc()))
					break;
				sender__pick(s, &first, &n);
				for (unsigned k = 0; k < n; k++)
					sender__publish(s, &s->targets[first + k], next,
							k ? clock__tsc() : now);
				if (++unread == STORM_COLLECT_EVERY) {
					sender__collect_all(s, now);
					unread = 0;
				}
			}
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
	}
	/* Let the last requests land or time out. */
	while (sender__pending(s) && !storm__aborting(st)) {
		sender__collect_all(s, clock__tsc());
		sender__wait_step(s);
	}
}

static void *sender__thread(void *arg)
{
	struct storm_sender *s = arg;
	struct storm *st = s->storm;
	char name[16];

	snprintf(name, sizeof(name), "ks-sender-%u", s->id);
	pthread_setname_np(pthread_self(), name);
	if (s->cpu >= 0) {
		int ret = topology__bind_self(st->engine->ctx->topo, s->cpu);

		s->bind_error = ret < 0 ? -ret : 0;
	}
	cpu_trace__sample(&s->ran_on);
	if (st->cfg->rate_hz)
		sender__open_loop(s);
	else
		sender__closed_loop(s);
	cpu_trace__sample(&s->ran_on);
	atomic_store_explicit(&s->done, true, memory_order_release);
	sem_post(&st->finished);
	return NULL;
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
	histogram__init(&s->hist);
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
		t->seq = t->acked = t->lost_upto = __atomic_load_n(&t->slot->pub_seq, __ATOMIC_RELAXED);
		t->obs_read = __atomic_load_n(&t->slot->obs_count, __ATOMIC_ACQUIRE);
		/* Written through now, so that the storm takes no page faults on it. */
		if (st->cfg->rate_hz)
			t->ring = ks_aligned_zalloc(KS_CACHELINE, STORM_RING * sizeof(*t->ring));
	}
	return s;
}

static void sender__destroy(struct storm_sender *s)
{
	for (unsigned i = 0; i < s->ntargets; i++)
		free(s->targets[i].ring);
	free(s->targets);
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
	st->deadline_ticks = clock__ns_to_ticks(clock, (uint64_t)cfg->deadline_ms * 1000000ull);
	st->gap_ticks = clock__ns_to_ticks(clock, cfg->gap_ns);
	if (cfg->rate_hz)
		st->interval_ticks = clock__ns_to_ticks(clock, cfg->burst * 1000000000ull / cfg->rate_hz);
	st->yield = st->engine->ctx->plan.overcommit;
	sem_init(&st->finished, 0, 0);
	atomic_init(&st->stop, false);
}

static uint64_t storm__progress(struct storm *st, bool *all_done)
{
	uint64_t sent = 0;

	*all_done = true;
	for (unsigned i = 0; i < st->nsenders; i++) {
		sent += atomic_load_explicit(&st->senders[i]->progress, memory_order_relaxed);
		*all_done &= atomic_load_explicit(&st->senders[i]->done, memory_order_acquire);
	}
	return sent;
}

/*
 * Sleeps until a sender ends, a signal arrives or STORM_MONITOR_MS pass:
 * a controller that woke more often would take the CPUs it measures.
 */
static void storm__monitor_wait(struct storm *st)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += STORM_MONITOR_MS * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	/* Woken, timed out or interrupted (Ctrl-C): the caller looks around either way. */
	(void)sem_clockwait(&st->finished, CLOCK_MONOTONIC, &until);
}

/* The controller: watches for completion, Ctrl-C and failed vCPUs, and reports progress. */
static void storm__monitor(struct storm *st, struct scenario_result *res)
{
	struct scenario_ctx *ctx = st->engine->ctx;
	uint64_t start = clock__monotonic_ns(), last_progress = start;
	uint64_t total = st->count ? st->count * st->nsenders : 0;
	bool all_done = false;

	while (!all_done) {
		storm__monitor_wait(st);
		uint64_t sent = storm__progress(st, &all_done);
		uint64_t now = clock__monotonic_ns();

		if (atomic_load_explicit(ctx->interrupted, memory_order_relaxed) && !res->interrupted) {
			res->interrupted = true;
			atomic_store_explicit(&st->stop, true, memory_order_relaxed);
		}
		if (!res->error[0] && engine__vcpu_failed(st->engine, res))
			atomic_store_explicit(&st->stop, true, memory_order_relaxed);
		if (ctx->progress && now - last_progress >= 1000000000ull) {
			ctx->progress(res->scenario->name, sent, total, (double)(now - start) / 1e9);
			last_progress = now;
		}
	}
	res->elapsed_s = (double)(clock__monotonic_ns() - start) / 1e9;
}

static void storm__collect(struct storm *st, struct scenario_result *res)
{
	json_t *placement = json_array();
	uint64_t rekicks = 0, kick_errors = 0, clock_skew = 0, log_overruns = 0;
	int first_error = 0;

	res->latency = ks_aligned_zalloc(KS_CACHELINE, sizeof(*res->latency));
	histogram__init(res->latency);
	for (unsigned i = 0; i < st->nsenders; i++) {
		struct storm_sender *s = st->senders[i];

		histogram__merge(res->latency, &s->hist);
		res->sent += s->sent;
		res->delivered += s->delivered;
		res->coalesced += s->coalesced;
		res->lost += s->lost;
		rekicks += s->rekicks;
		kick_errors += s->kick_errors;
		clock_skew += s->clock_skew;
		log_overruns += s->log_overruns;
		if (!first_error)
			first_error = s->first_kick_error;
		json_array_append_new(placement, sender__placement(s));
	}
	if (kick_errors && !res->error[0])
		snprintf(res->error, sizeof(res->error), "%llu %s kicks failed: %s",
			 (unsigned long long)kick_errors, st->ops->kick_name, strerror(first_error));
	res->extra = json_pack("{s:s, s:I, s:I, s:I, s:I}", "kick", st->ops->kick_name,
			       "rekicks", (json_int_t)rekicks, "kick_errors", (json_int_t)kick_errors,
			       "clock_skew_samples", (json_int_t)clock_skew,
			       "observations_overwritten", (json_int_t)log_overruns);
	engine__report(st->engine, res, res->sent, st->ops->kick_is_interrupt, placement);
}

int storm__run(struct engine *e, const struct storm_ops *ops, struct scenario_result *res)
{
	struct storm st = { .engine = e, .ops = ops, .cfg = e->ctx->cfg };
	int ret = 0;

	storm__configure(&st);
	st.senders = ks_zalloc(st.nsenders * sizeof(*st.senders));
	for (unsigned i = 0; i < st.nsenders; i++)
		st.senders[i] = sender__create(&st, i);

	engine__snapshot_before(e);
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
	storm__monitor(&st, res);
	for (unsigned i = 0; i < st.nsenders; i++)
		if (st.senders[i]->started)
			pthread_join(st.senders[i]->thread, NULL);
	engine__snapshot_after(e);
	storm__collect(&st, res);
	res->completed = !res->interrupted && !res->error[0] && ret == 0;
	for (unsigned i = 0; i < st.nsenders; i++)
		sender__destroy(st.senders[i]);
	free(st.senders);
	sem_destroy(&st.finished);
	return res->error[0] ? -1 : ret;
}
