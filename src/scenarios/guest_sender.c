// SPDX-License-Identifier: MIT
#include "guest_sender.h"
#include "../vcpu_thread.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#define GUEST_START_TIMEOUT_MS 5000
#define GUEST_STOP_TIMEOUT_MS 2000

int guest_sender__wake(int vm_fd, unsigned vcpu)
{
	return interrupts__signal_msi(vm_fd, vcpu, GUEST_WAKE_VECTOR);
}

int guest_sender__go(struct engine *e, unsigned v, uint32_t cmd)
{
	/* Pairs with the guest's load of the command: the fields set before are seen first. */
	__atomic_store_n(&e->vm.vcpus[v].mb->ipi_cmd, cmd, __ATOMIC_RELEASE);
	/*
	 * A halted vCPU sleeps in HLT; guest.S looks at the command with
	 * interrupts off before HLT, so the wake-up cannot slip in between.
	 */
	if (engine__mode_of(e, v) != MB_MODE_HALTED)
		return 0;
	return guest_sender__wake(e->vm.fd, v);
}

/*
 * The acquire load of the head pairs with the guest's ordered stores
 * (event, then head); the release store of the tail tells the guest the
 * slots are free only after they were read.
 */
bool guest_sender__drain(struct vm *vm, unsigned v, uint64_t *tail, guest_event_fn fn, void *arg)
{
	struct mailbox *mb = vm->vcpus[v].mb;
	uint64_t head = __atomic_load_n(&mb->ipi_ring_head, __ATOMIC_ACQUIRE);
	bool full = head - *tail >= IPI_EVENT_RING;

	if (head == *tail)
		return false;
	for (; *tail != head; (*tail)++)
		fn(arg, v, &mb->ipi_events[*tail & (IPI_EVENT_RING - 1)]);
	__atomic_store_n(&mb->ipi_ring_tail, *tail, __ATOMIC_RELEASE);
	return full;
}

bool guest_sender__vcpus_share_cpu(const struct engine *e)
{
	const struct vm *vm = &e->vm;

	for (unsigned i = 0; i < vm->nvcpus; i++) {
		/* Unbound threads: the plan's own verdict is all there is. */
		if (vm->vcpus[i].cpu < 0)
			return e->ctx->plan.overcommit;
		for (unsigned j = i + 1; j < vm->nvcpus; j++)
			if (vm->vcpus[i].cpu == vm->vcpus[j].cpu)
				return true;
	}
	return false;
}

struct cpuid_leaf guest_sender__cpuid(const struct vm *vm, unsigned function)
{
	const struct kvm_cpuid_entry2 *e = kvm__cpuid_entry(vm->cpuid, function, 0);

	if (!e)
		return (struct cpuid_leaf){ .present = false };
	return (struct cpuid_leaf){ .present = true, .eax = e->eax, .ebx = e->ebx, .ecx = e->ecx,
				    .edx = e->edx };
}

/* VMCALL is Intel's, VMMCALL AMD's (and Hygon's); KVM would otherwise patch the guest's code. */
const char *guest_sender__pick_hypercall(struct vm *vm)
{
	struct cpuid_leaf vendor = guest_sender__cpuid(vm, 0);
	char name[13] = "";
	bool amd;

	if (vendor.present) {
		memcpy(name, &vendor.ebx, 4);
		memcpy(name + 4, &vendor.edx, 4);
		memcpy(name + 8, &vendor.ecx, 4);
		name[12] = '\0';
	}
	amd = !strcmp(name, "AuthenticAMD") || !strcmp(name, "HygonGenuine");
	for (unsigned i = 0; i < vm->nvcpus; i++)
		vm->vcpus[i].mb->hc_vmmcall = amd;
	return amd ? "VMMCALL" : "VMCALL";
}

enum guest_answer guest_sender__ask(struct vm *vm, unsigned v, uint32_t op, uint64_t *result,
				    char *why, size_t why_len)
{
	struct vcpu *vcpu = &vm->vcpus[v];
	struct mailbox *mb = vcpu->mb;
	uint64_t req = mb->ctl_req + 1;
	uint64_t until = clock__monotonic_ns() + GUEST_ASK_TIMEOUT_MS * 1000000ull;
	struct timespec pause = { .tv_nsec = 100000 };

	int err;

	mb->ctl_op = op;
	/* Pairs with the guest's load of the request: the op is seen first. */
	__atomic_store_n(&mb->ctl_req, req, __ATOMIC_RELEASE);
	/*
	 * A running guest may already be in the request, its APIC disabled on
	 * the way to xAPIC mode, and take no interrupt (-ENXIO): it needs none.
	 * A halted one that took none stays silent, and the wait says so.
	 */
	err = guest_sender__wake(vm->fd, v);
	if (err < 0 && err != -ENXIO) {
		ks_format(why, why_len, "%s could not be woken with KVM_SIGNAL_MSI: %s", vcpu->name,
			  strerror(-err));
		return GUEST_FAILED;
	}
	while (__atomic_load_n(&mb->ctl_done, __ATOMIC_ACQUIRE) != req) {
		if (vcpu__failed(vcpu)) {
			ks_format(why, why_len, "%s", vcpu->error);
			return GUEST_FAILED;
		}
		if (clock__monotonic_ns() > until) {
			ks_format(why, why_len, "%s did not answer within %d ms", vcpu->name,
				  GUEST_ASK_TIMEOUT_MS);
			return GUEST_SILENT;
		}
		nanosleep(&pause, NULL);
	}
	*result = __atomic_load_n(&mb->ctl_result, __ATOMIC_RELAXED);
	return GUEST_ANSWERED;
}

void guest_sender__try(const struct scenario_ctx *ctx, uint32_t op, struct guest_try *t)
{
	struct vm vm;
	struct vcpu *v;

	memset(t, 0, sizeof(*t));
	t->answer = GUEST_NO_VM;
	if (vm__create(&vm, ctx->kvm_fd, 1, ctx->topo, NULL) < 0) {
		ks_format(t->why, sizeof(t->why), "no VM could be made to try it: %s", ks_last_error());
		return;
	}
	v = &vm.vcpus[0];
	t->signature = guest_sender__cpuid(&vm, KVM_CPUID_SIGNATURE);
	t->features = guest_sender__cpuid(&vm, KVM_CPUID_FEATURES);
	t->hypercall = guest_sender__pick_hypercall(&vm);
	v->protocol = PROTOCOL_IMMEDIATE_EXIT;
	vcpu__set_mode(v, MB_MODE_RUNNING);
	if (vcpu__start(v, ctx->topo) < 0 || vcpu__wait_ready(v, GUEST_START_TIMEOUT_MS) < 0)
		ks_format(t->why, sizeof(t->why), "the VM made to try it did not run: %s",
			  v->error[0] ? v->error : ks_last_error());
	else
		t->answer = guest_sender__ask(&vm, 0, op, &t->result, t->why, sizeof(t->why));
	/* A guest stuck in the request leaves KVM_RUN on the stop's kick like any other. */
	vcpu__stop(v, GUEST_STOP_TIMEOUT_MS);
	vm__destroy(&vm);
}
