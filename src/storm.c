// SPDX-License-Identifier: MIT
#include "storm.h"
#include "storm_internal.h"
#include "monitor.h"
#include "scenario.h"

#include <errno.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Per sender, records of pending requests kept over all its targets: 2 MiB. */
#define STORM_RECORDS_PER_SENDER (1u << 16)
#define STORM_RECORDS_MIN 64
#define STORM_RECORDS_MAX 4096
/* The controller looks at Ctrl-C, failed vCPUs and progress this often (ms). */
#define STORM_MONITOR_MS 20

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

		t->sender = s;
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
		t->watch = (struct ledger_watch){ .served = sender__log_served, .arg = t };
		t->stream.watch = st->log_kicks ? &t->watch : NULL;
	}
	if (st->log_kicks)
		kick_log__init(&s->log, kick_log__capacity(st->count, st->cfg->senders));
	return s;
}

static void sender__destroy(struct storm_sender *s)
{
	for (unsigned i = 0; i < s->ntargets; i++)
		ledger_stream__release(&s->targets[i].stream);
	free(s->targets);
	kick_log__release(&s->log);
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
static void storm__collect(struct storm *st, struct scenario_run *run)
{
	struct scenario_result *res = run->res;
	struct storm_summary *sum = &run->summary;
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
		if (st->log_kicks)
			kick_log__append(&run->kicks, &s->log);
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
		.guest_tsc = run->sc->flags & SCENARIO_GUEST_TSC, .log_kicks = run->log_kicks,
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
	storm__collect(&st, run);
	for (unsigned i = 0; i < st.nsenders; i++)
		sender__destroy(st.senders[i]);
	free(st.senders);
	sem_destroy(&st.finished);
	return run->res->error[0] ? -1 : ret;
}
