// SPDX-License-Identifier: MIT
/*
 * Placement is checked two ways: exact plans for the cases people reason
 * about, and invariants over every small combination, so a change to the
 * tie-breaking cannot quietly put a sender next to a vCPU. Ordering is checked
 * on synthetic multi-socket machines this host does not have; binding, NUMA
 * memory and traces on the real one.
 */
#include "topology.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <hwloc.h>
#include <numa.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Distinct, unordered, and not 0..n-1, so a slot index never passes for a CPU. */
static const int some_cpus[8] = { 12, 3, 40, 7, 9, 21, 5, 30 };

static void assert_cpus_equal(const int *got, const int *want, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (got[i] != want[i])
			fail_msg("position %u: got CPU %d, want %d", i, got[i], want[i]);
	}
}

static unsigned slot_of(const int *cpus, unsigned ncpus, int cpu)
{
	for (unsigned i = 0; i < ncpus; i++)
		if (cpus[i] == cpu)
			return i;
	fail_msg("CPU %d is not in the list", cpu);
	return 0;
}

/* placement__assign on a plan used before: the earlier plan's memory goes first. */
static int plan_assign(const int *cpus, unsigned ncpus, enum placement_policy policy, unsigned nvcpus,
		       unsigned nsenders, struct placement_plan *plan)
{
	placement__release(plan);
	return placement__assign(cpus, ncpus, policy, nvcpus, nsenders, plan);
}

static void check_plan_invariants(const struct placement_plan *p, const int *cpus, unsigned ncpus)
{
	unsigned load[8] = { 0 }, vload[8] = { 0 }, total = p->nvcpus + p->nsenders;
	unsigned max = 0, min = ~0u;

	for (unsigned i = 0; i < p->nvcpus; i++) {
		assert_int_equal(p->vcpu_cpu[i], cpus[i % ncpus]);
		load[i % ncpus]++;
		vload[i % ncpus]++;
	}
	for (unsigned i = 0; i < p->nsenders; i++)
		load[slot_of(cpus, ncpus, p->sender_cpu[i])]++;
	for (unsigned i = p->nsenders; i < KS_MAX_SENDERS; i++)
		assert_int_equal(p->sender_cpu[i], -1);

	for (unsigned c = 0; c < ncpus; c++) {
		max = load[c] > max ? load[c] : max;
		min = load[c] < min ? load[c] : min;
	}
	assert_true(max - min <= 1);
	assert_int_equal(p->max_threads_per_cpu, (total + ncpus - 1) / ncpus);
	assert_int_equal(p->overcommit, total > ncpus);

	if (total <= ncpus) {
		for (unsigned i = 0; i < p->nsenders; i++)
			assert_int_equal(p->sender_cpu[i], cpus[p->nvcpus + i]);
	}
	/* A sender may sit with a vCPU only if no vCPU-free CPU had room for it. */
	for (unsigned i = 0; i < p->nsenders; i++) {
		unsigned c = slot_of(cpus, ncpus, p->sender_cpu[i]);

		for (unsigned f = 0; vload[c] && f < ncpus; f++) {
			if (!vload[f] && load[f] < load[c])
				fail_msg("sender %u shares CPU %d with a vCPU while CPU %d holds %u threads",
					 i, cpus[c], cpus[f], load[f]);
		}
	}
}

static void test_assign_invariants(void **state)
{
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	static const enum placement_policy binding[] = { PLACEMENT_COMPACT, PLACEMENT_SCATTER };
	struct placement_plan plan = { 0 };

	(void)state;
	for (unsigned s = 0; s < KS_ARRAY_SIZE(sizes); s++)
		for (unsigned b = 0; b < KS_ARRAY_SIZE(binding); b++)
			for (unsigned v = 0; v <= 12; v++)
				for (unsigned n = 0; n <= 10; n++) {
					assert_int_equal(plan_assign(some_cpus, sizes[s], binding[b],
									   v, n, &plan), 0);
					assert_int_equal(plan.policy, binding[b]);
					check_plan_invariants(&plan, some_cpus, sizes[s]);
				}
	placement__release(&plan);
}

