// SPDX-License-Identifier: MIT
#include "vm.h"
#include "mailbox.h"
#include "topology.h"
#include "util.h"
#include "vcpu.h"
#include "vcpu_regs.h"
#include "vcpu_thread.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Intel needs these two pages reserved even though our guest never uses real mode. */
#define VM_TSS_ADDR		0xfffbd000ul
#define VM_IDENTITY_MAP_ADDR	0xfffbc000ul

#define PTE_PRESENT	(1ull << 0)
#define PTE_WRITE	(1ull << 1)
#define PTE_PWT		(1ull << 3)
#define PTE_PCD		(1ull << 4)
#define PTE_LARGE	(1ull << 7)

static void *gpa_to_hva(struct vm *vm, uint64_t gpa)
{
	return (char *)vm->low_mem + gpa;
}

_Static_assert(MB_GPA(KS_MAX_VCPUS) <= 1ull << 30, "every mailbox inside the 1 GiB identity map");

static void vm__build_page_tables(struct vm *vm)
{
	uint64_t *pml4 = gpa_to_hva(vm, GUEST_PML4_GPA);
	uint64_t *pdpt = gpa_to_hva(vm, GUEST_PDPT_GPA);
	uint64_t *pd = gpa_to_hva(vm, GUEST_PD_GPA);

	pml4[0] = GUEST_PDPT_GPA | PTE_PRESENT | PTE_WRITE;
	pdpt[0] = GUEST_PD_GPA | PTE_PRESENT | PTE_WRITE;
	/* 1 GiB identity map in 2 MiB pages covers low memory and every mailbox. */
	for (uint64_t i = 0; i < 512; i++)
		pd[i] = (i << 21) | PTE_PRESENT | PTE_WRITE | PTE_LARGE;
	/* The xAPIC MMIO page (--ipi-via xapic), identity mapped and uncached. */
	uint64_t *pd_high = gpa_to_hva(vm, GUEST_PD_HIGH_GPA);

	pdpt[APIC_MMIO_BASE >> 30] = GUEST_PD_HIGH_GPA | PTE_PRESENT | PTE_WRITE;
	pd_high[(APIC_MMIO_BASE >> 21) & 511] = (APIC_MMIO_BASE & ~((1ull << 21) - 1)) | PTE_PRESENT |
						PTE_WRITE | PTE_LARGE | PTE_PCD | PTE_PWT;
}

static void vm__build_gdt(struct vm *vm)
{
	uint64_t *gdt = gpa_to_hva(vm, GUEST_GDT_GPA);
	uint64_t tss = GUEST_TSS_GPA, limit = 0x67;

	gdt[0] = 0;
	gdt[GDT_SEL_CODE / 8] = 0x00af9b000000ffffull;	/* 64-bit code, DPL 0 */
	gdt[GDT_SEL_DATA / 8] = 0x00cf93000000ffffull;	/* flat data */
	/* A 64-bit TSS descriptor is 16 bytes; VMX refuses entry without a busy TSS. */
	gdt[GDT_SEL_TSS / 8] = (limit & 0xffff) | ((tss & 0xffffff) << 16) |
			       (0x8bull << 40) | (((tss >> 24) & 0xff) << 56);
	gdt[GDT_SEL_TSS / 8 + 1] = tss >> 32;
}

static uint64_t guest_symbol_gpa(const unsigned char *sym)
{
	return GUEST_CODE_GPA + (uint64_t)(sym - guest_image_start);
}

static void idt_set_gate(uint64_t *idt, unsigned vector, uint64_t handler)
{
	idt[vector * 2] = (handler & 0xffff) | ((uint64_t)GDT_SEL_CODE << 16) |
			  (0x8eull << 40) | (((handler >> 16) & 0xffff) << 48);
	idt[vector * 2 + 1] = handler >> 32;
}

