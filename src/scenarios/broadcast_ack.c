// SPDX-License-Identifier: MIT
/*
 * broadcast's acknowledgement: with kvmclock enabled by the host, a handled
 * clock update rewrites the vCPU's pvclock page (version, and a
 * tsc_timestamp read no earlier than the request); a handled TLB flush
 * moves its tlb_flush stat. After the last round every vCPU takes an
 * interrupt (KVM_SIGNAL_MSI), so halted ones enter the guest too, and must
 * show an update from after that round began within the loss window, or
 * the request is lost.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "broadcast.h"
#include "interrupts.h"
#include "../vcpu_thread.h"

static bool pvclock__read(const struct pvclock_time *pv, uint32_t *version, uint64_t *tsc)
{
	for (int i = 0; i < 1000; i++) {
		uint32_t v1 = __atomic_load_n(&pv->version, __ATOMIC_ACQUIRE);

		if (v1 & 1)
			continue;
		*tsc = __atomic_load_n(&pv->tsc_timestamp, __ATOMIC_RELAXED);
		atomic_thread_fence(memory_order_acquire);
		if (__atomic_load_n(&pv->version, __ATOMIC_RELAXED) == v1) {
			*version = v1;
			return true;
		}
	}
	return false;
}

static int broadcast__send_wake(struct broadcast *b, struct vcpu *v)
{
	struct kvm_msi msi = { 0 };

	interrupts__msi_route(v->id, WAKE_VECTOR, &msi.address_lo, &msi.address_hi, &msi.data);
	return vm_ioctl(&b->e->vm, KVM_SIGNAL_MSI, &msi) < 0 ? -1 : 0;
}

/*
 * Interrupts every vCPU and waits until each guest has handled it. A vCPU
 * handles its pending requests in vcpu_enter_guest() before the entry that
 * runs the handler, so once the handler's count moved, every request made
 * before the interrupt was processed (or dropped).
 */
/*
 * The longest time a vCPU still unwoken was kept from answering by the host
 * (its thread waiting for a CPU, the process stopped) since the wake-up.
 */
static uint64_t broadcast__excused(struct broadcast *b, const uint64_t *before)
{
	struct vm *vm = &b->e->vm;
	uint64_t most = 0;

	for (unsigned i = 0; i < vm->nvcpus; i++) {
		uint64_t grew;

		if (b->vcpus[i].woken)
			continue;
		grew = schedstat__excuse_peek(&vm->vcpus[i].excuse) - before[i];
		most = grew > most ? grew : most;
	}
	return most;
}

void broadcast_ack__wake_all(struct broadcast *b, uint64_t timeout_ms)
{
	struct vm *vm = &b->e->vm;
	uint64_t start = clock__monotonic_ns(), window = timeout_ms * 1000000ull;
	uint64_t *before = ks_zalloc(vm->nvcpus * sizeof(*before));
	struct timespec pause = { .tv_nsec = 50 * 1000 };
	unsigned pending = 0;

	for (unsigned i = 0; i < vm->nvcpus; i++) {
		b->vcpus[i].irq_before = __atomic_load_n(&vm->vcpus[i].mb->irq_count, __ATOMIC_ACQUIRE);
		b->vcpus[i].woken = false;
		before[i] = schedstat__excuse_peek(&vm->vcpus[i].excuse);
		if (broadcast__send_wake(b, &vm->vcpus[i]) == 0)
			pending++;
	}
	/* The window counts only time the vCPUs could have answered in (ledger.h). */
	while (pending && (clock__monotonic_ns() - start < window ||
			   clock__monotonic_ns() - start < window + broadcast__excused(b, before))) {
		nanosleep(&pause, NULL);
		pending = 0;
		for (unsigned i = 0; i < vm->nvcpus; i++) {
			struct bcast_vcpu *bv = &b->vcpus[i];

			/* A vCPU that failed (a guest exception) will never answer. */
			if (vcpu__failed(&vm->vcpus[i]))
				goto out;
			bv->woken = __atomic_load_n(&vm->vcpus[i].mb->irq_count, __ATOMIC_ACQUIRE) !=
				    bv->irq_before;
			pending += !bv->woken;
		}
	}
out:
	free(before);
}

