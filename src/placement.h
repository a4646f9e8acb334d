/* SPDX-License-Identifier: MIT */
/*
 * Which CPU each vCPU and sender thread is pinned to. Pure, so it can be
 * unit tested without a machine: the CPU list comes ordered from
 * topology__order_cpus().
 */
#ifndef KICKSTORM_PLACEMENT_H
#define KICKSTORM_PLACEMENT_H

#include <jansson.h>
#include <stdbool.h>

#include "util.h"

enum placement_policy { PLACEMENT_COMPACT, PLACEMENT_SCATTER, PLACEMENT_NONE };

/* For usage messages: every name placement__parse() accepts. */
#define PLACEMENT_CHOICES "compact, scatter, none"

const char *placement__name(enum placement_policy p);
/* 0, or -1 for an unknown name (the caller reports it with PLACEMENT_CHOICES). */
int placement__parse(const char *s, enum placement_policy *out);

struct placement_plan {
	int *vcpu_cpu;                  /* nvcpus OS CPU indices, -1 = not bound; owned */
	int sender_cpu[KS_MAX_SENDERS];
	unsigned nvcpus, nsenders;
	enum placement_policy policy;
	/* Some CPU runs more than one of our threads (for "none": more threads than CPUs). */
	bool overcommit;
	/*
	 * Most threads pinned to one CPU. For "none", ceil(threads / CPUs): the
	 * best the scheduler can do when all of them spin; 0 when ncpus was 0.
	 */
	unsigned max_threads_per_cpu;
};

/*
 * Assigns threads to an ordered CPU list (order it with topology__order_cpus):
 * vCPU i takes cpus[i % ncpus]; each sender then takes the least loaded CPU,
 * preferring one that holds fewer vCPUs, scanning from the first CPU after the
 * vCPUs. So without overcommit senders get CPUs of their own, and with it the
 * threads per CPU differ by at most one and senders stack on sender CPUs
 * before they share with a vCPU. Returns 0, or -1 with a message if the counts
 * exceed KS_MAX_VCPUS/KS_MAX_SENDERS or a binding policy has no CPUs. Its
 * memory grows with nvcpus; placement__release frees it.
 */
int placement__assign(const int *cpus, unsigned ncpus, enum placement_policy policy,
		      unsigned nvcpus, unsigned nsenders, struct placement_plan *plan);
void placement__release(struct placement_plan *plan);

/* {"policy", "vcpu_cpus": [..], "sender_cpus": [..], "overcommit", "max_threads_per_cpu"}; -1 = unbound. */
/*
 * One-to-one storms (sender i kicks vCPU i mod nvcpus): a sender sharing a
 * CPU with the vCPU it kicks measures the scheduler, not the kick, so each
 * such sender moves to the least loaded other CPU of the list.
 */
void placement__keep_senders_off_targets(struct placement_plan *plan, const int *cpus,
					 unsigned ncpus);
json_t *placement__to_json(const struct placement_plan *plan);

/* [cpu, ...]: a JSON array of CPU numbers, -1 for unbound. */
json_t *cpu_array__to_json(const int *cpus, unsigned n);

#endif
