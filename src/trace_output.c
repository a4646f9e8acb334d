// SPDX-License-Identifier: MIT
/* The stage analysis as JSON, as a terminal table, and as a raw-event window file. */
#include "trace_stages.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Raw-event window around a slow kick: at least this much before it, this much after. */
#define WINDOW_BEFORE_NS 1000000.0
#define WINDOW_AFTER_NS 100000.0
#define WINDOW_BEFORE_MAX_NS 50000000.0

static uint64_t ns_of(const struct trace_analysis *a, uint64_t ticks)
{
	return (uint64_t)((double)ticks * trace_stages__ns_per_tick(a) + 0.5);
}

static json_t *event_names(uint32_t mask)
{
	json_t *list = json_array();

	for (unsigned t = 0; t < TEV__COUNT; t++)
		if (mask & TEV_MASK(t))
			json_array_append_new(list, json_string(trace_event__name(t)));
	return list;
}

static json_t *stage_names(uint32_t mask)
{
	json_t *list = json_array();

	for (unsigned s = 0; s < TS__COUNT; s++)
		if (mask & TS_MASK(s))
			json_array_append_new(list, json_string(trace_stage__name(s)));
	return list;
}

static json_t *ns_or_null(uint64_t count, uint64_t ns)
{
	return count ? json_integer((json_int_t)ns) : json_null();
}

static json_t *stages_json(const struct trace_analysis *a)
{
	const struct trace_kick *first = trace_stages__kick(a, 0);
	enum trace_stage order[TS__COUNT];
	unsigned n = trace_stages__order(a, order);
	json_t *list = json_array();

	for (unsigned i = 0; i < n; i++) {
		struct trace_stage_stats st;
		json_t *o;

		trace_stages__stats(a, order[i], &st);
		o = json_pack("{s:s, s:s?, s:I, s:I, s:o, s:o, s:o, s:o}",
			      "name", trace_stage__name(order[i]),
			      "event", first ? trace_stages__event_of(a, order[i], first->kind) : NULL,
			      "count", (json_int_t)st.count, "skipped", (json_int_t)st.skipped,
			      "p50_ns", ns_or_null(st.count, st.p50_ns), "p90_ns", ns_or_null(st.count, st.p90_ns),
			      "p99_ns", ns_or_null(st.count, st.p99_ns), "max_ns", ns_or_null(st.count, st.max_ns));
		if (st.merged)
			json_object_set_new(o, "merged", stage_names(st.merged));
		json_array_append_new(list, o);
	}
	return list;
}

static json_t *timeline_json(const struct trace_analysis *a, size_t i)
{
	const struct trace_timeline *tl = trace_stages__timeline(a, i);
	const struct trace_kick *k = trace_stages__kick(a, i);
	const struct trace_events *ev = trace_stages__events(a);
	json_t *list = json_array();

	for (unsigned p = 0; p < tl->nspans; p++) {
		const struct trace_span *sp = &tl->span[p];
		json_t *o = json_pack("{s:s, s:s?, s:I, s:I}", "stage", trace_stage__name(sp->stage),
				      "event", trace_stages__event_of(a, sp->stage, k->kind),
				      "start_ns", (json_int_t)ns_of(a, sp->start - k->kick_tsc),
				      "duration_ns", (json_int_t)ns_of(a, sp->end - sp->start));

		if (sp->event != SIZE_MAX)
			json_object_set_new(o, "cpu", json_integer(ev->ev[sp->event].cpu));
		json_array_append_new(list, o);
	}
	return list;
}

static json_t *worst_json(const struct trace_analysis *a)
{
	json_t *list = json_array();
	size_t i;

	for (unsigned rank = 0; (i = trace_stages__worst(a, rank)) != SIZE_MAX; rank++) {
		const struct trace_kick *k = trace_stages__kick(a, i);
		char why[512];
		enum trace_stage top = trace_stages__explain(a, i, why, sizeof(why));

		json_array_append_new(list, json_pack("{s:I, s:I, s:i, s:i, s:s?, s:o, s:o, s:s}",
			"latency_ns", (json_int_t)k->latency_ns, "kick_tsc", (json_int_t)k->kick_tsc,
			"target_vcpu", (int)k->target_vcpu, "target_tid", k->target_tid,
			"dominant", trace_stage__name(top), "timeline", timeline_json(a, i),
			"skipped", stage_names(trace_stages__timeline(a, i)->skipped), "analysis", why));
	}
	return list;
}

