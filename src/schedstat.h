/* SPDX-License-Identifier: MIT */
/*
 * Why a request came late when KVM was not to blame: how long each of the
 * run's threads was runnable but waited for a CPU (the kernel's run delay,
 * /proc/self/task/TID/schedstat), and how long the whole process was
 * stopped (SIGSTOP or a terminal's ^Z, then SIGCONT).
 */
#ifndef KICKSTORM_SCHEDSTAT_H
#define KICKSTORM_SCHEDSTAT_H

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

/* Installs the SIGCONT handler the stop watch relies on; once per process. */
int stopwatch__install(void);

/*
 * A controller thread ticks it as it wakes. A SIGCONT seen since the last
 * tick means the process was stopped in between: the gap since that tick
 * is counted as stopped (an upper bound by one tick period).
 */
struct stopwatch {
	uint64_t last_ns;
	unsigned long conts;
	uint64_t stopped_ns;
	unsigned stops;
};

void stopwatch__start(struct stopwatch *w);
void stopwatch__tick(struct stopwatch *w);

#endif
