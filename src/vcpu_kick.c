// SPDX-License-Identifier: MIT
#include "vcpu_kick.h"
#include "clock.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

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

void vcpu_kick__attach(struct vcpu *vcpu)
{
	tls_vcpu = vcpu;
}

int vcpu_kick__setup_signals(struct vcpu *vcpu)
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

void vcpu_kick__drain(void)
{
	static const struct timespec zero;
	sigset_t kick;

	sigemptyset(&kick);
	sigaddset(&kick, KICK_SIGNAL);
	while (sigtimedwait(&kick, NULL, &zero) == KICK_SIGNAL)
		;
}

/*
 * The request check, then the window up to KVM_RUN. A kick that landed
 * during the check is judged once the check is over: if a request is
 * still unseen, the check missed it.
 */
void vcpu_kick__check_requests(struct vcpu *vcpu)
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
void vcpu_kick__look_for_pending(struct vcpu *vcpu)
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
void vcpu_kick__after_run(struct vcpu *vcpu, long ret)
{
	int64_t n = tls_unseen_kicks;

	tls_phase = PHASE_OUTSIDE;
	atomic_signal_fence(memory_order_seq_cst);
	if (!n)
		return;
	tls_unseen_kicks = 0;
	window__add(ret == -EINTR ? &vcpu->window.honoured : &vcpu->window.lost, n);
}