/*
 * kvmclock is enabled from the host: MSR_KVM_SYSTEM_TIME_NEW takes a
 * host-initiated write. vCPU ioctls wait for KVM_RUN to return, so the
 * threads are stopped around it and restarted where the guest left off.
 */
static int broadcast__enable_pvclock(struct broadcast *b, struct scenario_result *res)
{
	struct vm *vm = &b->e->vm;
	struct {
		struct kvm_msrs head;
		struct kvm_msr_entry entry;
	} msrs = { .head.nmsrs = 1, .entry.index = MSR_KVM_SYSTEM_TIME_NEW };

	if (vcpu__stop_all(vm->vcpus, vm->nvcpus, SETUP_TIMEOUT_MS) < 0) {
		ks_format(res->error, sizeof(res->error), "a vCPU did not stop within %u ms to have "
			  "kvmclock enabled (%s)", SETUP_TIMEOUT_MS, ks_last_error());
		return -1;
	}
	b->pvclock_on = true;
	for (unsigned i = 0; i < vm->nvcpus && b->pvclock_on; i++) {
		msrs.entry.data = (PVCLOCK_GPA(vm->nvcpus) + i * sizeof(struct pvclock_time)) | PVCLOCK_ENABLE;
		if (kvm__ioctl_raw(vm->vcpus[i].fd, KVM_SET_MSRS, &msrs) != 1) {
			ks_format(b->pvclock_why, sizeof(b->pvclock_why),
				  "unverified: KVM refused MSR_KVM_SYSTEM_TIME_NEW on vcpu %u", i);
			b->pvclock_on = false;
		}
	}
	return 0;
}

static void *map_guest_memory(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

int broadcast_ack__prepare(struct broadcast *b, struct scenario_result *res)
{
	struct vm *vm = &b->e->vm;

	b->slot_mem = map_guest_memory(BROADCAST_SLOT_SIZE);
	b->pvclock_size = PVCLOCK_SIZE(vm->nvcpus);
	b->pvclock = map_guest_memory(b->pvclock_size);
	if (!b->slot_mem || !b->pvclock) {
		ks_format(res->error, sizeof(res->error), "cannot map guest memory: %s", strerror(errno));
		return -1;
	}
	if (vm__add_memslot(vm, BROADCAST_SLOT_GPA(vm->nvcpus), b->slot_mem, BROADCAST_SLOT_SIZE, 0,
			    &b->slot) < 0 ||
	    vm__add_memslot(vm, PVCLOCK_GPA(vm->nvcpus), b->pvclock, b->pvclock_size, 0, NULL) < 0) {
		ks_format(res->error, sizeof(res->error), "cannot add the broadcast memslots");
		return -1;
	}
	if (broadcast__enable_pvclock(b, res) < 0)
		return -1;
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		if (vcpu__start(&vm->vcpus[i], b->e->ctx->topo) < 0) {
			ks_format(res->error, sizeof(res->error), "cannot restart the vCPU threads");
			return -1;
		}
	}
	/* Halted vCPUs write their first pvclock only once something makes them enter. */
	broadcast_ack__wake_all(b, SETUP_TIMEOUT_MS);
	if (engine__vcpu_failed(b->e, res))
		return -1;
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		uint64_t tsc;

		if (!b->vcpus[i].woken) {
			ks_format(res->error, sizeof(res->error),
				  "vcpu %u did not take an interrupt within %u ms of starting", i,
				  SETUP_TIMEOUT_MS);
			return -1;
		}
		if (b->pvclock_on && !pvclock__read(&b->pvclock[i], &b->vcpus[i].version_before, &tsc))
			b->vcpus[i].version_before = 0;
	}
	return 0;
}

