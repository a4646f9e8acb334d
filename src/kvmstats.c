// SPDX-License-Identifier: MIT
#include "kvmstats.h"
#include "kvm.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Bounds on what a sane kernel reports; anything beyond is a corrupt header
 * or an ABI we do not understand, and allocating from it would be reckless.
 */
#define KVMSTATS_MAX_DESC	4096u
#define KVMSTATS_MAX_NAME_SIZE	4096u

/* The counters whose per-kick ratios classify the delivery path. */
static const char *const per_kick_names[] = {
	"exits", "irq_exits", "signal_exits",
	"halt_exits", "halt_wakeup", "irq_injections",
};

static int stats__pread(const struct kvmstats *s, void *buf, size_t len,
			off_t off, const char *what)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pread(s->fd, (char *)buf + done, len - done, off + (off_t)done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ks_error_errno(errno, "reading the KVM stats %s of %s", what, s->owner);
			return -1;
		}
		if (r == 0) {
			ks_error("short read of the KVM stats %s of %s: %zu of %zu bytes",
				 what, s->owner, done, len);
			return -1;
		}
		done += (size_t)r;
	}
	return 0;
}

static bool stats__is_hist(uint32_t flags)
{
	uint32_t type = flags & KVM_STATS_TYPE_MASK;

	return type == KVM_STATS_TYPE_LINEAR_HIST || type == KVM_STATS_TYPE_LOG_HIST;
}

/* Records histogram @d if there is room for it; returns its data extent. */
static size_t stats__keep_hist(struct kvmstats *s, const struct kvm_stats_desc *d, const char *name,
			       size_t len)
{
	unsigned h = s->nhist;

	if (len >= KVMSTATS_NAME_LEN || h == KVMSTATS_MAX_HIST || !d->size ||
	    d->size > KVMSTATS_HIST_BUCKETS) {
		s->skipped++;
		return 0;
	}
	memcpy(s->hist_names[h], name, len);
	s->hist_names[h][len] = '\0';
	s->hist_offsets[h] = d->offset;
	s->hist_flags[h] = d->flags;
	s->hist_size[h] = d->size;
	s->hist_bucket_size[h] = d->bucket_size;
	s->hist_exponent[h] = d->exponent;
	s->nhist++;
	return (size_t)d->offset + d->size * sizeof(uint64_t);
}

/* Records descriptor @d if it is a scalar or histogram we keep; returns its data extent. */
static size_t stats__keep(struct kvmstats *s, const struct kvm_stats_desc *d,
			  const char *name, size_t name_size)
{
	uint32_t type = d->flags & KVM_STATS_TYPE_MASK;
	size_t len = strnlen(name, name_size);

	if (d->offset % sizeof(uint64_t))
		return 0;
	if (stats__is_hist(d->flags))
		return stats__keep_hist(s, d, name, len);
	if (d->size != 1)
		return 0;
	if (type != KVM_STATS_TYPE_CUMULATIVE && type != KVM_STATS_TYPE_INSTANT)
		return 0;
	/* A truncated name could collide with another stat: drop it instead. */
	if (len >= KVMSTATS_NAME_LEN || s->n == KVMSTATS_MAX) {
		s->skipped++;
		return 0;
	}
	memcpy(s->names[s->n], name, len);
	s->names[s->n][len] = '\0';
	s->offsets[s->n] = d->offset;
	s->flags[s->n] = d->flags;
	s->n++;
	return (size_t)d->offset + sizeof(uint64_t);
}

static int stats__load_descriptors(struct kvmstats *s, const struct kvm_stats_header *hdr)
{
	/* Each descriptor is followed by its name, name_size bytes (api.rst). */
	size_t desc_size = sizeof(struct kvm_stats_desc) + hdr->name_size;
	size_t total = desc_size * hdr->num_desc;
	char *block = ks_zalloc(total);
	size_t extent = 0;

	if (stats__pread(s, block, total, hdr->desc_offset, "descriptors")) {
		free(block);
		return -1;
	}
	for (uint32_t i = 0; i < hdr->num_desc; i++) {
		const char *p = block + (size_t)i * desc_size;
		struct kvm_stats_desc d;
		size_t end;

		/* memcpy: the block is bytes, the descriptor has alignment. */
		memcpy(&d, p, sizeof(d));
		end = stats__keep(s, &d, p + sizeof(d), hdr->name_size);
		if (end > extent)
			extent = end;
	}
	free(block);
	/* Read only up to the last stat we keep. */
	s->data_size = extent;
	return 0;
}

