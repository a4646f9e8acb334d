// SPDX-License-Identifier: MIT
#include "report.h"
#include "config.h"

#include <stdlib.h>
#include <string.h>

void report__init(struct report *r, const struct ks_config *cfg, json_t *host, const char *started_at)
{
	r->scenarios = json_array();
	r->root = json_pack("{s:i, s:{s:s, s:s}, s:s, s:n, s:b, s:o, s:o, s:O}",
			    "schema_version", REPORT_SCHEMA_VERSION,
			    "tool", "name", PACKAGE_NAME, "version", PACKAGE_VERSION,
			    "started_at", started_at, "finished_at", "interrupted", 0,
			    "host", host, "config", config__to_json(cfg),
			    "scenarios", r->scenarios);
}

/* sent = delivered + late + coalesced + lost + unresolved: the ledger's invariant. */
static json_t *counts_json(const struct ledger_tally *t)
{
	json_t *o = json_pack("{s:I}", "sent", (json_int_t)t->sent);

	for (int k = 0; k < LEDGER_NOUTCOMES; k++)
		json_object_set_new(o, ledger__outcome_name((enum ledger_outcome)k),
				    json_integer((json_int_t)t->outcome[k]));
	return o;
}

static json_t *window_count(const struct kick_counts *k, uint64_t n)
{
	return k->window_known ? json_integer((json_int_t)n) : json_null();
}

static json_t *kicks_json(const struct kick_counts *k)
{
	return json_pack("{s:I, s:I, s:I, s:o, s:o, s:o}", "sent", (json_int_t)k->sent,
			 "rekicks", (json_int_t)k->rekicks, "failed", (json_int_t)k->failed,
			 "in_window", window_count(k, k->window.in_window),
			 "honoured", window_count(k, k->window.honoured),
			 "lost", window_count(k, k->window.lost));
}

/* Which samples are which: one histogram per served outcome, and lost-then-served. */
static json_t *latency_by_outcome_json(const struct ledger_tally *t, double ns_per_tick)
{
	json_t *o = json_object();

	for (int k = 0; k < LEDGER_NSAMPLES; k++) {
		const struct histogram *h = t->latency[k];

		json_object_set_new(o, ledger__sample_name((enum ledger_sample)k),
				    h->count ? histogram__to_json(h, ns_per_tick) : json_null());
	}
	return o;
}

/* Ledger facts that explain odd counts; zero in a clean run. */
static json_t *ledger_json(const struct ledger_tally *t)
{
	return json_pack("{s:I, s:I, s:I, s:I}", "withdrawn_losses", (json_int_t)t->withdrawn,
			 "lost_never_timed", (json_int_t)t->lost_unserved,
			 "observed_before_kick", (json_int_t)t->early,
			 "bogus_observations", (json_int_t)t->bogus);
}

json_t *report__scenario_json(const struct scenario_result *res, const struct tsc_clock *clock)
{
	double ns_per_tick = clock__ns_per_tick(clock);
	json_t *params = res->params ? json_incref(res->params) : json_object();
	json_t *o = json_pack("{s:s, s:o, s:b, s:b, s:f, s:o, s:o}",
			      "name", res->scenario->name, "params", params,
			      "completed", res->completed, "interrupted", res->interrupted,
			      "elapsed_s", res->elapsed_s, "counts", counts_json(&res->tally),
			      "kicks", kicks_json(&res->kicks));

	json_object_set_new(o, "measures", json_pack("{s:s, s:s}",
		"kind", scenario__measures_name(res->scenario->measures),
		"latency", res->scenario->latency ? res->scenario->latency : ""));
	json_object_set_new(o, "error", res->error[0] ? json_string(res->error) : json_null());
	json_object_set_new(o, "latency_ns", res->latency ?
			    histogram__to_json(res->latency, ns_per_tick) : json_null());
	json_object_set_new(o, "latency_by_outcome_ns", latency_by_outcome_json(&res->tally, ns_per_tick));
	json_object_set_new(o, "ledger", ledger_json(&res->tally));
	json_object_set(o, "scheduling", res->scheduling ? res->scheduling : json_null());
	json_object_set(o, "kvm_stats", res->kvm_stats ? res->kvm_stats : json_null());
	json_object_set_new(o, "delivery", res->delivery ? json_incref(res->delivery) :
			    json_pack("{s:s, s:s}", "path", "unknown", "reason", "the scenario did not run"));
	json_object_set(o, "placement", res->placement ? res->placement : json_null());
	json_object_set_new(o, "details", res->extra ? json_incref(res->extra) : json_object());
	if (res->trace)
		json_object_set(o, "trace", res->trace);
	return o;
}

void report__add(struct report *r, const struct scenario_result *res, const struct tsc_clock *clock)
{
	json_array_append_new(r->scenarios, report__scenario_json(res, clock));
}

void report__finish(struct report *r, bool interrupted, const char *finished_at)
{
	json_object_set_new(r->root, "finished_at", json_string(finished_at));
	json_object_set_new(r->root, "interrupted", json_boolean(interrupted));
}

void report__release(struct report *r)
{
	json_decref(r->scenarios);
	json_decref(r->root);
	r->root = r->scenarios = NULL;
}
