// SPDX-License-Identifier: MIT
#include "kvm.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

long kvm__ioctl_raw(int fd, unsigned long request, void *arg)
{
	long ret;

	do {
		ret = ioctl(fd, request, arg);
	} while (ret < 0 && errno == EINTR && request != KVM_RUN);

	return ret < 0 ? -errno : ret;
}

long kvm__ioctl_checked(int fd, unsigned long request, void *arg,
			const char *name, const char *object)
{
	long ret = kvm__ioctl_raw(fd, request, arg);

	if (ret < 0)
		ks_error_errno((int)-ret, "%s on %s failed", name, object);
	return ret;
}

int kvm__open(char *why, size_t why_len)
{
	int fd = open(KVM_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;

	int err = errno;

	switch (err) {
	case ENOENT:
		ks_format(why, why_len, "%s does not exist: KVM is not available on this host "
			  "(no kvm module, or not exposed to this container)", KVM_DEVICE_PATH);
		break;
	case EACCES:
	case EPERM:
		ks_format(why, why_len, "no permission to open %s: run as root or join the kvm group",
			  KVM_DEVICE_PATH);
		break;
	case ENXIO:
	case ENODEV:
		ks_format(why, why_len, "%s has no driver behind it: hardware virtualization is "
			  "disabled or not supported", KVM_DEVICE_PATH);
		break;
	default:
		ks_format(why, why_len, "cannot open %s: %s", KVM_DEVICE_PATH, strerror(err));
	}
	return -err;
}

long kvm__check_extension(int fd, long cap)
{
	return kvm__ioctl_raw(fd, KVM_CHECK_EXTENSION, (void *)cap);
}

struct kvm_cpuid2 *kvm__supported_cpuid(int kvm_fd)
{
	for (unsigned nent = 64; nent <= 4096; nent *= 2) {
		struct kvm_cpuid2 *c = ks_zalloc(sizeof(*c) + nent * sizeof(c->entries[0]));
		long ret;

		c->nent = nent;
		ret = kvm__ioctl_raw(kvm_fd, KVM_GET_SUPPORTED_CPUID, c);
		if (ret == 0)
			return c;
		free(c);
		if (ret != -E2BIG) {
			ks_error_errno((int)-ret, "KVM_GET_SUPPORTED_CPUID on %s failed", KVM_DEVICE_PATH);
			return NULL;
		}
	}
	ks_error("KVM_GET_SUPPORTED_CPUID needs more than 4096 entries");
	return NULL;
}

const struct kvm_cpuid_entry2 *kvm__cpuid_entry(const struct kvm_cpuid2 *cpuid, unsigned function,
						unsigned index)
{
	for (unsigned i = 0; cpuid && i < cpuid->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		if (e->function == function &&
		    (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == index))
			return e;
	}
	return NULL;
}

const char *kvm__exit_reason_name(unsigned int reason)
{
	static const char *const names[] = {
		[KVM_EXIT_UNKNOWN] = "UNKNOWN",
		[KVM_EXIT_EXCEPTION] = "EXCEPTION",
		[KVM_EXIT_IO] = "IO",
		[KVM_EXIT_HYPERCALL] = "HYPERCALL",
		[KVM_EXIT_DEBUG] = "DEBUG",
		[KVM_EXIT_HLT] = "HLT",
		[KVM_EXIT_MMIO] = "MMIO",
		[KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
		[KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
		[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
		[KVM_EXIT_INTR] = "INTR",
		[KVM_EXIT_SET_TPR] = "SET_TPR",
		[KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
		[KVM_EXIT_NMI] = "NMI",
		[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
		[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
		[KVM_EXIT_X86_RDMSR] = "X86_RDMSR",
		[KVM_EXIT_X86_WRMSR] = "X86_WRMSR",
	};

	if (reason < KS_ARRAY_SIZE(names) && names[reason])
		return names[reason];
	return "OTHER";
}
