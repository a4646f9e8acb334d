// SPDX-License-Identifier: MIT
#include "placement.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const placement_names[] = {
	[PLACEMENT_COMPACT] = "compact",
	[PLACEMENT_SCATTER] = "scatter",
	[PLACEMENT_NONE] = "none",
};

const char *placement__name(enum placement_policy p)
{
	if ((unsigned)p < KS_ARRAY_SIZE(placement_names))
		return placement_names[p];
	return "unknown";
}

int placement__parse(const char *s, enum placement_policy *out)
{
	for (unsigned i = 0; s && i < KS_ARRAY_SIZE(placement_names); i++) {
		if (!strcmp(s, placement_names[i])) {
			*out = (enum placement_policy)i;
			return 0;
		}
	}
	return -1;
}

static int compare_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/*
 * Counted per OS CPU rather than per list slot, so a list that names a CPU
 * twice still reports the sharing it causes.
 */
static void placement__count(struct placement_plan *plan)
{
	int *used = ks_zalloc((plan->nvcpus + plan->nsenders + 1) * sizeof(*used));
	unsigned n = 0, run = 0;

	for (unsigned i = 0; i < plan->nvcpus; i++)
		used[n++] = plan->vcpu_cpu[i];
	for (unsigned i = 0; i < plan->nsenders; i++)
		used[n++] = plan->sender_cpu[i];
	qsort(used, n, sizeof(used[0]), compare_int);

	plan->max_threads_per_cpu = 0;
	for (unsigned i = 0; i < n; i++) {
		run = (i && used[i] == used[i - 1]) ? run + 1 : 1;
		if (run > plan->max_threads_per_cpu)
			plan->max_threads_per_cpu = run;
	}
	plan->overcommit = plan->max_threads_per_cpu > 1;
	free(used);
}

/*
 * Least loaded slot, ties to the first in rotation from start. vCPUs fill
 * slots round-robin from 0, so rotating from the slot after the last vCPU
 * meets the slots holding the fewest vCPUs first: among equally loaded CPUs a
 * sender avoids a vCPU whenever it can, because a sender spinning next to a
 * vCPU steals the very cycles whose kick latency we time.
 */
static unsigned placement__pick_sender_slot(const unsigned *load, unsigned ncpus, unsigned start)
{
	unsigned best = start;

	for (unsigned k = 1; k < ncpus; k++) {
		unsigned i = (start + k) % ncpus;

		if (load[i] < load[best])
			best = i;
	}
	return best;
}

int placement__assign(const int *cpus, unsigned ncpus, enum placement_policy policy,
		      unsigned nvcpus, unsigned nsenders, struct placement_plan *plan)
{
	unsigned *load;

	if (nvcpus > KS_MAX_VCPUS || nsenders > KS_MAX_SENDERS) {
		ks_error("%u vCPUs and %u senders requested, at most %d and %d are supported",
			 nvcpus, nsenders, KS_MAX_VCPUS, KS_MAX_SENDERS);
		return -1;
	}
	memset(plan, 0, sizeof(*plan));
	plan->vcpu_cpu = ks_zalloc((nvcpus + 1) * sizeof(*plan->vcpu_cpu));
	for (unsigned i = 0; i < nvcpus; i++)
		plan->vcpu_cpu[i] = -1;
	for (unsigned i = 0; i < KS_MAX_SENDERS; i++)
		plan->sender_cpu[i] = -1;
	plan->nvcpus = nvcpus;
	plan->nsenders = nsenders;
	plan->policy = policy;

	if (policy == PLACEMENT_NONE) {
		if (ncpus) {
			plan->max_threads_per_cpu = (nvcpus + nsenders + ncpus - 1) / ncpus;
			plan->overcommit = nvcpus + nsenders > ncpus;
		}
		return 0;
	}
	if (!ncpus) {
		ks_error("placement %s has no CPUs to bind to", placement__name(policy));
		return -1;
	}

	load = ks_zalloc(ncpus * sizeof(*load));
	for (unsigned i = 0; i < nvcpus; i++) {
		plan->vcpu_cpu[i] = cpus[i % ncpus];
		load[i % ncpus]++;
	}
	for (unsigned i = 0; i < nsenders; i++) {
		unsigned slot = placement__pick_sender_slot(load, ncpus, nvcpus % ncpus);

		plan->sender_cpu[i] = cpus[slot];
		load[slot]++;
	}
	free(load);

	placement__count(plan);
	return 0;
}

void placement__release(struct placement_plan *plan)
{
	free(plan->vcpu_cpu);
	plan->vcpu_cpu = NULL;
	plan->nvcpus = 0;
}

json_t *cpu_array__to_json(const int *cpus, unsigned n)
{
	json_t *a = json_array();

	for (unsigned i = 0; a && i < n; i++)
		json_array_append_new(a, json_integer(cpus[i]));
	return a;
}

/* Threads pinned to each CPU of the list, by list slot: O(threads + CPUs). */
static unsigned *placement__loads(const struct placement_plan *plan, const int *cpus, unsigned ncpus)
{
	unsigned *by_cpu = ks_zalloc(KS_MAX_CPUS * sizeof(*by_cpu)), *load = ks_zalloc(ncpus * sizeof(*load));

	for (unsigned v = 0; v < plan->nvcpus; v++)
		if (plan->vcpu_cpu[v] >= 0 && plan->vcpu_cpu[v] < KS_MAX_CPUS)
			by_cpu[plan->vcpu_cpu[v]]++;
	for (unsigned s = 0; s < plan->nsenders; s++)
		if (plan->sender_cpu[s] >= 0 && plan->sender_cpu[s] < KS_MAX_CPUS)
			by_cpu[plan->sender_cpu[s]]++;
	for (unsigned c = 0; c < ncpus; c++)
		load[c] = cpus[c] >= 0 && cpus[c] < KS_MAX_CPUS ? by_cpu[cpus[c]] : 0;
	free(by_cpu);
	return load;
}

void placement__keep_senders_off_targets(struct placement_plan *plan, const int *cpus,
					 unsigned ncpus)
{
	unsigned *load;

	if (ncpus < 2 || plan->policy == PLACEMENT_NONE || !plan->nvcpus)
		return;
	load = placement__loads(plan, cpus, ncpus);
	for (unsigned i = 0; i < plan->nsenders; i++) {
		int target_cpu = plan->vcpu_cpu[i % plan->nvcpus];
		unsigned best = ncpus;

		if (plan->sender_cpu[i] != target_cpu)
			continue;
		for (unsigned c = 0; c < ncpus; c++)
			if (cpus[c] != target_cpu && (best == ncpus || load[c] < load[best]))
				best = c;
		if (best == ncpus)
			continue;
		/* The sender leaves its CPU (every slot naming it) for the chosen one. */
		for (unsigned c = 0; c < ncpus; c++)
			load[c] -= cpus[c] == target_cpu && load[c] > 0;
		load[best]++;
		plan->sender_cpu[i] = cpus[best];
	}
	free(load);
}

json_t *placement__to_json(const struct placement_plan *plan)
{
	return json_pack("{s:s, s:o, s:o, s:b, s:I}",
			 "policy", placement__name(plan->policy),
			 "vcpu_cpus", cpu_array__to_json(plan->vcpu_cpu, plan->nvcpus),
			 "sender_cpus", cpu_array__to_json(plan->sender_cpu, plan->nsenders),
			 "overcommit", plan->overcommit,
			 "max_threads_per_cpu", (json_int_t)plan->max_threads_per_cpu);
}

