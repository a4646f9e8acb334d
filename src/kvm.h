/* SPDX-License-Identifier: MIT */
/*
 * Checked wrappers around the KVM ioctls: every call names the ioctl and the
 * object it was made on when it fails, so an error reads
 * "kickstorm: KVM_SET_SREGS on vcpu 1 failed: Invalid argument".
 */
#ifndef KICKSTORM_KVM_H
#define KICKSTORM_KVM_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>

#define KVM_DEVICE_PATH "/dev/kvm"

/*
 * Raw ioctl: returns the ioctl's result, or -errno. Retries EINTR except for
 * KVM_RUN, whose EINTR is the kick we are measuring.
 */
long kvm__ioctl_raw(int fd, unsigned long request, void *arg);

/*
 * Checked ioctl: on failure prints "<name> on <object> failed: <strerror>"
 * and returns -errno; otherwise the ioctl's (non-negative) result.
 */
long kvm__ioctl_checked(int fd, unsigned long request, void *arg,
			const char *name, const char *object);

#define kvm_ioctl(fd, req, arg) \
	kvm__ioctl_checked((fd), (req), (void *)(arg), #req, "/dev/kvm")
#define vm_ioctl(vm, req, arg) \
	kvm__ioctl_checked((vm)->fd, (req), (void *)(arg), #req, "the VM")
#define vcpu_ioctl(vcpu, req, arg) \
	kvm__ioctl_checked((vcpu)->fd, (req), (void *)(arg), #req, (vcpu)->name)

/*
 * Opens /dev/kvm read-write. On failure returns -errno and writes a one-line
 * reason ("/dev/kvm does not exist: the kvm module is not loaded ...").
 */
int kvm__open(char *why, size_t why_len);

/* KVM_CHECK_EXTENSION; 0 when absent, -errno on failure. */
long kvm__check_extension(int fd, long cap);

/*
 * KVM_GET_SUPPORTED_CPUID on /dev/kvm, grown until every entry fits: the
 * CPUID a VM may be given. NULL, with the error printed, on failure; the
 * caller frees it.
 */
struct kvm_cpuid2 *kvm__supported_cpuid(int kvm_fd);
/* The entry for function and index (0 for leaves without one), or NULL. */
const struct kvm_cpuid_entry2 *kvm__cpuid_entry(const struct kvm_cpuid2 *cpuid, unsigned function,
						unsigned index);

/* Name of a KVM_EXIT_* reason for messages ("IO", "SHUTDOWN", ...). */
const char *kvm__exit_reason_name(unsigned int reason);

#endif
