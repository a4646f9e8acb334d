// SPDX-License-Identifier: MIT
#include "vcpu.h"
#include "clock.h"
#include "vm.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

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

static const char *const protocol_names[] = {
	[PROTOCOL_NAIVE] = "naive",
	[PROTOCOL_IMMEDIATE_EXIT] = "immediate-exit",
	[PROTOCOL_SIGMASK] = "sigmask",
};

const char *protocol__name(enum kick_protocol p)
{
	return protocol_names[p];
}

int protocol__parse(const char *s, enum kick_protocol *out)
{
	for (size_t i = 0; i < KS_ARRAY_SIZE(protocol_names); i++) {
		if (!strcmp(s, protocol_names[i])) {
			*out = (enum kick_protocol)i;
			return 0;
		}
	}
	return -1;
}

/*
 * The kick handler runs on the vCPU thread itself, so it reaches that
 * thread's kvm_run through TLS. Initial-exec TLS in the executable is safe
 * to touch from a signal handler.
 */
static _Thread_local struct vcpu *tls_vcpu;
static _Thread_local volatile sig_atomic_t tls_in_window;

static void kick_handler(int sig)
{
	struct vcpu *vcpu = tls_vcpu;

	(void)sig;
	if (!vcpu)
		return;
	if (vcpu->protocol == PROTOCOL_IMMEDIATE_EXIT)
		__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_RELAXED);
	else if (tls_in_window)
		vcpu->window_signals++;
}

int vcpu__install_kick_handler(void)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	sigemptyset(&sa.sa_mask);
	if (sigaction(KICK_SIGNAL, &sa, NULL) < 0) {
		ks_error_errno(errno, "cannot install the kick signal handler");
		return -1;
	}
	return 0;
}

