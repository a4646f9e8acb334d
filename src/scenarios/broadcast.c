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

#include "../monitor.h"
#include "broadcast.h"

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
		ret = vm__set_memslot_flags(vm, b->slot, BROADCAST_SLOT_GPA(vm->nvcpus), b->slot_mem,
					    BROADCAST_SLOT_SIZE,
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

/* The monitor's look: rounds so far, and whether the thread is done. */
static bool broadcast__poll(void *arg, uint64_t *rounds)
{
	struct broadcast *b = arg;

	*rounds = atomic_load_explicit(&b->progress, memory_order_relaxed);
	return atomic_load_explicit(&b->done, memory_order_acquire);
}

/* The thread keeps --duration itself; an abort still gets its verification round. */
static void broadcast__stop(void *arg, enum monitor_stop how)
{
	struct broadcast *b = arg;

	if (how == MONITOR_ABORT)
		atomic_store_explicit(&b->stop, true, memory_order_relaxed);
}

/*
 * The timed rounds on their own thread, then one interrupt to every vCPU so
 * that even halted ones handle what is pending, within the loss window.
 */
static int broadcast__measure(struct scenario_run *run)
{
	struct broadcast *b = run->state;
	struct scenario_result *res = run->res;
	struct monitor_ops mon = {
		.period_ms = 2, .poll = broadcast__poll, .stop = broadcast__stop, .arg = b,
		.total = b->count,
	};
	int err;

	if (b->cfg->duration_s > 0)
		b->end_tsc = clock__tsc() + clock__ns_to_ticks(run->ctx->clock,
							       (uint64_t)(b->cfg->duration_s * 1e9));
	err = pthread_create(&b->thread, NULL, broadcast__thread, b);
	if (err) {
		ks_format(res->error, sizeof(res->error), "cannot start the broadcast thread: %s",
			  strerror(err));
		return -1;
	}
	monitor__run(run, &mon);
	pthread_join(b->thread, NULL);
	if (b->error[0] && !res->error[0])
		ks_format(res->error, sizeof(res->error), "%s", b->error);
	broadcast_ack__wake_all(b, b->ack_wait_ms);
	if (!res->error[0])
		engine__vcpu_failed(run->engine, res);
	res->kicks.sent = b->calls[BCAST_SET_CLOCK] + b->calls[BCAST_MEMSLOT_ON];
	return res->error[0] ? -1 : 0;
}

static void broadcast__describe(struct scenario_run *run, json_t *params)
{
	const struct ks_config *cfg = run->ctx->cfg;
	json_t *extra = json_pack("{s:i, s:I, s:f, s:[s, s], s:I, s:I}", "senders", 1,
				  "count", (json_int_t)cfg->count, "duration_s", cfg->duration_s,
				  "ioctls", "KVM_SET_CLOCK",
				  "KVM_SET_USER_MEMORY_REGION (KVM_MEM_LOG_DIRTY_PAGES)",
				  "memslot_gpa", (json_int_t)BROADCAST_SLOT_GPA(run->ctx->vcpus),
				  "memslot_size", (json_int_t)BROADCAST_SLOT_SIZE);

	json_object_update(params, extra);
	json_decref(extra);
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

static void broadcast__details(struct scenario_run *run)
{
	struct broadcast *b = run->state;

	json_t *thread = broadcast__thread_placement(b);

	broadcast__results(b, run->res, broadcast_ack__verify(b, run->res));
	json_array_extend(json_object_get(run->res->placement, "senders"), thread);
	json_decref(thread);
}

static int broadcast__setup(struct scenario_run *run)
{
	struct broadcast *b = run->state;
	struct scenario_ctx *ctx = run->ctx;

	b->run = run;
	b->e = run->engine;
	b->cfg = ctx->cfg;
	b->cpu = ctx->plan.sender_cpu[0];
	b->count = ctx->cfg->count;
	/* The loss window: a vCPU that has not answered by then has lost the request. */
	b->ack_wait_ms = ctx->cfg->lost_after_ms;
	for (int k = 0; k < BCAST_NKINDS; k++)
		b->hist[k] = ks_aligned_zalloc(KS_CACHELINE, sizeof(struct histogram));
	b->verify_stats = ks_zalloc(b->e->vm.nvcpus * sizeof(*b->verify_stats));
	b->vcpus = ks_zalloc(b->e->vm.nvcpus * sizeof(*b->vcpus));
	atomic_init(&b->stop, false);
	atomic_init(&b->progress, 0);
	atomic_init(&b->done, false);
	return broadcast_ack__prepare(b, run->res);
}

/* The VM is gone: its memslots no longer point into this memory. */
static void broadcast__teardown(struct scenario_run *run)
{
	struct broadcast *b = run->state;

	if (b->slot_mem)
		munmap(b->slot_mem, BROADCAST_SLOT_SIZE);
	if (b->pvclock)
		munmap(b->pvclock, b->pvclock_size);
	for (int k = 0; k < BCAST_NKINDS; k++)
		free(b->hist[k]);
	free(b->verify_stats);
	free(b->vcpus);
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
	{ "--vcpus", "vCPUs every broadcast reaches, up to KVM's KVM_CAP_MAX_VCPUS; --sweep "
		     "vcpus=1,2,4,8 tabulates p50/p99 against the count" },
	{ "--count", "rounds of KVM_SET_CLOCK + dirty-log on/off" },
	{ "--lost-after", "ms a vCPU has to show it handled the last round" },
	{ NULL, NULL },
};

const struct scenario scenario_broadcast = {
	.name = "broadcast",
	.summary = "VM ioctls that request of every vCPU (KVM_SET_CLOCK, dirty-log memslot change)",
	.latency = "one KVM_SET_CLOCK ioctl (memslot changes in details)",
	.measures = MEASURES_IOCTL,
	.params = broadcast_params,
	.options = KS_OPT_VCPUS | KS_OPT_TARGET | KS_OPT_LOST_AFTER,
	.flags = SCENARIO_VM,
	.no_path_why = "KVM_SET_CLOCK and the memslot change make a request of every vCPU inside "
		       "one ioctl, which kicks those in guest mode and waits for them; its duration "
		       "is the measurement, and no single kick's path is. Clock-update and TLB-flush "
		       "requests are KVM_REQUEST_NO_WAKEUP: a halted vCPU handles them on its next "
		       "entry",
	.min_vcpus = 1,
	.max_vcpus = 0,
	.state_size = sizeof(struct broadcast),
	.supported = broadcast__supported,
	.describe = broadcast__describe,
	.setup = broadcast__setup,
	.measure = broadcast__measure,
	.details = broadcast__details,
	.teardown = broadcast__teardown,
};
