// SPDX-License-Identifier: MIT
#include "schedstat.h"
#include "clock.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct sched_sample schedstat__read(int tid)
{
	struct sched_sample s = { 0 };
	unsigned long long on_cpu, waited;
	char path[64];
	FILE *f;

	if (tid <= 0)
		return s;
	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", tid);
	f = fopen(path, "re");
	if (!f)
		return s;
	if (fscanf(f, "%llu %llu", &on_cpu, &waited) == 2)
		s = (struct sched_sample){ .known = true, .on_cpu_ns = on_cpu, .waited_ns = waited };
	fclose(f);
	return s;
}

struct sched_sample schedstat__delta(struct sched_sample before, struct sched_sample after)
{
	if (!before.known || !after.known)
		return (struct sched_sample){ 0 };
	return (struct sched_sample){
		.known = true,
		.on_cpu_ns = after.on_cpu_ns - before.on_cpu_ns,
		.waited_ns = after.waited_ns - before.waited_ns,
	};
}

/* 'R' when the thread is running or runnable, from /proc/self/task/TID/stat. */
static bool schedstat__runnable(int tid)
{
	char path[64], buf[512], *paren;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: the state follows the last ')'. */
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' && paren[2] == 'R';
}

static uint64_t monotonic_ns(void);

void schedstat__excuse_init(struct thread_excuse *x, int tid)
{
	x->tid = tid;
	atomic_init(&x->on_cpu_ns, 0);
	atomic_init(&x->looked_at, monotonic_ns());
	atomic_init(&x->progress_at, atomic_load_explicit(&x->looked_at, memory_order_relaxed));
}

/*
 * now's sample against the tracking: update says whether to move it on. An
 * excuse is never too small (a loss verdict is the worse mistake): the
 * wait under way is counted from the look before the thread last ran.
 */
static uint64_t schedstat__excuse_at(struct thread_excuse *x, bool update)
{
	struct sched_sample s = schedstat__read(x->tid);
	uint64_t now = monotonic_ns(), waiting = 0;
	uint64_t last = atomic_load_explicit(&x->on_cpu_ns, memory_order_relaxed);
	uint64_t since = atomic_load_explicit(&x->progress_at, memory_order_relaxed);

	if (!s.known)
		return stopwatch__stopped_ns();
	if (s.on_cpu_ns != last) {
		if (update) {
			atomic_store_explicit(&x->progress_at,
					      atomic_load_explicit(&x->looked_at, memory_order_relaxed),
					      memory_order_relaxed);
			atomic_store_explicit(&x->on_cpu_ns, s.on_cpu_ns, memory_order_relaxed);
		}
	} else if (schedstat__runnable(x->tid) && now > since) {
		waiting = now - since;
	}
	if (update)
		atomic_store_explicit(&x->looked_at, now, memory_order_relaxed);
	return s.waited_ns + waiting + stopwatch__stopped_ns();
}

uint64_t schedstat__excuse(struct thread_excuse *x)
{
	return schedstat__excuse_at(x, true);
}

uint64_t schedstat__excuse_peek(struct thread_excuse *x)
{
	return schedstat__excuse_at(x, false);
}

static atomic_ulong continued;
static _Atomic uint64_t last_tick_ns, stopped_total_ns;

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* clock_gettime is async-signal-safe; so are lock-free atomics. */
static void on_continue(int sig)
{
	uint64_t now = monotonic_ns(), last = atomic_load_explicit(&last_tick_ns, memory_order_relaxed);

	(void)sig;
	if (last && now > last)
		atomic_fetch_add_explicit(&stopped_total_ns, now - last, memory_order_relaxed);
	atomic_store_explicit(&last_tick_ns, now, memory_order_relaxed);
	atomic_fetch_add_explicit(&continued, 1, memory_order_relaxed);
}

int stopwatch__install(void)
{
	struct sigaction sa = { .sa_handler = on_continue, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGCONT, &sa, NULL) < 0) {
		ks_error_errno(errno, "cannot install the SIGCONT handler");
		return -1;
	}
	stopwatch__tick();
	return 0;
}

void stopwatch__tick(void)
{
	atomic_store_explicit(&last_tick_ns, monotonic_ns(), memory_order_relaxed);
}

uint64_t stopwatch__stopped_ns(void)
{
	return atomic_load_explicit(&stopped_total_ns, memory_order_relaxed);
}

void stopwatch__start(struct stopwatch *w)
{
	stopwatch__tick();
	*w = (struct stopwatch){
		.stopped_at_start = stopwatch__stopped_ns(),
		.conts_at_start = atomic_load_explicit(&continued, memory_order_relaxed),
	};
}

void stopwatch__update(struct stopwatch *w)
{
	w->stopped_ns = stopwatch__stopped_ns() - w->stopped_at_start;
	w->stops = (unsigned)(atomic_load_explicit(&continued, memory_order_relaxed) - w->conts_at_start);
}