static void test_assign_senders_avoid_vcpus(void **state)
{
	struct placement_plan plan = { 0 };

	(void)state;
	/* The development machine's default: one vCPU, one sender, two CPUs. */
	assert_int_equal(plan_assign((int[]){ 0, 1 }, 2, PLACEMENT_COMPACT, 1, 1, &plan), 0);
	assert_int_equal(plan.vcpu_cpu[0], 0);
	assert_int_equal(plan.sender_cpu[0], 1);
	assert_false(plan.overcommit);
	assert_int_equal(plan.max_threads_per_cpu, 1);

	/* 2 vCPUs, 4 senders on 4 CPUs: senders double up on their own CPUs. */
	assert_int_equal(plan_assign(some_cpus, 4, PLACEMENT_COMPACT, 2, 4, &plan), 0);
	assert_cpus_equal(plan.vcpu_cpu, (int[]){ 12, 3 }, 2);
	assert_cpus_equal(plan.sender_cpu, (int[]){ 40, 7, 40, 7 }, 4);
	assert_true(plan.overcommit);
	assert_int_equal(plan.max_threads_per_cpu, 2);

	/* 1 vCPU, 3 senders on 2 CPUs: balance wins once the free CPU holds two. */
	assert_int_equal(plan_assign(some_cpus, 2, PLACEMENT_COMPACT, 1, 3, &plan), 0);
	assert_cpus_equal(plan.sender_cpu, (int[]){ 3, 3, 12 }, 3);
	assert_int_equal(plan.max_threads_per_cpu, 2);
	placement__release(&plan);
}

static void test_assign_wraps_around(void **state)
{
	struct placement_plan plan = { 0 };

	(void)state;
	assert_int_equal(plan_assign(some_cpus, 1, PLACEMENT_COMPACT, 1, 1, &plan), 0);
	assert_int_equal(plan.vcpu_cpu[0], 12);
	assert_int_equal(plan.sender_cpu[0], 12);
	assert_true(plan.overcommit);
	assert_int_equal(plan.max_threads_per_cpu, 2);

	/* The sender has to share; it takes the CPU after the last vCPU's. */
	assert_int_equal(plan_assign(some_cpus, 2, PLACEMENT_COMPACT, 2, 1, &plan), 0);
	assert_int_equal(plan.sender_cpu[0], 12);
	assert_true(plan.overcommit);

	assert_int_equal(plan_assign(some_cpus, 8, PLACEMENT_SCATTER, 16, 0, &plan), 0);
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(plan.vcpu_cpu[i], some_cpus[i % 8]);
	assert_true(plan.overcommit);
	assert_int_equal(plan.max_threads_per_cpu, 2);

	/* 9 vCPUs leave CPU 0 doubled, so senders continue from slot 1. */
	assert_int_equal(plan_assign(some_cpus, 8, PLACEMENT_COMPACT, 9, 3, &plan), 0);
	assert_cpus_equal(plan.sender_cpu, (int[]){ 3, 40, 7 }, 3);
	assert_int_equal(plan.max_threads_per_cpu, 2);
	placement__release(&plan);
}

