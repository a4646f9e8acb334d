// SPDX-License-Identifier: MIT
/*
 * The vCPU thread: KVM_RUN in a loop, the request check between two runs
 * (vcpu_kick.c judges the kicks around it), and the exits that end it.
 */
#include "vcpu_thread.h"
#include "clock.h"
#include "vcpu_kick.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

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

static void vcpu__run_loop(struct vcpu *vcpu)
{
	while (!atomic_load_explicit(&vcpu->stop, memory_order_acquire)) {
		if (vcpu->observe)
			vcpu_kick__check_requests(vcpu);
		if (vcpu->race_window_ticks)
			clock__spin(vcpu->race_window_ticks);
		if (vcpu->observe && vcpu->protocol == PROTOCOL_SIGMASK)
			vcpu_kick__look_for_pending(vcpu);
		long ret = vcpu__kvm_run(vcpu->fd);

		vcpu_kick__after_run(vcpu, ret);
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
				vcpu_kick__drain();
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
	vcpu_kick__attach(vcpu);
	vcpu->tid = (int)gettid();
	if (vcpu->cpu >= 0) {
		int ret = topology__bind_self(vcpu->topo, vcpu->cpu);

		vcpu->bind_error = ret < 0 ? -ret : 0;
	}
	cpu_trace__sample(&vcpu->ran_on);
	if (vcpu_kick__setup_signals(vcpu) < 0) {
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

static bool vcpu__stopped(const struct vcpu *vcpu)
{
	enum vcpu_state s = atomic_load_explicit(&vcpu->state, memory_order_acquire);

	return !vcpu->thread_started || s == VCPU_EXITED || s == VCPU_FAILED || s == VCPU_CREATED;
}

/*
 * Every thread is told and kicked first, then each is waited for in turn:
 * they wind down together, so stopping n threads costs about as long as
 * the slowest one, not n times a stop. One deadline for all of them,
 * a millisecond longer per thread: a thousand spinning vCPUs on a few
 * CPUs each need a turn on one to leave.
 */
int vcpu__stop_all(struct vcpu *vcpus, unsigned n, unsigned timeout_ms)
{
	uint64_t limit_ms = (uint64_t)timeout_ms + n;
	uint64_t deadline = clock__monotonic_ns() + limit_ms * 1000000ull;
	struct timespec pause = { .tv_nsec = 200 * 1000 };
	int ret = 0;

	for (unsigned i = 0; i < n; i++) {
		if (!vcpus[i].thread_started)
			continue;
		atomic_store_explicit(&vcpus[i].stop, true, memory_order_release);
		vcpu__kick(&vcpus[i]);
	}
	for (unsigned i = 0; i < n; i++) {
		struct vcpu *v = &vcpus[i];

		/* A kick can be lost under the naive protocol: kick again until it leaves. */
		while (!vcpu__stopped(v) && clock__monotonic_ns() <= deadline) {
			nanosleep(&pause, NULL);
			if (!vcpu__stopped(v))
				vcpu__kick(v);
		}
		if (!vcpu__stopped(v)) {
			ks_error("%s did not stop within %llu ms", v->name, (unsigned long long)limit_ms);
			ret = -1;
			continue;
		}
		if (v->thread_started)
			pthread_join(v->thread, NULL);
		v->thread_started = false;
	}
	return ret;
}

int vcpu__stop(struct vcpu *vcpu, unsigned timeout_ms)
{
	return vcpu__stop_all(vcpu, 1, timeout_ms);
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
	/*
	 * The guest wrote ready from inside KVM_RUN, so the thread had
	 * already published VCPU_RUNNING with release. Acquiring that store
	 * makes what the thread set before it (tid, bind_error, ran_on)
	 * visible to the caller by the memory model's rules, not only by a
	 * causality through guest memory that no checker can see.
	 */
	(void)atomic_load_explicit(&vcpu->state, memory_order_acquire);
	return 0;
}
