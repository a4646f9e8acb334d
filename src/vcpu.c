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
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
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
 * Where the vCPU thread is, for its kick handler (kickstorm's twin of
 * vcpu->mode): outside the window, checking its requests, or past the check
 * on its way into KVM_RUN.
 */
enum vcpu_phase { PHASE_OUTSIDE, PHASE_CHECK, PHASE_WINDOW };

/* A storm kick carries its request in si_value: the sequence above the slot. */
#define KICK_SLOT_BITS 6
_Static_assert(MB_NSLOTS <= 1 << KICK_SLOT_BITS, "a slot fits the kick's tag");
#define CHECK_KICKS_MAX 8

struct kick_id {
	unsigned slot;
	uint64_t seq;
};

/*
 * The kick handler runs on the vCPU thread itself, so it reaches that
 * thread's state through TLS. Initial-exec TLS in the executable is safe to
 * touch from a signal handler; the thread orders its own accesses against
 * the handler with signal fences.
 */
static _Thread_local struct vcpu *tls_vcpu;
static _Thread_local volatile sig_atomic_t tls_phase;
static _Thread_local struct kick_id tls_check_kicks[CHECK_KICKS_MAX];
static _Thread_local volatile sig_atomic_t tls_ncheck_kicks;
static _Thread_local volatile sig_atomic_t tls_unseen_kicks;    /* left a request unseen */
/* Per slot: a kick charged as merged into another, withdrawn if it shows up itself. */
static _Thread_local uint64_t tls_suspect[MB_NSLOTS];
/* Per slot: the newest sequence whose kick reached the handler. */
static _Thread_local uint64_t tls_handled[MB_NSLOTS];
static pid_t kick_pid;
static uid_t kick_uid;

/* The instruction after KVM_RUN's syscall (vcpu__kvm_run). */
extern const char vcpu_kvm_run_return[];

static void window__add(uint64_t *counter, int64_t n)
{
	__atomic_store_n(counter, __atomic_load_n(counter, __ATOMIC_RELAXED) + (uint64_t)n,
			 __ATOMIC_RELAXED);
}

struct vcpu_window_kicks vcpu__window_kicks(const struct vcpu *vcpu)
{
	return (struct vcpu_window_kicks){
		.in_window = __atomic_load_n(&vcpu->window.in_window, __ATOMIC_RELAXED),
		.honoured = __atomic_load_n(&vcpu->window.honoured, __ATOMIC_RELAXED),
		.lost = __atomic_load_n(&vcpu->window.lost, __ATOMIC_RELAXED),
	};
}

static uint64_t last_seen(const struct vcpu *vcpu, unsigned k)
{
	return __atomic_load_n(&vcpu->last_seen[k], __ATOMIC_RELAXED);
}

/* Any slot with a request the check has not seen; for kicks that carry no tag. */
static bool vcpu__request_unseen(const struct vcpu *vcpu)
{
	for (uint64_t slots = vcpu->observed_slots; slots; slots &= slots - 1) {
		unsigned k = (unsigned)__builtin_ctzll(slots);

		if (__atomic_load_n(&vcpu->mb->slot[k].pub_seq, __ATOMIC_ACQUIRE) != last_seen(vcpu, k))
			return true;
	}
	return false;
}

/*
 * How many requests a kick consumed before KVM_RUN leaves unseen: its own,
 * and, because SIGUSR1 does not queue, those of kicks already sent for
 * unseen requests, whose handler has not run, and which may have merged
 * into it while it was pending. Those are charged as suspects and withdrawn
 * if they reach the handler after all.
 */
static int vcpu__judge_kick(const struct vcpu *vcpu, struct kick_id id)
{
	int unseen = last_seen(vcpu, id.slot) < id.seq;

	for (uint64_t slots = vcpu->observed_slots; slots; slots &= slots - 1) {
		unsigned k = (unsigned)__builtin_ctzll(slots);
		uint64_t kicked = __atomic_load_n(&vcpu->mb->slot[k].kick_seq, __ATOMIC_RELAXED);

		if (last_seen(vcpu, k) >= kicked || tls_handled[k] >= kicked || tls_suspect[k] == kicked)
			continue;
		tls_suspect[k] = kicked;
		unseen++;
	}
	return unseen;
}

