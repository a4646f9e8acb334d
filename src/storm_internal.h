/* SPDX-License-Identifier: MIT */
/*
 * Inside the storm: storm.c sets it up, runs it and collects it,
 * storm_sender.c is the sender threads' loops.
 */
#ifndef KICKSTORM_STORM_INTERNAL_H
#define KICKSTORM_STORM_INTERNAL_H

#include <semaphore.h>

#include "engine.h"
#include "kick_log.h"
#include "ledger.h"
#include "mailbox.h"
#include "schedstat.h"

struct storm_kick;

/*
 * Open loop: a sender that is behind its schedule reads the observers' logs
 * once every this many kicks per target instead of after each one. Between
 * two reads an observer logs at most one entry per kick plus one for a
 * re-kick, so the log never wraps past an unread entry.
 */
#define STORM_COLLECT_EVERY 16
/*
 * A kick syscall that takes longer than this was not just slow: the sender
 * was descheduled inside it, and the request's wait includes that.
 */
#define STORM_STALL_NS 100000
_Static_assert(STORM_COLLECT_EVERY + 1 <= MB_OBS_RING, "the observation log outlasts a batch");

struct storm_sender;

struct storm_target {
	struct storm_sender *sender;
	struct vcpu *vcpu;
	struct mb_slot *slot;
	struct ledger_stream stream;
	uint64_t obs_read;          /* observer's log entries read */
	uint64_t last_kick;         /* TSC of the newest kick or re-kick */
	struct ledger_watch watch;  /* --trace: served kicks into the sender's log */
};

struct storm;

struct storm_sender {
	struct storm *storm;
	unsigned id;
	int cpu;
	int bind_error;
	int tid;
	pthread_t thread;
	bool started;
	unsigned ntargets;
	struct storm_target *targets;
	unsigned next_target;
	uint64_t rng;
	struct ledger_tally tally;
	struct kick_counts kicks;
	int first_kick_error;
	uint64_t stalls, stall_max;     /* ticks */
	uint64_t log_overruns;
	struct sched_sample sched_before, sched_after;
	struct cpu_trace ran_on;
	struct kick_log log;            /* --trace: this sender's served kicks */
	KS_ALIGNED_CACHELINE _Atomic uint64_t progress;
	atomic_bool done;
};

struct storm {
	struct engine *engine;
	const struct storm_kick *kick;
	void *state;                /* the scenario's, for its kick */
	bool guest_tsc;             /* observations are guest TSC */
	bool log_kicks;             /* --trace: each sender logs its served kicks */
	const struct ks_config *cfg;
	struct ledger_rules rules;
	unsigned nsenders;
	struct storm_sender **senders;
	uint64_t count;             /* per sender, 0 = unbounded */
	uint64_t end_tsc;           /* 0 = unbounded */
	uint64_t gap_ticks;
	uint64_t interval_ticks;    /* open loop: between bursts */
	uint64_t stall_ticks;
	uint64_t end_grace;         /* ticks after end_tsc that outstanding requests may take */
	bool yield;                 /* overcommitted: spinning would starve the vCPU we wait for */
	sem_t finished;             /* posted by each sender as it ends */
	KS_ALIGNED_CACHELINE atomic_bool stop;
};

/* A sender thread's body: pthread_create's start routine. */
void *sender__thread(void *arg);
/* The ledger watch that logs a target's served kicks for --trace (arg: the storm_target). */
void sender__log_served(void *arg, const struct ledger_stream *stream, const struct ledger_pub *request,
			uint64_t obs, enum ledger_outcome o);

#endif