static void test_assign_none_and_errors(void **state)
{
	struct placement_plan plan = { 0 };

	(void)state;
	assert_int_equal(plan_assign(some_cpus, 2, PLACEMENT_NONE, 2, 1, &plan), 0);
	assert_int_equal(plan.vcpu_cpu[0], -1);
	assert_int_equal(plan.vcpu_cpu[1], -1);
	assert_int_equal(plan.sender_cpu[0], -1);
	assert_true(plan.overcommit);
	assert_int_equal(plan.max_threads_per_cpu, 2);

	assert_int_equal(plan_assign(some_cpus, 8, PLACEMENT_NONE, 4, 4, &plan), 0);
	assert_false(plan.overcommit);
	assert_int_equal(plan.max_threads_per_cpu, 1);

	assert_int_equal(plan_assign(NULL, 0, PLACEMENT_NONE, 4, 4, &plan), 0);
	assert_false(plan.overcommit);

	assert_int_equal(plan_assign(NULL, 0, PLACEMENT_COMPACT, 1, 1, &plan), -1);
	assert_int_equal(plan_assign(NULL, 0, PLACEMENT_SCATTER, 1, 0, &plan), -1);
	assert_int_equal(plan_assign(some_cpus, 8, PLACEMENT_COMPACT, KS_MAX_VCPUS + 1, 0, &plan), -1);
	assert_int_equal(plan_assign(some_cpus, 8, PLACEMENT_COMPACT, 1, KS_MAX_SENDERS + 1, &plan), -1);
	assert_int_equal(plan_assign(some_cpus, 8, PLACEMENT_COMPACT, KS_MAX_VCPUS, KS_MAX_SENDERS, &plan), 0);
	assert_int_equal(plan.max_threads_per_cpu, (KS_MAX_VCPUS + KS_MAX_SENDERS) / 8);

	/* Sharing is counted per OS CPU, so a CPU listed twice still shows. */
	assert_int_equal(plan_assign((int[]){ 4, 4 }, 2, PLACEMENT_COMPACT, 2, 0, &plan), 0);
	assert_true(plan.overcommit);
	assert_int_equal(plan.max_threads_per_cpu, 2);
	placement__release(&plan);
}

static void test_placement_json(void **state)
{
	struct placement_plan plan = { 0 };
	json_t *j;

	(void)state;
	assert_int_equal(plan_assign((int[]){ 0, 1 }, 2, PLACEMENT_SCATTER, 1, 2, &plan), 0);
	j = placement__to_json(&plan);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "policy")), "scatter");
	assert_int_equal(json_array_size(json_object_get(j, "vcpu_cpus")), 1);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(j, "sender_cpus"), 1)), 1);
	assert_true(json_is_true(json_object_get(j, "overcommit")));
	assert_int_equal(json_integer_value(json_object_get(j, "max_threads_per_cpu")), 2);
	json_decref(j);
	placement__release(&plan);
}

static void test_placement_parse(void **state)
{
	static const enum placement_policy all[] = { PLACEMENT_COMPACT, PLACEMENT_SCATTER, PLACEMENT_NONE };
	static const char *const bad[] = { "", "Compact", "compact ", "scatte", "nonee", "1" };
	enum placement_policy p = PLACEMENT_NONE;

	(void)state;
	for (unsigned i = 0; i < KS_ARRAY_SIZE(all); i++) {
		assert_int_equal(placement__parse(placement__name(all[i]), &p), 0);
		assert_int_equal(p, all[i]);
	}
	assert_string_equal(placement__name(PLACEMENT_COMPACT), "compact");
	assert_string_equal(placement__name(PLACEMENT_SCATTER), "scatter");
	assert_string_equal(placement__name(PLACEMENT_NONE), "none");
	for (unsigned i = 0; i < KS_ARRAY_SIZE(bad); i++)
		assert_int_equal(placement__parse(bad[i], &p), -1);
	assert_int_equal(placement__parse(NULL, &p), -1);
	assert_int_equal(p, PLACEMENT_NONE);
}

static void check_format(const int *cpus, unsigned n, size_t len, const char *want)
{
	char buf[64];

	memset(buf, 'x', sizeof(buf));
	cpu_list__format(cpus, n, buf, len);
	assert_string_equal(buf, want);
}

static void test_cpu_list_format(void **state)
{
	static const int evens[] = { 0, 2, 4, 6, 8, 10, 12 };

	(void)state;
	check_format(NULL, 0, 64, "");
	check_format((int[]){ 5 }, 1, 64, "5");
	check_format((int[]){ 0, 1 }, 2, 64, "0-1");
	check_format((int[]){ 0, 1, 2, 3, 8 }, 5, 64, "0-3,8");
	check_format((int[]){ 0, 1, 2, 3, 8, 9, 10, 11 }, 8, 64, "0-3,8-11");
	check_format((int[]){ 3, 1, 2 }, 3, 64, "3,1-2");
	check_format((int[]){ -1, 0, 1 }, 3, 64, "-1,0-1");
	check_format((int[]){ 0, 1, 2, 3 }, 4, 4, "0-3");
	check_format(evens, 7, 64, "0,2,4,6,8,10,12");
	/* Cut on item boundaries: never "0,2,4,1..." for a list holding 12. */
	check_format(evens, 7, 8, "0,2,...");
	check_format(evens, 7, 13, "0,2,4,6,...");
	check_format((int[]){ 1000, 1001 }, 2, 5, "...");
}