/*
 * Naive honours nothing, so a kick that left a request unseen is lost the
 * moment it is judged (KVM_RUN may never return to say more). The other
 * protocols are judged by how KVM_RUN returns (vcpu__judge_window_kicks).
 */
static void vcpu__charge_kicks(struct vcpu *vcpu, int n)
{
	if (vcpu->protocol == PROTOCOL_NAIVE)
		window__add(&vcpu->window.lost, n);
	else
		tls_unseen_kicks += n;
}

/* A kick that reached its handler was not merged: undo a suspect charge for it. */
static void vcpu__clear_suspect(struct vcpu *vcpu, struct kick_id id)
{
	if (tls_suspect[id.slot] != id.seq)
		return;
	tls_suspect[id.slot] = 0;
	/* Charged to the window that judged it: lost under naive, else honoured. */
	window__add(vcpu->protocol == PROTOCOL_NAIVE ? &vcpu->window.lost : &vcpu->window.honoured, -1);
}

static bool kick__identify(const siginfo_t *info, struct kick_id *id)
{
	uint64_t tag = (uint64_t)(uintptr_t)info->si_value.sival_ptr;

	if (info->si_code != SI_QUEUE || info->si_pid != kick_pid)
		return false;
	id->slot = (unsigned)(tag & ((1u << KICK_SLOT_BITS) - 1));
	id->seq = tag >> KICK_SLOT_BITS;
	return true;
}

/*
 * A signal taken as KVM_RUN returns shows the instruction after its syscall:
 * KVM_RUN saw it and returned, as it should. Any other interrupted
 * instruction while the phase is not OUTSIDE is user code in the window.
 * Kicks without a tag (vcpu__kick, used to stop the thread) are not counted.
 */
static void kick_handler(int sig, siginfo_t *info, void *context)
{
	const ucontext_t *uc = context;
	struct vcpu *vcpu = tls_vcpu;
	struct kick_id id;

	(void)sig;
	if (!vcpu)
		return;
	if (vcpu->protocol == PROTOCOL_IMMEDIATE_EXIT)
		__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_RELAXED);
	if (!vcpu->observe || !kick__identify(info, &id))
		return;
	vcpu__clear_suspect(vcpu, id);
	if (id.seq > tls_handled[id.slot])
		tls_handled[id.slot] = id.seq;
	if (tls_phase == PHASE_OUTSIDE ||
	    (const char *)uc->uc_mcontext.gregs[REG_RIP] == vcpu_kvm_run_return)
		return;
	window__add(&vcpu->window.in_window, 1);
	/* During the check, whether it saw the request is known only once it ends. */
	if (tls_phase == PHASE_CHECK && tls_ncheck_kicks < CHECK_KICKS_MAX)
		tls_check_kicks[tls_ncheck_kicks++] = id;
	else
		vcpu__charge_kicks(vcpu, vcpu__judge_kick(vcpu, id));
}

int vcpu__install_kick_handler(void)
{
	struct sigaction sa = { .sa_sigaction = kick_handler, .sa_flags = SA_SIGINFO };

	kick_pid = getpid();
	kick_uid = getuid();
	sigemptyset(&sa.sa_mask);
	if (sigaction(KICK_SIGNAL, &sa, NULL) < 0) {
		ks_error_errno(errno, "cannot install the kick signal handler");
		return -1;
	}
	return 0;
}

/*
 * One syscall, as pthread_kill is, but the signal carries the request it
 * kicks for, so the handler can tell whether that request was seen.
 * kick_seq is stored first: a kick that merges into one already pending is
 * then still visible to the handler that consumes both.
 */
