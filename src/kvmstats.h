/* SPDX-License-Identifier: MIT */
/*
 * KVM binary statistics of a vCPU (KVM_GET_STATS_FD, Documentation/virt/kvm/
 * api.rst). The header and descriptors are read once at open; a sample is one
 * pread of the data block, so sampling before and after a scenario costs two
 * syscalls per vCPU and never perturbs the storm itself.
 *
 * Scalar (size 1) cumulative and instant statistics are kept, and the
 * first KVMSTATS_MAX_HIST histograms (the halt-polling ones on x86): their
 * buckets only ever grow, so a bucket's delta counts the events of the
 * scenario. Peaks have no meaningful per-scenario delta.
 */
#ifndef KICKSTORM_KVMSTATS_H
#define KICKSTORM_KVMSTATS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define KVMSTATS_MAX 128
#define KVMSTATS_NAME_LEN 48
#define KVMSTATS_MAX_HIST 4
#define KVMSTATS_HIST_BUCKETS 32

struct kvmstats {
	int fd;
	unsigned n;				/* scalar stats kept */
	char names[KVMSTATS_MAX][KVMSTATS_NAME_LEN];
	uint64_t offsets[KVMSTATS_MAX];		/* byte offset in the data block */
	uint32_t flags[KVMSTATS_MAX];		/* KVM_STATS_TYPE_* | UNIT | BASE */
	off_t data_offset;
	size_t data_size;			/* bytes read per sample */
	uint64_t *buf;				/* data_size bytes, owned */
	unsigned nhist;				/* histograms kept */
	char hist_names[KVMSTATS_MAX_HIST][KVMSTATS_NAME_LEN];
	uint64_t hist_offsets[KVMSTATS_MAX_HIST];
	uint32_t hist_flags[KVMSTATS_MAX_HIST];
	uint32_t hist_size[KVMSTATS_MAX_HIST];		/* buckets */
	uint32_t hist_bucket_size[KVMSTATS_MAX_HIST];	/* linear histograms: the width of one */
	int16_t hist_exponent[KVMSTATS_MAX_HIST];	/* unit scale: -9 with seconds is ns */
	unsigned skipped;			/* stats dropped: table full, name too long, too many buckets */
	char owner[32];				/* "vcpu 0", for messages */
};

struct kvmstats_sample {
	uint64_t value[KVMSTATS_MAX];
	uint64_t hist[KVMSTATS_MAX_HIST][KVMSTATS_HIST_BUCKETS];
};

/*
 * Reads the header and descriptors of @vcpu_fd's stats once. Returns 0, or
 * after a message that names @owner_name ("vcpu 1") -errno of a failed
 * KVM_GET_STATS_FD, or -EBADMSG for statistics that could not be read.
 */
int kvmstats__open(struct kvmstats *s, int vcpu_fd, const char *owner_name);

/*
 * One pread of the data block into @out. Uses the buffer owned by @s, so two
 * threads must not sample the same vCPU at once (each vCPU is sampled by one
 * thread, before and after a scenario). Returns 0 or -1 after a message.
 */
int kvmstats__read(const struct kvmstats *s, struct kvmstats_sample *out);

/* Index of the stat called @name, or -1. */
int kvmstats__find(const struct kvmstats *s, const char *name);

bool kvmstats__is_cumulative(const struct kvmstats *s, unsigned idx);

void kvmstats__close(struct kvmstats *s);

/* Index of the histogram called @name, or -1. */
int kvmstats__find_hist(const struct kvmstats *s, const char *name);

/*
 * The histograms whose names start with @prefix ("" for all), each bucket's
 * after - before summed over @nvcpus vCPUs (matched by name):
 *   {"halt_wait_hist": {"unit": "ns", "buckets": [[lo, hi, count], ...]}, ...}
 * Only non-empty buckets; lo and hi inclusive in the stat's unit (ns for
 * KVM's time histograms), hi null for the last, open bucket. A log
 * histogram's bucket 0 holds the value 0, bucket i [2^(i-1), 2^i - 1].
 */
json_t *kvmstats__hist_delta_json(const struct kvmstats *stats,
				  const struct kvmstats_sample *before,
				  const struct kvmstats_sample *after,
				  unsigned nvcpus, const char *prefix);
/*
 * The same in steps, for vCPUs that are not one array: each vCPU's bucket
 * deltas added into sum, indexed as @like's histograms (matched by name),
 * then sum as JSON.
 */
void kvmstats__hist_add(const struct kvmstats *like, const struct kvmstats *s,
			const struct kvmstats_sample *before, const struct kvmstats_sample *after,
			uint64_t sum[KVMSTATS_MAX_HIST][KVMSTATS_HIST_BUCKETS]);
json_t *kvmstats__hist_json(const struct kvmstats *like,
			    const uint64_t sum[KVMSTATS_MAX_HIST][KVMSTATS_HIST_BUCKETS], const char *prefix);

/*
 * Sum over @nvcpus vCPUs of after - before for the cumulative stat @name;
 * -1 when no vCPU has it. Names are looked up per vCPU.
 */
int64_t kvmstats__total_delta(const struct kvmstats *stats,
			      const struct kvmstats_sample *before,
			      const struct kvmstats_sample *after,
			      unsigned nvcpus, const char *name);

/*
 * Report fragment for one scenario (@stats, @before, @after are arrays of
 * @nvcpus):
 *   {"per_vcpu": [{"vcpu": 0, "delta": {name: n, ...}}, ...],
 *    "totals": {name: sum, ...},
 *    "per_kick": {"exits": r, "irq_exits": r, "signal_exits": r,
 *                 "halt_exits": r, "halt_wakeup": r, "irq_injections": r}}
 * Only cumulative stats appear in delta and totals; a per_kick value is null
 * when @kicks is 0 or the stat is missing.
 */
json_t *kvmstats__delta_json(const struct kvmstats *stats,
			     const struct kvmstats_sample *before,
			     const struct kvmstats_sample *after,
			     unsigned nvcpus, uint64_t kicks);

#endif