static struct topology *open_synthetic(const char *description)
{
	struct topology *t = NULL;

	assert_int_equal(topology__open_synthetic(description, &t), 0);
	assert_non_null(t);
	return t;
}

static void test_order_scatter_exact(void **state)
{
	struct topology *t = open_synthetic("pack:2 core:2 pu:2");
	int cpus[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	int subset[5] = { 0, 1, 2, 3, 4 };

	(void)state;
	topology__order_cpus(t, PLACEMENT_SCATTER, cpus, 8);
	assert_cpus_equal(cpus, (int[]){ 0, 4, 2, 6, 1, 5, 3, 7 }, 8);

	/* Package 1 offers one core: it is used once, then package 0's go round. */
	topology__order_cpus(t, PLACEMENT_SCATTER, subset, 5);
	assert_cpus_equal(subset, (int[]){ 0, 4, 2, 1, 3 }, 5);

	topology__order_cpus(t, PLACEMENT_COMPACT, cpus, 8);
	assert_cpus_equal(cpus, (int[]){ 0, 1, 2, 3, 4, 5, 6, 7 }, 8);
	topology__close(t);
}

/* With default synthetic numbering a CPU's place follows from its number. */
static void test_order_scatter_big_machine(void **state)
{
	struct topology *t = open_synthetic("pack:2 numa:2 l3:2 core:2 pu:2");
	static const unsigned span[] = { 16, 8, 4, 2 };   /* PUs per package, node, L3, core */
	int cpus[32];

	(void)state;
	for (int i = 0; i < 32; i++)
		cpus[i] = 31 - i;
	topology__order_cpus(t, PLACEMENT_SCATTER, cpus, 32);

	/* Any prefix of k CPUs touches min(k, objects) distinct objects per level. */
	for (unsigned k = 1; k <= 32; k++) {
		for (unsigned l = 0; l < KS_ARRAY_SIZE(span); l++) {
			bool seen[32] = { false };
			unsigned distinct = 0, objects = 32 / span[l];

			for (unsigned i = 0; i < k; i++) {
				if (!seen[cpus[i] / span[l]])
					distinct++;
				seen[cpus[i] / span[l]] = true;
			}
			assert_int_equal(distinct, k < objects ? k : objects);
		}
	}
	for (unsigned i = 0; i < 32; i++)
		assert_int_equal(topology__cpu_node(t, cpus[i]), cpus[i] / 8);
	assert_int_equal(topology__nr_nodes(t), 4);

	topology__order_cpus(t, PLACEMENT_COMPACT, cpus, 32);
	for (int i = 0; i < 32; i++)
		assert_int_equal(cpus[i], i);
	topology__close(t);
}

/* Intel numbers SMT siblings N apart: compact must still pair them. */
static void test_order_smt_numbering(void **state)
{
	struct topology *t = open_synthetic("pack:2 core:4 pu:2(indexes=2*8:1*2)");
	int cpus[16], scattered[16];

	(void)state;
	/* Descending, so siblings arrive in the wrong order within each core. */
	for (int i = 0; i < 16; i++) {
		cpus[i] = 15 - i;
		scattered[i] = i;
	}
	topology__order_cpus(t, PLACEMENT_COMPACT, cpus, 16);
	assert_cpus_equal(cpus, (int[]){ 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15 }, 16);

	topology__order_cpus(t, PLACEMENT_SCATTER, scattered, 16);
	assert_cpus_equal(scattered, (int[]){ 0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15 }, 16);
	topology__close(t);
}

static void test_order_unknown_cpus_last(void **state)
{
	struct topology *t = open_synthetic("pack:2 core:2 pu:2");
	int compact[4] = { 5, 999, 1, -3 };
	int none[3] = { 7, 0, 3 };

	(void)state;
	topology__order_cpus(t, PLACEMENT_COMPACT, compact, 4);
	assert_cpus_equal(compact, (int[]){ 1, 5, 999, -3 }, 4);
	topology__order_cpus(t, PLACEMENT_NONE, none, 3);
	assert_cpus_equal(none, (int[]){ 7, 0, 3 }, 3);
	topology__close(t);
}

static void test_synthetic_checks_and_json(void **state)
{
	struct topology *t = open_synthetic("pack:2 numa:2 core:2 pu:2");
	char why[128] = "";
	json_t *j, *node1;

	(void)state;
	assert_int_equal(topology__check_cpus(t, (int[]){ 0, 15, 7 }, 3, why, sizeof(why)), 0);
	assert_int_equal(topology__check_cpus(t, (int[]){ 0, 16 }, 2, why, sizeof(why)), -1);
	assert_string_equal(why, "CPU 16 is not available to this process (allowed: 0-15)");
	assert_int_equal(topology__check_cpus(t, (int[]){ 3, 4, 3 }, 3, why, sizeof(why)), -1);
	assert_string_equal(why, "CPU 3 is listed twice");
	assert_int_equal(topology__check_cpus(t, (int[]){ -1 }, 1, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "CPU -1"));
	assert_int_equal(topology__check_cpus(t, (int[]){ KS_MAX_CPUS }, 1, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "CPU 1024"));

	assert_int_equal(topology__bind_self(t, 1), -ENOSYS);
	assert_int_equal(topology__cpu_node(t, 16), -1);

	j = topology__to_json(t);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "packages")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "cores")), 8);
	assert_int_equal(json_integer_value(json_object_get(j, "pus")), 16);
	assert_string_equal(json_string_value(json_object_get(j, "allowed_cpus")), "0-15");
	assert_int_equal(json_array_size(json_object_get(j, "numa_nodes")), 4);
	node1 = json_array_get(json_object_get(j, "numa_nodes"), 1);
	assert_int_equal(json_integer_value(json_object_get(node1, "node")), 1);
	assert_string_equal(json_string_value(json_object_get(node1, "cpus")), "4-7");
	assert_int_equal(json_integer_value(json_object_get(node1, "memory_mib")), 1024);
	assert_true(json_is_false(json_object_get(j, "numa_available")));
	assert_string_equal(json_string_value(json_object_get(j, "hwloc_version")), HWLOC_VERSION);
	json_decref(j);
	topology__close(t);
}

