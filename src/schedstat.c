// SPDX-License-Identifier: MIT
#include "schedstat.h"
#include "clock.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>

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

static atomic_ulong continued;

static void on_continue(int sig)
{
	(void)sig;
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
	return 0;
}

void stopwatch__start(struct stopwatch *w)
{
	*w = (struct stopwatch){
		.last_ns = clock__monotonic_ns(),
		.conts = atomic_load_explicit(&continued, memory_order_relaxed),
	};
}

void stopwatch__tick(struct stopwatch *w)
{
	uint64_t now = clock__monotonic_ns();
	unsigned long conts = atomic_load_explicit(&continued, memory_order_relaxed);

	if (conts != w->conts) {
		w->stopped_ns += now - w->last_ns;
		w->stops += (unsigned)(conts - w->conts);
		w->conts = conts;
	}
	w->last_ns = now;
}
