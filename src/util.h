/* SPDX-License-Identifier: MIT */
#ifndef KICKSTORM_UTIL_H
#define KICKSTORM_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define KS_CACHELINE 64
/*
 * The most vCPUs the guest's memory layout holds (mailbox.h): the largest
 * KVM_CAP_MAX_VCPUS an x86 kernel reports. A run is held to what this
 * host's KVM allows (vm__max_vcpus), which is usually less.
 */
#define KS_MAX_VCPUS 4096
#define KS_MAX_SENDERS 64
#define KS_MAX_CPUS 1024
#define KS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define KS_ALIGNED_CACHELINE __attribute__((aligned(KS_CACHELINE)))

/* Exit statuses shared by every subcommand (kickstorm(1), EXIT STATUS). */
enum ks_exit {
	KS_EXIT_OK = 0,
	KS_EXIT_FAIL = 1,      /* a lost request (run) or a regression (compare) */
	KS_EXIT_USAGE = 2,     /* bad option, bad value or unreadable input */
	KS_EXIT_SKIP = 77,     /* the host cannot run it */
	KS_EXIT_SIGHUP = 129,
	KS_EXIT_SIGINT = 130,
	KS_EXIT_SIGTERM = 143,
};

/* "kickstorm: <message>\n" on stderr. */
void ks_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same with ": <strerror(errnum)>" appended. */
void ks_error_errno(int errnum, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The message of this thread's latest ks_error*, "" when none. */
const char *ks_last_error(void);
/* Progress and notes on stderr, silenced by --quiet. */
void ks_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern int ks_quiet;
/* Called before ks_error* and ks_note write: ends a progress line left open on stderr. */
extern void (*ks_before_stderr)(void);

/* Formats into a caller buffer; always NUL-terminates. */
void ks_format(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Allocation that cannot fail quietly: aborts with a message on ENOMEM. */
void *ks_zalloc(size_t size);
void *ks_aligned_zalloc(size_t align, size_t size);

#endif