/* The real machine from here on. */

static int setup_real(void **state)
{
	struct topology *t = NULL;

	if (topology__open(&t))
		return -1;
	*state = t;
	return 0;
}

static int teardown_real(void **state)
{
	topology__close(*state);
	return 0;
}

static void test_allowed_matches_affinity(void **state)
{
	int cpus[KS_MAX_CPUS];
	unsigned n = topology__allowed_cpus(*state, cpus, KS_MAX_CPUS);
	cpu_set_t mask;
	unsigned i = 0;

	assert_true(n > 0);
	assert_int_equal(sched_getaffinity(0, sizeof(mask), &mask), 0);
	assert_int_equal(n, CPU_COUNT(&mask));
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (CPU_ISSET(cpu, &mask))
			assert_int_equal(cpus[i++], cpu);
	}
	assert_int_equal(topology__allowed_cpus(*state, cpus, 1), 1);
	assert_int_equal(topology__check_cpus(*state, cpus, 1, NULL, 0), 0);
}

/* taskset narrows what we may use below the cgroup's set; open must see it. */
static void test_allowed_follows_affinity(void **state)
{
	int cpus[KS_MAX_CPUS], narrowed[KS_MAX_CPUS];
	unsigned n = topology__allowed_cpus(*state, cpus, KS_MAX_CPUS);
	struct topology *t = NULL;
	cpu_set_t saved, one;
	char why[128];
	int ret;

	if (n < 2)
		skip();
	assert_int_equal(sched_getaffinity(0, sizeof(saved), &saved), 0);
	CPU_ZERO(&one);
	CPU_SET(cpus[n - 1], &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	ret = topology__open(&t);
	assert_int_equal(sched_setaffinity(0, sizeof(saved), &saved), 0);

	assert_int_equal(ret, 0);
	assert_int_equal(topology__allowed_cpus(t, narrowed, KS_MAX_CPUS), 1);
	assert_int_equal(narrowed[0], cpus[n - 1]);
	assert_int_equal(topology__check_cpus(t, cpus, 1, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "is not available to this process"));
	topology__close(t);
}

struct pinned_thread {
	const struct topology *topology;
	int cpu;
	int bind_ret;
	struct cpu_trace trace;
};

static void *pinned_thread__run(void *arg)
{
	struct pinned_thread *p = arg;

	p->bind_ret = topology__bind_self(p->topology, p->cpu);
	for (int i = 0; !p->bind_ret && i < 10000; i++) {
		cpu_trace__sample(&p->trace);
		if (i % 1000 == 0)
			sched_yield();
	}
	return NULL;
}

/* Threads, not the test's own thread, so no pinning leaks into later tests. */
static void test_bind_self_pins_threads(void **state)
{
	static struct pinned_thread threads[KS_MAX_CPUS];
	int cpus[KS_MAX_CPUS];
	pthread_t tids[KS_MAX_CPUS];
	unsigned n = topology__allowed_cpus(*state, cpus, KS_MAX_CPUS);

	for (unsigned i = 0; i < n; i++) {
		threads[i] = (struct pinned_thread){ .topology = *state, .cpu = cpus[i] };
		assert_int_equal(pthread_create(&tids[i], NULL, pinned_thread__run, &threads[i]), 0);
	}
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(pthread_join(tids[i], NULL), 0);
		assert_int_equal(threads[i].bind_ret, 0);
		assert_true(cpu_trace__only_on(&threads[i].trace, cpus[i]));
	}
}