/* The traced kicks end to end, which the stages add up to. */
static json_t *total_json(const struct trace_analysis *a)
{
	struct trace_stage_stats all;

	trace_stages__total(a, &all);
	return json_pack("{s:I, s:o, s:o, s:o, s:o}", "count", (json_int_t)all.count,
			 "p50_ns", ns_or_null(all.count, all.p50_ns), "p90_ns", ns_or_null(all.count, all.p90_ns),
			 "p99_ns", ns_or_null(all.count, all.p99_ns), "max_ns", ns_or_null(all.count, all.max_ns));
}

json_t *trace_stages__to_json(const struct trace_analysis *a)
{
	size_t n = trace_stages__nkicks(a);
	uint64_t untraced = trace_stages__untraced(a);

	return json_pack("{s:{s:I, s:I, s:I}, s:{s:o, s:o, s:I}, s:o, s:o, s:o}",
			 "kicks", "analysed", (json_int_t)n, "traced", (json_int_t)(n - untraced),
			 "untraced", (json_int_t)untraced,
			 "events", "used", event_names(trace_stages__used_events(a)),
			 "missing", event_names(trace_stages__missing_events(a)),
			 "lost", (json_int_t)trace_stages__events(a)->lost,
			 "stages", stages_json(a), "total", total_json(a), "worst", worst_json(a));
}

