/* SPDX-License-Identifier: MIT */
/*
 * Reports built in memory for compare's unit tests (test_compare,
 * test_compare_match, test_report_load). Include after cmocka.h.
 */
#ifndef KICKSTORM_TEST_COMPARE_FIXTURES_H
#define KICKSTORM_TEST_COMPARE_FIXTURES_H

#include <jansson.h>
#include <string.h>

#include "compare.h"

struct entry_spec {
	const char *name;
	const char *state;
	double p50, p99;
	long long lost;
	const char *error;
};

static inline json_t *entry(const struct entry_spec *s)
{
	json_t *lat = s->error ? json_null() :
		json_pack("{s:I, s:f, s:f, s:f, s:f, s:f, s:f}", "count", (json_int_t)1000,
			  "p50", s->p50, "p90", s->p50 * 2, "p99", s->p99, "p999", s->p99 * 2,
			  "max", s->p99 * 3, "mean", s->p50 * 1.5);

	return json_pack("{s:s, s:{s:s, s:i}, s:{s:I, s:I, s:I, s:I}, s:o, s:o}",
			 "name", s->name, "params", "target_state", s->state, "vcpus", 2,
			 "counts", "sent", (json_int_t)1000, "delivered", (json_int_t)(1000 - s->lost),
			 "coalesced", (json_int_t)0, "lost", (json_int_t)s->lost,
			 "latency_ns", lat,
			 "error", s->error ? json_string(s->error) : json_null());
}

static inline json_t *report_with(json_t *scenarios, int schema_version, bool interrupted)
{
	return json_pack("{s:i, s:{s:s, s:s}, s:b, s:o}", "schema_version", schema_version,
			 "tool", "name", "kickstorm", "version", "test", "interrupted", interrupted,
			 "scenarios", scenarios);
}

static inline json_t *report_of(const struct entry_spec *specs, size_t n)
{
	json_t *scenarios = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(scenarios, entry(&specs[i]));
	return report_with(scenarios, 1, false);
}

static inline void load_opts(struct compare_report *r, json_t *root, const char *path,
			     const struct compare_options *o)
{
	char why[256] = "";

	if (compare__from_json(r, root, path, o, why, sizeof(why)) < 0)
		fail_msg("%s did not load: %s", path, why);
	assert_string_equal(why, "");
}

static inline void load(struct compare_report *r, json_t *root, const char *path)
{
	load_opts(r, root, path, NULL);
}

static inline void compare_json(json_t *base_root, json_t *new_root, const struct compare_options *o,
				struct compare_report *base, struct compare_report *new,
				struct compare_result *res)
{
	load_opts(base, base_root, "base.json", o);
	load_opts(new, new_root, "new.json", o);
	compare__run(base, new, o, res);
}

static inline void release(struct compare_report *base, struct compare_report *new,
			   struct compare_result *res)
{
	compare__release_result(res);
	compare__release_report(base);
	compare__release_report(new);
}

#endif