int kvmstats__open(struct kvmstats *s, int vcpu_fd, const char *owner_name)
{
	struct kvm_stats_header hdr;
	long fd;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	ks_format(s->owner, sizeof(s->owner), "%s", owner_name);

	fd = kvm__ioctl_checked(vcpu_fd, KVM_GET_STATS_FD, NULL, "KVM_GET_STATS_FD", s->owner);
	if (fd < 0)
		return (int)fd;
	s->fd = (int)fd;

	if (stats__pread(s, &hdr, sizeof(hdr), 0, "header"))
		goto err_close;
	if (!hdr.name_size || hdr.name_size > KVMSTATS_MAX_NAME_SIZE ||
	    hdr.num_desc > KVMSTATS_MAX_DESC) {
		ks_error("KVM stats header of %s is implausible (name_size %u, num_desc %u)",
			 s->owner, hdr.name_size, hdr.num_desc);
		goto err_close;
	}
	if (stats__load_descriptors(s, &hdr))
		goto err_close;

	s->data_offset = hdr.data_offset;
	s->buf = ks_zalloc(s->data_size);
	return 0;

err_close:
	close(s->fd);
	s->fd = -1;
	return -EBADMSG;
}

int kvmstats__read(const struct kvmstats *s, struct kvmstats_sample *out)
{
	memset(out, 0, sizeof(*out));
	if (!s->data_size)
		return 0;
	if (stats__pread(s, s->buf, s->data_size, s->data_offset, "data"))
		return -1;
	for (unsigned i = 0; i < s->n; i++)
		out->value[i] = s->buf[s->offsets[i] / sizeof(uint64_t)];
	for (unsigned h = 0; h < s->nhist; h++)
		memcpy(out->hist[h], &s->buf[s->hist_offsets[h] / sizeof(uint64_t)],
		       s->hist_size[h] * sizeof(uint64_t));
	return 0;
}

int kvmstats__find_hist(const struct kvmstats *s, const char *name)
{
	for (unsigned h = 0; h < s->nhist; h++)
		if (!strcmp(s->hist_names[h], name))
			return (int)h;
	return -1;
}

int kvmstats__find(const struct kvmstats *s, const char *name)
{
	for (unsigned i = 0; i < s->n; i++)
		if (!strcmp(s->names[i], name))
			return (int)i;
	return -1;
}

bool kvmstats__is_cumulative(const struct kvmstats *s, unsigned idx)
{
	return idx < s->n &&
	       (s->flags[idx] & KVM_STATS_TYPE_MASK) == KVM_STATS_TYPE_CUMULATIVE;
}

void kvmstats__close(struct kvmstats *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	free(s->buf);
	s->buf = NULL;
	s->n = 0;
	s->nhist = 0;
}

/*
 * A cumulative counter only goes backwards if someone reset it (writing 0 to
 * its debugfs file); a huge unsigned difference would then poison every
 * ratio, so such a delta counts as 0.
 */
static int64_t counter__delta(uint64_t before, uint64_t after)
{
	uint64_t d = after >= before ? after - before : 0;

	return d > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)d;
}

int64_t kvmstats__total_delta(const struct kvmstats *stats,
			      const struct kvmstats_sample *before,
			      const struct kvmstats_sample *after,
			      unsigned nvcpus, const char *name)
{
	int64_t sum = 0;
	bool found = false;

	for (unsigned v = 0; v < nvcpus; v++) {
		int i = kvmstats__find(&stats[v], name);

		if (i < 0 || !kvmstats__is_cumulative(&stats[v], (unsigned)i))
			continue;
		found = true;
		sum += counter__delta(before[v].value[i], after[v].value[i]);
	}
	return found ? sum : -1;
}

static void totals__add(json_t *totals, const char *name, int64_t delta)
{
	json_t *cur = json_object_get(totals, name);

	if (cur)
		json_integer_set(cur, json_integer_value(cur) + delta);
	else
		json_object_set_new(totals, name, json_integer(delta));
}

static json_t *per_kick__json(const json_t *totals, uint64_t kicks)
{
	json_t *per_kick = json_object();

	for (size_t i = 0; i < KS_ARRAY_SIZE(per_kick_names); i++) {
		const json_t *total = json_object_get(totals, per_kick_names[i]);
		json_t *ratio = json_null();

		if (kicks && total)
			ratio = json_real((double)json_integer_value(total) / (double)kicks);
		json_object_set_new(per_kick, per_kick_names[i], ratio);
	}
	return per_kick;
}

