// SPDX-License-Identifier: MIT
/*
 * bench/overhead: what kickstorm itself costs, so its figures can be trusted.
 *
 *  1. ns per histogram__record and per timestamp (clock__tsc, rdtscp, and
 *     clock_gettime for scale): the work a measuring thread adds to a kick.
 *  2. The sender loop's kick rate against minimal hand-written loops that
 *     issue the same kick (the tagged SIGUSR1 of the same vCPU thread of the same
 *     VM, from the same CPU, for the same time) in the same run: one that
 *     only kicks, one that also publishes the request's sequence number.
 *     The storm is the signal scenario's, open loop at a rate no sender
 *     reaches, so every loop kicks as fast as it can and the ratio is the
 *     share of the raw kick rate the tool's bookkeeping leaves (target
 *     >= 0.95). The target vCPU is halted by default: each kick then costs
 *     the same wake-up, where a running target makes the cost depend on
 *     where its thread happens to be (--running shows it). Each round uses
 *     a fresh VM and interleaves short slices of the three loops.
 *  3. Peak RSS of `kickstorm run` at two --duration values: histograms and
 *     rings are sized up front, so memory must not grow with the kicks.
 *
 * It prints figures and asserts nothing about timing: a loaded host makes
 * slow numbers, not failures. Exit 0 unless its arguments are wrong.
 */
#include "clock.h"
#include "config.h"
#include "driver.h"
#include "histogram.h"
#include "host_env.h"
#include "mailbox.h"
#include "scenario.h"
#include "storm.h"
#include "util.h"
#include "vcpu.h"
#include "vcpu_kick.h"
#include "vcpu_thread.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define STORM_RATE_HZ 100000000ull      /* --rate's ceiling: far above any sender */
#define SLICES 10                       /* per loop and round, interleaved */

struct bench_opts {
	const char *kickstorm;
	bool running;
	double phase_s;
	unsigned rounds;
	double rss_durations[2];
	uint64_t micro_ops;
};

/* ---- 1. micro-costs --------------------------------------------------- */

static double seconds_since(uint64_t start_ns)
{
	return (double)(clock__monotonic_ns() - start_ns) / 1e9;
}

static void bench_histogram(uint64_t ops)
{
	struct histogram *h = ks_aligned_zalloc(KS_CACHELINE, sizeof(*h));
	uint64_t values[4096], x = 0x9e3779b97f4a7c15ull, start;

	/* Latency-like values over four decades, precomputed so only the record is timed. */
	for (size_t i = 0; i < KS_ARRAY_SIZE(values); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		values[i] = 1000 + (x % 10000000) / (1 + (x >> 60));
	}
	histogram__init(h);
	start = clock__monotonic_ns();
	for (uint64_t i = 0; i < ops; i++)
		histogram__record(h, values[i & (KS_ARRAY_SIZE(values) - 1)]);
	printf("  %-34s %8.2f ns/op  (%llu records, p50 %llu)\n", "histogram__record",
	       seconds_since(start) * 1e9 / (double)ops, (unsigned long long)h->count,
	       (unsigned long long)histogram__percentile(h, 50));
	free(h);
}

static void bench_timestamps(uint64_t ops)
{
	volatile uint64_t sink = 0;
	struct timespec ts;
	uint64_t start, acc = 0;

	start = clock__monotonic_ns();
	for (uint64_t i = 0; i < ops; i++)
		acc += clock__tsc();
	printf("  %-34s %8.2f ns/op\n", "clock__tsc (rdtsc)", seconds_since(start) * 1e9 / (double)ops);
	start = clock__monotonic_ns();
	for (uint64_t i = 0; i < ops; i++)
		acc += clock__tsc_ordered();
	printf("  %-34s %8.2f ns/op\n", "clock__tsc_ordered (rdtscp)",
	       seconds_since(start) * 1e9 / (double)ops);
	start = clock__monotonic_ns();
	for (uint64_t i = 0; i < ops / 4; i++) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		acc += (uint64_t)ts.tv_nsec;
	}
	printf("  %-34s %8.2f ns/op  (for scale; not used on hot paths)\n",
	       "clock_gettime(CLOCK_MONOTONIC)", seconds_since(start) * 1e9 / (double)(ops / 4));
	sink = acc;
	(void)sink;
}

