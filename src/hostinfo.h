/* SPDX-License-Identifier: MIT */
/*
 * Facts about the host that decide what a measurement means: the kernel, the
 * CPU, whether we are ourselves a guest, what KVM offers, and whether APIC
 * virtualization (Intel APICv/IPIv, AMD AVIC/x2AVIC) can post interrupts.
 *
 * Test hook: KICKSTORM_SYSFS_ROOT replaces /sys when reading module
 * parameters, so tests can feed recorded parameter files.
 */
#ifndef KICKSTORM_HOSTINFO_H
#define KICKSTORM_HOSTINFO_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "modparams.h"

#define HOSTINFO_MAX_CAPS 40

struct host_cap {
	const char *name;	/* KVM_CAP_<name>, e.g. "IRQCHIP" */
	long value;		/* KVM_CHECK_EXTENSION result; 0 = absent */
};

struct host_facts {
	char kernel[128];		/* uname release + version */
	char cpu_vendor[32];		/* CPUID leaf 0 ("AuthenticAMD") */
	char cpu_model[128];		/* CPUID brand string */
	unsigned online_cpus;

	bool nested_guest;		/* CPUID hypervisor bit: we are a guest */
	char hypervisor[16];		/* CPUID 0x40000000 signature, "" if none */

	char apicv_module[16];		/* "kvm_intel", "kvm_amd" or "none" */
	char kvm_modules[64];		/* loaded kvm_* modules, comma-separated */
	bool apicv, ipiv, avic, x2avic;
	struct modparams modparams;	/* halt polling, LAPIC timer advance, APICv/AVIC */

	bool kvm_available;
	char kvm_unavailable_reason[256];
	int kvm_api_version;
	long max_vcpus, nr_vcpus, nr_memslots;
	unsigned ncaps;
	struct host_cap caps[HOSTINFO_MAX_CAPS];

	/* KVM_GET_TSC_KHZ on a VM with KVM_CAP_VM_TSC_CONTROL, else 0 (a run
	 * fills it from a vCPU). */
	uint32_t tsc_khz;
};

/*
 * Never fails for lack of /dev/kvm: it records why KVM is unavailable in
 * kvm_unavailable_reason and goes on. Returns 0.
 */
int hostinfo__collect(struct host_facts *f);

/* APICv (kvm_intel) or AVIC (kvm_amd) enabled. */
bool hostinfo__can_post_interrupts(const struct host_facts *f);

/* KVM_CHECK_EXTENSION value of KVM_CAP_<name>, or -1 if it was not probed. */
long hostinfo__cap(const struct host_facts *f, const char *name);

/*
 * {"kernel", "cpu": {"vendor", "model", "online"},
 *  "kvm": {"available", "reason"? (only when unavailable), "api_version",
 *          "max_vcpus", "nr_vcpus", "nr_memslots", "tsc_khz" (null when
 *          unknown), "vendor_modules": ["kvm_amd", ...],
 *          "capabilities": {"IRQCHIP": n, ...},
 *          "module_parameters": {"kvm": {"halt_poll_ns": n, ...}, ...}},
 *  "apic_virtualization": {"module", "apicv", "ipiv", "avic", "x2avic",
 *                          "can_post_interrupts"},
 *  "nested_guest", "hypervisor"}
 */
json_t *hostinfo__to_json(const struct host_facts *f);

/* Human-readable, aligned "key: value" lines. */
void hostinfo__print(const struct host_facts *f, FILE *out);

#endif
