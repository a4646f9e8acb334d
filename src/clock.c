// SPDX-License-Identifier: MIT
#include "clock.h"
#include "util.h"

#include <cpuid.h>
#include <stdlib.h>
#include <time.h>

uint64_t clock__monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void clock__utc_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static bool tsc_is_invariant(void)
{
	unsigned int eax, ebx, ecx, edx;

	if (!__get_cpuid(0x80000007, &eax, &ebx, &ecx, &edx))
		return false;
	return edx & (1u << 8);
}

/* One calibration window; the shortest of a few rejects a preempted one. */
static uint64_t calibrate_once(uint64_t window_ns)
{
	uint64_t t0 = clock__monotonic_ns(), c0 = clock__tsc_ordered();
	uint64_t t1, c1;

	do {
		t1 = clock__monotonic_ns();
	} while (t1 - t0 < window_ns);
	c1 = clock__tsc_ordered();
	return (c1 - c0) * 1000000ull / (t1 - t0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

int clock__init(struct tsc_clock *c, char *why, size_t why_len)
{
	uint64_t khz[5];

	if (!tsc_is_invariant()) {
		ks_format(why, why_len, "the TSC is not invariant on this CPU, so TSC timestamps "
			  "cannot be converted to time");
		return -1;
	}
	for (size_t i = 0; i < KS_ARRAY_SIZE(khz); i++)
		khz[i] = calibrate_once(10 * 1000 * 1000);
	qsort(khz, KS_ARRAY_SIZE(khz), sizeof(khz[0]), cmp_u64);
	c->calibrated_khz = khz[KS_ARRAY_SIZE(khz) / 2];
	c->khz = c->calibrated_khz;
	c->source = "calibrated";
	return 0;
}

void clock__adopt_kvm_khz(struct tsc_clock *c, uint64_t kvm_khz)
{
	uint64_t diff;

	if (!kvm_khz)
		return;
	diff = kvm_khz > c->calibrated_khz ? kvm_khz - c->calibrated_khz : c->calibrated_khz - kvm_khz;
	if (diff * 100 <= c->calibrated_khz) {
		c->khz = kvm_khz;
		c->source = "KVM_GET_TSC_KHZ";
	}
}
