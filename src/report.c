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

static json_t *counts_json(const struct scenario_result *res)
{
	return json_pack("{s:I, s:I, s:I, s:I}", "sent", (json_int_t)res->sent,
			 "delivered", (json_int_t)res->delivered,
			 "coalesced", (json_int_t)res->coalesced, "lost", (json_int_t)res->lost);
}

json_t *report__scenario_json(const struct scenario_result *res, const struct tsc_clock *clock)
{
	json_t *params = res->params ? json_incref(res->params) : json_object();
	json_t *o = json_pack("{s:s, s:o, s:b, s:b, s:f, s:o}",
			      "name", res->scenario->name, "params", params,
			      "completed", res->completed, "interrupted", res->interrupted,
			      "elapsed_s", res->elapsed_s, "counts", counts_json(res));

	json_object_set_new(o, "error", res->error[0] ? json_string(res->error) : json_null());
	json_object_set_new(o, "latency_ns", res->latency ?
			    histogram__to_json(res->latency, clock__ns_per_tick(clock)) : json_null());
	json_object_set(o, "kvm_stats", res->kvm_stats ? res->kvm_stats : json_null());
	json_object_set_new(o, "delivery", res->delivery ? json_incref(res->delivery) :
			    json_pack("{s:s, s:s}", "path", "unknown", "reason", "the scenario did not run"));
	json_object_set(o, "placement", res->placement ? res->placement : json_null());
	json_object_set_new(o, "details", res->extra ? json_incref(res->extra) : json_object());
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

static double us_of(const json_t *lat, const char *key)
{
	json_t *v = json_object_get(lat, key);

	return json_is_number(v) ? json_number_value(v) / 1000.0 : 0.0;
}

static json_int_t count_of(const json_t *counts, const char *key)
{
	return json_integer_value(json_object_get(counts, key));
}

void report__print_table(const json_t *root, FILE *out)
{
	json_t *scenarios = json_object_get(root, "scenarios"), *sc;
	size_t i;

	fprintf(out, "%-10s %-8s %-15s %8s %8s %8s %6s %9s %9s %9s %9s  %s\n",
		"scenario", "target", "protocol", "sent", "deliv", "coal", "lost",
		"p50 us", "p99 us", "p99.9 us", "max us", "path");
	json_array_foreach(scenarios, i, sc) {
		json_t *params = json_object_get(sc, "params");
		json_t *counts = json_object_get(sc, "counts");
		json_t *lat = json_object_get(sc, "latency_ns");
		const char *target = json_string_value(json_object_get(params, "target_state"));
		const char *proto = json_string_value(json_object_get(params, "protocol"));
		const char *path = json_string_value(json_object_get(json_object_get(sc, "delivery"), "path"));
		const char *err = json_string_value(json_object_get(sc, "error"));

		fprintf(out, "%-10s %-8s %-15s %8lld %8lld %8lld %6lld %9.1f %9.1f %9.1f %9.1f  %s\n",
			json_string_value(json_object_get(sc, "name")), target ? target : "-",
			proto ? proto : "-", (long long)count_of(counts, "sent"),
			(long long)count_of(counts, "delivered"), (long long)count_of(counts, "coalesced"),
			(long long)count_of(counts, "lost"), us_of(lat, "p50"), us_of(lat, "p99"),
			us_of(lat, "p999"), us_of(lat, "max"), path ? path : "unknown");
		if (err)
			fprintf(out, "  error: %s\n", err);
	}
}

#define SWEEP_BAR_WIDTH 32

/* "#" up to p50, "-" on to p99, scaled so the largest p99 fills the width. */
static void sweep__bar(FILE *out, double p50, double p99, double scale)
{
	int n50 = scale > 0 ? (int)(p50 / scale * SWEEP_BAR_WIDTH + 0.5) : 0;
	int n99 = scale > 0 ? (int)(p99 / scale * SWEEP_BAR_WIDTH + 0.5) : 0;

	for (int c = 0; c < n99; c++)
		fputc(c < n50 ? '#' : '-', out);
}

/* After the main table, only when a --sweep-vcpus run left several broadcast entries. */
void report__print_sweep(const json_t *root, FILE *out)
{
	json_t *scenarios = json_object_get(root, "scenarios"), *sc;
	double scale = 0;
	unsigned rows = 0;
	size_t i;

	json_array_foreach(scenarios, i, sc) {
		if (strcmp(json_string_value(json_object_get(sc, "name")), "broadcast"))
			continue;
		rows++;
		if (us_of(json_object_get(sc, "latency_ns"), "p99") > scale)
			scale = us_of(json_object_get(sc, "latency_ns"), "p99");
	}
	if (rows < 2)
		return;
	fprintf(out, "\nbroadcast vs vCPU count (ioctl duration, us)\n");
	fprintf(out, "%6s %-8s %11s %11s %11s %11s %6s  %s\n", "vcpus", "target", "clock p50",
		"clock p99", "memslot p50", "memslot p99", "lost", "KVM_SET_CLOCK: # p50, - p99");
	json_array_foreach(scenarios, i, sc) {
		json_t *params = json_object_get(sc, "params");
		json_t *lat = json_object_get(sc, "latency_ns");
		json_t *mem = json_object_get(json_object_get(sc, "details"), "memslot");
		const char *target = json_string_value(json_object_get(params, "target_state"));

		if (strcmp(json_string_value(json_object_get(sc, "name")), "broadcast"))
			continue;
		fprintf(out, "%6lld %-8s %11.1f %11.1f %11.1f %11.1f %6lld  ",
			(long long)json_integer_value(json_object_get(params, "vcpus")),
			target ? target : "-", us_of(lat, "p50"), us_of(lat, "p99"), us_of(mem, "p50"),
			us_of(mem, "p99"),
			(long long)json_integer_value(json_object_get(json_object_get(sc, "counts"), "lost")));
		sweep__bar(out, us_of(lat, "p50"), us_of(lat, "p99"), scale);
		fputc('\n', out);
	}
}
