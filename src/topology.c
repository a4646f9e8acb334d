// SPDX-License-Identifier: MIT
#include "topology.h"

#include <errno.h>
#include <hwloc.h>
#include <numa.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct topology {
	hwloc_topology_t hw;
	hwloc_bitmap_t allowed;
	bool numa_available;
};

static struct topology *topology__load(const char *synthetic)
{
	struct topology *t = ks_zalloc(sizeof(*t));

	if (hwloc_topology_init(&t->hw)) {
		ks_error_errno(errno, "hwloc_topology_init failed");
		goto err_free;
	}
	if (synthetic && hwloc_topology_set_synthetic(t->hw, synthetic)) {
		ks_error("hwloc rejected the synthetic topology \"%s\"", synthetic);
		goto err_destroy;
	}
	if (hwloc_topology_load(t->hw)) {
		ks_error_errno(errno, "hwloc_topology_load failed");
		goto err_destroy;
	}
	t->allowed = hwloc_bitmap_dup(hwloc_topology_get_allowed_cpuset(t->hw));
	if (!t->allowed) {
		ks_error("out of memory copying the hwloc allowed cpuset");
		goto err_destroy;
	}
	return t;

err_destroy:
	hwloc_topology_destroy(t->hw);
err_free:
	free(t);
	return NULL;
}

int topology__open(struct topology **out)
{
	struct topology *t = topology__load(NULL);
	hwloc_bitmap_t bound;
	char list[256];

	if (!t)
		return -1;
	/*
	 * The topology already leaves out CPUs the cgroup cpuset forbids; taskset
	 * and numactl narrow the affinity further, and that is what pinning must
	 * respect. Sampled now, before any of our threads pins itself.
	 */
	bound = hwloc_bitmap_alloc();
	if (!bound || hwloc_get_cpubind(t->hw, bound, HWLOC_CPUBIND_THREAD)) {
		ks_error_errno(bound ? errno : ENOMEM, "cannot read this thread's CPU affinity");
		goto err_close;
	}
	hwloc_bitmap_and(t->allowed, t->allowed, bound);
	if (hwloc_bitmap_iszero(t->allowed)) {
		hwloc_bitmap_list_snprintf(list, sizeof(list), bound);
		ks_error("none of the CPUs in this process's affinity (%s) is known to hwloc", list);
		goto err_close;
	}
	hwloc_bitmap_free(bound);
	t->numa_available = numa_available() >= 0;
	*out = t;
	return 0;

err_close:
	hwloc_bitmap_free(bound);
	topology__close(t);
	return -1;
}

int topology__open_synthetic(const char *description, struct topology **out)
{
	*out = topology__load(description);
	return *out ? 0 : -1;
}

void topology__close(struct topology *t)
{
	if (!t)
		return;
	hwloc_bitmap_free(t->allowed);
	hwloc_topology_destroy(t->hw);
	free(t);
}

unsigned topology__allowed_cpus(const struct topology *t, int *cpus, unsigned max)
{
	unsigned n = 0;
	int cpu;

	hwloc_bitmap_foreach_begin(cpu, t->allowed) {
		if (n == max)
			break;
		cpus[n++] = cpu;
	} hwloc_bitmap_foreach_end();
	return n;
}

/* The levels scatter spreads over, outermost first. */
enum { LVL_PACKAGE, LVL_NODE, LVL_L3, LVL_CORE, LVL_PU, NR_LEVELS };

struct cpu_key {
	int cpu;
	unsigned pos;           /* index in the caller's list, for a stable order */
	bool known;
	int coord[NR_LEVELS];   /* where the PU sits, one coordinate per level */
	int rank[NR_LEVELS];    /* index among the siblings the list uses at that level */
};

static int ancestor_index(hwloc_topology_t hw, hwloc_obj_type_t type, hwloc_obj_t pu)
{
	hwloc_obj_t obj = hwloc_get_ancestor_obj_by_type(hw, type, pu);

	return obj ? (int)obj->logical_index : -1;
}

static void cpu_key__fill(struct cpu_key *k, hwloc_topology_t hw, int cpu, unsigned pos)
{
	hwloc_obj_t pu = cpu >= 0 ? hwloc_get_pu_obj_by_os_index(hw, (unsigned)cpu) : NULL;

	memset(k, 0, sizeof(*k));
	k->cpu = cpu;
	k->pos = pos;
	if (!pu)
		return;
	k->known = true;
	k->coord[LVL_PACKAGE] = ancestor_index(hw, HWLOC_OBJ_PACKAGE, pu);
	/* NUMA nodes hang off the tree as memory children, so go by the nodeset. */
	k->coord[LVL_NODE] = pu->nodeset ? hwloc_bitmap_first(pu->nodeset) : -1;
	k->coord[LVL_L3] = ancestor_index(hw, HWLOC_OBJ_L3CACHE, pu);
	k->coord[LVL_CORE] = ancestor_index(hw, HWLOC_OBJ_CORE, pu);
	k->coord[LVL_PU] = (int)pu->logical_index;
}

