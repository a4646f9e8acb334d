// SPDX-License-Identifier: MIT
/*
 * The report's "sweep" section, built from the report itself: the swept
 * parameter and its points (config.sweep), and for each scenario it shaped,
 * each point's entries (every repetition) pooled: their outcome counts
 * summed, their latency bins merged into one distribution, the fraction of
 * requests lost, and what the vCPUs' CPU cost per request. The entries stay
 * where they are; this is the curve read off them.
 */
#include "report_sweep.h"
#include "latency.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const count_keys[] = { "sent", "delivered", "late", "coalesced", "lost", "unresolved" };

static const struct {
	const char *key;
	double pct;
} pooled_percentiles[] = {
	{ "min", 0.0 }, { "p50", 50.0 }, { "p90", 90.0 }, { "p99", 99.0 }, { "p999", 99.9 }, { "max", 100.0 },
};

struct point_pool {
	json_t *entries;            /* indices into scenarios[] */
	uint64_t counts[KS_ARRAY_SIZE(count_keys)];
	uint64_t kicks_lost;
	bool kicks_known;
	size_t errors;
	struct latency_bins bins;
	double cpu_ns, cpu_requests;    /* summed over entries that have both */
};

static void pool__add(struct point_pool *p, const json_t *sc, size_t idx)
{
	const json_t *counts = json_object_get(sc, "counts");
	const json_t *kicks_lost = json_object_get(json_object_get(sc, "kicks"), "lost");
	const json_t *hp = json_object_get(json_object_get(sc, "kvm_stats"), "halt_poll");
	const json_t *cpu = json_object_get(hp, "vcpu_cpu_ns"), *requests = json_object_get(hp, "requests");

	json_array_append_new(p->entries, json_integer((json_int_t)idx));
	if (json_is_string(json_object_get(sc, "error")))
		p->errors++;
	for (size_t k = 0; k < KS_ARRAY_SIZE(count_keys); k++)
		p->counts[k] += (uint64_t)json_integer_value(json_object_get(counts, count_keys[k]));
	if (json_is_integer(kicks_lost)) {
		p->kicks_known = true;
		p->kicks_lost += (uint64_t)json_integer_value(kicks_lost);
	}
	/* A malformed histogram leaves the pool as it was: the section reports what it can read. */
	latency__bins_add(&p->bins, json_object_get(sc, "latency_ns"));
	if (json_is_integer(cpu) && json_integer_value(requests) > 0) {
		p->cpu_ns += (double)json_integer_value(cpu);
		p->cpu_requests += (double)json_integer_value(requests);
	}
}

static json_t *pool__latency(const struct point_pool *p)
{
	json_t *o;

	if (!p->bins.count)
		return json_null();
	o = json_pack("{s:I}", "count", (json_int_t)p->bins.count);
	for (size_t i = 0; i < KS_ARRAY_SIZE(pooled_percentiles); i++)
		json_object_set_new(o, pooled_percentiles[i].key, json_integer(
			(json_int_t)latency__bins_percentile(&p->bins, pooled_percentiles[i].pct)));
	return o;
}

static json_t *pool__json(struct point_pool *p, const json_t *value)
{
	json_t *counts = json_object();
	uint64_t sent = p->counts[0], lost = p->counts[4];

	for (size_t k = 0; k < KS_ARRAY_SIZE(count_keys); k++)
		json_object_set_new(counts, count_keys[k], json_integer((json_int_t)p->counts[k]));
	return json_pack("{s:O, s:o, s:I, s:o, s:o, s:o, s:o, s:o}", "value", value,
			 "entries", p->entries, "errors", (json_int_t)p->errors, "counts", counts,
			 "lost_fraction", sent ? json_real((double)lost / (double)sent) : json_null(),
			 "kicks_lost", p->kicks_known ? json_integer((json_int_t)p->kicks_lost) : json_null(),
			 "latency_ns", pool__latency(p),
			 "cpu_ns_per_request", p->cpu_requests > 0 ? json_real(p->cpu_ns / p->cpu_requests) :
									 json_null());
}

/* The points of one scenario: its entries whose params[key] is the point, pooled. */
static json_t *report_sweep__scenario(const json_t *scenarios, const char *name, const char *key,
				      const json_t *points)
{
	json_t *out = json_array(), *value;
	size_t i, nfound = 0;

	json_array_foreach(points, i, value) {
		struct point_pool p = { .entries = json_array() };
		const json_t *sc;
		size_t idx;

		json_array_foreach(scenarios, idx, sc) {
			const json_t *v = json_object_get(json_object_get(sc, "params"), key);

			const char *sc_name = json_string_value(json_object_get(sc, "name"));

			if (!sc_name || strcmp(sc_name, name) || !v || !json_equal((json_t *)v, value))
				continue;
			pool__add(&p, sc, idx);
		}
		nfound += json_array_size(p.entries);
		json_array_append_new(out, pool__json(&p, value));
		latency__bins_release(&p.bins);
	}
	if (!nfound) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static bool names__seen(const json_t *names, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (json_equal(json_array_get(names, k), json_array_get(names, i)))
			return true;
	return false;
}

void report_sweep__annotate(json_t *root)
{
	const json_t *spec = json_object_get(json_object_get(root, "config"), "sweep");
	const json_t *scenarios = json_object_get(root, "scenarios");
	const json_t *names = json_object_get(json_object_get(root, "config"), "scenarios"), *name;
	const json_t *points = json_object_get(spec, "points");
	const char *key = json_string_value(json_object_get(spec, "key"));
	json_t *per_scenario;
	size_t i;

	if (!json_is_object(spec) || !key || !json_is_array(points))
		return;
	per_scenario = json_array();
	json_array_foreach(names, i, name) {
		json_t *pts;

		/* --scenario signal,signal names it twice; its points are pooled once. */
		if (!json_is_string(name) || names__seen(names, i))
			continue;
		pts = report_sweep__scenario(scenarios, json_string_value(name), key, points);

		if (pts)
			json_array_append_new(per_scenario, json_pack("{s:O, s:o}", "name", name,
								      "points", pts));
	}
	json_object_set_new(root, "sweep", json_pack("{s:O, s:O, s:O, s:o}", "parameter",
						     json_object_get(spec, "parameter"), "key",
						     json_object_get(spec, "key"), "points", points,
						     "scenarios", per_scenario));
}