/* What vCPU i shows: its pvclock page and its tlb_flush stat, against the verification round. */
static void broadcast__evidence(struct broadcast *b, unsigned i)
{
	struct bcast_vcpu *bv = &b->vcpus[i];
	const struct vcpu *v = &b->e->vm.vcpus[i];
	const uint64_t *before = b->e->before[i].value, *after = b->e->after[i].value;
	int idx = v->stats_open ? kvmstats__find(&v->stats, "tlb_flush") : -1;
	uint32_t version;
	uint64_t tsc;

	if (b->pvclock_on && pvclock__read(&b->pvclock[i], &version, &tsc)) {
		bv->clock.known = true;
		bv->clock.updates = (uint32_t)(version - bv->version_before) / 2;
		/* tsc_timestamp is guest TSC; verify_tsc is host TSC. */
		bv->clock.acked_last = (int64_t)(tsc - v->tsc_offset - b->verify_tsc) >= 0;
	}
	if (idx >= 0) {
		bv->flush.known = true;
		/* Stats only go backwards when someone resets them through debugfs. */
		bv->flush.updates = after[idx] >= before[idx] ? after[idx] - before[idx] : 0;
		bv->flush.acked_last = after[idx] != b->verify_stats[i].value[idx];
	}
}

/*
 * One (vCPU, kind): whether the newest request was seen handled decides it;
 * earlier ones handled together with a later one are coalesced. Without a
 * verification round (interrupted, or a failed ioctl) nothing was looked at.
 */
static void account(struct scenario_result *res, const struct bcast_evidence *ev, uint64_t posted,
		    bool verified)
{
	if (!ev->known)
		return;
	ledger__settle_counted(&res->tally, posted, ev->updates, ev->acked_last, verified);
}

static json_t *evidence__json(const struct bcast_evidence *ev, uint64_t posted)
{
	if (!ev->known)
		return json_null();
	return json_pack("{s:I, s:I, s:b}", "posted", (json_int_t)posted,
			 "updates", (json_int_t)ev->updates, "acknowledged_last", ev->acked_last);
}

json_t *broadcast_ack__verify(struct broadcast *b, struct scenario_result *res)
{
	struct vm *vm = &b->e->vm;
	json_t *per_vcpu = json_array(), *lost = json_array();

	for (unsigned i = 0; i < vm->nvcpus; i++) {
		struct bcast_vcpu *bv = &b->vcpus[i];

		/* Without the verification round (a failed ioctl) there is nothing to check against. */
		if (b->verify_tsc)
			broadcast__evidence(b, i);
		account(res, &bv->clock, b->calls[BCAST_SET_CLOCK], b->verify_tsc != 0);
		account(res, &bv->flush, b->calls[BCAST_MEMSLOT_ON], b->verify_tsc != 0);
		if ((bv->clock.known && !bv->clock.acked_last) || (bv->flush.known && !bv->flush.acked_last))
			json_array_append_new(lost, json_integer(i));
		json_array_append_new(per_vcpu, json_pack(
			"{s:i, s:s, s:b, s:o, s:o}", "vcpu", (int)i,
			"mode", engine__mode_of(b->e, i) == MB_MODE_HALTED ? "halted" : "running",
			"entered_after_wake", bv->woken,
			"clock_update", evidence__json(&bv->clock, b->calls[BCAST_SET_CLOCK]),
			"tlb_flush", evidence__json(&bv->flush, b->calls[BCAST_MEMSLOT_ON])));
	}
	return json_pack("{s:s, s:s, s:I, s:o, s:o, s:o}",
			 "clock_update", b->pvclock_on ?
				 "kvmclock page rewritten (version, tsc_timestamp) after the last round began" :
				 b->pvclock_why,
			 "tlb_flush", "per-vCPU tlb_flush stat moved after the last round began",
			 "wait_ms", (json_int_t)b->ack_wait_ms,
			 "per_vcpu", per_vcpu, "lost_vcpus", lost,
			 "verified", json_boolean(b->verify_tsc != 0));
}

