/* SPDX-License-Identifier: MIT */
/*
 * Whether this host lets the guest use a feature a scenario needs, decided
 * from what KVM reported (KVM_GET_SUPPORTED_CPUID entries, a
 * KVM_CHECK_EXTENSION answer, what became of a hypercall the guest tried).
 * Pure: no KVM here, so the decisions are unit-tested on recorded values.
 */
#ifndef KICKSTORM_SCENARIOS_GUEST_FEATURES_H
#define KICKSTORM_SCENARIOS_GUEST_FEATURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One CPUID leaf as KVM reports it; present false when KVM lists no such leaf. */
struct cpuid_leaf {
	bool present;
	uint32_t eax, ebx, ecx, edx;
};

#define CPUID_1_ECX_TSC_DEADLINE	(1u << 24)
#define KVM_CPUID_SIGNATURE		0x40000000u
#define KVM_CPUID_FEATURES		0x40000001u
#define KVM_FEATURE_PV_SEND_IPI_BIT	11
/* -KVM_ENOSYS, what a hypercall KVM does not implement returns (include/uapi/linux/kvm_para.h). */
#define KVM_HC_ENOSYS			(-1000ll)

/*
 * The TSC-deadline timer: CPUID.1:ECX[24] as KVM_GET_SUPPORTED_CPUID gives
 * it (kernels since 6.14 set it there), or else KVM_CAP_TSC_DEADLINE_TIMER
 * (cap: the KVM_CHECK_EXTENSION answer), which older kernels report instead
 * for the in-kernel LAPIC while the CPUID bit stays 0. *source names which
 * one said yes; why says what said no.
 */
bool features__tsc_deadline(struct cpuid_leaf leaf1, long cap, const char **source, char *why,
			    size_t why_len);

/* What became of the hypercall a guest was asked to try. */
enum hypercall_try {
	HYPERCALL_NOT_TRIED,
	HYPERCALL_RETURNED,     /* with ret */
	HYPERCALL_NO_RETURN,    /* the guest never got past the instruction in the time allowed */
	HYPERCALL_FAULTED,      /* the vCPU failed on it (detail says how: #UD, an exit) */
};

struct pv_ipi_facts {
	struct cpuid_leaf signature;    /* 0x40000000 */
	struct cpuid_leaf features;     /* 0x40000001 */
	enum hypercall_try tried;
	int64_t ret;
	const char *insn;               /* "VMCALL" or "VMMCALL" */
	unsigned waited_ms;             /* HYPERCALL_NO_RETURN: how long */
	const char *detail;             /* HYPERCALL_FAULTED: the vCPU's error */
};

/*
 * KVM_HC_SEND_IPI: leaf 0x40000000 must name KVM ("KVMKVMKVM"), leaf
 * 0x40000001 must advertise KVM_FEATURE_PV_SEND_IPI, and, when tried, a
 * call with an empty bitmap must return without failing (-KVM_ENOSYS: not
 * implemented; another negative value: refused).
 */
bool features__pv_send_ipi(const struct pv_ipi_facts *f, char *why, size_t why_len);

#endif
