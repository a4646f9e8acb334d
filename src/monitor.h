/* SPDX-License-Identifier: MIT */
/*
 * The controller every measurement runs under, on the thread that started
 * it: it wakes now and then (never often: it would take the CPUs it
 * measures), and ends the measurement on --duration, Ctrl-C or a failed
 * vCPU, and shows progress.
 */
#ifndef KICKSTORM_MONITOR_H
#define KICKSTORM_MONITOR_H

#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>

struct scenario_run;

enum monitor_stop {
	MONITOR_FINISH = 1,     /* --duration ran out: send no more, settle what is outstanding */
	MONITOR_ABORT = 2,      /* Ctrl-C, a failed vCPU, or outstanding requests out of time: leave */
};

struct monitor_ops {
	unsigned period_ms;
	/* Posted by the measurement to wake the monitor early (a sender ended); NULL: none. */
	sem_t *wake;
	/* True when the measurement is over; *done: requests (or rounds) so far. */
	bool (*poll)(void *arg, uint64_t *done);
	/* Asks the measurement to stop. A storm that keeps --duration itself ignores FINISH. */
	void (*stop)(void *arg, enum monitor_stop how);
	void *arg;
	uint64_t total;         /* for progress; 0 when bounded by time only */
};

/*
 * Runs until poll says the measurement is over. --duration finishes it,
 * and one deadline (at most a second) later aborts it; once aborted, it
 * gets MONITOR_ABORT_GRACE_MS to wind down before the monitor returns
 * anyway. Sets res->interrupted, res->error (a failed vCPU) and
 * res->elapsed_s, and ticks the engine's stop watch.
 */
void monitor__run(struct scenario_run *run, const struct monitor_ops *ops);

#define MONITOR_ABORT_GRACE_MS 1000
/* Outstanding requests get a deadline, and never more than this, after --duration. */
#define MONITOR_END_GRACE_MS 1000

#endif
