// SPDX-License-Identifier: MIT
/*
 * What the guest may use, decided on values recorded from real hosts: the
 * TSC-deadline timer (timer's supported hook) and KVM_HC_SEND_IPI (--ipi-via
 * pv), both ways, and the ICR value each --ipi-via and --delivery sends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "scenarios/guest_features.h"
#include "scenarios/ipi_send.h"

/* KVM_GET_SUPPORTED_CPUID leaf 1 of the 6.18 kvm_pvm development host: ECX bit 24 set. */
static const struct cpuid_leaf leaf1_6_18 = { .present = true, .ecx = 0x81202000u };
/* The same CPU under a kernel before 6.14, which keeps the bit clear and reports the capability. */
static const struct cpuid_leaf leaf1_old = { .present = true, .ecx = 0x80202000u };
/* Leaves 0x40000000 ("KVMKVMKVM") and 0x40000001 of the development host: PV_SEND_IPI (bit 11) set. */
static const struct cpuid_leaf kvm_signature = {
	.present = true, .eax = 0x40000001u, .ebx = 0x4b4d564bu, .ecx = 0x564b4d56u, .edx = 0x4du,
};
static const struct cpuid_leaf kvm_features = { .present = true, .eax = 0x1007efbu };

static void tsc_deadline_from_cpuid_or_capability(void **state)
{
	const char *source = NULL;
	char why[256] = "";

	(void)state;
	assert_true(features__tsc_deadline(leaf1_6_18, 1, &source, why, sizeof(why)));
	assert_non_null(strstr(source, "KVM_GET_SUPPORTED_CPUID"));
	assert_true(features__tsc_deadline(leaf1_old, 1, &source, why, sizeof(why)));
	assert_string_equal(source, "KVM_CAP_TSC_DEADLINE_TIMER");
	/* Neither: refused, naming both answers. */
	assert_false(features__tsc_deadline(leaf1_old, 0, &source, why, sizeof(why)));
	assert_non_null(strstr(why, "CPUID.1:ECX[24] is clear"));
	assert_non_null(strstr(why, "KVM_CAP_TSC_DEADLINE_TIMER is 0"));
	assert_null(strchr(why, '\n'));
	assert_false(features__tsc_deadline((struct cpuid_leaf){ .present = false }, -22, &source, why,
					    sizeof(why)));
	assert_non_null(strstr(why, "absent (no leaf 1)"));
	assert_non_null(strstr(why, "is unknown"));
}

static struct pv_ipi_facts facts(enum hypercall_try tried, int64_t ret)
{
	return (struct pv_ipi_facts){
		.signature = kvm_signature, .features = kvm_features, .tried = tried, .ret = ret,
		.insn = "VMCALL", .waited_ms = 2000, .detail = "vcpu 0: guest exception vector 6",
	};
}

/* What the development host does: the hypercall is emulated again and again, never completed. */
static void pv_ipi_refused_when_the_hypercall_never_returns(void **state)
{
	struct pv_ipi_facts f = facts(HYPERCALL_NO_RETURN, 0);
	char why[256] = "";

	(void)state;
	assert_false(features__pv_send_ipi(&f, why, sizeof(why)));
	assert_string_equal(why, "the guest's VMCALL for KVM_HC_SEND_IPI did not return within 2000 ms: "
			    "KVM does not complete the hypercall on this host");
	f = facts(HYPERCALL_FAULTED, 0);
	assert_false(features__pv_send_ipi(&f, why, sizeof(why)));
	assert_non_null(strstr(why, "failed: vcpu 0: guest exception vector 6"));
}

