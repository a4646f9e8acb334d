/* SPDX-License-Identifier: MIT */
/*
 * Why a request came late when KVM was not to blame: how long each of the
 * run's threads was runnable but waited for a CPU (the kernel's run delay,
 * /proc/self/task/TID/schedstat), and how long the whole process was
 * stopped (SIGSTOP or a terminal's ^Z, then SIGCONT).
 */
#ifndef KICKSTORM_SCHEDSTAT_H
#define KICKSTORM_SCHEDSTAT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct sched_sample {
	bool known;
	uint64_t on_cpu_ns;
	uint64_t waited_ns;     /* runnable, waiting for a CPU */
};

/* Reads thread tid's schedstat; known is false where the kernel has none. */
struct sched_sample schedstat__read(int tid);

/* after - before, or unknown when either is. */
struct sched_sample schedstat__delta(struct sched_sample before, struct sched_sample after);

/*
 * A thread's excuse: the ns it could not run for reasons of the host's,
 * not its own, so far. The kernel adds a wait to the run delay only once
 * the wait ends, so a thread runnable now whose CPU time has not moved
 * since it last did is waiting now, and that wait counts too; and the
 * whole process being stopped counts. One owner updates the tracking
 * (schedstat__excuse); any thread may peek with it.
 */
struct thread_excuse {
	int tid;
	_Atomic uint64_t on_cpu_ns;     /* at the owner's last look */
	_Atomic uint64_t looked_at;     /* monotonic ns of that look */
	/*
	 * The look before the one that saw on_cpu_ns move: the thread last ran
	 * no earlier than this, so a wait counted from it is never too short.
	 */
	_Atomic uint64_t progress_at;
};

void schedstat__excuse_init(struct thread_excuse *x, int tid);
/* The owner's look: the excuse now, and the tracking brought up to date. */
uint64_t schedstat__excuse(struct thread_excuse *x);
/* Anyone's look, fresh from the kernel, leaving the tracking as it is. */
uint64_t schedstat__excuse_peek(struct thread_excuse *x);

/* Installs the SIGCONT handler the stop watch relies on; once per process. */
int stopwatch__install(void);

/*
 * Controller threads tick it as they wake. The SIGCONT handler counts the
 * time since the latest tick as stopped (an upper bound by one tick
 * period), so the total is right the moment the process runs again.
 */
void stopwatch__tick(void);
/* Nanoseconds the process has been stopped since stopwatch__install. */
uint64_t stopwatch__stopped_ns(void);

/* One measurement's share of the stops. */
struct stopwatch {
	uint64_t stopped_at_start;
	unsigned long conts_at_start;
	uint64_t stopped_ns;
	unsigned stops;
};

void stopwatch__start(struct stopwatch *w);
/* Brings w->stopped_ns and w->stops up to now. */
void stopwatch__update(struct stopwatch *w);

#endif