/* ---- 2. sender loop vs hand-written loop ------------------------------ */

/* The signal scenario as `kickstorm run` sets it up: the same host environment, engine and kick. */
struct kvm_env {
	struct host_env host;
	struct ks_config cfg;
	atomic_bool interrupted;
	const struct scenario *sc;
};

static int kvm_env__open(struct kvm_env *env, const struct bench_opts *bo)
{
	config__defaults(&env->cfg);
	env->cfg.vcpus = 1;
	env->cfg.senders = 1;
	env->cfg.target = bo->running ? TARGET_RUNNING : TARGET_HALTED;
	env->cfg.rate_hz = STORM_RATE_HZ;
	env->cfg.duration_s = bo->phase_s / SLICES;
	env->cfg.quiet = true;
	env->sc = scenario__find("signal");
	atomic_init(&env->interrupted, false);
	if (host_env__open(&env->host, &env->cfg)) {
		printf("  skipped: this host cannot run the signal scenario (see above)\n");
		return -1;
	}
	return 0;
}

static void kvm_env__close(struct kvm_env *env)
{
	host_env__close(&env->host);
}

struct hand_loop {
	const struct kvm_env *env;
	const struct storm_kick *kick;  /* the signal scenario's own */
	int cpu;
	struct vcpu *target;
	struct mb_slot *slot;           /* publish a sequence before each kick; NULL = kick only */
	uint64_t end_tsc;
	uint64_t kicks, errors;
};

/* The least a sender can do: kick, count, look at the clock. */
static void *hand_loop__thread(void *arg)
{
	struct hand_loop *h = arg;
	uint64_t seq;

	if (h->cpu >= 0)
		topology__bind_self(h->env->host.topo, h->cpu);
	if (!h->slot) {
		while (clock__tsc() < h->end_tsc) {
			if (h->kick->kick(NULL, 0, h->target, 0))
				h->errors++;
			h->kicks++;
		}
		return NULL;
	}
	/* Requests go on from the storm's last sequence: the observer only looks for a change. */
	seq = __atomic_load_n(&h->slot->pub_seq, __ATOMIC_RELAXED);
	while (clock__tsc() < h->end_tsc) {
		/* Pairs with the observer's acquire load, as in sender__publish. */
		__atomic_store_n(&h->slot->pub_seq, ++seq, __ATOMIC_RELEASE);
		if (h->kick->kick(NULL, 0, h->target, seq))
			h->errors++;
		h->kicks++;
	}
	return NULL;
}

/* Kicks of a hand-written loop on e's vCPU 0, for one slice. */
static uint64_t hand_loop__run(struct kvm_env *env, struct engine *e, int cpu, bool publish)
{
	struct hand_loop h = { .env = env, .kick = env->sc->kick, .cpu = cpu, .target = &e->vm.vcpus[0],
			       .slot = publish ? &e->vm.vcpus[0].mb->slot[0] : NULL };
	pthread_t t;

	/* As storm__run does: the end is fixed before the thread exists. */
	h.end_tsc = clock__tsc() + clock__ns_to_ticks(&env->host.clock, (uint64_t)(env->cfg.duration_s * 1e9));
	if (pthread_create(&t, NULL, hand_loop__thread, &h))
		return 0;
	pthread_join(t, NULL);
	return h.kicks;
}

/* Kicks of kickstorm's own sender loop on e's vCPU 0, for one slice: storm__run as `run` calls it. */
static uint64_t storm_loop__run(struct kvm_env *env, struct scenario_ctx *ctx, struct engine *e,
				uint64_t *rekicks)
{
	struct scenario_result res;
	struct scenario_run run = { .sc = env->sc, .ctx = ctx, .res = &res, .engine = e };
	uint64_t sent;

	scenario_result__init(&res, env->sc);
	storm__run(&run);
	json_decref(run.summary.senders);
	json_decref(run.summary.threads);
	sent = res.kicks.sent;
	*rekicks += res.kicks.rekicks;
	scenario_result__release(&res);
	return sent;
}

static double median_of(double *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n ? (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) : 0;
}

#define MAX_ROUNDS 64
#define VCPU_STOP_PATIENCE_MS 10000

struct loop_rates {
	double hand[MAX_ROUNDS], publish[MAX_ROUNDS], storm[MAX_ROUNDS];
	uint64_t rekicks;
	unsigned rounds;
};