/* A host that completes it: 0 vCPUs reached by an empty bitmap is a yes. */
static void pv_ipi_runs_where_the_hypercall_returns(void **state)
{
	struct pv_ipi_facts f = facts(HYPERCALL_RETURNED, 0);
	char why[256] = "";

	(void)state;
	assert_true(features__pv_send_ipi(&f, why, sizeof(why)));
	f = facts(HYPERCALL_NOT_TRIED, 0);
	assert_true(features__pv_send_ipi(&f, why, sizeof(why)));
	f = facts(HYPERCALL_RETURNED, KVM_HC_ENOSYS);
	assert_false(features__pv_send_ipi(&f, why, sizeof(why)));
	assert_non_null(strstr(why, "-KVM_ENOSYS"));
	f = facts(HYPERCALL_RETURNED, -95);
	assert_false(features__pv_send_ipi(&f, why, sizeof(why)));
	assert_non_null(strstr(why, "returned -95"));
}

/* The CPUID is judged before any call: no KVM signature, or no PV_SEND_IPI bit. */
static void pv_ipi_needs_the_cpuid(void **state)
{
	struct pv_ipi_facts f = facts(HYPERCALL_RETURNED, 0);
	char why[256] = "";

	(void)state;
	f.features.eax &= ~(1u << KVM_FEATURE_PV_SEND_IPI_BIT);
	assert_false(features__pv_send_ipi(&f, why, sizeof(why)));
	assert_string_equal(why, "CPUID leaf 0x40000001 does not advertise KVM_FEATURE_PV_SEND_IPI "
			    "(EAX 0x10076fb)");
	f = facts(HYPERCALL_RETURNED, 0);
	f.features.present = false;
	assert_false(features__pv_send_ipi(&f, why, sizeof(why)));
	f = facts(HYPERCALL_RETURNED, 0);
	f.signature.ecx = 0x65584d56u;      /* "VMXe": some other hypervisor's leaf */
	assert_false(features__pv_send_ipi(&f, why, sizeof(why)));
	assert_non_null(strstr(why, "does not name KVM"));
}

/* The values guest.S writes: checked against the architecture's layouts. */
static void icr_per_path_and_delivery(void **state)
{
	(void)state;
	/* x2APIC: destination in bits 63:32; the shorthand replaces it. */
	assert_int_equal(ipi_send__icr(VIA_X2APIC, KICK_DELIVERY_FIXED, 0x40, false, 1), 0x100000040ull);
	assert_int_equal(ipi_send__icr(VIA_X2APIC, KICK_DELIVERY_FIXED, 0x40, true, 1), 0xc0040ull);
	/* xAPIC: ICR high (destination in its bits 31:24) in the upper half. */
	assert_int_equal(ipi_send__icr(VIA_XAPIC, KICK_DELIVERY_FIXED, 0x41, false, 2), 0x0200000000000041ull);
	assert_int_equal(ipi_send__icr(VIA_XAPIC, KICK_DELIVERY_FIXED, 0x41, true, 2), 0xc0041ull);
	/* pv: no destination or shorthand at all, the targets go as a bitmap. */
	assert_int_equal(ipi_send__icr(VIA_PV, KICK_DELIVERY_FIXED, 0x40, true, 1), 0x40ull);
	assert_int_equal(ipi_send__icr(VIA_PV, KICK_DELIVERY_FIXED, 0x40, false, 1), 0x40ull);
	/* NMI: delivery mode 100b in bits 10:8, no vector. */
	assert_int_equal(ipi_send__icr(VIA_X2APIC, KICK_DELIVERY_NMI, 0x40, false, 1), 0x100000400ull);
	assert_int_equal(ipi_send__icr(VIA_XAPIC, KICK_DELIVERY_NMI, 0x40, true, 0), 0xc0400ull);
	assert_int_equal(ipi_send__icr(VIA_PV, KICK_DELIVERY_NMI, 0x40, false, 3), 0x400ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tsc_deadline_from_cpuid_or_capability),
		cmocka_unit_test(pv_ipi_refused_when_the_hypercall_never_returns),
		cmocka_unit_test(pv_ipi_runs_where_the_hypercall_returns),
		cmocka_unit_test(pv_ipi_needs_the_cpuid),
		cmocka_unit_test(icr_per_path_and_delivery),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