enum cpu_key_order { ORDER_COMPACT, ORDER_PATH, ORDER_SCATTER };

/*
 * compact: hwloc's logical PU order. path: outermost level first, which puts
 * siblings next to each other. scatter: innermost rank first, so every
 * package's first core's first PU comes before any package's second
 * anything, which is a round-robin at every level.
 */
static int cpu_key__field(const struct cpu_key *k, enum cpu_key_order order, int i)
{
	switch (order) {
	case ORDER_COMPACT:
		return k->coord[LVL_PU];
	case ORDER_PATH:
		return k->coord[i];
	case ORDER_SCATTER:
		return k->rank[NR_LEVELS - 1 - i];
	}
	return 0;
}

/* qsort_r comparator; CPUs hwloc does not know go last, in the caller's order. */
static int cpu_key__compare(const void *pa, const void *pb, void *order)
{
	const struct cpu_key *a = pa, *b = pb;

	if (a->known != b->known)
		return a->known ? -1 : 1;
	for (int i = 0; a->known && i < NR_LEVELS; i++) {
		int x = cpu_key__field(a, *(enum cpu_key_order *)order, i);
		int y = cpu_key__field(b, *(enum cpu_key_order *)order, i);

		if (x != y)
			return x < y ? -1 : 1;
	}
	return (a->pos > b->pos) - (a->pos < b->pos);
}

/*
 * With keys in path order, siblings under one parent are adjacent, so a
 * PU's rank at the first level where it differs from its predecessor is one
 * more than the predecessor's, and every deeper level restarts at 0. Ranks
 * count only the objects the list uses, so a subset still spreads evenly.
 */
static void cpu_keys__rank(struct cpu_key *keys, unsigned n)
{
	for (unsigned i = 1; i < n && keys[i].known; i++) {
		const struct cpu_key *prev = &keys[i - 1];
		int d = 0;

		while (d < NR_LEVELS && keys[i].coord[d] == prev->coord[d])
			d++;
		for (int l = 0; l < NR_LEVELS; l++) {
			if (l < d)
				keys[i].rank[l] = prev->rank[l];
			else
				keys[i].rank[l] = l == d ? prev->rank[l] + 1 : 0;
		}
	}
}

void topology__order_cpus(const struct topology *t, enum placement_policy p, int *cpus, unsigned ncpus)
{
	struct cpu_key *keys;

	if (p == PLACEMENT_NONE || ncpus < 2)
		return;
	keys = ks_zalloc(ncpus * sizeof(*keys));
	for (unsigned i = 0; i < ncpus; i++)
		cpu_key__fill(&keys[i], t->hw, cpus[i], i);

	if (p == PLACEMENT_SCATTER) {
		enum cpu_key_order order = ORDER_PATH;

		qsort_r(keys, ncpus, sizeof(*keys), cpu_key__compare, &order);
		cpu_keys__rank(keys, ncpus);
		order = ORDER_SCATTER;
		qsort_r(keys, ncpus, sizeof(*keys), cpu_key__compare, &order);
	} else {
		enum cpu_key_order order = ORDER_COMPACT;

		qsort_r(keys, ncpus, sizeof(*keys), cpu_key__compare, &order);
	}
	for (unsigned i = 0; i < ncpus; i++)
		cpus[i] = keys[i].cpu;
	free(keys);
}

int topology__check_cpus(const struct topology *t, const int *cpus, unsigned ncpus, char *why, size_t why_len)
{
	char allowed[256];
	int cpu;

	for (unsigned i = 0; i < ncpus; i++) {
		cpu = cpus[i];
		if (cpu < 0 || cpu >= KS_MAX_CPUS) {
			ks_format(why, why_len, "CPU %d is out of range: CPUs 0-%d are supported",
				  cpu, KS_MAX_CPUS - 1);
			return -1;
		}
		if (!hwloc_bitmap_isset(t->allowed, (unsigned)cpu)) {
			hwloc_bitmap_list_snprintf(allowed, sizeof(allowed), t->allowed);
			ks_format(why, why_len, "CPU %d is not available to this process (allowed: %s)",
				  cpu, allowed);
			return -1;
		}
		for (unsigned j = 0; j < i; j++) {
			if (cpus[j] == cpu) {
				ks_format(why, why_len, "CPU %d is listed twice", cpu);
				return -1;
			}
		}
	}
	return 0;
}

int topology__cpu_node(const struct topology *t, int cpu)
{
	hwloc_obj_t pu = cpu >= 0 ? hwloc_get_pu_obj_by_os_index(t->hw, (unsigned)cpu) : NULL;

	/*
	 * Several nodes can be local (DDR plus HBM or CXL memory); the one the
	 * kernel's cpu_to_node() names, the node holding the CPU, is numbered lowest.
	 */
	if (!pu || !pu->nodeset)
		return -1;
	return hwloc_bitmap_first(pu->nodeset);
}

