/* SPDX-License-Identifier: MIT */
/*
 * Timestamps: every latency is taken with the TSC on both ends and converted
 * to ns once, when reporting. The TSC must be invariant (constant rate, runs
 * in all C-states); clock__init refuses a host without it.
 */
#ifndef KICKSTORM_CLOCK_H
#define KICKSTORM_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

static inline uint64_t clock__tsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/*
 * rdtscp waits for earlier instructions to complete, so a timestamp taken
 * after observing a flag is not hoisted above the load that saw it.
 */
static inline uint64_t clock__tsc_ordered(void)
{
	uint32_t lo, hi, aux;

	__asm__ __volatile__("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	return ((uint64_t)hi << 32) | lo;
}

static inline void clock__relax(void)
{
	__builtin_ia32_pause();
}

struct tsc_clock {
	uint64_t khz;           /* TSC ticks per millisecond */
	const char *source;     /* "KVM_GET_TSC_KHZ" or "calibrated" */
	uint64_t calibrated_khz;
};

/*
 * What the calibration can be off by: the median of five 10 ms windows, each
 * bounded by clock reads a microsecond or so apart.
 */
#define CLOCK_CALIBRATION_PPM 500

/* Calibrates against CLOCK_MONOTONIC_RAW; returns -1 without an invariant TSC. */
int clock__init(struct tsc_clock *c, char *why, size_t why_len);
/* Prefers KVM's own figure when it agrees with the calibration within 1%. */
void clock__adopt_kvm_khz(struct tsc_clock *c, uint64_t kvm_khz);

static inline double clock__ns_per_tick(const struct tsc_clock *c)
{
	return 1e6 / (double)c->khz;
}

static inline uint64_t clock__ns_to_ticks(const struct tsc_clock *c, uint64_t ns)
{
	return (uint64_t)((double)ns * (double)c->khz / 1e6);
}

static inline double clock__ticks_to_ns(const struct tsc_clock *c, uint64_t ticks)
{
	return (double)ticks * clock__ns_per_tick(c);
}

/* Busy-waits ticks TSC ticks; used for --race-window and open-loop pacing. */
static inline void clock__spin(uint64_t ticks)
{
	uint64_t start = clock__tsc();

	while (clock__tsc() - start < ticks)
		clock__relax();
}

uint64_t clock__monotonic_ns(void);
/* ISO 8601 UTC, "2026-11-24T18:22:05Z". */
void clock__utc_now(char *buf, size_t len);

#endif
