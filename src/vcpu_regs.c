// SPDX-License-Identifier: MIT
#include "vcpu_regs.h"

#include <stdlib.h>
#include <string.h>

#define X86_CR0_PE	(1ull << 0)
#define X86_CR0_MP	(1ull << 1)
#define X86_CR0_ET	(1ull << 4)
#define X86_CR0_NE	(1ull << 5)
#define X86_CR0_WP	(1ull << 16)
#define X86_CR0_PG	(1ull << 31)
#define X86_CR4_PAE	(1ull << 5)
#define X86_CR4_OSFXSR	(1ull << 9)
#define X86_CR4_OSXMMEXCPT (1ull << 10)
#define EFER_LME	(1ull << 8)
#define EFER_LMA	(1ull << 10)
#define CPUID_1_ECX_X2APIC (1u << 21)
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)

static int vcpu__set_cpuid(struct vcpu *vcpu, const struct kvm_cpuid2 *supported)
{
	size_t size = sizeof(*supported) + supported->nent * sizeof(supported->entries[0]);
	struct kvm_cpuid2 *cpuid = ks_zalloc(size);
	/*
	 * Kernels before 6.14 leave TSC-deadline out of KVM_GET_SUPPORTED_CPUID
	 * and report it with KVM_CAP_TSC_DEADLINE_TIMER instead, for the
	 * in-kernel LAPIC this VM has (Documentation/virt/kvm/api.rst).
	 */
	bool tsc_deadline = kvm__check_extension(vcpu->vm_fd, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	long ret;

	memcpy(cpuid, supported, size);
	for (unsigned i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		switch (e->function) {
		case 0x1:
			/* KVM's APIC ID is the vCPU id; CPUID must agree with it. */
			e->ebx = (e->ebx & 0x00ffffffu) | (vcpu->id << 24);
			e->ecx |= CPUID_1_ECX_X2APIC;
			if (tsc_deadline)
				e->ecx |= CPUID_1_ECX_TSC_DEADLINE;
			break;
		case 0xb:
		case 0x1f:
			e->edx = vcpu->id;
			break;
		}
	}
	ret = vcpu_ioctl(vcpu, KVM_SET_CPUID2, cpuid);
	free(cpuid);
	return ret < 0 ? -1 : 0;
}

static void segment_flat(struct kvm_segment *s, uint16_t selector, uint8_t type, bool code)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = selector, .type = type,
		.present = 1, .dpl = 0, .s = 1, .g = 1, .l = code, .db = !code,
	};
}

static int vcpu__set_long_mode(struct vcpu *vcpu)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { 0 };

	if (vcpu_ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return -1;
	sregs.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
	sregs.cr3 = GUEST_PML4_GPA;
	sregs.cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	sregs.efer = EFER_LME | EFER_LMA;
	segment_flat(&sregs.cs, GDT_SEL_CODE, 11, true);
	segment_flat(&sregs.ds, GDT_SEL_DATA, 3, false);
	sregs.es = sregs.fs = sregs.ss = sregs.ds;
	sregs.gs = sregs.ds;
	sregs.gs.base = MB_GPA(vcpu->id);
	sregs.tr = (struct kvm_segment){
		.base = GUEST_TSS_GPA, .limit = 0x67, .selector = GDT_SEL_TSS,
		.type = 11, .present = 1,
	};
	sregs.ldt = (struct kvm_segment){ .type = 2, .present = 1, .limit = 0xffff };
	sregs.gdt.base = GUEST_GDT_GPA;
	sregs.gdt.limit = 5 * 8 - 1;
	sregs.idt.base = GUEST_IDT_GPA;
	sregs.idt.limit = 256 * 16 - 1;
	if (vcpu_ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		return -1;

	regs.rflags = 0x2;
	regs.rip = GUEST_CODE_GPA + (uint64_t)(guest_entry - guest_image_start);
	regs.rsp = MB_STACK_TOP(vcpu->id);
	return vcpu_ioctl(vcpu, KVM_SET_REGS, &regs) < 0 ? -1 : 0;
}

int vcpu_regs__init(struct vcpu *vcpu, const struct kvm_cpuid2 *supported)
{
	if (vcpu__set_cpuid(vcpu, supported) < 0)
		return -1;
	return vcpu__set_long_mode(vcpu);
}