static void vm__build_idt(struct vm *vm)
{
	uint64_t *idt = gpa_to_hva(vm, GUEST_IDT_GPA);
	uint64_t exceptions = guest_symbol_gpa(guest_exception_stubs);
	uint64_t requests = guest_symbol_gpa(guest_request_stubs);

	for (unsigned v = 0; v < 256; v++)
		idt_set_gate(idt, v, guest_symbol_gpa(guest_spurious_isr));
	for (unsigned v = 0; v < 32; v++)
		idt_set_gate(idt, v, exceptions + v * GUEST_STUB_SIZE);
	for (unsigned k = 0; k < MB_NSLOTS; k++)
		idt_set_gate(idt, REQ_VECTOR(k), requests + k * GUEST_STUB_SIZE);
	idt_set_gate(idt, TIMER_VECTOR, guest_symbol_gpa(guest_timer_isr));
	idt_set_gate(idt, GUEST_WAKE_VECTOR, guest_symbol_gpa(guest_wake_isr));
}

static int vm__load_guest(struct vm *vm)
{
	size_t size = (size_t)(guest_image_end - guest_image_start);

	if (size > GUEST_CODE_MAX) {
		ks_error("guest image is %zu bytes, more than the %u reserved for it",
			 size, GUEST_CODE_MAX);
		return -1;
	}
	memcpy(gpa_to_hva(vm, GUEST_CODE_GPA), guest_image_start, size);
	vm__build_page_tables(vm);
	vm__build_gdt(vm);
	vm__build_idt(vm);
	return 0;
}

int vm__add_memslot(struct vm *vm, uint64_t gpa, void *host, size_t size,
		    uint32_t flags, unsigned *slot_out)
{
	unsigned slot = vm->next_slot;

	if (vm__set_memslot_flags(vm, slot, gpa, host, size, flags) < 0)
		return -1;
	vm->next_slot++;
	if (slot_out)
		*slot_out = slot;
	return 0;
}

int vm__set_memslot_flags(struct vm *vm, unsigned slot, uint64_t gpa, void *host,
			  size_t size, uint32_t flags)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)host,
	};

	return vm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0 ? -1 : 0;
}

int vm__set_halt_poll(struct vm *vm, uint64_t ns)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_HALT_POLL, .args = { ns } };

	return kvm__ioctl_checked(vm->fd, KVM_ENABLE_CAP, &cap, "KVM_ENABLE_CAP(KVM_CAP_HALT_POLL)",
				  "the VM") < 0 ? -1 : 0;
}

/*
 * An MSI names its target in 8 bits (bits 19:12 of the address) unless the
 * VM takes 32-bit x2APIC IDs, the rest of the ID then in the upper address
 * bits; and ID 0xff would be the xAPIC broadcast address unless that quirk
 * is off. With more than 255 vCPUs both are needed for every vCPU to be
 * reachable on its own; below that they change nothing, so they are left
 * alone.
 */
static int vm__wide_apic_ids(struct vm *vm, unsigned nvcpus)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_X2APIC_API,
		.args = { KVM_X2APIC_API_USE_32BIT_IDS | KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK },
	};
	long have;

	if (nvcpus <= 0xff)
		return 0;
	have = kvm__check_extension(vm->fd, KVM_CAP_X2APIC_API);
	if (have < 0 || ((unsigned long)have & cap.args[0]) != cap.args[0]) {
		ks_error("%u vCPUs need 32-bit x2APIC IDs in MSIs (KVM_CAP_X2APIC_API), which this "
			 "host's KVM does not offer: at most 255 vCPUs here", nvcpus);
		return -1;
	}
	vm->wide_apic_ids = true;
	return kvm__ioctl_checked(vm->fd, KVM_ENABLE_CAP, &cap, "KVM_ENABLE_CAP(KVM_CAP_X2APIC_API)",
				  "the VM") < 0 ? -1 : 0;
}

long vm__max_vcpus(int kvm_fd)
{
	long max = kvm__check_extension(kvm_fd, KVM_CAP_MAX_VCPUS);

	if (max <= 0)
		max = kvm__check_extension(kvm_fd, KVM_CAP_NR_VCPUS);
	return max > 0 ? max : 4;
}

