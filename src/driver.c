// SPDX-License-Identifier: MIT
#include "driver.h"
#include "classify.h"
#include "observation.h"
#include "storm.h"
#include "tracer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every param a scenario's options can contribute, keyed by the option. */
static void driver__option_params(const struct scenario_run *run, json_t *p)
{
	const struct ks_config *cfg = run->ctx->cfg;
	unsigned o = scenario__options(run->sc);

	if (run->sc->flags & SCENARIO_VM)
		json_object_set_new(p, "vcpus", json_integer(run->ctx->vcpus));
	if (o & KS_OPT_SENDERS)
		json_object_set_new(p, "senders", json_integer(cfg->senders));
	if (o & KS_OPT_TARGET)
		json_object_set_new(p, "target_state", json_string(target_state__name(cfg->target)));
	if (o & KS_OPT_PATTERN)
		json_object_set_new(p, "pattern", json_string(pattern__name(cfg->pattern)));
	if (o & KS_OPT_PROTOCOL)
		json_object_set_new(p, "protocol", json_string(protocol__name(cfg->protocol)));
	if (o & KS_OPT_RACE_WINDOW)
		json_object_set_new(p, "race_window_ns", json_integer((json_int_t)cfg->race_window_ns));
	if (o & KS_OPT_RATE)
		json_object_set_new(p, "rate_hz", json_integer((json_int_t)cfg->rate_hz));
	if (o & KS_OPT_GAP)
		json_object_set_new(p, "gap_ns", json_integer((json_int_t)cfg->gap_ns));
	if (o & KS_OPT_BURST)
		json_object_set_new(p, "burst", json_integer(cfg->burst));
	if (o & KS_OPT_DEADLINE)
		json_object_set_new(p, "deadline_ms", json_integer(cfg->deadline_ms));
	if (o & KS_OPT_LOST_AFTER)
		json_object_set_new(p, "lost_after_ms", json_integer(cfg->lost_after_ms));
	if (o & KS_OPT_HALT_POLL)
		json_object_set_new(p, "halt_poll_ns", cfg->halt_poll_known ?
				    json_integer((json_int_t)cfg->halt_poll_ns) : json_null());
}

/* What identifies this run of the scenario, for compare: its options, then its own. */
static json_t *driver__params(struct scenario_run *run)
{
	json_t *p = json_object();

	driver__option_params(run, p);
	if (run->sc->describe)
		run->sc->describe(run, p);
	return p;
}

int driver__start_engine(struct scenario_run *run, struct engine *e)
{
	const struct scenario *sc = run->sc;
	const struct ks_config *cfg = run->ctx->cfg;
	bool host_observer = sc->flags & SCENARIO_HOST_OBSERVER;
	/* Without a host observer the vCPU threads only need to leave KVM_RUN when stopped. */
	struct engine_options o = {
		.protocol = host_observer ? cfg->protocol : PROTOCOL_IMMEDIATE_EXIT,
		.race_window_ns = host_observer ? cfg->race_window_ns : 0,
		.observe = host_observer ? observation__check_host : NULL,
		.observed_slots = !host_observer ? 0 : cfg->senders >= 64 ? ~0ull : (1ull << cfg->senders) - 1,
	};

	if (engine__start(e, run->ctx, &o) < 0) {
		ks_format(run->res->error, sizeof(run->res->error), "could not start the VM: %s",
			  ks_last_error());
		return -1;
	}
	run->engine = e;
	if (!(sc->flags & SCENARIO_GUEST_TSC))
		return 0;
	for (unsigned i = 0; i < e->vm.nvcpus; i++) {
		if (!e->vm.vcpus[i].tsc_offset_known) {
			ks_format(run->res->error, sizeof(run->res->error),
				  "KVM_VCPU_TSC_OFFSET of vcpu %u cannot be read on this host, so the "
				  "guest's timestamps cannot be converted to host time", i);
			return -1;
		}
	}
	return 0;
}

/* The measurement, framed by the KVM stats it is judged on, and traced when asked. */
static int driver__measure(struct scenario_run *run)
{
	struct tracer *tracer = run->ctx->tracer;
	bool traced = run->log_kicks && tracer__begin(tracer, run) == 0;
	int ret;

	if (run->engine)
		engine__snapshot_before(run->engine);
	ret = run->sc->measure ? run->sc->measure(run) : storm__run(run);
	if (run->engine)
		engine__snapshot_after(run->engine);
	if (traced)
		tracer__end(tracer, run);
	return ret;
}

static void driver__conclude(struct scenario_run *run)
{
	const struct scenario *sc = run->sc;
	struct scenario_result *res = run->res;
	struct engine_verdict v = {
		.judge_path = sc->flags & SCENARIO_KICK_PATH,
		.kick_is_interrupt = sc->kick ? sc->kick->is_interrupt : true,
		.targets = run->targets,
		.summary = &run->summary,
	};

	if (run->engine)
		engine__conclude(run->engine, res, &v);
	if (!(sc->flags & SCENARIO_KICK_PATH)) {
		json_decref(res->delivery);
		res->delivery = delivery__not_applicable(sc->no_path_why);
	}
}

int scenario__drive(const struct scenario *sc, struct scenario_ctx *ctx, struct scenario_result *res)
{
	struct scenario_run run = { .sc = sc, .ctx = ctx, .res = res };
	struct engine e;
	int ret = -1;

	run.state = sc->state_size ? ks_aligned_zalloc(KS_CACHELINE, sc->state_size) : NULL;
	res->params = driver__params(&run);
	/* Known before setup: a scenario may wire its ledger's watch there. */
	run.log_kicks = tracer__wants(ctx->tracer, &run);
	if ((sc->flags & SCENARIO_VM) && driver__start_engine(&run, &e) < 0)
		goto out;
	if (sc->setup && sc->setup(&run) < 0)
		goto stop;
	ret = driver__measure(&run);
	driver__conclude(&run);
	if (sc->details)
		sc->details(&run);
	res->completed = !res->interrupted && !res->error[0] && ret == 0;
stop:
	if (run.engine)
		engine__stop(run.engine);
	if (sc->teardown)
		sc->teardown(&run);
out:
	json_decref(run.summary.senders);
	json_decref(run.summary.threads);
	kick_log__release(&run.kicks);
	free(run.state);
	if (res->error[0])
		ret = -1;
	return ret;
}
