/* SPDX-License-Identifier: MIT */
/*
 * Where threads run and where their memory lives.
 *
 * Kick latency is dominated by who shares a CPU, a core or a cache with whom,
 * so every vCPU and sender thread is pinned, every vCPU's mailbox is placed on
 * its CPU's NUMA node, and the report records both the plan and where each
 * thread was actually seen running.
 *
 * The assignment of threads to CPUs (placement__*) is pure so it can be unit
 * tested without a machine; the machine's shape (topology__*) comes from
 * hwloc, memory placement (node_memory__*) from libnuma.
 */
#ifndef KICKSTORM_TOPOLOGY_H
#define KICKSTORM_TOPOLOGY_H

#ifndef _GNU_SOURCE
#error "topology.h needs _GNU_SOURCE for sched_getcpu(): build with -D_GNU_SOURCE"
#endif

#include "util.h"

#include <jansson.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum placement_policy { PLACEMENT_COMPACT, PLACEMENT_SCATTER, PLACEMENT_NONE };

/* For usage messages: every name placement__parse() accepts. */
#define PLACEMENT_CHOICES "compact, scatter, none"

const char *placement__name(enum placement_policy p);
/* 0, or -1 for an unknown name (the caller reports it with PLACEMENT_CHOICES). */
int placement__parse(const char *s, enum placement_policy *out);

struct placement_plan {
	int vcpu_cpu[KS_MAX_VCPUS];     /* OS CPU index, or -1 = not bound */
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
 * exceed KS_MAX_VCPUS/KS_MAX_SENDERS or a binding policy has no CPUs.
 */
int placement__assign(const int *cpus, unsigned ncpus, enum placement_policy policy,
		      unsigned nvcpus, unsigned nsenders, struct placement_plan *plan);

/* {"policy", "vcpu_cpus": [..], "sender_cpus": [..], "overcommit", "max_threads_per_cpu"}; -1 = unbound. */
/*
 * One-to-one storms (sender i kicks vCPU i mod nvcpus): a sender sharing a
 * CPU with the vCPU it kicks measures the scheduler, not the kick, so each
 * such sender moves to the least loaded other CPU of the list.
 */
void placement__keep_senders_off_targets(struct placement_plan *plan, const int *cpus,
					 unsigned ncpus);
json_t *placement__to_json(const struct placement_plan *plan);

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

/* A vCPU's mailbox: page aligned, zeroed, already faulted in, on a NUMA node. */
struct node_memory {
	void *addr;
	size_t size;           /* rounded up to whole pages */
	int node;              /* node actually requested, -1 if none */
	bool from_libnuma;
	char policy[96];       /* "numa_alloc_onnode(0)" or "plain mmap: <reason>" */
};

/*
 * numa_alloc_onnode() when libnuma reports NUMA available and node >= 0 has
 * memory, else anonymous mmap; policy says which and why. The pages are
 * faulted in here so the hot path takes no page faults; with plain mmap that
 * first touch decides the node, so call it from the thread that will use it.
 * 0, or -1 with a message.
 */
int node_memory__alloc(struct node_memory *m, size_t size, int node);
void node_memory__free(struct node_memory *m);
/* The node the first page sits on (get_mempolicy MPOL_F_NODE|MPOL_F_ADDR); -1 if unknown. */
int node_memory__actual_node(const struct node_memory *m);

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