static int vcpu__set_cpuid(struct vcpu *vcpu)
{
	struct kvm_cpuid2 *supported = vcpu->vm->cpuid;
	size_t size = sizeof(*supported) + supported->nent * sizeof(supported->entries[0]);
	struct kvm_cpuid2 *cpuid = ks_zalloc(size);
	long ret;

	memcpy(cpuid, supported, size);
	for (unsigned i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		switch (e->function) {
		case 0x1:
			/* KVM's APIC ID is the vCPU id; CPUID must agree with it. */
			e->ebx = (e->ebx & 0x00ffffffu) | (vcpu->id << 24);
			e->ecx |= CPUID_1_ECX_X2APIC;
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
	regs.rsp = GUEST_STACK_GPA + (vcpu->id + 1) * GUEST_STACK_SIZE;
	return vcpu_ioctl(vcpu, KVM_SET_REGS, &regs) < 0 ? -1 : 0;
}

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

static int vcpu__map_mailbox(struct vcpu *vcpu, const struct topology *topo)
{
	int node = vcpu->cpu >= 0 ? topology__cpu_node(topo, vcpu->cpu) : -1;

	if (node_memory__alloc(&vcpu->mailbox_mem, MB_SIZE, node) < 0)
		return -1;
	vcpu->mb = vcpu->mailbox_mem.addr;
	vcpu->mb->vcpu_id = vcpu->id;
	return vm__add_memslot(vcpu->vm, MB_GPA(vcpu->id), vcpu->mb, MB_SIZE, 0, NULL);
}

int vcpu__create(struct vcpu *vcpu, struct vm *vm, unsigned id,
		 const struct topology *topo, int cpu)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	long ret;

	memset(vcpu, 0, sizeof(*vcpu));
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->cpu = cpu;
	vcpu->fd = -1;
	snprintf(vcpu->name, sizeof(vcpu->name), "vcpu %u", id);
	atomic_init(&vcpu->stop, false);
	atomic_init(&vcpu->state, VCPU_CREATED);

	ret = vm_ioctl(vm, KVM_CREATE_VCPU, (unsigned long)id);
	if (ret < 0)
		return -1;
	vcpu->fd = (int)ret;
	vcpu->run = mmap(NULL, vm->run_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		vcpu->run = NULL;
		ks_error_errno(errno, "cannot map kvm_run of %s", vcpu->name);
		return -1;
	}
	if (vcpu__map_mailbox(vcpu, topo) < 0 || vcpu__set_cpuid(vcpu) < 0 ||
	    vcpu__set_long_mode(vcpu) < 0)
		return -1;
	/* With the in-kernel irqchip, APs wait for INIT/SIPI unless made runnable. */
	if (vcpu_ioctl(vcpu, KVM_SET_MP_STATE, &mp) < 0)
		return -1;
	ret = kvm__ioctl_raw(vcpu->fd, KVM_GET_TSC_KHZ, NULL);
	vcpu->tsc_khz = ret > 0 ? (uint64_t)ret : 0;
	vcpu__read_tsc_offset(vcpu);
	vcpu->stats_open = kvmstats__open(&vcpu->stats, vcpu->fd, vcpu->name) == 0;
	return 0;
}

int vcpu__destroy(struct vcpu *vcpu)
{
	/* A thread that would not stop still uses all of this: keep it. */
	if (vcpu->thread_started && vcpu__stop(vcpu, 1000) < 0)
		return -1;
	if (vcpu->stats_open)
		kvmstats__close(&vcpu->stats);
	vcpu->stats_open = false;
	if (vcpu->run)
		munmap(vcpu->run, vcpu->vm->run_mmap_size);
	vcpu->run = NULL;
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->fd = -1;
	/* The memslot dies with the VM fd; the mailbox may go after it. */
	if (vcpu->mailbox_mem.addr)
		node_memory__free(&vcpu->mailbox_mem);
	vcpu->mb = NULL;
	return 0;
}

void vcpu__set_mode(struct vcpu *vcpu, uint32_t mode)
{
	__atomic_store_n(&vcpu->mb->mode, mode, __ATOMIC_RELEASE);
}

static void vcpu__fail(struct vcpu *vcpu, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void vcpu__fail(struct vcpu *vcpu, const char *fmt, ...)
{
	va_list ap;
	int len = snprintf(vcpu->error, sizeof(vcpu->error), "%s: ", vcpu->name);

	va_start(ap, fmt);
	vsnprintf(vcpu->error + len, sizeof(vcpu->error) - (size_t)len, fmt, ap);
	va_end(ap);
	atomic_store_explicit(&vcpu->state, VCPU_FAILED, memory_order_release);
}

/* Returns false when the exit ends the thread. */
static bool vcpu__handle_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct mailbox *mb = vcpu->mb;

	switch (run->exit_reason) {
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_IO:
		if (run->io.port == GUEST_PORT_FAULT) {
			vcpu__fail(vcpu, "guest exception vector %llu at rip %#llx (error code %#llx)",
				   (unsigned long long)mb->fault_vector,
				   (unsigned long long)mb->fault_rip,
				   (unsigned long long)mb->fault_error);
			return false;
		}
		vcpu__fail(vcpu, "unexpected guest I/O to port %#x", run->io.port);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		vcpu__fail(vcpu, "KVM internal error, suberror %u", run->internal.suberror);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		vcpu__fail(vcpu, "VM entry failed, hardware reason %#llx",
			   (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return false;
	default:
		vcpu__fail(vcpu, "unexpected exit reason %s (%u)",
			   kvm__exit_reason_name(run->exit_reason), run->exit_reason);
		return false;
	}
}

static int vcpu__setup_signals(struct vcpu *vcpu)
{
	sigset_t kick, thread_mask;

	sigemptyset(&kick);
	sigaddset(&kick, KICK_SIGNAL);
	if (vcpu->protocol != PROTOCOL_SIGMASK)
		return pthread_sigmask(SIG_UNBLOCK, &kick, NULL) ? -1 : 0;

	/*
	 * sigmask: the kick stays pending while the thread is outside KVM_RUN,
	 * and KVM's entry check for pending signals then makes KVM_RUN return
	 * EINTR at once, so no kick can fall between the check and the entry.
	 */
	if (pthread_sigmask(SIG_BLOCK, &kick, &thread_mask))
		return -1;
	sigdelset(&thread_mask, KICK_SIGNAL);

	/* The kernel's sigset is 8 bytes on x86-64, glibc's sigset_t larger: pass the first 8. */
	union {
		struct kvm_signal_mask head;
		unsigned char bytes[sizeof(struct kvm_signal_mask) + 8];
	} mask = { .head.len = 8 };
	memcpy(mask.head.sigset, &thread_mask, 8);
	return vcpu_ioctl(vcpu, KVM_SET_SIGNAL_MASK, &mask) < 0 ? -1 : 0;
}

/* sigmask: a kick that made KVM_RUN return is still pending; consume it. */
static void vcpu__drain_kicks(void)
{
	static const struct timespec zero;
	sigset_t kick;

	sigemptyset(&kick);
	sigaddset(&kick, KICK_SIGNAL);
	while (sigtimedwait(&kick, NULL, &zero) == KICK_SIGNAL)
		;
}

static void vcpu__run_loop(struct vcpu *vcpu)
{
	while (!atomic_load_explicit(&vcpu->stop, memory_order_acquire)) {
		if (vcpu->observe)
			vcpu->observe(vcpu);
		if (vcpu->race_window_ticks) {
			tls_in_window = 1;
			clock__spin(vcpu->race_window_ticks);
			tls_in_window = 0;
		}
		long ret = kvm__ioctl_raw(vcpu->fd, KVM_RUN, NULL);

		vcpu->runs++;
		cpu_trace__sample(&vcpu->ran_on);
		if (vcpu->protocol == PROTOCOL_IMMEDIATE_EXIT) {
			/*
			 * Clear before the next look at the requests: a kick
			 * landing after this store sets it again and the next
			 * KVM_RUN returns at once. The fence keeps the compiler
			 * from moving the store below the request loads; the
			 * handler is on this thread, so no CPU fence is needed.
			 */
			__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_RELAXED);
			atomic_signal_fence(memory_order_seq_cst);
		}
		if (ret == -EINTR) {
			vcpu->eintr++;
			if (vcpu->protocol == PROTOCOL_SIGMASK)
				vcpu__drain_kicks();
			continue;
		}
		if (ret < 0) {
			vcpu__fail(vcpu, "KVM_RUN failed: %s", strerror((int)-ret));
			return;
		}
		if (!vcpu__handle_exit(vcpu))
			return;
	}
}

static void *vcpu__thread(void *arg)
{
	struct vcpu *vcpu = arg;
	char thread_name[16];

	snprintf(thread_name, sizeof(thread_name), "kvm-vcpu-%u", vcpu->id);
	pthread_setname_np(pthread_self(), thread_name);
	tls_vcpu = vcpu;
	if (vcpu->cpu >= 0) {
		int ret = topology__bind_self(vcpu->topo, vcpu->cpu);

		vcpu->bind_error = ret < 0 ? -ret : 0;
	}
	cpu_trace__sample(&vcpu->ran_on);
	if (vcpu__setup_signals(vcpu) < 0) {
		vcpu__fail(vcpu, "cannot set up the kick signal for protocol %s",
			   protocol__name(vcpu->protocol));
		return NULL;
	}
	atomic_store_explicit(&vcpu->state, VCPU_RUNNING, memory_order_release);
	vcpu__run_loop(vcpu);
	if (!vcpu__failed(vcpu))
		atomic_store_explicit(&vcpu->state, VCPU_EXITED, memory_order_release);
	return NULL;
}

int vcpu__start(struct vcpu *vcpu, const struct topology *topo)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int err;

	vcpu->topo = topo;
	pthread_attr_init(&attr);
	if (vcpu->cpu >= 0) {
		/* Bound from its first instruction, so it never runs elsewhere. */
		CPU_ZERO(&set);
		CPU_SET(vcpu->cpu, &set);
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	}
	atomic_store_explicit(&vcpu->stop, false, memory_order_relaxed);
	err = pthread_create(&vcpu->thread, &attr, vcpu__thread, vcpu);
	pthread_attr_destroy(&attr);
	if (err) {
		ks_error_errno(err, "cannot start the thread of %s", vcpu->name);
		return -1;
	}
	vcpu->thread_started = true;
	return 0;
}

int vcpu__kick(struct vcpu *vcpu)
{
	return pthread_kill(vcpu->thread, KICK_SIGNAL) ? -1 : 0;
}

int vcpu__stop(struct vcpu *vcpu, unsigned timeout_ms)
{
	uint64_t deadline = clock__monotonic_ns() + (uint64_t)timeout_ms * 1000000ull;
	struct timespec pause = { .tv_nsec = 200 * 1000 };

	if (!vcpu->thread_started)
		return 0;
	atomic_store_explicit(&vcpu->stop, true, memory_order_release);
	for (;;) {
		enum vcpu_state s = atomic_load_explicit(&vcpu->state, memory_order_acquire);

		if (s == VCPU_EXITED || s == VCPU_FAILED || s == VCPU_CREATED)
			break;
		if (clock__monotonic_ns() > deadline) {
			ks_error("%s did not stop within %u ms", vcpu->name, timeout_ms);
			return -1;
		}
		vcpu__kick(vcpu);
		nanosleep(&pause, NULL);
	}
	pthread_join(vcpu->thread, NULL);
	vcpu->thread_started = false;
	return 0;
}

int vcpu__wait_ready(struct vcpu *vcpu, unsigned timeout_ms)
{
	uint64_t deadline = clock__monotonic_ns() + (uint64_t)timeout_ms * 1000000ull;
	struct timespec pause = { .tv_nsec = 100 * 1000 };

	while (!__atomic_load_n(&vcpu->mb->ready, __ATOMIC_ACQUIRE)) {
		if (vcpu__failed(vcpu))
			return -1;
		if (clock__monotonic_ns() > deadline) {
			vcpu__fail(vcpu, "guest did not start within %u ms", timeout_ms);
			return -1;
		}
		nanosleep(&pause, NULL);
	}
	return 0;
}
