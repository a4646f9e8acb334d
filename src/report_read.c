// SPDX-License-Identifier: MIT
#include "report_read.h"
#include "scenario.h"
#include "latency.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int report_read__schema(const json_t *root)
{
	return (int)json_integer_value(json_object_get(root, "schema_version"));
}

static int check_top(const json_t *root, char *why, size_t why_len)
{
	const json_t *v = json_object_get(root, "schema_version");

	if (!json_is_object(root)) {
		ks_format(why, why_len, "not a kickstorm report: the top level is not a JSON object");
		return -1;
	}
	if (!json_is_integer(v)) {
		ks_format(why, why_len, "not a kickstorm report: no integer \"schema_version\"");
		return -1;
	}
	if (json_integer_value(v) < REPORT_READ_MIN_SCHEMA || json_integer_value(v) > REPORT_READ_MAX_SCHEMA) {
		ks_format(why, why_len, "schema_version %lld is not supported (allowed: %d-%d)",
			  (long long)json_integer_value(v), REPORT_READ_MIN_SCHEMA, REPORT_READ_MAX_SCHEMA);
		return -1;
	}
	if (!json_is_array(json_object_get(root, "scenarios"))) {
		ks_format(why, why_len, "not a kickstorm report: no \"scenarios\" array");
		return -1;
	}
	return 0;
}

static int check_entry(const json_t *sc, size_t i, char *why, size_t why_len)
{
	const json_t *lat = json_object_get(sc, "latency_ns");
	const json_t *err = json_object_get(sc, "error");
	char inner[200];

	if (!json_is_object(sc))
		ks_format(why, why_len, "scenarios[%zu] is not an object", i);
	else if (!json_is_string(json_object_get(sc, "name")))
		ks_format(why, why_len, "scenarios[%zu] has no \"name\" string", i);
	else if (!json_is_object(json_object_get(sc, "params")))
		ks_format(why, why_len, "scenarios[%zu] has no \"params\" object", i);
	else if (!json_is_object(json_object_get(sc, "counts")))
		ks_format(why, why_len, "scenarios[%zu] has no \"counts\" object", i);
	else if (err && !json_is_null(err) && !json_is_string(err))
		ks_format(why, why_len, "scenarios[%zu].error is neither null nor a string", i);
	else if (lat && !json_is_null(lat) && latency__check(lat, inner, sizeof(inner)) < 0)
		ks_format(why, why_len, "scenarios[%zu].latency_ns %s", i, inner);
	else
		return 0;
	return -1;
}

int report_read__check(const json_t *root, char *why, size_t why_len)
{
	const json_t *sc;
	size_t i;

	if (check_top(root, why, why_len) < 0)
		return -1;
	json_array_foreach(json_object_get(root, "scenarios"), i, sc)
		if (check_entry(sc, i, why, why_len) < 0)
			return -1;
	return 0;
}

json_t *report_read__load(const char *path, char *why, size_t why_len)
{
	bool is_stdin = !strcmp(path, "-");
	json_error_t err;
	struct stat st;
	json_t *root;
	FILE *f;

	if (!is_stdin && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		ks_format(why, why_len, "is a directory, not a report");
		return NULL;
	}
	f = is_stdin ? stdin : fopen(path, "r");
	if (!f) {
		ks_format(why, why_len, "cannot open: %s", strerror(errno));
		return NULL;
	}
	root = json_loadf(f, JSON_REJECT_DUPLICATES, &err);
	if (!is_stdin)
		fclose(f);
	if (!root) {
		ks_format(why, why_len, "not valid JSON (line %d, column %d: %s)", err.line,
			  err.column, err.text);
		return NULL;
	}
	if (report_read__check(root, why, why_len) < 0) {
		json_decref(root);
		return NULL;
	}
	return root;
}

bool report_read__count(const json_t *sc, const char *key, uint64_t *out)
{
	const json_t *v = json_object_get(json_object_get(sc, "counts"), key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*out = (uint64_t)json_integer_value(v);
	return true;
}

bool report_read__lost_kicks(const json_t *sc, uint64_t *out)
{
	const json_t *v = json_object_get(json_object_get(sc, "kicks"), "lost");

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*out = (uint64_t)json_integer_value(v);
	return true;
}

const char *report_read__path(const json_t *root, const json_t *sc)
{
	const char *path = json_string_value(json_object_get(json_object_get(sc, "delivery"), "path"));
	const char *name = json_string_value(json_object_get(sc, "name"));

	if (path && !strcmp(path, "not_applicable"))
		return "-";
	/*
	 * v1 compatibility: schema 1 had no not_applicable and wrote "unknown"
	 * (or a guess) for scenarios with no kick path; the registry still
	 * knows which those are. v2 reports say so themselves.
	 */
	if (report_read__schema(root) == 1 && name) {
		const struct scenario *known = scenario__find(name);

		if (known && !(known->flags & SCENARIO_KICK_PATH))
			return "-";
	}
	return path ? path : "unknown";
}

const char *report_read__error(const json_t *sc)
{
	return json_string_value(json_object_get(sc, "error"));
}

void report_read__host_line(const json_t *root, char *buf, size_t len)
{
	const json_t *host = json_object_get(root, "host");
	const json_t *cpu = json_object_get(host, "cpu");
	const char *model = json_string_value(json_object_get(cpu, "model"));
	const char *kernel = json_string_value(json_object_get(host, "kernel"));
	json_int_t online = json_integer_value(json_object_get(cpu, "online"));
	char cpus[32] = "";
	size_t klen;

	if (online > 0)
		ks_format(cpus, sizeof(cpus), " (%lld CPUs)", (long long)online);
	/* uname's version string follows the release after a space: keep the release. */
	klen = kernel ? strcspn(kernel, " ") : 0;
	ks_format(buf, len, "%s%s, Linux %.*s", model ? model : "unknown CPU", cpus,
		  kernel ? (int)klen : 7, kernel ? kernel : "unknown");
}

/* Appends ", " and the formatted text; stops quietly when buf is full. */
static void __attribute__((format(printf, 3, 4))) append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used && used + 2 < len) {
		strcpy(buf + used, ", ");
		used += 2;
	}
	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

void report_read__config_line(const json_t *root, char *buf, size_t len)
{
	const json_t *cfg = json_object_get(root, "config");
	const char *started = json_string_value(json_object_get(root, "started_at"));
	json_int_t count = json_integer_value(json_object_get(cfg, "count"));
	json_int_t rate = json_integer_value(json_object_get(cfg, "rate_hz"));
	json_int_t deadline = json_integer_value(json_object_get(cfg, "deadline_ms"));
	json_int_t repeat = json_integer_value(json_object_get(cfg, "repeat"));
	double duration = json_number_value(json_object_get(cfg, "duration_s"));

	buf[0] = '\0';
	if (json_is_object(cfg)) {
		if (count > 0)
			append(buf, len, "%lld kicks per sender", (long long)count);
		if (duration > 0)
			append(buf, len, "up to %g s", duration);
		if (rate > 0)
			append(buf, len, "open loop at %lld Hz", (long long)rate);
		else
			append(buf, len, "closed loop");
		if (deadline > 0)
			append(buf, len, "deadline %lld ms", (long long)deadline);
		if (repeat > 1)
			append(buf, len, "%lld repetitions", (long long)repeat);
	}
	if (started)
		append(buf, len, "started %s", started);
	if (json_is_true(json_object_get(root, "interrupted")))
		append(buf, len, "interrupted");
}