static void test_bind_self_edges(void **state)
{
	struct pinned_thread p = { .topology = *state, .cpu = -1 };
	cpu_set_t before, after;
	pthread_t tid;

	assert_int_equal(sched_getaffinity(0, sizeof(before), &before), 0);
	assert_int_equal(topology__bind_self(*state, -1), 0);
	assert_int_equal(sched_getaffinity(0, sizeof(after), &after), 0);
	assert_true(CPU_EQUAL(&before, &after));

	p.cpu = KS_MAX_CPUS * 4;
	assert_int_equal(pthread_create(&tid, NULL, pinned_thread__run, &p), 0);
	assert_int_equal(pthread_join(tid, NULL), 0);
	assert_true(p.bind_ret < 0);
}

static void test_cpu_trace_bits(void **state)
{
	struct cpu_trace t = { { 0 } };
	int cpus[8];
	json_t *j;

	(void)state;
	assert_false(cpu_trace__only_on(&t, 0));
	assert_int_equal(cpu_trace__cpus(&t, cpus, 8), 0);
	t.bits[0] = UINT64_C(1) | UINT64_C(1) << 63;
	t.bits[1] = 1;
	t.bits[KS_MAX_CPUS / 64 - 1] = UINT64_C(1) << 63;
	assert_int_equal(cpu_trace__cpus(&t, cpus, 8), 4);
	assert_cpus_equal(cpus, (int[]){ 0, 63, 64, KS_MAX_CPUS - 1 }, 4);
	assert_int_equal(cpu_trace__cpus(&t, cpus, 2), 2);
	assert_false(cpu_trace__only_on(&t, 0));
	j = cpu_trace__to_json(&t);
	assert_int_equal(json_array_size(j), 4);
	assert_int_equal(json_integer_value(json_array_get(j, 3)), KS_MAX_CPUS - 1);
	json_decref(j);
	assert_int_equal(sizeof(struct cpu_trace) % KS_CACHELINE, 0);
	assert_int_equal(_Alignof(struct cpu_trace), KS_CACHELINE);
}

