// SPDX-License-Identifier: MIT
#include "vcpu.h"
#include "clock.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int vcpu__read_tsc_offset(struct vcpu *vcpu)
{
	struct kvm_device_attr attr = {
		.group = KVM_VCPU_TSC_CTRL,
		.attr = KVM_VCPU_TSC_OFFSET,
		.addr = (uint64_t)(uintptr_t)&vcpu->tsc_offset,
	};

	vcpu->tsc_offset_known = false;
	if (kvm__ioctl_raw(vcpu->fd, KVM_HAS_DEVICE_ATTR, &attr) < 0)
		return -1;
	if (vcpu_ioctl(vcpu, KVM_GET_DEVICE_ATTR, &attr) < 0)
		return -1;
	vcpu->tsc_offset_known = true;
	return 0;
}

/* The mailbox, on the NUMA node of the CPU the thread will run on. */
static int vcpu__alloc_mailbox(struct vcpu *vcpu, const struct topology *topo)
{
	int node = vcpu->cpu >= 0 && topo ? topology__cpu_node(topo, vcpu->cpu) : -1;

	if (node_memory__alloc(&vcpu->mailbox_mem, MB_SIZE, node) < 0)
		return -1;
	vcpu->mb = vcpu->mailbox_mem.addr;
	vcpu->mb->vcpu_id = vcpu->id;
	return 0;
}

/*
 * Without its binary stats a scenario still runs (the report says why), but
 * running out of descriptors is no kernel limitation: it fails the vCPU.
 */
static int vcpu__open_stats(struct vcpu *vcpu)
{
	int err = kvmstats__open(&vcpu->stats, vcpu->fd, vcpu->name);

	vcpu->stats_open = err == 0;
	if (err == -EMFILE || err == -ENFILE) {
		ks_error("%s: out of file descriptors for its KVM stats (%s): raise the limit "
			 "(ulimit -n) or run fewer vCPUs", vcpu->name, strerror(-err));
		return -1;
	}
	if (err)
		ks_format(vcpu->stats_why, sizeof(vcpu->stats_why), "KVM_GET_STATS_FD on %s: %s",
			  vcpu->name, err == -EBADMSG ? "its statistics could not be read" : strerror(-err));
	return 0;
}

static void vcpu__release(struct vcpu *vcpu)
{
	if (vcpu->stats_open)
		kvmstats__close(&vcpu->stats);
	vcpu->stats_open = false;
	if (vcpu->run)
		munmap(vcpu->run, vcpu->run_mmap_size);
	vcpu->run = NULL;
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->fd = -1;
	/* The memslot dies with the VM fd; the mailbox may go after it. */
	if (vcpu->mailbox_mem.addr)
		node_memory__free(&vcpu->mailbox_mem);
	vcpu->mb = NULL;
}

int vcpu__create(struct vcpu *vcpu, const struct vcpu_init *init)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	long ret;

	memset(vcpu, 0, sizeof(*vcpu));
	vcpu->vm_fd = init->vm_fd;
	vcpu->id = init->id;
	vcpu->cpu = init->cpu;
	vcpu->fd = -1;
	vcpu->run_mmap_size = init->run_mmap_size;
	snprintf(vcpu->name, sizeof(vcpu->name), "vcpu %u", init->id);
	atomic_init(&vcpu->stop, false);
	atomic_init(&vcpu->state, VCPU_CREATED);

	ret = kvm__ioctl_checked(init->vm_fd, KVM_CREATE_VCPU, (void *)(uintptr_t)init->id,
				 "KVM_CREATE_VCPU", vcpu->name);
	if (ret < 0)
		goto err;
	vcpu->fd = (int)ret;
	vcpu->run = mmap(NULL, vcpu->run_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		vcpu->run = NULL;
		ks_error_errno(errno, "cannot map kvm_run of %s", vcpu->name);
		goto err;
	}
	if (vcpu__alloc_mailbox(vcpu, init->topo) < 0)
		goto err;
	/* With the in-kernel irqchip, APs wait for INIT/SIPI unless made runnable. */
	if (vcpu_ioctl(vcpu, KVM_SET_MP_STATE, &mp) < 0)
		goto err;
	ret = kvm__ioctl_raw(vcpu->fd, KVM_GET_TSC_KHZ, NULL);
	vcpu->tsc_khz = ret > 0 ? (uint64_t)ret : 0;
	vcpu__read_tsc_offset(vcpu);
	if (vcpu__open_stats(vcpu) < 0)
		goto err;
	return 0;

err:
	vcpu__release(vcpu);
	return -1;
}

void vcpu__destroy(struct vcpu *vcpu)
{
	vcpu__release(vcpu);
}

void vcpu__set_mode(struct vcpu *vcpu, uint32_t mode)
{
	__atomic_store_n(&vcpu->mb->mode, mode, __ATOMIC_RELEASE);
}

