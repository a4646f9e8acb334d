// SPDX-License-Identifier: MIT
#include "observation.h"
#include "clock.h"

#include <stdatomic.h>

#define OBSERVATION_SEQLOCK_RETRIES 1000

/*
 * The vCPU thread's look at its requests, between two KVM_RUNs. Pairs with
 * the release store in storm.c's sender__publish: seeing a sequence means seeing
 * everything the sender wrote before it. last_seen is read by this
 * thread's own kick handler (vcpu_kick.c), hence the atomic store.
 */
void observation__check_host(struct vcpu *vcpu)
{
	uint64_t slots = vcpu->observed_slots;

	while (slots) {
		unsigned k = (unsigned)__builtin_ctzll(slots);
		struct mb_slot *slot = &vcpu->mb->slot[k];
		uint64_t seq = __atomic_load_n(&slot->pub_seq, __ATOMIC_ACQUIRE);

		slots &= slots - 1;
		if (seq == vcpu->last_seen[k])
			continue;
		__atomic_store_n(&vcpu->last_seen[k], seq, __ATOMIC_RELAXED);
		/* Same seqlock and log as the guest handler (mailbox.h). */
		uint64_t tsc = clock__tsc_ordered(), n = slot->obs_count;
		struct mb_obs *entry = &slot->obs_ring[n & (MB_OBS_RING - 1)];

		__atomic_store_n(&slot->obs_gen, slot->obs_gen + 1, __ATOMIC_RELAXED);
		atomic_thread_fence(memory_order_release);
		__atomic_store_n(&slot->obs_tsc, tsc, __ATOMIC_RELAXED);
		__atomic_store_n(&slot->obs_seq, seq, __ATOMIC_RELAXED);
		__atomic_store_n(&slot->obs_gen, slot->obs_gen + 1, __ATOMIC_RELEASE);
		__atomic_store_n(&entry->seq, seq, __ATOMIC_RELAXED);
		__atomic_store_n(&entry->tsc, tsc, __ATOMIC_RELAXED);
		__atomic_store_n(&slot->obs_count, n + 1, __ATOMIC_RELEASE);
	}
}

bool observation__read_newest(struct mb_slot *slot, uint64_t *seq, uint64_t *tsc)
{
	for (int i = 0; i < OBSERVATION_SEQLOCK_RETRIES; i++) {
		uint64_t g1 = __atomic_load_n(&slot->obs_gen, __ATOMIC_ACQUIRE);

		if (g1 & 1) {
			clock__relax();
			continue;
		}
		*seq = __atomic_load_n(&slot->obs_seq, __ATOMIC_RELAXED);
		*tsc = __atomic_load_n(&slot->obs_tsc, __ATOMIC_RELAXED);
		atomic_thread_fence(memory_order_acquire);
		if (__atomic_load_n(&slot->obs_gen, __ATOMIC_RELAXED) == g1)
			return true;
	}
	return false;
}