static void test_cpu_node_real(void **state)
{
	int cpus[KS_MAX_CPUS];
	unsigned n = topology__allowed_cpus(*state, cpus, KS_MAX_CPUS);
	unsigned nodes = topology__nr_nodes(*state);

	assert_true(nodes >= 1);
	for (unsigned i = 0; i < n; i++) {
		int node = topology__cpu_node(*state, cpus[i]);

		assert_true(node >= 0);
		if (numa_available() >= 0)
			assert_int_equal(node, numa_node_of_cpu(cpus[i]));
	}
	assert_int_equal(topology__cpu_node(*state, -1), -1);
	assert_int_equal(topology__cpu_node(*state, 1 << 20), -1);
}

static void test_topology_json_real(void **state)
{
	json_t *j = topology__to_json(*state);
	int cpus[KS_MAX_CPUS];
	unsigned n = topology__allowed_cpus(*state, cpus, KS_MAX_CPUS);
	char list[256];

	assert_non_null(j);
	assert_true(json_integer_value(json_object_get(j, "packages")) >= 1);
	assert_true(json_integer_value(json_object_get(j, "pus")) >= (json_int_t)n);
	assert_int_equal(json_array_size(json_object_get(j, "numa_nodes")), topology__nr_nodes(*state));
	assert_true(json_integer_value(json_object_get(json_array_get(json_object_get(j, "numa_nodes"), 0),
						   "memory_mib")) > 0);
	assert_int_equal(json_is_true(json_object_get(j, "numa_available")), numa_available() >= 0);
	cpu_list__format(cpus, n, list, sizeof(list));
	assert_string_equal(json_string_value(json_object_get(j, "allowed_cpus")), list);
	json_decref(j);
}

/* Resident before anyone reads it: the first timed kick must not fault. */
static void assert_fresh_mapping(const struct node_memory *m, size_t want_size)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char resident[16];

	assert_non_null(m->addr);
	assert_int_equal((uintptr_t)m->addr % (uintptr_t)page, 0);
	assert_int_equal(m->size, want_size);
	assert_true(m->size / (size_t)page <= sizeof(resident));
	assert_int_equal(mincore(m->addr, m->size, resident), 0);
	for (size_t i = 0; i < m->size / (size_t)page; i++) {
		if (!(resident[i] & 1))
			fail_msg("page %zu of a fresh mailbox is not resident", i);
	}
	for (size_t i = 0; i < m->size; i++) {
		if (((const unsigned char *)m->addr)[i])
			fail_msg("byte %zu of a fresh mailbox is not zero", i);
	}
	memset(m->addr, 0xa5, m->size);
}

static void test_node_memory_on_cpu_node(void **state)
{
	int cpu, node;
	long page = sysconf(_SC_PAGESIZE);
	struct node_memory m;
	char want[96];

	assert_int_equal(topology__allowed_cpus(*state, &cpu, 1), 1);
	node = topology__cpu_node(*state, cpu);
	assert_int_equal(node_memory__alloc(&m, (size_t)page + 1, node), 0);
	assert_fresh_mapping(&m, 2 * (size_t)page);
	if (numa_available() >= 0) {
		ks_format(want, sizeof(want), "numa_alloc_onnode(%d)", node);
		assert_string_equal(m.policy, want);
		assert_int_equal(m.node, node);
		assert_int_equal(node_memory__actual_node(&m), node);
	} else {
		assert_string_equal(m.policy, "plain mmap: libnuma reports NUMA unavailable");
		assert_int_equal(m.node, -1);
	}
	node_memory__free(&m);
	assert_null(m.addr);
	node_memory__free(&m);
}

