// SPDX-License-Identifier: MIT
/*
 * floor: what getting another CPU's attention costs the host itself, between
 * the two CPUs a storm uses (sender 0's and vCPU 0's), with the same clock
 * and histograms as every kick. No VM is involved.
 *
 *   ping-pong  two threads spinning on two cache lines, each written by one
 *              of them: the least a running target can take to notice a
 *              flag (a kick of a running vCPU is compared with this).
 *   wake-up    the same round trip with both threads blocked in FUTEX_WAIT
 *              and woken by FUTEX_WAKE: the least a sleeping target can
 *              take (a kick of a halted vCPU is compared with this). Rounds
 *              run back to back, as a closed-loop storm kicks: the
 *              responder has just gone to sleep and its CPU just idled.
 *
 * Both are timed as round trips on the initiator alone (no cross-CPU TSC
 * skew) and reported one-way as RTT/2 per round trip, since a kick latency is
 * one-way; the round trips are kept in details. A wake-up round in which
 * either thread found its word already changed and never slept is not a
 * wake-up and is skipped (and counted).
 */
#include <errno.h>
#include <pthread.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../driver.h"
#include "../monitor.h"

#define FLOOR_WARMUP_ROUNDS	200
#define PING_FINISH		UINT64_MAX

enum floor_role { INITIATOR, RESPONDER, NROLES };

struct floor_thread {
	struct floor *floor;
	int cpu;
	int bind_error;
	pthread_t thread;
	bool started;
	struct cpu_trace ran_on;
};

enum floor_hist { PP_ONE_WAY, PP_ROUND_TRIP, WAKE_ONE_WAY, WAKE_ROUND_TRIP, NHISTS };

struct floor {
	struct scenario_ctx *ctx;
	struct floor_thread th[NROLES];
	bool same_cpu;
	uint64_t count;             /* recorded rounds per measurement, 0 = duration only */
	uint64_t phase_ticks;       /* duration per measurement, 0 = count only */
	struct histogram *hist[NHISTS];
	uint64_t wake_rounds, skipped_responder_awake, skipped_initiator_awake;
	/* Each line has one writer: the initiator writes ping and wake_b, the responder the others. */
	KS_ALIGNED_CACHELINE _Atomic uint64_t ping;
	KS_ALIGNED_CACHELINE _Atomic uint64_t pong;
	KS_ALIGNED_CACHELINE _Atomic uint32_t wake_b;
	atomic_bool finish;
	KS_ALIGNED_CACHELINE _Atomic uint32_t wake_a;
	atomic_bool responder_slept;
	KS_ALIGNED_CACHELINE atomic_bool abort;     /* the monitor's: Ctrl-C */
	atomic_uint ended;                          /* threads that left */
};

static long futex(_Atomic uint32_t *word, int op, uint32_t val)
{
	return syscall(SYS_futex, (uint32_t *)word, op, val, NULL, NULL, 0);
}

/*
 * Blocks until *word differs from old and returns the new value; *slept says
 * whether FUTEX_WAIT actually put the thread to sleep (0 = woken), as
 * opposed to finding the word already changed (EAGAIN).
 */
static uint32_t futex__await_change(_Atomic uint32_t *word, uint32_t old, bool *slept)
{
	uint32_t v;

	*slept = false;
	/* Acquire pairs with the writer's release store: what it wrote before the word is visible. */
	while ((v = atomic_load_explicit(word, memory_order_acquire)) == old)
		if (futex(word, FUTEX_WAIT_PRIVATE, old) == 0)
			*slept = true;
	return v;
}

/* On one shared CPU a spinning waiter would hold the CPU the other thread needs. */
static void floor__relax(const struct floor *f)
{
	if (f->same_cpu)
		sched_yield();
	else
		clock__relax();
}

static bool floor__should_stop(struct floor *f, uint64_t recorded, uint64_t end_tsc)
{
	if (atomic_load_explicit(&f->abort, memory_order_relaxed))
		return true;
	if (f->count && recorded >= f->count)
		return true;
	return end_tsc && clock__tsc() >= end_tsc;
}