/*
 * One round on a fresh VM: SLICES short turns of each loop, interleaved in
 * rotating order, so that whatever slows the host down for a while slows
 * all three alike. Each storm and publishing loop goes on from the slot's
 * last sequence, as a request would.
 */
static int sender_round(struct kvm_env *env, struct scenario_ctx *ctx, struct loop_rates *lr)
{
	struct scenario_result res;
	struct scenario_run run = { .sc = env->sc, .ctx = ctx, .res = &res };
	unsigned r = lr->rounds;
	int cpu = ctx->plan.sender_cpu[0];
	uint64_t rekicks = 0, hand = 0, publish = 0, storm = 0;
	double seconds = SLICES * env->cfg.duration_s;
	struct engine e;

	scenario_result__init(&res, env->sc);
	if (driver__start_engine(&run, &e) < 0) {
		scenario_result__release(&res);
		return -1;
	}
	scenario_result__release(&res);
	for (unsigned i = 0; i < SLICES; i++) {
		for (unsigned k = 0; k < 3; k++) {
			switch ((r + i + k) % 3) {
			case 0:
				hand += hand_loop__run(env, &e, cpu, false);
				break;
			case 1:
				storm += storm_loop__run(env, ctx, &e, &rekicks);
				break;
			default:
				publish += hand_loop__run(env, &e, cpu, true);
			}
		}
	}
	lr->hand[r] = (double)hand / seconds;
	lr->publish[r] = (double)publish / seconds;
	lr->storm[r] = (double)storm / seconds;
	/*
	 * engine__stop destroys the VM even when a vCPU thread did not leave
	 * KVM_RUN in its 2 s; on an overloaded host give it longer, and leave
	 * the VM behind rather than pull memory from under a running thread.
	 */
	for (unsigned i = 0; i < e.vm.nvcpus; i++) {
		if (vcpu__stop(&e.vm.vcpus[i], VCPU_STOP_PATIENCE_MS) < 0) {
			printf("  stopped: vCPU %u did not leave KVM_RUN within %u ms\n", i, VCPU_STOP_PATIENCE_MS);
			return -2;
		}
	}
	engine__stop(&e);
	printf("  round %-2u  %14.0f %14.0f %14.0f %8.3f %9llu\n", r + 1, lr->hand[r], lr->publish[r],
	       lr->storm[r], lr->hand[r] > 0 ? lr->storm[r] / lr->hand[r] : 0.0,
	       (unsigned long long)rekicks);
	lr->rekicks += rekicks;
	lr->rounds++;
	return 0;
}

static double best_of(const double *v, unsigned n)
{
	double best = 0;

	for (unsigned i = 0; i < n; i++)
		best = v[i] > best ? v[i] : best;
	return best;
}

/*
 * Other threads on a 2-CPU host make single rounds swing by whole factors,
 * and interference only ever slows a loop down: so each loop is judged by
 * its best round, and the per-round ratios by their median.
 */
static void sender_summary(struct loop_rates *lr)
{
	double ratios[MAX_ROUNDS], hand = best_of(lr->hand, lr->rounds);
	double publish = best_of(lr->publish, lr->rounds), storm = best_of(lr->storm, lr->rounds);

	for (unsigned i = 0; i < lr->rounds; i++)
		ratios[i] = lr->hand[i] > 0 ? lr->storm[i] / lr->hand[i] : 0;
	printf("  %-8s  %14.0f %14.0f %14.0f\n", "best", hand, publish, storm);
	printf("  %-44s %6.3f  (target >= 0.95)\n", "sender loop / hand-written loop, best rounds",
	       hand > 0 ? storm / hand : 0.0);
	printf("  %-44s %6.3f\n", "sender loop / hand-written loop, median round",
	       median_of(ratios, lr->rounds));
	printf("  %-44s %6.3f\n", "sender loop / kick+publish loop, best rounds",
	       publish > 0 ? storm / publish : 0.0);
	printf("  %-44s %6llu\n", "kickstorm re-kicks (deadline passed)", (unsigned long long)lr->rekicks);
}

