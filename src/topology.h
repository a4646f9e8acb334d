/* SPDX-License-Identifier: MIT */
/*
 * Where threads run and where their memory lives.
 *
 * Kick latency is dominated by who shares a CPU, a core or a cache with whom,
 * so every vCPU and sender thread is pinned, every vCPU's mailbox is placed on
 * its CPU's NUMA node, and the report records both the plan and where each
 * thread was actually seen running.
 *
 * The machine's shape (topology__*) comes from hwloc; the assignment of
 * threads to CPUs is placement.h's, memory placement node_memory.h's.
 */
#ifndef KICKSTORM_TOPOLOGY_H
#define KICKSTORM_TOPOLOGY_H

#ifndef _GNU_SOURCE
#error "topology.h needs _GNU_SOURCE for sched_getcpu(): build with -D_GNU_SOURCE"
#endif

#include "node_memory.h"
#include "placement.h"
#include "util.h"

#include <jansson.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct topology;

/* The machine we run on. 0, or -1 with a message. */
int topology__open(struct topology **out);
/*
 * A made-up machine in hwloc's synthetic syntax ("pack:2 numa:2 core:4 pu:2"),
 * for tests of ordering on shapes this host does not have. Every CPU is
 * allowed; binding and libnuma are not used.
 */
int topology__open_synthetic(const char *description, struct topology **out);
void topology__close(struct topology *t);

/*
 * CPUs this process may run on, as sampled at topology__open (before any of
 * our threads pinned itself): the calling thread's affinity within the cgroup
 * cpuset. OS indices, ascending; returns how many were stored (at most max).
 */
unsigned topology__allowed_cpus(const struct topology *t, int *cpus, unsigned max);

/*
 * Orders a CPU list in place for a policy. compact: hwloc logical PU order,
 * so neighbours share cores and caches. scatter: round-robin over packages,
 * then NUMA nodes, then L3 caches, then cores, then SMT siblings, so the first
 * k CPUs are as far apart as the hierarchy allows. none: unchanged. CPUs hwloc
 * does not know stay at the end in their original order.
 */
void topology__order_cpus(const struct topology *t, enum placement_policy p, int *cpus, unsigned ncpus);

/*
 * -1 with a one-line reason in why if a requested CPU is not allowed, listed
 * twice, or beyond KS_MAX_CPUS; 0 otherwise.
 */
int topology__check_cpus(const struct topology *t, const int *cpus, unsigned ncpus, char *why, size_t why_len);

/* NUMA node (OS index) local to a CPU, -1 unknown. */
int topology__cpu_node(const struct topology *t, int cpu);
unsigned topology__nr_nodes(const struct topology *t);

/* Pins the calling thread to one CPU; cpu < 0 is a no-op. 0 or -errno (-ENOSYS if synthetic). */
int topology__bind_self(const struct topology *t, int cpu);

/*
 * {"packages", "cores", "pus", "allowed_cpus": "0-1",
 *  "numa_nodes": [{"node", "cpus": "0-1", "memory_mib"}],
 *  "numa_available", "hwloc_version"}
 */
json_t *topology__to_json(const struct topology *t);

/*
 * Where one thread actually ran. Owned and written by that thread only, so
 * sampling needs no atomics; read it after joining the thread. Aligned so an
 * embedded trace never shares a cache line with another thread's data.
 */
struct cpu_trace {
	uint64_t bits[KS_MAX_CPUS / 64];
} KS_ALIGNED_CACHELINE;

/*
 * Cheap enough for hot paths (~2 ns here): glibc answers sched_getcpu() from the
 * rseq area, or the vDSO, without a system call. Only the owning thread sets
 * bits, but the report may read them while it still runs, so the words are
 * accessed atomically; relaxed is enough, as a CPU seen a moment late is
 * still a CPU the thread ran on. The store happens only for a new CPU.
 */
static inline void cpu_trace__sample(struct cpu_trace *t)
{
	int cpu = sched_getcpu();

	if (cpu >= 0 && cpu < KS_MAX_CPUS) {
		uint64_t *word = &t->bits[cpu / 64], bit = UINT64_C(1) << (cpu % 64);
		uint64_t old = __atomic_load_n(word, __ATOMIC_RELAXED);

		if (!(old & bit))
			__atomic_store_n(word, old | bit, __ATOMIC_RELAXED);
	}
}

/* The CPUs seen, ascending; returns how many were stored (at most max). */
unsigned cpu_trace__cpus(const struct cpu_trace *t, int *cpus, unsigned max);
/* True if the thread was seen, and seen only on cpu. */
bool cpu_trace__only_on(const struct cpu_trace *t, int cpu);
/* Array of CPU numbers, ascending. */
json_t *cpu_trace__to_json(const struct cpu_trace *t);

/*
 * "0-3,8": ascending runs collapse to ranges, the order given is kept.
 * Always NUL-terminated; a list that does not fit ends in "...".
 */
void cpu_list__format(const int *cpus, unsigned n, char *buf, size_t len);

#endif