static json_int_t int_of(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* A duration cell: "-" when the stage never happened (its p50 is null). */
static void print_ns(FILE *out, const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	char buf[32];

	if (!json_is_integer(v)) {
		fprintf(out, " %10s", "-");
		return;
	}
	trace_stages__format_ns(buf, sizeof(buf), (double)json_integer_value(v));
	fprintf(out, " %10s", buf);
}

static void print_quantiles(FILE *out, const json_t *o)
{
	print_ns(out, o, "p50_ns");
	print_ns(out, o, "p90_ns");
	print_ns(out, o, "p99_ns");
	print_ns(out, o, "max_ns");
}

static void print_names(FILE *out, const char *lead, const json_t *list)
{
	const json_t *v;
	size_t i;

	json_array_foreach(list, i, v)
		fprintf(out, "%s%s", i ? " " : lead, json_string_value(v));
}

static void print_header(const json_t *trace, const char *title, FILE *out)
{
	const json_t *kicks = json_object_get(trace, "kicks"), *events = json_object_get(trace, "events");
	json_int_t lost = int_of(events, "lost"), not_logged = int_of(kicks, "not_logged");

	fprintf(out, "where the time goes%s%s: %lld kicks, %lld untraced", title ? ", " : "",
		title ? title : "", (long long)int_of(kicks, "analysed"), (long long)int_of(kicks, "untraced"));
	if (not_logged)
		fprintf(out, ", %lld more not kept", (long long)not_logged);
	print_names(out, "; missing events: ", json_object_get(events, "missing"));
	if (lost)
		fprintf(out, "; %lld events lost (ring buffer full)", (long long)lost);
	fputc('\n', out);
}

void trace_stages__print_json(const json_t *trace, const char *title, FILE *out)
{
	const json_t *stage, *worst = json_array_get(json_object_get(trace, "worst"), 0);
	const json_t *total = json_object_get(trace, "total");
	const char *err = json_string_value(json_object_get(trace, "error"));
	size_t i;
	char d[32];

	if (err) {
		fprintf(out, "where the time goes%s%s: not traced: %s\n", title ? ", " : "", title ? title : "",
			err);
		return;
	}
	print_header(trace, title, out);
	fprintf(out, "  %-14s %8s %8s %10s %10s %10s %10s\n", "stage", "count", "skipped", "p50", "p90",
		"p99", "max");
	json_array_foreach(json_object_get(trace, "stages"), i, stage) {
		fprintf(out, "  %-14s %8lld %8lld", json_string_value(json_object_get(stage, "name")),
			(long long)int_of(stage, "count"), (long long)int_of(stage, "skipped"));
		print_quantiles(out, stage);
		if (json_array_size(json_object_get(stage, "merged"))) {
			print_names(out, "  (includes ", json_object_get(stage, "merged"));
			fputc(')', out);
		}
		fputc('\n', out);
	}
	if (total) {
		fprintf(out, "  %-14s %8lld %8s", "kick (total)", (long long)int_of(total, "count"), "");
		print_quantiles(out, total);
		fputc('\n', out);
	}
	if (!worst)
		return;
	trace_stages__format_ns(d, sizeof(d), (double)int_of(worst, "latency_ns"));
	fprintf(out, "  slowest kick, %s: %s\n", d, json_string_value(json_object_get(worst, "analysis")));
}

void trace_stages__print(const struct trace_analysis *a, const char *title, FILE *out)
{
	json_t *o = trace_stages__to_json(a);

	trace_stages__print_json(o, title, out);
	json_decref(o);
}

static void write_window_header(const struct trace_analysis *a, size_t i, FILE *f)
{
	const struct trace_timeline *tl = trace_stages__timeline(a, i);
	const struct trace_kick *k = trace_stages__kick(a, i);
	char why[512];

	trace_stages__explain(a, i, why, sizeof(why));
	fprintf(f, "# slow kick: %" PRIu64 " ns to vCPU %u (tid %d)\n# analysis: %s\n", k->latency_ns,
		k->target_vcpu, k->target_tid, why);
	fputs("# stage          start_ns  duration_ns  event\n", f);
	for (unsigned p = 0; p < tl->nspans; p++) {
		const struct trace_span *sp = &tl->span[p];
		const char *ev = trace_stages__event_of(a, sp->stage, k->kind);

		fprintf(f, "# %-14s %9" PRIu64 " %12" PRIu64 "  %s\n", trace_stage__name(sp->stage),
			ns_of(a, sp->start - k->kick_tsc), ns_of(a, sp->end - sp->start), ev ? ev : "");
	}
}

int trace_stages__write_window(const struct trace_analysis *a, size_t i, const char *path,
			       char *why, size_t why_len)
{
	const struct trace_kick *k = trace_stages__kick(a, i);
	struct trace_events view;
	double before_ns;
	uint64_t before, after;
	char tmp[4096];
	FILE *f;
	int err = 0;

	if (!k) {
		ks_format(why, why_len, "no kick %zu to write a trace window for", i);
		return -1;
	}
	before_ns = (double)k->latency_ns > WINDOW_BEFORE_NS ? (double)k->latency_ns : WINDOW_BEFORE_NS;
	before_ns = before_ns < WINDOW_BEFORE_MAX_NS ? before_ns : WINDOW_BEFORE_MAX_NS;
	before = (uint64_t)(before_ns / trace_stages__ns_per_tick(a));
	after = (uint64_t)(WINDOW_AFTER_NS / trace_stages__ns_per_tick(a));
	view = *trace_stages__events(a);
	view.kicks = (struct trace_kick *)k;
	view.nkicks = 1;
	ks_format(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	f = fopen(tmp, "w");
	if (!f) {
		ks_format(why, why_len, "cannot write %s: %s", tmp, strerror(errno));
		return -1;
	}
	write_window_header(a, i, f);
	if (trace_events__write(&view, f, k->kick_tsc > before ? k->kick_tsc - before : 0,
				k->observed_tsc + after) < 0)
		err = errno ? errno : EIO;
	if (fclose(f) && !err)
		err = errno;
	if (!err && rename(tmp, path) < 0)
		err = errno;
	if (err) {
		unlink(tmp);
		ks_format(why, why_len, "cannot write %s: %s", path, strerror(err));
		return -1;
	}
	return 0;
}