static void bench_sender_loop(const struct bench_opts *bo)
{
	struct kvm_env env;
	struct scenario_ctx ctx = { 0 };
	struct loop_rates lr = { .rounds = 0 };

	if (kvm_env__open(&env, bo) < 0)
		goto out;
	if (host_env__context(&env.host, &env.cfg, 1, env.cfg.senders, &env.interrupted, &ctx) < 0) {
		printf("  skipped: no CPU to place threads on\n");
		goto out;
	}
	printf("  signal scenario's kick (%s) of 1 %s vCPU on CPU %d, sender on CPU %d,\n"
	       "  open loop as fast as it goes; %u rounds of %.2f s per loop, in %u interleaved slices\n"
	       "  %-8s  %14s %14s %14s %8s %9s\n", env.sc->kick->name, bo->running ? "running" : "halted",
	       ctx.plan.vcpu_cpu[0], ctx.plan.sender_cpu[0],
	       bo->rounds, bo->phase_s, SLICES, "", "kick only/s", "kick+publish/s", "kickstorm/s", "ratio",
	       "re-kicks");
	for (unsigned r = 0; r < bo->rounds && r < MAX_ROUNDS; r++) {
		int ret = sender_round(&env, &ctx, &lr);

		if (ret == -1)
			printf("  skipped: the VM did not start\n");
		if (ret < 0)
			break;
	}
	if (lr.rounds)
		sender_summary(&lr);
	else
		printf("  no round completed\n");
out:
	placement__release(&ctx.plan);
	kvm_env__close(&env);
}

/* ---- 3. peak RSS ------------------------------------------------------ */

struct rss_sample {
	long max_rss_kib;
	long report_kib;
	size_t bins;            /* non-empty histogram bins in the report */
	json_int_t sent;
};

/* What a report holds that grows with --duration until every bin is touched. */
static void report_size(const char *path, struct rss_sample *rs)
{
	json_t *root = json_load_file(path, 0, NULL), *sc;
	struct stat st;
	size_t i;

	if (!stat(path, &st))
		rs->report_kib = (long)(st.st_size / 1024);
	json_array_foreach(json_object_get(root, "scenarios"), i, sc) {
		rs->bins += json_array_size(json_object_get(json_object_get(sc, "latency_ns"), "bins"));
		rs->sent += json_integer_value(json_object_get(json_object_get(sc, "counts"), "sent"));
	}
	json_decref(root);
}

/* One `kickstorm run`; 0, or -1 with the wait status in *status. */
static int run_peak_rss(const char *kickstorm, char *const extra[], double duration,
			struct rss_sample *rs, int *status)
{
	char dur[32], out[] = "/tmp/ks-overhead-XXXXXX";
	char *argv[32] = { (char *)kickstorm, "run", "--quiet", "--scenario", "signal", "--duration", dur,
			   "--output", out };
	int argc = 9, fd = mkstemp(out);
	struct rusage ru;
	pid_t pid;

	*rs = (struct rss_sample){ 0 };
	if (fd < 0)
		return -1;
	close(fd);
	snprintf(dur, sizeof(dur), "%g", duration);
	for (int i = 0; extra[i] && argc < 31; i++)
		argv[argc++] = extra[i];
	argv[argc] = NULL;
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, STDOUT_FILENO);
		dup2(devnull, STDERR_FILENO);
		execv(kickstorm, argv);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, status, 0, &ru) < 0 || !WIFEXITED(*status) || WEXITSTATUS(*status) > 1) {
		/* 0 = fine, 1 = a lost request: both ran to the end. */
		unlink(out);
		return -1;
	}
	rs->max_rss_kib = ru.ru_maxrss;
	report_size(out, rs);
	unlink(out);
	return 0;
}