json_t *kvmstats__delta_json(const struct kvmstats *stats,
			     const struct kvmstats_sample *before,
			     const struct kvmstats_sample *after,
			     unsigned nvcpus, uint64_t kicks)
{
	json_t *per_vcpu = json_array();
	json_t *totals = json_object();
	json_t *per_kick;

	for (unsigned v = 0; v < nvcpus; v++) {
		const struct kvmstats *s = &stats[v];
		json_t *delta = json_object();

		for (unsigned i = 0; i < s->n; i++) {
			int64_t d;

			if (!kvmstats__is_cumulative(s, i))
				continue;
			d = counter__delta(before[v].value[i], after[v].value[i]);
			json_object_set_new(delta, s->names[i], json_integer(d));
			totals__add(totals, s->names[i], d);
		}
		json_array_append_new(per_vcpu, json_pack("{s:I, s:o}", "vcpu",
							  (json_int_t)v, "delta", delta));
	}

	per_kick = per_kick__json(totals, kicks);
	return json_pack("{s:o, s:o, s:o}", "per_vcpu", per_vcpu,
			 "totals", totals, "per_kick", per_kick);
}

/* "ns" for KVM's time stats (seconds, exponent -9); the unit's name otherwise. */
static const char *hist__unit(uint32_t flags, int exponent)
{
	switch (flags & KVM_STATS_UNIT_MASK) {
	case KVM_STATS_UNIT_SECONDS:
		return exponent == -9 ? "ns" : exponent == -6 ? "us" : exponent == -3 ? "ms" : "s";
	case KVM_STATS_UNIT_BYTES:
		return "bytes";
	case KVM_STATS_UNIT_CYCLES:
		return "cycles";
	default:
		return "count";
	}
}

/* Bucket b's inclusive bounds; *open when it is the last one, with no upper bound. */
static void hist__bounds(const struct kvmstats *s, unsigned h, unsigned b, uint64_t *lo, uint64_t *hi,
			 bool *open)
{
	bool log = (s->hist_flags[h] & KVM_STATS_TYPE_MASK) == KVM_STATS_TYPE_LOG_HIST;
	uint64_t width = s->hist_bucket_size[h] ? s->hist_bucket_size[h] : 1;

	*open = b + 1 == s->hist_size[h];
	if (log) {
		/* The kernel's kvm_stats_log_hist_update: bucket fls64(value). */
		*lo = b ? 1ull << (b - 1) : 0;
		*hi = b ? (1ull << b) - 1 : 0;
	} else {
		*lo = b * width;
		*hi = (b + 1) * width - 1;
	}
}

static json_t *hist__json(const struct kvmstats *s, unsigned h, const uint64_t *counts)
{
	json_t *buckets = json_array();
	const char *unit = hist__unit(s->hist_flags[h], s->hist_exponent[h]);

	for (unsigned b = 0; b < s->hist_size[h]; b++) {
		uint64_t lo, hi;
		bool open;

		if (!counts[b])
			continue;
		hist__bounds(s, h, b, &lo, &hi, &open);
		json_array_append_new(buckets, json_pack("[I, o, I]", (json_int_t)lo,
							 open ? json_null() : json_integer((json_int_t)hi),
							 (json_int_t)counts[b]));
	}
	return json_pack("{s:s, s:o}", "unit", unit, "buckets", buckets);
}

void kvmstats__hist_add(const struct kvmstats *like, const struct kvmstats *s,
			const struct kvmstats_sample *before, const struct kvmstats_sample *after,
			uint64_t sum[KVMSTATS_MAX_HIST][KVMSTATS_HIST_BUCKETS])
{
	for (unsigned h = 0; h < like->nhist; h++) {
		int k = kvmstats__find_hist(s, like->hist_names[h]);

		for (unsigned b = 0; k >= 0 && b < s->hist_size[k] && b < like->hist_size[h]; b++)
			sum[h][b] += (uint64_t)counter__delta(before->hist[k][b], after->hist[k][b]);
	}
}

json_t *kvmstats__hist_json(const struct kvmstats *like,
			    const uint64_t sum[KVMSTATS_MAX_HIST][KVMSTATS_HIST_BUCKETS], const char *prefix)
{
	json_t *out = json_object();

	for (unsigned h = 0; h < like->nhist; h++)
		if (!strncmp(like->hist_names[h], prefix, strlen(prefix)))
			json_object_set_new(out, like->hist_names[h], hist__json(like, h, sum[h]));
	return out;
}

json_t *kvmstats__hist_delta_json(const struct kvmstats *stats,
				  const struct kvmstats_sample *before,
				  const struct kvmstats_sample *after,
				  unsigned nvcpus, const char *prefix)
{
	uint64_t sum[KVMSTATS_MAX_HIST][KVMSTATS_HIST_BUCKETS] = { { 0 } };

	if (!nvcpus)
		return json_object();
	for (unsigned v = 0; v < nvcpus; v++)
		kvmstats__hist_add(&stats[0], &stats[v], &before[v], &after[v], sum);
	return kvmstats__hist_json(&stats[0], sum, prefix);
}
