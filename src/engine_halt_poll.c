// SPDX-License-Identifier: MIT
/*
 * Halt polling's trade-off, per scenario. A halted vCPU polls for up to
 * its halt-poll limit before it blocks: a kick within that time is answered
 * without a wake-up, and the CPU spent polling is spent either way. The
 * KVM stats say how often polling paid off and how long it spun or slept;
 * the vCPU threads' CPU time over the storm, per request sent, says what
 * the answers cost. The table sets that beside the latency.
 */
#include "engine.h"


/* KVM's halt statistics (virt/kvm/kvm_main.c, and x86's halt_exits). */
static const char *const halt_stats[] = {
	"halt_exits", "halt_attempted_poll", "halt_successful_poll", "halt_poll_invalid",
	"halt_poll_success_ns", "halt_poll_fail_ns", "halt_wait_ns", "halt_wakeup",
};

/* The halt stats one vCPU moved over the storm: {name: delta}, those its kernel has. */
static json_t *halt_poll__stats(const struct vcpu *v, const struct kvmstats_sample *before,
				const struct kvmstats_sample *after, json_t *totals)
{
	json_t *o = json_object();

	for (size_t k = 0; k < KS_ARRAY_SIZE(halt_stats); k++) {
		int64_t d = kvmstats__total_delta(&v->stats, before, after, 1, halt_stats[k]);
		json_t *sum;

		if (d < 0)
			continue;
		json_object_set_new(o, halt_stats[k], json_integer(d));
		sum = json_object_get(totals, halt_stats[k]);
		json_object_set_new(totals, halt_stats[k],
				    json_integer(d + (sum ? json_integer_value(sum) : 0)));
	}
	return o;
}

static json_t *ratio_or_null(double num, double den)
{
	return den > 0 ? json_real(num / den) : json_null();
}

/* The limit the VM polled with, and where it came from. */
static void halt_poll__limit(const struct ks_config *cfg, json_t *out)
{
	json_object_set_new(out, "limit_ns", cfg->halt_poll_known ?
			    json_integer((json_int_t)cfg->halt_poll_ns) : json_null());
	json_object_set_new(out, "source", json_string(cfg->halt_poll_given ? "option" :
			    cfg->halt_poll_known ? "kvm module default" : "unknown"));
}

/* Every vCPU's stats and CPU time over the storm, and their sums. */
static json_t *halt_poll__per_vcpu(struct engine *e, json_t *totals, uint64_t *cpu_ns, bool *cpu_known,
				   bool *stats_known, uint64_t hist[KVMSTATS_MAX_HIST][KVMSTATS_HIST_BUCKETS])
{
	struct vm *vm = &e->vm;
	json_t *per_vcpu = json_array();

	for (unsigned i = 0; i < vm->nvcpus; i++) {
		const struct vcpu *v = &vm->vcpus[i];
		struct sched_sample d = schedstat__delta(e->sched_before[i], e->sched_after[i]);
		json_t *o = json_pack("{s:i}", "vcpu", (int)i);

		*cpu_known &= d.known;
		*cpu_ns += d.known ? d.on_cpu_ns : 0;
		json_object_set_new(o, "cpu_ns", d.known ? json_integer((json_int_t)d.on_cpu_ns) : json_null());
		*stats_known &= v->stats_open;
		if (v->stats_open) {
			json_object_set_new(o, "stats", halt_poll__stats(v, &e->before[i], &e->after[i], totals));
			json_object_set_new(o, "histograms", kvmstats__hist_delta_json(
				&v->stats, &e->before[i], &e->after[i], 1, "halt_"));
			kvmstats__hist_add(&vm->vcpus[0].stats, &v->stats, &e->before[i], &e->after[i], hist);
		}
		json_array_append_new(per_vcpu, o);
	}
	return per_vcpu;
}

json_t *engine__halt_poll_json(struct engine *e, uint64_t requests, uint64_t kicks)
{
	uint64_t hist[KVMSTATS_MAX_HIST][KVMSTATS_HIST_BUCKETS] = { { 0 } };
	json_t *out = json_object(), *totals = json_object(), *per_vcpu;
	uint64_t cpu_ns = 0;
	bool cpu_known = e->vm.nvcpus > 0, stats_known = e->vm.nvcpus > 0;

	halt_poll__limit(e->ctx->cfg, out);
	per_vcpu = halt_poll__per_vcpu(e, totals, &cpu_ns, &cpu_known, &stats_known, hist);
	json_object_set_new(out, "poll_success_ratio", !stats_known ? json_null() : ratio_or_null(
		(double)json_integer_value(json_object_get(totals, "halt_successful_poll")),
		(double)json_integer_value(json_object_get(totals, "halt_attempted_poll"))));
	json_object_set_new(out, "histograms", stats_known ?
			    kvmstats__hist_json(&e->vm.vcpus[0].stats, hist, "halt_") : json_null());
	json_object_set_new(out, "totals", stats_known ? totals : json_null());
	if (!stats_known)
		json_decref(totals);
	json_object_set_new(out, "vcpu_cpu_ns", cpu_known ? json_integer((json_int_t)cpu_ns) : json_null());
	json_object_set_new(out, "requests", json_integer((json_int_t)requests));
	json_object_set_new(out, "cpu_ns_per_request", cpu_known ? ratio_or_null((double)cpu_ns,
										(double)requests) : json_null());
	/* A scenario that settles its requests later (broadcast) still has its kicks. */
	json_object_set_new(out, "kicks", json_integer((json_int_t)kicks));
	json_object_set_new(out, "cpu_ns_per_kick", cpu_known ? ratio_or_null((double)cpu_ns, (double)kicks) :
			    json_null());
	json_object_set_new(out, "per_vcpu", per_vcpu);
	return out;
}