static void floor__record(struct floor *f, enum floor_hist one_way, uint64_t rtt)
{
	histogram__record(f->hist[one_way + 1], rtt);
	histogram__record(f->hist[one_way], rtt / 2);
}

/*
 * The counter is the only thing either side communicates, so relaxed
 * accesses suffice; rdtscp keeps each timestamp after the load or store
 * before it.
 */
static void floor__ping_pong_initiator(struct floor *f)
{
	uint64_t end = f->phase_ticks ? clock__tsc() + f->phase_ticks : 0;
	uint64_t i, recorded = 0;

	for (i = 1; !floor__should_stop(f, recorded, end); i++) {
		uint64_t t0 = clock__tsc_ordered();

		atomic_store_explicit(&f->ping, i, memory_order_relaxed);
		while (atomic_load_explicit(&f->pong, memory_order_relaxed) != i)
			floor__relax(f);
		uint64_t t1 = clock__tsc_ordered();

		if (i > FLOOR_WARMUP_ROUNDS) {
			floor__record(f, PP_ONE_WAY, t1 - t0);
			recorded++;
		}
	}
	atomic_store_explicit(&f->ping, PING_FINISH, memory_order_relaxed);
}

static void floor__ping_pong_responder(struct floor *f)
{
	uint64_t last = 0, v;

	for (;;) {
		while ((v = atomic_load_explicit(&f->ping, memory_order_relaxed)) == last)
			floor__relax(f);
		if (v == PING_FINISH)
			return;
		atomic_store_explicit(&f->pong, v, memory_order_relaxed);
		last = v;
	}
}

static void floor__wake_initiator(struct floor *f)
{
	uint64_t end = f->phase_ticks ? clock__tsc() + f->phase_ticks : 0;
	uint64_t rounds = 0;
	uint32_t seq = 0;

	for (uint64_t i = 1; !floor__should_stop(f, rounds, end); i++) {
		bool slept;

		uint64_t t0 = clock__tsc_ordered();

		atomic_store_explicit(&f->wake_b, ++seq, memory_order_release);
		futex(&f->wake_b, FUTEX_WAKE_PRIVATE, 1);
		futex__await_change(&f->wake_a, seq - 1, &slept);
		uint64_t t1 = clock__tsc_ordered();

		if (i <= FLOOR_WARMUP_ROUNDS)
			continue;
		if (!atomic_load_explicit(&f->responder_slept, memory_order_relaxed))
			f->skipped_responder_awake++;
		else if (!slept)
			f->skipped_initiator_awake++;
		else
			floor__record(f, WAKE_ONE_WAY, t1 - t0);
		rounds++;
		f->wake_rounds++;
	}
	/* finish is read by the responder after its acquire of wake_b. */
	atomic_store_explicit(&f->finish, true, memory_order_relaxed);
	atomic_store_explicit(&f->wake_b, ++seq, memory_order_release);
	futex(&f->wake_b, FUTEX_WAKE_PRIVATE, 1);
}

static void floor__wake_responder(struct floor *f)
{
	uint32_t last = 0;

	for (;;) {
		bool slept;

		last = futex__await_change(&f->wake_b, last, &slept);
		if (atomic_load_explicit(&f->finish, memory_order_relaxed))
			return;
		atomic_store_explicit(&f->responder_slept, slept, memory_order_relaxed);
		atomic_store_explicit(&f->wake_a, last, memory_order_release);
		futex(&f->wake_a, FUTEX_WAKE_PRIVATE, 1);
	}
}