int vcpu__send_kick(struct vcpu *vcpu, unsigned slot, uint64_t seq)
{
	siginfo_t info = { .si_signo = KICK_SIGNAL, .si_code = SI_QUEUE };

	info.si_pid = kick_pid;
	info.si_uid = kick_uid;
	info.si_value.sival_ptr = (void *)(uintptr_t)(seq << KICK_SLOT_BITS | slot);
	__atomic_store_n(&vcpu->mb->slot[slot].kick_seq, seq, __ATOMIC_RELAXED);
	if (syscall(SYS_rt_tgsigqueueinfo, kick_pid, __atomic_load_n(&vcpu->tid, __ATOMIC_RELAXED),
		    KICK_SIGNAL, &info) < 0)
		return -errno;
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

/*
 * KVM_RUN through a syscall instruction of its own, so that the kick handler
 * can recognise its return address (kick_handler). noclone: the label must
 * exist once.
 */
static __attribute__((noinline, noclone)) long vcpu__kvm_run(int fd)
{
	long ret;

	__asm__ __volatile__("syscall\n\t"
			     ".globl vcpu_kvm_run_return\n"
			     "vcpu_kvm_run_return:"
			     : "=a"(ret)
			     : "0"((long)SYS_ioctl), "D"((long)fd), "S"((long)KVM_RUN), "d"(0L)
			     : "rcx", "r11", "memory");
	return ret;
}

/*
 * The request check, then the window up to KVM_RUN. A kick that landed
 * during the check is judged once the check is over: if a request is
 * still unseen, the check missed it.
 */
static void vcpu__check_requests(struct vcpu *vcpu)
{
	tls_phase = PHASE_CHECK;
	atomic_signal_fence(memory_order_seq_cst);
	vcpu->observe(vcpu);
	atomic_signal_fence(memory_order_seq_cst);
	tls_phase = PHASE_WINDOW;
	atomic_signal_fence(memory_order_seq_cst);
	for (int i = 0; i < tls_ncheck_kicks; i++)
		vcpu__charge_kicks(vcpu, vcpu__judge_kick(vcpu, tls_check_kicks[i]));
	tls_ncheck_kicks = 0;
}

/*
 * sigmask keeps the kick blocked outside KVM_RUN, so its handler never runs
 * in the window: a kick that arrived there is still pending just before
 * KVM_RUN. One that arrives after this look is honoured all the same, only
 * not counted.
 */
static void vcpu__look_for_pending_kick(struct vcpu *vcpu)
{
	sigset_t pending;

	if (sigpending(&pending) < 0 || !sigismember(&pending, KICK_SIGNAL))
		return;
	window__add(&vcpu->window.in_window, 1);
	if (vcpu__request_unseen(vcpu))
		vcpu__charge_kicks(vcpu, 1);
}

/*
 * After KVM_RUN: a kick that left a request unseen was honoured if KVM_RUN
 * returned at once with EINTR, as immediate_exit and a pending signal under
 * KVM_SET_SIGNAL_MASK make it; otherwise it entered the guest.
 */
static void vcpu__judge_window_kicks(struct vcpu *vcpu, long ret)
{
	int64_t n = tls_unseen_kicks;

	tls_phase = PHASE_OUTSIDE;
	atomic_signal_fence(memory_order_seq_cst);
	if (!n)
		return;
	tls_unseen_kicks = 0;
	window__add(ret == -EINTR ? &vcpu->window.honoured : &vcpu->window.lost, n);
}

static void vcpu__run_loop(struct vcpu *vcpu)
{
	while (!atomic_load_explicit(&vcpu->stop, memory_order_acquire)) {
		if (vcpu->observe)
			vcpu__check_requests(vcpu);
		if (vcpu->race_window_ticks)
			clock__spin(vcpu->race_window_ticks);
		if (vcpu->observe && vcpu->protocol == PROTOCOL_SIGMASK)
			vcpu__look_for_pending_kick(vcpu);
		long ret = vcpu__kvm_run(vcpu->fd);

		vcpu__judge_window_kicks(vcpu, ret);
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
	vcpu->tid = (int)gettid();
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
