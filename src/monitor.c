// SPDX-License-Identifier: MIT
#include "monitor.h"
#include "engine.h"
#include "scenario.h"
#include "schedstat.h"

#include <errno.h>
#include <time.h>

#define MONITOR_PROGRESS_NS 1000000000ull

/* Sleeps a period, or until the measurement posts ops->wake, or a signal arrives. */
static void monitor__wait(const struct monitor_ops *ops)
{
	struct timespec until;

	if (!ops->wake) {
		until = (struct timespec){ .tv_nsec = (long)ops->period_ms * 1000000L };
		nanosleep(&until, NULL);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += (long)ops->period_ms * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	/* Woken, timed out or interrupted (Ctrl-C): the caller looks around either way. */
	(void)sem_clockwait(ops->wake, CLOCK_MONOTONIC, &until);
}

/* Ctrl-C or a failed vCPU: true when the measurement must be aborted. */
static bool monitor__must_abort(struct scenario_run *run)
{
	struct scenario_result *res = run->res;

	if (atomic_load_explicit(run->ctx->interrupted, memory_order_relaxed))
		res->interrupted = true;
	if (!res->error[0] && run->engine)
		engine__vcpu_failed(run->engine, res);
	return res->interrupted || res->error[0];
}

struct monitor_clock {
	uint64_t start, end, grace, last_progress, abort_at;
	enum monitor_stop sent;
};

/* --duration: finish at its end, abort a deadline (at most MONITOR_END_GRACE_MS) later. */
static enum monitor_stop monitor__due(const struct monitor_clock *c, uint64_t now)
{
	if (!c->end || now < c->end)
		return 0;
	return now >= c->end + c->grace ? MONITOR_ABORT : MONITOR_FINISH;
}

void monitor__run(struct scenario_run *run, const struct monitor_ops *ops)
{
	const struct ks_config *cfg = run->ctx->cfg;
	struct monitor_clock c = { .start = clock__monotonic_ns() };
	uint64_t done = 0, deadline_ms = cfg->deadline_ms;

	c.last_progress = c.start;
	c.end = cfg->duration_s > 0 ? c.start + (uint64_t)(cfg->duration_s * 1e9) : 0;
	c.grace = (deadline_ms < MONITOR_END_GRACE_MS ? deadline_ms : MONITOR_END_GRACE_MS) * 1000000ull;
	while (!ops->poll(ops->arg, &done)) {
		uint64_t now = clock__monotonic_ns();
		enum monitor_stop how = monitor__must_abort(run) ? MONITOR_ABORT : monitor__due(&c, now);

		stopwatch__tick();
		if (run->engine)
			engine__sample_excuses(run->engine);
		if (how > c.sent) {
			ops->stop(ops->arg, how);
			c.sent = how;
		}
		if (c.sent == MONITOR_ABORT) {
			if (!c.abort_at)
				c.abort_at = now;
			else if (now - c.abort_at > MONITOR_ABORT_GRACE_MS * 1000000ull)
				break;
		}
		if (run->ctx->progress && (done || ops->total) &&
		    now - c.last_progress >= MONITOR_PROGRESS_NS) {
			run->ctx->progress(run->sc->name, done, ops->total, (double)(now - c.start) / 1e9);
			c.last_progress = now;
		}
		monitor__wait(ops);
	}
	run->res->elapsed_s = (double)(clock__monotonic_ns() - c.start) / 1e9;
}
