/* SPDX-License-Identifier: MIT */
/* Memory on a chosen NUMA node, with libnuma: where each vCPU's mailbox lives. */
#ifndef KICKSTORM_NODE_MEMORY_H
#define KICKSTORM_NODE_MEMORY_H

#include <stdbool.h>
#include <stddef.h>

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

#endif
