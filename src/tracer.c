// SPDX-License-Identifier: MIT
#include "tracer.h"
#include "scenario.h"
#include "trace.h"
#include "trace_stages.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void tracer__open(struct tracer *t, const struct ks_config *cfg, const char *report_path)
{
	struct trace_options o = { .follow_forks = true };
	size_t len;

	bool traceable = false;

	memset(t, 0, sizeof(*t));
	t->requested = cfg->trace;
	for (unsigned i = 0; i < cfg->nscenarios; i++)
		traceable |= (cfg->scenarios[i]->flags & SCENARIO_TRACEABLE) != 0;
	if (!cfg->trace)
		return;
	if (!traceable) {
		/* run has warned that --trace applies to none of them. */
		ks_format(t->why, sizeof(t->why), "none of the chosen scenarios can be traced");
		return;
	}
	t->threshold_ns = cfg->trace_threshold_us * 1000;
	/* Window files go beside the report; beside the working directory's default for "-". */
	if (!strcmp(report_path, "-"))
		report_path = KS_DEFAULT_OUTPUT;
	len = strlen(report_path);
	if (len > 5 && !strcmp(report_path + len - 5, ".json"))
		len -= 5;
	ks_format(t->window_base, sizeof(t->window_base), "%.*s", (int)len, report_path);
	if (trace__open(&t->session, &o, t->why, sizeof(t->why)) < 0) {
		t->session = NULL;
		fprintf(stderr, "kickstorm run: warning: --trace: %s; running without it\n", t->why);
		return;
	}
	if (trace__add_tid(t->session, (int)getpid()) < 0) {
		ks_format(t->why, sizeof(t->why), "cannot filter the trace to this process");
		fprintf(stderr, "kickstorm run: warning: --trace: %s; running without it\n", t->why);
		trace__close(t->session);
		t->session = NULL;
	}
}

void tracer__close(struct tracer *t)
{
	trace__close(t->session);
	t->session = NULL;
}

json_t *tracer__host_json(const struct tracer *t)
{
	json_t *o = json_pack("{s:b, s:b}", "requested", t->requested, "available", t->session != NULL);

	if (t->requested && !t->session)
		json_object_set_new(o, "reason", json_string(t->why));
	return o;
}

bool tracer__wants(const struct tracer *t, const struct scenario_run *run)
{
	return t && t->session && (run->sc->flags & SCENARIO_TRACEABLE);
}

static void tracer__fail(struct scenario_run *run, const char *what, int err)
{
	json_decref(run->res->trace);
	run->res->trace = json_pack("{s:s++}", "error", what, ": ", strerror(err));
}

int tracer__begin(struct tracer *t, struct scenario_run *run)
{
	int err = trace__start(t->session);

	if (err < 0) {
		tracer__fail(run, "cannot start tracing", -err);
		return -1;
	}
	return 0;
}

/* The slowest kick over --trace-threshold, its raw events in a file named in the report. */
static void tracer__window(struct tracer *t, struct scenario_run *run, const struct trace_analysis *a)
{
	size_t worst = trace_stages__worst(a, 0);
	const struct trace_kick *k = worst == SIZE_MAX ? NULL : trace_stages__kick(a, worst);
	uint64_t over = 0;
	char path[4200], why[512];
	json_t *o;

	for (size_t i = 0; i < trace_stages__nkicks(a); i++)
		over += trace_stages__kick(a, i)->latency_ns > t->threshold_ns;
	o = json_pack("{s:I, s:I}", "threshold_ns", (json_int_t)t->threshold_ns, "kicks_over", (json_int_t)over);
	if (over && k) {
		ks_format(path, sizeof(path), "%s.%s.%u.trace.txt", t->window_base, run->sc->name, ++t->windows);
		if (trace_stages__write_window(a, worst, path, why, sizeof(why)) < 0) {
			json_object_set_new(o, "error", json_string(why));
			ks_note("kickstorm run: --trace-threshold: %s\n", why);
		} else {
			json_object_set_new(o, "file", json_string(path));
			json_object_set_new(o, "latency_ns", json_integer((json_int_t)k->latency_ns));
		}
	}
	json_object_set_new(run->res->trace, "window", o);
}

void tracer__end(struct tracer *t, struct scenario_run *run)
{
	struct trace_stage_options o = { .tsc_khz = run->ctx->clock->khz };
	struct trace_events events = { 0 };
	struct trace_analysis *a;
	char why[256];
	int err = trace__stop(t->session);

	if (err < 0) {
		tracer__fail(run, "cannot stop tracing", -err);
		return;
	}
	if (trace__read(t->session, &events, why, sizeof(why)) < 0) {
		run->res->trace = json_pack("{s:s}", "error", why);
		trace_events__release(&events);
		return;
	}
	a = trace_stages__analyse(&events, run->kicks.kick, run->kicks.n, &o, why, sizeof(why));
	if (!a) {
		run->res->trace = json_pack("{s:s}", "error", why);
		trace_events__release(&events);
		return;
	}
	run->res->trace = trace_stages__to_json(a);
	json_object_set_new(json_object_get(run->res->trace, "kicks"), "not_logged",
			    json_integer((json_int_t)run->kicks.dropped));
	if (t->threshold_ns)
		tracer__window(t, run, a);
	trace_stages__free(a);
	trace_events__release(&events);
}
