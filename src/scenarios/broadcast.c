// SPDX-License-Identifier: MIT
/*
 * broadcast: VM ioctls that make a request of every vCPU and kick them, timed
 * by a host thread pinned where sender 0 would run:
 *   KVM_SET_CLOCK   (with what KVM_GET_CLOCK returned): KVM_REQ_MCLOCK_INPROGRESS
 *                   to all, kick those in guest mode and wait for them to
 *                   leave it, then a KVM_REQ_CLOCK_UPDATE on each;
 *   memslot on/off  KVM_MEM_LOG_DIRTY_PAGES set and cleared on a slot of its
 *                   own. Setting it flushes every TLB unconditionally
 *                   (KVM_REQ_TLB_FLUSH, kick and wait); clearing it flushes
 *                   only if something was zapped: timed, not counted.
 * Both requests are KVM_REQUEST_NO_WAKEUP: a vCPU blocked in HLT is not
 * waited for or made to run (a memslot change kicks its thread, which finds
 * nothing runnable and blocks again), and handles them on its next entry.
 *
 * Acknowledgement: with kvmclock enabled by the host, a handled clock update
 * rewrites the vCPU's pvclock page (version, and a tsc_timestamp read no
 * earlier than the request); a handled TLB flush moves its tlb_flush stat.
 * The last round is the verification round. After it every vCPU takes an
 * interrupt (KVM_SIGNAL_MSI), so halted ones enter the guest too, and must
 * show an update from after that round began, within the deadline, or the
 * request is lost. Counts are per (vCPU, request); earlier requests handled
 * together with a later one are coalesced, as request bits are.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "../classify.h"
#include "../engine.h"
#include "../scenario.h"

/* Far above the mailboxes (MB_GPA(KS_MAX_VCPUS) is 24 MiB), never touched by the guest. */
#define BROADCAST_SLOT_GPA	0x20000000ull
#define BROADCAST_SLOT_SIZE	0x200000ull
#define PVCLOCK_GPA		(BROADCAST_SLOT_GPA + BROADCAST_SLOT_SIZE)
#define PVCLOCK_SIZE		0x2000ull	/* 32 bytes for each of KS_MAX_VCPUS */
#define MSR_KVM_SYSTEM_TIME_NEW	0x4b564d01
#define PVCLOCK_ENABLE		1ull
/* Its request stub counts the interrupt in MB_IRQ_COUNT; no storm uses the last slot here. */
#define WAKE_VECTOR		REQ_VECTOR(MB_NSLOTS - 1)
#define MSI_ADDRESS(apic_id)	(0xfee00000u | ((apic_id) << 12))
#define SETUP_TIMEOUT_MS	5000

/* struct pvclock_vcpu_time_info, arch/x86/include/asm/pvclock-abi.h. */
struct pvclock_time {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
};
_Static_assert(sizeof(struct pvclock_time) == 32, "pvclock ABI");
_Static_assert(KS_MAX_VCPUS * sizeof(struct pvclock_time) <= PVCLOCK_SIZE, "pvclock area");

enum bcast_kind { BCAST_SET_CLOCK, BCAST_MEMSLOT_ON, BCAST_MEMSLOT_OFF, BCAST_NKINDS };

/* What one vCPU showed for the requests of one kind. */
struct bcast_evidence {
	bool known;
	uint64_t updates;           /* pvclock updates or TLB flushes over the run */
	bool acked_last;            /* one of them came after the verification round began */
};

struct bcast_vcpu {
	uint32_t version_before;
	uint64_t irq_before;
	bool woken;
	struct bcast_evidence clock, flush;
};

struct broadcast {
	struct engine *e;
	const struct ks_config *cfg;
	void *slot_mem;
	unsigned slot;
	struct pvclock_time *pvclock;
	bool pvclock_on;
	char pvclock_why[160];
	int cpu, bind_error;
	uint64_t count, end_tsc;
	uint64_t ack_wait_ms;
	struct histogram *hist[BCAST_NKINDS];
	uint64_t calls[BCAST_NKINDS];
	char error[256];
	struct kvm_clock_data clock;    /* the broadcast thread's */
	uint64_t verify_tsc;        /* host TSC just before the verification round */
	struct kvmstats_sample *verify_stats;
	struct bcast_vcpu *vcpus;
	pthread_t thread;
	struct cpu_trace ran_on;
	KS_ALIGNED_CACHELINE atomic_bool stop;
	KS_ALIGNED_CACHELINE _Atomic uint64_t progress;
	atomic_bool done;
};

