// SPDX-License-Identifier: MIT
#include "guest_features.h"
#include "../util.h"

#include <string.h>

bool features__tsc_deadline(struct cpuid_leaf leaf1, long cap, const char **source, char *why,
			    size_t why_len)
{
	if (leaf1.present && (leaf1.ecx & CPUID_1_ECX_TSC_DEADLINE)) {
		*source = "KVM_GET_SUPPORTED_CPUID (CPUID.1:ECX[24])";
		return true;
	}
	if (cap > 0) {
		*source = "KVM_CAP_TSC_DEADLINE_TIMER";
		return true;
	}
	ks_format(why, why_len, "KVM offers no TSC-deadline timer: CPUID.1:ECX[24] is %s in "
		  "KVM_GET_SUPPORTED_CPUID and KVM_CAP_TSC_DEADLINE_TIMER is %s",
		  leaf1.present ? "clear" : "absent (no leaf 1)", cap < 0 ? "unknown" : "0");
	return false;
}

/* "KVMKVMKVM\0\0\0" in EBX, ECX, EDX. */
static bool cpuid__names_kvm(struct cpuid_leaf l)
{
	char sig[13];

	memcpy(sig, &l.ebx, 4);
	memcpy(sig + 4, &l.ecx, 4);
	memcpy(sig + 8, &l.edx, 4);
	sig[12] = '\0';
	return l.present && !strcmp(sig, "KVMKVMKVM");
}

/* Why the hypercall the guest tried rules it out, or NULL when it returned >= 0. */
static bool hypercall__failed(const struct pv_ipi_facts *f, char *why, size_t why_len)
{
	switch (f->tried) {
	case HYPERCALL_NO_RETURN:
		ks_format(why, why_len, "the guest's %s for KVM_HC_SEND_IPI did not return within %u ms: "
			  "KVM does not complete the hypercall on this host", f->insn, f->waited_ms);
		return true;
	case HYPERCALL_FAULTED:
		ks_format(why, why_len, "the guest's %s for KVM_HC_SEND_IPI failed: %s", f->insn,
			  f->detail ? f->detail : "?");
		return true;
	case HYPERCALL_RETURNED:
		if (f->ret >= 0)
			return false;
		if (f->ret == KVM_HC_ENOSYS)
			ks_format(why, why_len, "KVM_HC_SEND_IPI returned -KVM_ENOSYS: this KVM does not "
				  "implement it for the guest");
		else
			ks_format(why, why_len, "KVM_HC_SEND_IPI with an empty bitmap returned %lld",
				  (long long)f->ret);
		return true;
	default:
		return false;
	}
}

bool features__pv_send_ipi(const struct pv_ipi_facts *f, char *why, size_t why_len)
{
	if (!cpuid__names_kvm(f->signature)) {
		ks_format(why, why_len, "CPUID leaf %#x does not name KVM, so no KVM hypercall can be "
			  "assumed", KVM_CPUID_SIGNATURE);
		return false;
	}
	if (!f->features.present || !(f->features.eax >> KVM_FEATURE_PV_SEND_IPI_BIT & 1)) {
		ks_format(why, why_len, "CPUID leaf %#x does not advertise KVM_FEATURE_PV_SEND_IPI "
			  "(EAX %#x)", KVM_CPUID_FEATURES, f->features.present ? f->features.eax : 0);
		return false;
	}
	return !hypercall__failed(f, why, why_len);
}
