// SPDX-License-Identifier: MIT
#include "node_memory.h"
#include "util.h"

#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/*
 * Whether numa_alloc_onnode() would really bind. libnuma only prints a
 * warning when mbind() fails and hands back unbound memory, so the cases
 * where it would fail are ruled out first and reported instead.
 */
static bool node_memory__can_bind(int node, char *why, size_t why_len)
{
	if (node < 0) {
		ks_format(why, why_len, "no node requested");
		return false;
	}
	if (numa_available() < 0) {
		ks_format(why, why_len, "libnuma reports NUMA unavailable");
		return false;
	}
	if (node > numa_max_node()) {
		ks_format(why, why_len, "node %d does not exist", node);
		return false;
	}
	if (!numa_bitmask_isbitset(numa_all_nodes_ptr, (unsigned)node)) {
		ks_format(why, why_len, "node %d is not in this process's cpuset mems", node);
		return false;
	}
	if (numa_node_size64(node, NULL) <= 0) {
		ks_format(why, why_len, "node %d has no memory", node);
		return false;
	}
	return true;
}

int node_memory__alloc(struct node_memory *m, size_t size, int node)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char why[64];

	memset(m, 0, sizeof(*m));
	m->node = -1;
	if (size > SIZE_MAX - page) {
		ks_error("mailbox of %zu bytes is too large", size);
		return -1;
	}
	m->size = size ? (size + page - 1) / page * page : page;

	if (node_memory__can_bind(node, why, sizeof(why))) {
		m->addr = numa_alloc_onnode(m->size, node);
		if (!m->addr) {
			ks_error("numa_alloc_onnode of %zu bytes on node %d failed", m->size, node);
			return -1;
		}
		m->node = node;
		m->from_libnuma = true;
		ks_format(m->policy, sizeof(m->policy), "numa_alloc_onnode(%d)", node);
	} else {
		m->addr = mmap(NULL, m->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m->addr == MAP_FAILED) {
			ks_error_errno(errno, "mmap of %zu bytes for a mailbox failed", m->size);
			m->addr = NULL;
			return -1;
		}
		ks_format(m->policy, sizeof(m->policy), "plain mmap: %s", why);
	}
	/*
	 * A write fault now, not a page fault in the first timed kick; a read
	 * would only map the shared zero page, which sits on whatever node.
	 */
	for (size_t off = 0; off < m->size; off += page)
		((volatile char *)m->addr)[off] = 0;
	return 0;
}

void node_memory__free(struct node_memory *m)
{
	if (!m->addr)
		return;
	if (m->from_libnuma)
		numa_free(m->addr, m->size);
	else
		munmap(m->addr, m->size);
	m->addr = NULL;
}

int node_memory__actual_node(const struct node_memory *m)
{
	int node = -1;

	/* node_memory__alloc wrote every page, so this is the page's own node. */
	if (!m->addr || get_mempolicy(&node, NULL, 0, m->addr, MPOL_F_NODE | MPOL_F_ADDR))
		return -1;
	return node;
}

