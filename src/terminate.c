// SPDX-License-Identifier: MIT
#include "terminate.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * Everything the handler touches is a lock-free atomic or written before an
 * atomic flag publishes it: a process-directed signal can run the handler on
 * two threads at once, so plain "if (!first) first = sig" would let both
 * copies of a doubled signal believe they came first or second.
 */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2 && ATOMIC_LLONG_LOCK_FREE == 2,
	       "the signal handler needs lock-free atomics");

static atomic_bool requested;
static atomic_int first_signal;
static atomic_llong first_ns;		/* 0 until the first handler stored it */
static atomic_bool report_saved;

static int guard_dirfd = -1;
static char guard_name[NAME_MAX + 1];
static atomic_bool guard_armed;

static const int terminate_signals[] = { SIGINT, SIGTERM, SIGHUP };

static long long monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static const char *signal_label(int sig)
{
	switch (sig) {
	case SIGINT: return "SIGINT";
	case SIGTERM: return "SIGTERM";
	case SIGHUP: return "SIGHUP";
	default: return "signal";
	}
}

/* write(2) only: stdio is not async-signal-safe. */
static void say(const char *s)
{
	size_t len = strlen(s);

	while (len) {
		ssize_t n = write(STDERR_FILENO, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

static void (*_Atomic at_exit)(void);

static _Noreturn void exit_at_once(int sig)
{
	void (*cleanup)(void) = atomic_load(&at_exit);

	if (atomic_load_explicit(&guard_armed, memory_order_acquire))
		unlinkat(guard_dirfd, guard_name, 0);
	if (cleanup)
		cleanup();
	say("kickstorm: ");
	say(signal_label(sig));
	say(atomic_load_explicit(&report_saved, memory_order_relaxed) ?
	    " again: exiting at once (the report was already written)\n" :
	    " again: exiting at once; the report was abandoned\n");
	_exit(128 + sig);
}

static void on_terminate(int sig)
{
	int saved_errno = errno, expected = 0;
	long long now = monotonic_ns(), first;

	if (atomic_compare_exchange_strong(&first_signal, &expected, sig)) {
		atomic_store(&first_ns, now);
		atomic_store_explicit(&requested, true, memory_order_relaxed);
		errno = saved_errno;
		return;
	}
	first = atomic_load(&first_ns);
	/* Still storing, or within the window: a copy of the first signal. */
	if (!first || now - first < TERMINATE_REPEAT_NS) {
		errno = saved_errno;
		return;
	}
	exit_at_once(sig);
}

int terminate__install(void)
{
	struct sigaction sa = { .sa_handler = on_terminate };
	sigset_t set;

	/*
	 * SA_RESTART: a signal that only asks for a wind-down must not fail the
	 * table's or the report's writes with EINTR. The waits that must notice
	 * it (sem_clockwait, poll, nanosleep, KVM_RUN) return EINTR regardless.
	 */
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&set);
	for (size_t i = 0; i < KS_ARRAY_SIZE(terminate_signals); i++) {
		sigaddset(&sa.sa_mask, terminate_signals[i]);
		sigaddset(&set, terminate_signals[i]);
	}
	for (size_t i = 0; i < KS_ARRAY_SIZE(terminate_signals); i++) {
		if (sigaction(terminate_signals[i], &sa, NULL) < 0) {
			ks_error_errno(errno, "cannot install the %s handler",
				       signal_label(terminate_signals[i]));
			return -1;
		}
	}
	if (sigprocmask(SIG_UNBLOCK, &set, NULL) < 0) {
		ks_error_errno(errno, "cannot unblock SIGINT, SIGTERM and SIGHUP");
		return -1;
	}
	return 0;
}

atomic_bool *terminate__flag(void)
{
	return &requested;
}

bool terminate__requested(void)
{
	return atomic_load_explicit(&requested, memory_order_relaxed);
}

int terminate__exit_status(void)
{
	int sig = atomic_load(&first_signal);

	return sig ? 128 + sig : 0;
}

void terminate__guard_file(int dirfd, const char *name)
{
	atomic_store_explicit(&guard_armed, false, memory_order_release);
	if (strlen(name) >= sizeof(guard_name))
		return;
	guard_dirfd = dirfd;
	strcpy(guard_name, name);
	atomic_store_explicit(&guard_armed, true, memory_order_release);
}

void terminate__unguard_file(void)
{
	atomic_store_explicit(&guard_armed, false, memory_order_release);
}

void terminate__report_saved(void)
{
	atomic_store_explicit(&report_saved, true, memory_order_relaxed);
}

void terminate__at_exit(void (*fn)(void))
{
	atomic_store(&at_exit, fn);
}
