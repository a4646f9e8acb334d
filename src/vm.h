/* SPDX-License-Identifier: MIT */
#ifndef KICKSTORM_VM_H
#define KICKSTORM_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvm.h"

struct vcpu;
struct topology;
struct placement_plan;

struct vm {
	int kvm_fd;                 /* borrowed: owned by the caller */
	int fd;
	long run_mmap_size;
	void *low_mem;              /* slot 0: tables, code, stacks */
	struct kvm_cpuid2 *cpuid;   /* KVM_GET_SUPPORTED_CPUID, patched per vCPU */
	unsigned nvcpus;
	struct vcpu *vcpus;
	unsigned next_slot;
	long max_vcpus;
	bool wide_apic_ids;         /* KVM_X2APIC_API_USE_32BIT_IDS: MSIs reach IDs above 255 */
};

/*
 * Creates a VM with the in-kernel irqchip, its low memory (page tables, GDT,
 * IDT, TSS, the guest image, stacks) and nvcpus vCPUs whose mailboxes sit on
 * the NUMA nodes of the CPUs in plan. Unwinds everything on failure.
 */
int vm__create(struct vm *vm, int kvm_fd, unsigned nvcpus,
	       const struct topology *topo, const struct placement_plan *plan);
void vm__destroy(struct vm *vm);

int vm__add_memslot(struct vm *vm, uint64_t gpa, void *host, size_t size,
		    uint32_t flags, unsigned *slot_out);
int vm__set_memslot_flags(struct vm *vm, unsigned slot, uint64_t gpa, void *host,
			  size_t size, uint32_t flags);

/* KVM_ENABLE_CAP(KVM_CAP_HALT_POLL): the VM's vCPUs poll at most ns before they block. */
int vm__set_halt_poll(struct vm *vm, uint64_t ns);

/* Highest vCPU count KVM allows on this host (KVM_CAP_MAX_VCPUS). */
long vm__max_vcpus(int kvm_fd);

#endif
