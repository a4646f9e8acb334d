/* SPDX-License-Identifier: MIT */
/*
 * The kvm module parameters that shape how fast a kicked vCPU answers:
 * halt polling (a halted vCPU spins for up to halt_poll_ns before it
 * sleeps, so a kick within that window skips the wake-up), the LAPIC timer
 * advance, and the APIC-virtualization switches of kvm_intel and kvm_amd
 * that decide whether interrupts can be posted.
 *
 * Read from /sys/module/<module>/parameters, or below KICKSTORM_SYSFS_ROOT
 * instead of /sys (tests feed recorded parameter files). A parameter whose
 * file does not exist is absent: this kernel does not have it.
 */
#ifndef KICKSTORM_MODPARAMS_H
#define KICKSTORM_MODPARAMS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define MODPARAMS_MAX 16

struct modparam {
	const char *module;	/* "kvm", "kvm_intel" or "kvm_amd" */
	const char *name;
	bool present;
	char value[32];		/* the file's first line, trimmed */
};

struct modparams {
	unsigned n;
	struct modparam p[MODPARAMS_MAX];
};

/* "/sys", or $KICKSTORM_SYSFS_ROOT. */
const char *sysfs__root(void);

/*
 * The kvm parameters always; those of kvm_intel and kvm_amd only when that
 * module is loaded (the other vendor's switches say nothing about this host).
 */
void modparams__collect(struct modparams *mp);

/*
 * {"kvm": {"halt_poll_ns": 200000, "lapic_timer_advance_ns": null, ...},
 *  "kvm_amd": {"avic": true, ...}}: Y/N as booleans, integers as numbers,
 * anything else as the string read, null where absent.
 */
json_t *modparams__to_json(const struct modparams *mp);

/* The parameter as an unsigned integer: false when absent or not one. */
bool modparams__u64(const struct modparams *mp, const char *module, const char *name, uint64_t *out);

/* One "  module.name   value" line each, "absent" where absent. */
void modparams__print(const struct modparams *mp, FILE *out);

#endif