static void *floor__thread(void *arg)
{
	struct floor_thread *t = arg;
	struct floor *f = t->floor;
	bool initiator = t == &f->th[INITIATOR];

	pthread_setname_np(pthread_self(), initiator ? "ks-floor-ping" : "ks-floor-pong");
	if (t->cpu >= 0) {
		int ret = topology__bind_self(f->ctx->topo, t->cpu);

		t->bind_error = ret < 0 ? -ret : 0;
	}
	cpu_trace__sample(&t->ran_on);
	if (initiator) {
		floor__ping_pong_initiator(f);
		floor__wake_initiator(f);
	} else {
		floor__ping_pong_responder(f);
		floor__wake_responder(f);
	}
	cpu_trace__sample(&t->ran_on);
	atomic_fetch_add_explicit(&f->ended, 1, memory_order_release);
	return NULL;
}

static int floor__setup(struct scenario_run *run)
{
	struct floor *f = run->state;
	struct scenario_ctx *ctx = run->ctx;
	const struct ks_config *cfg = ctx->cfg;

	f->ctx = ctx;
	f->th[INITIATOR].cpu = ctx->plan.sender_cpu[0];
	f->th[RESPONDER].cpu = ctx->plan.vcpu_cpu[0];
	f->same_cpu = f->th[INITIATOR].cpu >= 0 && f->th[INITIATOR].cpu == f->th[RESPONDER].cpu;
	f->count = cfg->count;
	if (cfg->duration_s > 0)
		f->phase_ticks = clock__ns_to_ticks(ctx->clock, (uint64_t)(cfg->duration_s * 1e9 / 2));
	for (int h = 0; h < NHISTS; h++)
		f->hist[h] = ks_aligned_zalloc(KS_CACHELINE, sizeof(struct histogram));
	for (int r = 0; r < NROLES; r++)
		f->th[r].floor = f;
	return 0;
}

static void floor__teardown(struct scenario_run *run)
{
	struct floor *f = run->state;

	for (int h = 0; h < NHISTS; h++)
		free(f->hist[h]);
}

static json_t *floor__thread_json(const struct floor_thread *t, const char *name, const char *role)
{
	json_t *o = json_pack("{s:s, s:s, s:o, s:o}", "thread", name, "role", role,
			      "bound_cpu", t->cpu >= 0 ? json_integer(t->cpu) : json_null(),
			      "ran_on", cpu_trace__to_json(&t->ran_on));

	if (t->bind_error)
		json_object_set_new(o, "bind_error", json_string(strerror(t->bind_error)));
	return o;
}

static void floor__details(struct scenario_run *run)
{
	struct floor *f = run->state;
	struct scenario_result *res = run->res;
	double ns = clock__ns_per_tick(f->ctx->clock);

	res->latency = f->hist[PP_ONE_WAY];
	f->hist[PP_ONE_WAY] = NULL;
	/* Every round trip completes; a skipped wake-up round is not a lost one. */
	ledger__settle_counted(&res->tally, res->latency->count + f->wake_rounds,
			       res->latency->count + f->wake_rounds, true, true);
	res->extra = json_pack(
		"{s:s, s:s, s:o, s:o, s:o, s:s, s:{s:I, s:I}}",
		"latency", "ping-pong one-way: RTT/2 of each cache-line round trip",
		"one_way", "RTT/2 per round trip, both ends timed on the initiator's CPU",
		"ping_pong_round_trip_ns", histogram__to_json(f->hist[PP_ROUND_TRIP], ns),
		"wake_up_ns", histogram__to_json(f->hist[WAKE_ONE_WAY], ns),
		"wake_up_round_trip_ns", histogram__to_json(f->hist[WAKE_ROUND_TRIP], ns),
		"wake_up_mechanism", "FUTEX_WAKE_PRIVATE of a thread blocked in FUTEX_WAIT_PRIVATE",
		"wake_up_skipped", "responder_not_asleep", (json_int_t)f->skipped_responder_awake,
		"initiator_not_asleep", (json_int_t)f->skipped_initiator_awake);
	res->placement = json_pack("{s:b, s:s, s:[], s:[o, o]}", "overcommit", f->same_cpu,
				   "policy", placement__name(f->ctx->cfg->placement), "vcpus", "senders",
				   floor__thread_json(&f->th[INITIATOR], "ks-floor-ping",
						      "initiator, on sender 0's CPU"),
				   floor__thread_json(&f->th[RESPONDER], "ks-floor-pong",
						      "responder, on vCPU 0's CPU"));
}