static int vm__create_machine(struct vm *vm, unsigned nvcpus)
{
	long ret;

	vm->run_mmap_size = kvm_ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_mmap_size < 0)
		return -1;
	ret = kvm_ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (ret < 0)
		return -1;
	vm->fd = (int)ret;
	if (vm_ioctl(vm, KVM_SET_TSS_ADDR, VM_TSS_ADDR) < 0)
		return -1;
	uint64_t identity = VM_IDENTITY_MAP_ADDR;
	if (vm_ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, &identity) < 0)
		return -1;
	/* Before any vCPU exists: vCPUs pick up the in-kernel LAPIC at creation. */
	if (vm_ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0 || vm__wide_apic_ids(vm, nvcpus) < 0)
		return -1;
	vm->low_mem = mmap(NULL, GUEST_LOW_MEM_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->low_mem == MAP_FAILED) {
		vm->low_mem = NULL;
		ks_error_errno(errno, "cannot map %u MiB of guest memory", GUEST_LOW_MEM_SIZE >> 20);
		return -1;
	}
	if (vm__add_memslot(vm, 0, vm->low_mem, GUEST_LOW_MEM_SIZE, 0, NULL) < 0)
		return -1;
	return vm__load_guest(vm);
}

int vm__create(struct vm *vm, int kvm_fd, unsigned nvcpus,
	       const struct topology *topo, const struct placement_plan *plan)
{
	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = kvm_fd;
	vm->fd = -1;
	vm->max_vcpus = vm__max_vcpus(kvm_fd);
	if (nvcpus > (unsigned long)vm->max_vcpus) {
		ks_error("this host's KVM allows at most %ld vCPUs per VM, %u requested",
			 vm->max_vcpus, nvcpus);
		return -1;
	}
	if (vm__create_machine(vm, nvcpus) < 0)
		goto err_destroy;
	vm->cpuid = kvm__supported_cpuid(vm->kvm_fd);
	if (!vm->cpuid)
		goto err_destroy;
	vm->vcpus = ks_zalloc(nvcpus * sizeof(*vm->vcpus));
	for (unsigned i = 0; i < nvcpus; i++) {
		struct vcpu_init init = {
			.vm_fd = vm->fd, .id = i, .cpu = plan ? plan->vcpu_cpu[i] : -1, .topo = topo,
			.run_mmap_size = vm->run_mmap_size,
		};
		struct vcpu *v = &vm->vcpus[i];

		if (vcpu__create(v, &init) < 0)
			goto err_destroy;
		vm->nvcpus++;
		if (vcpu_regs__init(v, vm->cpuid) < 0 ||
		    vm__add_memslot(vm, MB_GPA(i), v->mb, MB_SIZE, 0, NULL) < 0)
			goto err_destroy;
	}
	return 0;

err_destroy:
	vm__destroy(vm);
	return -1;
}

void vm__destroy(struct vm *vm)
{
	/* A thread that would not stop still uses its vCPU: keep them all. */
	bool stuck = vm->nvcpus && vcpu__stop_all(vm->vcpus, vm->nvcpus, 1000) < 0;

	for (unsigned i = 0; i < vm->nvcpus && !stuck; i++)
		vcpu__destroy(&vm->vcpus[i]);
	if (stuck) {
		/*
		 * A vCPU thread still runs on these structures, this memory and
		 * these fds: freeing them would crash it. Leak the VM instead;
		 * the process exit reclaims it.
		 */
		ks_error("a vCPU thread did not stop: leaving its VM in place until exit");
		memset(vm, 0, sizeof(*vm));
		vm->fd = -1;
		return;
	}
	free(vm->vcpus);
	vm->vcpus = NULL;
	vm->nvcpus = 0;
	if (vm->fd >= 0)
		close(vm->fd);
	vm->fd = -1;
	if (vm->low_mem)
		munmap(vm->low_mem, GUEST_LOW_MEM_SIZE);
	vm->low_mem = NULL;
	free(vm->cpuid);
	vm->cpuid = NULL;
}