static void bench_rss(const struct bench_opts *bo)
{
	static char *closed[] = { "--gap", "0", NULL };
	static char *open_loop[] = { "--rate", "50000", NULL };
	static char *senders[] = { "--senders", "2", "--vcpus", "2", "--rate", "20000", NULL };
	static const struct { const char *what; char **extra; } runs[] = {
		{ "closed loop, --gap 0", closed },
		{ "open loop, --rate 50000", open_loop },
		{ "2 senders, 2 vCPUs, --rate 20000", senders },
	};

	if (access(bo->kickstorm, X_OK)) {
		printf("  skipped: %s is not an executable (--kickstorm PATH)\n", bo->kickstorm);
		return;
	}
	printf("  %-34s %10s %12s %10s %8s %8s\n", "", "--duration", "kicks", "peak RSS", "report",
	       "bins");
	for (size_t i = 0; i < KS_ARRAY_SIZE(runs); i++) {
		struct rss_sample rs[2];
		int status = 0;

		for (int d = 0; d < 2; d++) {
			if (run_peak_rss(bo->kickstorm, runs[i].extra, bo->rss_durations[d], &rs[d], &status) < 0) {
				printf("  %-34s kickstorm run failed (wait status 0x%x)\n", runs[i].what, status);
				break;
			}
			printf("  %-34s %9gs %12lld %6ld KiB %4ld KiB %8zu\n", d ? "" : runs[i].what,
			       bo->rss_durations[d], (long long)rs[d].sent, rs[d].max_rss_kib, rs[d].report_kib,
			       rs[d].bins);
			if (d)
				printf("  %-34s %+ld KiB peak RSS (%+.1f%%) for %.1fx the kicks; the report "
				       "%+ld KiB, %+ld bins\n", "", rs[1].max_rss_kib - rs[0].max_rss_kib,
				       100.0 * (double)(rs[1].max_rss_kib - rs[0].max_rss_kib) /
				       (double)rs[0].max_rss_kib,
				       (double)rs[1].sent / (double)(rs[0].sent ? rs[0].sent : 1),
				       rs[1].report_kib - rs[0].report_kib, (long)rs[1].bins - (long)rs[0].bins);
		}
	}
}

/* ---- main ------------------------------------------------------------- */

/* Figures from a busy host are slow, not wrong: say how busy it was. */
static void print_load(void)
{
	double load[3];
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (getloadavg(load, 3) == 3)
		printf("load average %.2f %.2f %.2f on %ld CPUs%s\n", load[0], load[1], load[2], ncpus,
		       load[0] > 0.5 * (double)ncpus ? ": other work competes for the CPUs, expect noise" : "");
}

static void usage(FILE *out)
{
	fputs("usage: overhead [--quick] [--running] [--kickstorm PATH]\n"
	      "\n"
	      "Prints kickstorm's own costs: ns per histogram record and timestamp, the\n"
	      "sender loop's kick rate against a hand-written loop (target ratio >= 0.95),\n"
	      "and peak RSS of kickstorm run at two --duration values. Needs /dev/kvm\n"
	      "for the last two. --quick: shorter phases, for CI. --running: kick a\n"
	      "running vCPU instead of a halted one (noisier: the kick's cost then\n"
	      "depends on where the vCPU thread is when it lands).\n", out);
}

int main(int argc, char **argv)
{
	struct bench_opts bo = {
		.kickstorm = "./kickstorm", .phase_s = 0.5, .rounds = 10,
		.rss_durations = { 1, 10 }, .micro_ops = 50000000,
	};

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			bo = (struct bench_opts){ .kickstorm = bo.kickstorm, .running = bo.running,
						  .phase_s = 0.25, .rounds = 4, .rss_durations = { 0.5, 2 },
						  .micro_ops = 10000000 };
		} else if (!strcmp(argv[i], "--running")) {
			bo.running = true;
		} else if (!strcmp(argv[i], "--kickstorm") && i + 1 < argc) {
			bo.kickstorm = argv[++i];
		} else if (!strcmp(argv[i], "--help")) {
			usage(stdout);
			return KS_EXIT_OK;
		} else {
			fprintf(stderr, "overhead: unknown argument '%s' (allowed: --quick, --running, "
				"--kickstorm PATH, --help)\n", argv[i]);
			return KS_EXIT_USAGE;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("kickstorm overhead benchmark\n");
	print_load();
	printf("\nper-operation cost on the measuring thread:\n");
	bench_histogram(bo.micro_ops);
	bench_timestamps(bo.micro_ops);
	printf("\nsender loop vs a hand-written loop issuing the same kick:\n");
	bench_sender_loop(&bo);
	printf("\npeak RSS of kickstorm run --scenario signal, which must not grow with --duration\n"
	       "(only the report grows, by the histogram bins that became non-empty; at most %zu):\n",
	       (size_t)HISTOGRAM_NBINS);
	bench_rss(&bo);
	return KS_EXIT_OK;
}