static void floor__describe(struct scenario_run *run, json_t *params)
{
	const struct ks_config *cfg = run->ctx->cfg;
	int initiator = run->ctx->plan.sender_cpu[0], responder = run->ctx->plan.vcpu_cpu[0];
	json_t *own = json_pack("{s:I, s:f, s:o, s:o, s:b, s:i}",
				"count", (json_int_t)cfg->count, "duration_s", cfg->duration_s,
				"initiator_cpu", initiator >= 0 ? json_integer(initiator) : json_null(),
				"responder_cpu", responder >= 0 ? json_integer(responder) : json_null(),
				"same_cpu", initiator >= 0 && initiator == responder,
				"warmup_rounds", FLOOR_WARMUP_ROUNDS);

	json_object_update(params, own);
	json_decref(own);
}

/* Lets a responder whose initiator never started leave both of its loops. */
static void floor__release_responder(struct floor *f)
{
	atomic_store_explicit(&f->ping, PING_FINISH, memory_order_relaxed);
	atomic_store_explicit(&f->finish, true, memory_order_relaxed);
	atomic_store_explicit(&f->wake_b, 1, memory_order_release);
	futex(&f->wake_b, FUTEX_WAKE_PRIVATE, 1);
}

/* No progress count: the rounds are timed back to back, and a shared counter would be in them. */
static bool floor__poll(void *arg, uint64_t *rounds)
{
	struct floor *f = arg;

	*rounds = 0;
	return atomic_load_explicit(&f->ended, memory_order_acquire) == NROLES;
}

static void floor__stop(void *arg, enum monitor_stop how)
{
	struct floor *f = arg;

	if (how == MONITOR_ABORT)
		atomic_store_explicit(&f->abort, true, memory_order_relaxed);
}

static int floor__measure(struct scenario_run *run)
{
	struct floor *f = run->state;
	struct monitor_ops mon = {
		.period_ms = 20, .poll = floor__poll, .stop = floor__stop, .arg = f,
	};
	int ret = 0;

	/* Responder first: it only waits, so it can always be released if the initiator fails. */
	for (int r = RESPONDER; r >= INITIATOR && !ret; r--) {
		int err = pthread_create(&f->th[r].thread, NULL, floor__thread, &f->th[r]);

		if (err) {
			ks_format(run->res->error, sizeof(run->res->error),
				  "cannot start a floor thread: %s", strerror(err));
			ret = -1;
		}
		f->th[r].started = !err;
	}
	if (ret && f->th[RESPONDER].started)
		floor__release_responder(f);
	if (!ret)
		monitor__run(run, &mon);
	for (int r = 0; r < NROLES; r++)
		if (f->th[r].started)
			pthread_join(f->th[r].thread, NULL);
	return ret;
}

static const struct scenario_param floor_params[] = {
	{ "--count", "round trips of each kind (after a warm-up)" },
	{ "--duration", "bounds both measurements together" },
	{ "--cpus/--placement", "the two CPUs: sender 0's and vCPU 0's, as the storms place them" },
	{ NULL, NULL },
};

const struct scenario scenario_floor = {
	.name = "floor",
	.summary = "host floor: cache-line ping-pong and futex wake-up between the storm's CPUs",
	.latency = "one-way cache-line ping-pong, RTT/2 (futex wake-up in details)",
	.measures = MEASURES_FLOOR,
	.params = floor_params,
	.no_path_why = "floor kicks no vCPU: it measures the host's own cross-CPU notification "
		       "cost, which kick latencies are compared with",
	.state_size = sizeof(struct floor),
	.describe = floor__describe,
	.setup = floor__setup,
	.measure = floor__measure,
	.details = floor__details,
	.teardown = floor__teardown,
};