unsigned topology__nr_nodes(const struct topology *t)
{
	int n = hwloc_get_nbobjs_by_type(t->hw, HWLOC_OBJ_NUMANODE);

	return n > 0 ? (unsigned)n : 0;
}

int topology__bind_self(const struct topology *t, int cpu)
{
	hwloc_bitmap_t set;
	int ret = 0;

	if (cpu < 0)
		return 0;
	/* hwloc "succeeds" without binding anything on a synthetic topology. */
	if (!hwloc_topology_is_thissystem(t->hw))
		return -ENOSYS;
	set = hwloc_bitmap_alloc();
	if (!set)
		return -ENOMEM;
	hwloc_bitmap_only(set, (unsigned)cpu);
	if (hwloc_set_cpubind(t->hw, set, HWLOC_CPUBIND_THREAD))
		ret = errno ? -errno : -EINVAL;
	hwloc_bitmap_free(set);
	return ret;
}

/* Never truncated, unlike a fixed buffer: sparse sets on big machines run long. */
static json_t *cpuset__to_json(hwloc_const_bitmap_t set)
{
	char *list = NULL;
	json_t *s;

	if (hwloc_bitmap_list_asprintf(&list, set) < 0)
		return NULL;
	s = json_string(list);
	free(list);
	return s;
}

static json_t *numa_nodes__to_json(hwloc_topology_t hw)
{
	json_t *nodes = json_array();
	hwloc_obj_t node = NULL;

	while (nodes && (node = hwloc_get_next_obj_by_type(hw, HWLOC_OBJ_NUMANODE, node))) {
		json_array_append_new(nodes, json_pack("{s:I, s:o, s:I}",
			"node", (json_int_t)node->os_index,
			"cpus", cpuset__to_json(node->cpuset),
			"memory_mib", (json_int_t)(node->attr->numanode.local_memory >> 20)));
	}
	return nodes;
}

json_t *topology__to_json(const struct topology *t)
{
	return json_pack("{s:i, s:i, s:i, s:o, s:o, s:b, s:s}",
			 "packages", hwloc_get_nbobjs_by_type(t->hw, HWLOC_OBJ_PACKAGE),
			 "cores", hwloc_get_nbobjs_by_type(t->hw, HWLOC_OBJ_CORE),
			 "pus", hwloc_get_nbobjs_by_type(t->hw, HWLOC_OBJ_PU),
			 "allowed_cpus", cpuset__to_json(t->allowed),
			 "numa_nodes", numa_nodes__to_json(t->hw),
			 "numa_available", t->numa_available,
			 "hwloc_version", HWLOC_VERSION);
}

unsigned cpu_trace__cpus(const struct cpu_trace *t, int *cpus, unsigned max)
{
	unsigned n = 0;

	for (unsigned w = 0; w < KS_ARRAY_SIZE(t->bits); w++) {
		for (uint64_t bits = __atomic_load_n(&t->bits[w], __ATOMIC_RELAXED); bits && n < max;
		     bits &= bits - 1)
			cpus[n++] = (int)(w * 64 + (unsigned)__builtin_ctzll(bits));
	}
	return n;
}

bool cpu_trace__only_on(const struct cpu_trace *t, int cpu)
{
	int seen[2];

	return cpu_trace__cpus(t, seen, 2) == 1 && seen[0] == cpu;
}

json_t *cpu_trace__to_json(const struct cpu_trace *t)
{
	int cpus[KS_MAX_CPUS];
	unsigned n = cpu_trace__cpus(t, cpus, KS_MAX_CPUS);

	return cpu_array__to_json(cpus, n);
}

/* Drops whole items until ",..." fits, so a cut list never names a wrong CPU. */
static void cpu_list__truncate(char *buf, size_t used, size_t len)
{
	while (used && used + sizeof(",...") > len) {
		const char *comma = memrchr(buf, ',', used);

		used = comma ? (size_t)(comma - buf) : 0;
	}
	ks_format(buf + used, len - used, "%s", used ? ",..." : "...");
}

void cpu_list__format(const int *cpus, unsigned n, char *buf, size_t len)
{
	size_t used = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (unsigned i = 0; i < n; ) {
		unsigned j = i;
		char item[32];
		size_t ilen;

		while (cpus[i] >= 0 && j + 1 < n && cpus[j + 1] == cpus[j] + 1)
			j++;
		if (j > i)
			ks_format(item, sizeof(item), "%s%d-%d", i ? "," : "", cpus[i], cpus[j]);
		else
			ks_format(item, sizeof(item), "%s%d", i ? "," : "", cpus[i]);
		ilen = strlen(item);
		if (used + ilen >= len) {
			cpu_list__truncate(buf, used, len);
			return;
		}
		memcpy(buf + used, item, ilen + 1);
		used += ilen;
		i = j + 1;
	}
}