static void test_node_memory_fallbacks(void **state)
{
	long page = sysconf(_SC_PAGESIZE);
	struct node_memory m;

	(void)state;
	assert_int_equal(node_memory__alloc(&m, 64, -1), 0);
	assert_fresh_mapping(&m, (size_t)page);
	assert_string_equal(m.policy, "plain mmap: no node requested");
	assert_int_equal(m.node, -1);
	assert_false(m.from_libnuma);
	node_memory__free(&m);

	assert_int_equal(node_memory__alloc(&m, 0, 4095), 0);
	assert_fresh_mapping(&m, (size_t)page);
	assert_int_equal(m.node, -1);
	if (numa_available() >= 0)
		assert_string_equal(m.policy, "plain mmap: node 4095 does not exist");
	assert_true(node_memory__actual_node(&m) >= -1);
	node_memory__free(&m);

	m.addr = NULL;
	assert_int_equal(node_memory__actual_node(&m), -1);
}

/* 2 CPUs, 2 vCPUs, 1 sender: compact balance puts the sender on vCPU 0's CPU, its target. */
static void senders_move_off_their_targets(void **state)
{
	static const int cpus[] = { 0, 1 };
	struct placement_plan plan = { 0 };

	(void)state;
	assert_int_equal(plan_assign(cpus, 2, PLACEMENT_COMPACT, 2, 1, &plan), 0);
	placement__keep_senders_off_targets(&plan, cpus, 2);
	assert_int_not_equal(plan.sender_cpu[0], plan.vcpu_cpu[0]);
	assert_int_equal(plan.sender_cpu[0], 1);

	/* Every sender of a one-to-one storm ends up off its own target's CPU. */
	static const int four[] = { 0, 1, 2, 3 };
	assert_int_equal(plan_assign(four, 4, PLACEMENT_COMPACT, 4, 4, &plan), 0);
	placement__keep_senders_off_targets(&plan, four, 4);
	for (unsigned i = 0; i < 4; i++)
		assert_int_not_equal(plan.sender_cpu[i], plan.vcpu_cpu[i % 4]);

	/* Nothing to move to with one CPU, and nothing is bound with none. */
	assert_int_equal(plan_assign(cpus, 1, PLACEMENT_COMPACT, 1, 1, &plan), 0);
	placement__keep_senders_off_targets(&plan, cpus, 1);
	assert_int_equal(plan.sender_cpu[0], 0);
	assert_int_equal(plan_assign(cpus, 2, PLACEMENT_NONE, 2, 1, &plan), 0);
	placement__keep_senders_off_targets(&plan, cpus, 2);
	assert_int_equal(plan.sender_cpu[0], -1);
	placement__release(&plan);
}

int main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(senders_move_off_their_targets),
		cmocka_unit_test(test_assign_invariants),
		cmocka_unit_test(test_assign_senders_avoid_vcpus),
		cmocka_unit_test(test_assign_wraps_around),
		cmocka_unit_test(test_assign_none_and_errors),
		cmocka_unit_test(test_placement_json),
		cmocka_unit_test(test_placement_parse),
		cmocka_unit_test(test_cpu_list_format),
		cmocka_unit_test(test_cpu_trace_bits),
		cmocka_unit_test(test_order_scatter_exact),
		cmocka_unit_test(test_order_scatter_big_machine),
		cmocka_unit_test(test_order_smt_numbering),
		cmocka_unit_test(test_order_unknown_cpus_last),
		cmocka_unit_test(test_synthetic_checks_and_json),
		cmocka_unit_test(test_node_memory_fallbacks),
	};
	const struct CMUnitTest real[] = {
		cmocka_unit_test(test_allowed_matches_affinity),
		cmocka_unit_test(test_allowed_follows_affinity),
		cmocka_unit_test(test_bind_self_pins_threads),
		cmocka_unit_test(test_bind_self_edges),
		cmocka_unit_test(test_cpu_node_real),
		cmocka_unit_test(test_topology_json_real),
		cmocka_unit_test(test_node_memory_on_cpu_node),
	};
	int failed = cmocka_run_group_tests_name("placement", pure, NULL, NULL);

	failed += cmocka_run_group_tests_name("topology on this host", real, setup_real, teardown_real);
	return failed ? 1 : 0;
}