/* Reads a vCPU's pvclock under its version seqlock (KVM writes odd, data, even). */
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
	struct kvm_msi msi = { .address_lo = MSI_ADDRESS(v->id), .data = WAKE_VECTOR };

	return vm_ioctl(&b->e->vm, KVM_SIGNAL_MSI, &msi) < 0 ? -1 : 0;
}

/*
 * Interrupts every vCPU and waits until each guest has handled it. A vCPU
 * handles its pending requests in vcpu_enter_guest() before the entry that
 * runs the handler, so once the handler's count moved, every request made
 * before the interrupt was processed (or dropped).
 */
static void broadcast__wake_all(struct broadcast *b, uint64_t timeout_ms)
{
	struct vm *vm = &b->e->vm;
	uint64_t deadline = clock__monotonic_ns() + timeout_ms * 1000000ull;
	struct timespec pause = { .tv_nsec = 50 * 1000 };
	unsigned pending = 0;

	for (unsigned i = 0; i < vm->nvcpus; i++) {
		b->vcpus[i].irq_before = __atomic_load_n(&vm->vcpus[i].mb->irq_count, __ATOMIC_ACQUIRE);
		b->vcpus[i].woken = false;
		if (broadcast__send_wake(b, &vm->vcpus[i]) == 0)
			pending++;
	}
	while (pending && clock__monotonic_ns() < deadline) {
		nanosleep(&pause, NULL);
		pending = 0;
		for (unsigned i = 0; i < vm->nvcpus; i++) {
			struct bcast_vcpu *bv = &b->vcpus[i];

			/* A vCPU that failed (a guest exception) will never answer. */
			if (vcpu__failed(&vm->vcpus[i]))
				return;
			bv->woken = __atomic_load_n(&vm->vcpus[i].mb->irq_count, __ATOMIC_ACQUIRE) !=
				    bv->irq_before;
			pending += !bv->woken;
		}
	}
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

	for (unsigned i = 0; i < vm->nvcpus; i++) {
		if (vcpu__stop(&vm->vcpus[i], SETUP_TIMEOUT_MS) < 0) {
			ks_format(res->error, sizeof(res->error),
				  "vcpu %u did not stop within %u ms to have kvmclock enabled", i,
				  SETUP_TIMEOUT_MS);
			return -1;
		}
	}
	b->pvclock_on = true;
	for (unsigned i = 0; i < vm->nvcpus && b->pvclock_on; i++) {
		msrs.entry.data = (PVCLOCK_GPA + i * sizeof(struct pvclock_time)) | PVCLOCK_ENABLE;
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

/* The memslot whose flags are toggled, kvmclock, and a first entry of every vCPU. */
static int broadcast__prepare(struct broadcast *b, struct scenario_result *res)
{
	struct vm *vm = &b->e->vm;

	b->slot_mem = map_guest_memory(BROADCAST_SLOT_SIZE);
	b->pvclock = map_guest_memory(PVCLOCK_SIZE);
	if (!b->slot_mem || !b->pvclock) {
		ks_format(res->error, sizeof(res->error), "cannot map guest memory: %s", strerror(errno));
		return -1;
	}
	if (vm__add_memslot(vm, BROADCAST_SLOT_GPA, b->slot_mem, BROADCAST_SLOT_SIZE, 0, &b->slot) < 0 ||
	    vm__add_memslot(vm, PVCLOCK_GPA, b->pvclock, PVCLOCK_SIZE, 0, NULL) < 0) {
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
	broadcast__wake_all(b, SETUP_TIMEOUT_MS);
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

static const char *const kind_ioctls[BCAST_NKINDS] = {
	[BCAST_SET_CLOCK] = "KVM_SET_CLOCK",
	[BCAST_MEMSLOT_ON] = "KVM_SET_USER_MEMORY_REGION enabling dirty logging",
	[BCAST_MEMSLOT_OFF] = "KVM_SET_USER_MEMORY_REGION disabling dirty logging",
};

/* Times one broadcast ioctl into its histogram; false, with the error kept, when it fails. */
static bool broadcast__timed(struct broadcast *b, enum bcast_kind k)
{
	struct vm *vm = &b->e->vm;
	uint64_t t0 = clock__tsc();
	int ret;

	if (k == BCAST_SET_CLOCK)
		ret = vm_ioctl(vm, KVM_SET_CLOCK, &b->clock) < 0 ? -1 : 0;
	else
		ret = vm__set_memslot_flags(vm, b->slot, BROADCAST_SLOT_GPA, b->slot_mem, BROADCAST_SLOT_SIZE,
					    k == BCAST_MEMSLOT_ON ? KVM_MEM_LOG_DIRTY_PAGES : 0);
	if (ret < 0) {
		ks_format(b->error, sizeof(b->error), "%s failed (see the message above)", kind_ioctls[k]);
		return false;
	}
	histogram__record(b->hist[k], clock__tsc_ordered() - t0);
	b->calls[k]++;
	return true;
}

/*
 * One round of every broadcast ioctl; false after a failure. SET_CLOCK takes
 * GET_CLOCK's flags back, and with KVM_CLOCK_REALTIME among them KVM moves the
 * value on by the time since, so the guest clock never steps back.
 */
static bool broadcast__round(struct broadcast *b)
{
	if (vm_ioctl(&b->e->vm, KVM_GET_CLOCK, &b->clock) < 0) {
		ks_format(b->error, sizeof(b->error), "KVM_GET_CLOCK failed (see the message above)");
		return false;
	}
	for (int k = 0; k < BCAST_NKINDS; k++)
		if (!broadcast__timed(b, (enum bcast_kind)k))
			return false;
	return true;
}

static bool broadcast__should_stop(struct broadcast *b, uint64_t done)
{
	if (atomic_load_explicit(&b->stop, memory_order_relaxed))
		return true;
	if (b->count && done >= b->count)
		return true;
	return b->end_tsc && clock__tsc() >= b->end_tsc;
}

/* Stats and TSC taken before the round that every vCPU must be seen to answer. */
static void broadcast__mark_verify(struct broadcast *b)
{
	struct vm *vm = &b->e->vm;

	for (unsigned i = 0; i < vm->nvcpus; i++)
		if (vm->vcpus[i].stats_open)
			kvmstats__read(&vm->vcpus[i].stats, &b->verify_stats[i]);
	b->verify_tsc = clock__tsc_ordered();
}

/*
 * The timed loop. Its last round is the verification round; when the loop
 * ends on --duration or Ctrl-C rather than --count, one more round is run
 * to be it.
 */
static void *broadcast__thread(void *arg)
{
	struct broadcast *b = arg;
	uint64_t rounds = 0;
	bool ok = true;

	pthread_setname_np(pthread_self(), "ks-broadcast");
	if (b->cpu >= 0) {
		int ret = topology__bind_self(b->e->ctx->topo, b->cpu);

		b->bind_error = ret < 0 ? -ret : 0;
	}
	cpu_trace__sample(&b->ran_on);
	while (ok && !broadcast__should_stop(b, rounds)) {
		if (b->count && rounds + 1 == b->count)
			broadcast__mark_verify(b);
		ok = broadcast__round(b);
		rounds++;
		atomic_store_explicit(&b->progress, rounds, memory_order_relaxed);
	}
	if (ok && !b->verify_tsc) {
		broadcast__mark_verify(b);
		ok = broadcast__round(b);
	}
	if (!ok)
		b->verify_tsc = 0;
	cpu_trace__sample(&b->ran_on);
	atomic_store_explicit(&b->done, true, memory_order_release);
	return NULL;
}

/* Waits for the thread, watching for Ctrl-C and failed vCPUs, reporting progress. */
static void broadcast__monitor(struct broadcast *b, struct scenario_result *res)
{
	struct scenario_ctx *ctx = b->e->ctx;
	uint64_t start = clock__monotonic_ns(), last_progress = start;
	struct timespec tick = { .tv_nsec = 2 * 1000 * 1000 };

	while (!atomic_load_explicit(&b->done, memory_order_acquire)) {
		uint64_t now;

		nanosleep(&tick, NULL);
		now = clock__monotonic_ns();
		if (atomic_load_explicit(ctx->interrupted, memory_order_relaxed) && !res->interrupted) {
			res->interrupted = true;
			atomic_store_explicit(&b->stop, true, memory_order_relaxed);
		}
		if (!res->error[0] && engine__vcpu_failed(b->e, res))
			atomic_store_explicit(&b->stop, true, memory_order_relaxed);
		if (ctx->progress && now - last_progress >= 1000000000ull) {
			ctx->progress(res->scenario->name,
				      atomic_load_explicit(&b->progress, memory_order_relaxed),
				      b->count, (double)(now - start) / 1e9);
			last_progress = now;
		}
	}
	res->elapsed_s = (double)(clock__monotonic_ns() - start) / 1e9;
}

static int broadcast__measure(struct broadcast *b, struct scenario_result *res)
{
	const struct ks_config *cfg = b->cfg;
	int err;

	if (cfg->duration_s > 0)
		b->end_tsc = clock__tsc() + clock__ns_to_ticks(b->e->ctx->clock,
							       (uint64_t)(cfg->duration_s * 1e9));
	err = pthread_create(&b->thread, NULL, broadcast__thread, b);
	if (err) {
		ks_format(res->error, sizeof(res->error), "cannot start the broadcast thread: %s",
			  strerror(err));
		return -1;
	}
	broadcast__monitor(b, res);
	pthread_join(b->thread, NULL);
	if (b->error[0] && !res->error[0])
		ks_format(res->error, sizeof(res->error), "%s", b->error);
	return res->error[0] ? -1 : 0;
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

static json_t *broadcast__verify(struct broadcast *b, struct scenario_result *res)
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

static json_t *broadcast__params(const struct scenario_ctx *ctx)
{
	const struct ks_config *cfg = ctx->cfg;

	return json_pack("{s:i, s:i, s:s, s:I, s:f, s:i, s:[s, s], s:I, s:I}",
			 "vcpus", (int)ctx->vcpus, "senders", 1,
			 "target_state", target_state__name(cfg->target),
			 "count", (json_int_t)cfg->count, "duration_s", cfg->duration_s,
			 "deadline_ms", (int)cfg->deadline_ms,
			 "ioctls", "KVM_SET_CLOCK", "KVM_SET_USER_MEMORY_REGION (KVM_MEM_LOG_DIRTY_PAGES)",
			 "memslot_gpa", (json_int_t)BROADCAST_SLOT_GPA,
			 "memslot_size", (json_int_t)BROADCAST_SLOT_SIZE);
}

static json_t *broadcast__thread_placement(const struct broadcast *b)
{
	json_t *o = json_pack("{s:i, s:s, s:o, s:o, s:s}", "sender", 0, "thread", "ks-broadcast",
			      "bound_cpu", b->cpu >= 0 ? json_integer(b->cpu) : json_null(),
			      "ran_on", cpu_trace__to_json(&b->ran_on), "targets", "all vCPUs");

	if (b->bind_error)
		json_object_set_new(o, "bind_error", json_string(strerror(b->bind_error)));
	return json_pack("[o]", o);
}

/* Main latency: KVM_SET_CLOCK; the memslot changes go to details. */
static void broadcast__results(struct broadcast *b, struct scenario_result *res, json_t *ack)
{
	double ns_per_tick = clock__ns_per_tick(b->e->ctx->clock);

	res->latency = b->hist[BCAST_SET_CLOCK];
	b->hist[BCAST_SET_CLOCK] = NULL;
	res->extra = json_pack("{s:s, s:o, s:o, s:{s:I, s:I, s:I}, s:o}",
			       "latency", "KVM_SET_CLOCK duration; memslot: enabling dirty logging (TLB-flush "
			       "request to every vCPU); memslot_off: disabling it (flushes only if it zaps)",
			       "memslot", histogram__to_json(b->hist[BCAST_MEMSLOT_ON], ns_per_tick),
			       "memslot_off", histogram__to_json(b->hist[BCAST_MEMSLOT_OFF], ns_per_tick),
			       "calls", "set_clock", (json_int_t)b->calls[BCAST_SET_CLOCK],
			       "memslot", (json_int_t)b->calls[BCAST_MEMSLOT_ON],
			       "memslot_off", (json_int_t)b->calls[BCAST_MEMSLOT_OFF],
			       "acknowledgement", ack);
}

/*
 * No kick travels to one vCPU here: the ioctl makes a request of every vCPU
 * and waits for those in guest mode, so its duration is the measurement.
 */
static void broadcast__explain_delivery(struct scenario_result *res)
{
	json_decref(res->delivery);
	res->delivery = delivery__not_applicable(
		"KVM_SET_CLOCK and the memslot change make a request of every vCPU inside one "
		"ioctl, which kicks those in guest mode and waits for them; its duration is the "
		"measurement, and no single kick's path is. Clock-update and TLB-flush requests "
		"are KVM_REQUEST_NO_WAKEUP: a halted vCPU handles them on its next entry");
}

static struct broadcast *broadcast__create(struct engine *e)
{
	struct broadcast *b = ks_aligned_zalloc(KS_CACHELINE, sizeof(*b));
	struct scenario_ctx *ctx = e->ctx;

	b->e = e;
	b->cfg = ctx->cfg;
	b->cpu = ctx->plan.sender_cpu[0];
	b->count = ctx->cfg->count;
	/* The loss window: a vCPU that has not answered by then has lost the request. */
	b->ack_wait_ms = ctx->cfg->lost_after_ms;
	for (int k = 0; k < BCAST_NKINDS; k++)
		b->hist[k] = ks_aligned_zalloc(KS_CACHELINE, sizeof(struct histogram));
	b->verify_stats = ks_zalloc(e->vm.nvcpus * sizeof(*b->verify_stats));
	b->vcpus = ks_zalloc(e->vm.nvcpus * sizeof(*b->vcpus));
	atomic_init(&b->stop, false);
	atomic_init(&b->progress, 0);
	atomic_init(&b->done, false);
	return b;
}

/* After engine__stop: the memslots point into this memory until the VM is gone. */
static void broadcast__destroy(struct broadcast *b)
{
	if (b->slot_mem)
		munmap(b->slot_mem, BROADCAST_SLOT_SIZE);
	if (b->pvclock)
		munmap(b->pvclock, PVCLOCK_SIZE);
	for (int k = 0; k < BCAST_NKINDS; k++)
		free(b->hist[k]);
	free(b->verify_stats);
	free(b->vcpus);
	free(b);
}

static int broadcast__run(struct scenario_ctx *ctx, struct scenario_result *res)
{
	struct engine_options o = { .protocol = PROTOCOL_IMMEDIATE_EXIT };
	struct broadcast *b;
	struct engine e;
	json_t *ack;
	int ret;

	res->params = broadcast__params(ctx);
	if (engine__start(&e, ctx, &o) < 0) {
		ks_format(res->error, sizeof(res->error), "could not start the VM");
		return -1;
	}
	b = broadcast__create(&e);
	ret = broadcast__prepare(b, res);
	if (ret == 0) {
		engine__snapshot_before(&e);
		ret = broadcast__measure(b, res);
		broadcast__wake_all(b, b->ack_wait_ms);
		if (!res->error[0] && engine__vcpu_failed(&e, res))
			ret = -1;
		engine__snapshot_after(&e);
		ack = broadcast__verify(b, res);
		broadcast__results(b, res, ack);
		engine__report(&e, res, b->calls[BCAST_SET_CLOCK] + b->calls[BCAST_MEMSLOT_ON], false,
			       broadcast__thread_placement(b));
		broadcast__explain_delivery(res);
		res->completed = ret == 0 && !res->interrupted;
	}
	engine__stop(&e);
	broadcast__destroy(b);
	return ret;
}

static bool broadcast__supported(const struct scenario_ctx *ctx, char *why, size_t why_len)
{
	if (kvm__check_extension(ctx->kvm_fd, KVM_CAP_ADJUST_CLOCK) <= 0) {
		ks_format(why, why_len, "KVM_CAP_ADJUST_CLOCK is missing, so KVM_SET_CLOCK cannot be timed");
		return false;
	}
	return true;
}

static const struct scenario_param broadcast_params[] = {
	{ "--target-state", "what the vCPUs do meanwhile: running, halted or mixed" },
	{ "--vcpus", "vCPUs every broadcast reaches" },
	{ "--sweep-vcpus", "run once per vCPU count, e.g. 1,2,4,8, and tabulate p50/p99" },
	{ "--count", "rounds of KVM_SET_CLOCK + dirty-log on/off" },
	{ "--deadline", "ms a vCPU has to show it handled the last round (scaled when overcommitted)" },
	{ NULL, NULL },
};

const struct scenario scenario_broadcast = {
	.name = "broadcast",
	.summary = "VM ioctls that request of every vCPU (KVM_SET_CLOCK, dirty-log memslot change)",
	.params = broadcast_params,
	.supported = broadcast__supported,
	.run = broadcast__run,
};
