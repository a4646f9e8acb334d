// SPDX-License-Identifier: MIT
/* `kickstorm run`: set up the host side, run each scenario, report. */
#include "commands.h"
#include "config.h"
#include "driver.h"
#include "floor_ratio.h"
#include "hist_text.h"
#include "progress.h"
#include "host_env.h"
#include "report.h"
#include "report_file.h"
#include "report_sweep.h"
#include "scenario.h"
#include "sweep_spec.h"
#include "table.h"
#include "terminate.h"
#include "trace.h"
#include "trace_table.h"
#include "tracer.h"
#include "vm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct run_state {
	struct ks_config cfg;
	struct host_env env;
	struct tracer tracer;
	struct report report;
	uint64_t lost;
	unsigned failed;
};

static int run__scenario(struct run_state *rs, const struct scenario *sc, unsigned nvcpus)
{
	struct scenario_ctx ctx;
	struct scenario_result res;
	char why[256] = "";

	unsigned nsenders = sc->flags & SCENARIO_GUEST_SENDERS ? 0 : rs->cfg.senders;

	if (host_env__context(&rs->env, &rs->cfg, nvcpus, nsenders, terminate__flag(), &ctx) < 0)
		return -1;
	ctx.progress = progress__update;
	ctx.tracer = &rs->tracer;
	scenario_result__init(&res, sc);
	if (sc->supported && !sc->supported(&ctx, why, sizeof(why))) {
		snprintf(res.error, sizeof(res.error), "not available on this host: %s", why);
		ks_note("%s: %s\n", sc->name, res.error);
	} else {
		scenario__drive(sc, &ctx, &res);
		if (res.error[0])
			rs->failed++;
	}
	progress__entry_done();
	rs->lost += res.tally.outcome[LEDGER_LOST] + res.kicks.window.lost;
	report__add(&rs->report, &res, &rs->env.clock);
	scenario_result__release(&res);
	placement__release(&ctx.plan);
	return 0;
}

/* One vCPU count against a VM scenario's range and KVM's own limit; 0 or KS_EXIT_USAGE. */
static int run__check_vcpu_count(const struct scenario *sc, unsigned n, long max, bool point)
{
	unsigned lo = sc->min_vcpus ? sc->min_vcpus : 1;
	unsigned long hi = sc->max_vcpus && sc->max_vcpus < (unsigned long)max ? sc->max_vcpus :
			   (unsigned long)max;

	if (n >= lo && n <= hi)
		return 0;
	if (n > (unsigned long)max)
		fprintf(stderr, "kickstorm run: %s %u: more vCPUs than this host's KVM allows "
			"(allowed: 1-%ld, KVM_CAP_MAX_VCPUS)\n", point ? "--sweep vcpus point" : "--vcpus",
			n, max);
	else
		fprintf(stderr, "kickstorm run: %s %u does not suit scenario %s (allowed: %u-%lu)\n",
			point ? "--sweep vcpus point" : "--vcpus", n, sc->name, lo, hi);
	return KS_EXIT_USAGE;
}

/* Every VM scenario's vCPU counts (each sweep point's too) before anything runs. */
static int run__check_vcpus(const struct run_state *rs)
{
	long max = vm__max_vcpus(rs->env.kvm_fd);
	const struct ks_config *cfg = &rs->cfg;
	bool swept = cfg->sweep.param == SWEEP_VCPUS;

	for (unsigned i = 0; i < cfg->nscenarios; i++) {
		const struct scenario *sc = cfg->scenarios[i];

		if (!(sc->flags & SCENARIO_VM))
			continue;
		if (!swept || !sweep_spec__shapes(&cfg->sweep, scenario__options(sc))) {
			if (run__check_vcpu_count(sc, cfg->vcpus, max, false))
				return KS_EXIT_USAGE;
			continue;
		}
		for (unsigned k = 0; k < cfg->sweep.n; k++)
			if (run__check_vcpu_count(sc, (unsigned)cfg->sweep.points[k], max, true))
				return KS_EXIT_USAGE;
	}
	return 0;
}

/*
 * --halt-poll-ns (or a sweep of it) needs KVM_CAP_HALT_POLL; without it the
 * VMs poll as the kvm module's halt_poll_ns says, which is what is recorded.
 */
static int run__check_halt_poll(struct run_state *rs)
{
	struct ks_config *cfg = &rs->cfg;
	bool wanted = cfg->halt_poll_given || cfg->sweep.param == SWEEP_HALT_POLL;

	if (wanted && hostinfo__cap(&rs->env.host, "HALT_POLL") <= 0) {
		fprintf(stderr, "kickstorm run: %s needs KVM_CAP_HALT_POLL, which this kernel's KVM "
			"does not have (allowed: leave it out; the VMs then poll as the kvm module's "
			"halt_poll_ns says)\n", cfg->halt_poll_given ? "--halt-poll-ns" : "--sweep halt-poll-ns");
		return KS_EXIT_USAGE;
	}
	if (!cfg->halt_poll_given)
		cfg->halt_poll_known = modparams__u64(&rs->env.host.modparams, "kvm", "halt_poll_ns",
						      &cfg->halt_poll_ns);
	return 0;
}

static json_t *run__host_json(struct run_state *rs)
{
	json_t *host = hostinfo__to_json(&rs->env.host);

	json_object_set_new(host, "topology", topology__to_json(rs->env.topo));
	json_object_set_new(host, "trace", tracer__host_json(&rs->tracer));
	json_object_set_new(host, "tsc", json_pack("{s:I, s:s, s:I}",
						   "khz", (json_int_t)rs->env.clock.khz,
						   "source", rs->env.clock.source,
						   "calibrated_khz", (json_int_t)rs->env.clock.calibrated_khz));
	return host;
}

/*
 * A sweep runs the scenarios its PARAM shapes once per point; the others
 * run once, so adding a sweep to a mixed --scenario list does not
 * multiply their runs.
 */
static bool run__sweeps(const struct run_state *rs, const struct scenario *sc)
{
	return sweep_spec__shapes(&rs->cfg.sweep, scenario__options(sc));
}

/* One pass over the scenario list; false once interrupted. */
static bool run__pass(struct run_state *rs, unsigned rep)
{
	const struct sweep_param_info *swept = sweep_spec__info(rs->cfg.sweep.param);

	for (unsigned i = 0; i < rs->cfg.nscenarios; i++) {
		const struct scenario *sc = rs->cfg.scenarios[i];
		unsigned points = run__sweeps(rs, sc) ? rs->cfg.sweep.n : 0;

		if (!points) {
			if (terminate__requested())
				return false;
			progress__entry(rep, NULL, 0, 0);
			run__scenario(rs, sc, rs->cfg.vcpus);
			continue;
		}
		for (unsigned k = 0; k < points; k++) {
			struct ks_config base = rs->cfg;
			char point[64];

			if (terminate__requested())
				return false;
			snprintf(point, sizeof(point), "%s=%llu", swept->name,
				 (unsigned long long)base.sweep.points[k]);
			progress__entry(rep, point, k, points);
			/* The point's configuration stands in for the run's while the point runs. */
			sweep_spec__apply(&base, k, &rs->cfg);
			run__scenario(rs, sc, rs->cfg.vcpus);
			rs->cfg = base;
		}
	}
	return true;
}

static void run__all(struct run_state *rs)
{
	for (unsigned rep = 0; rep < rs->cfg.repeat; rep++)
		if (!run__pass(rs, rep))
			break;
	floor_ratio__annotate(rs->report.scenarios);
	report_sweep__annotate(rs->report.root);
}

static int run__exit_status(const struct run_state *rs)
{
	if (terminate__exit_status())
		return terminate__exit_status();
	return rs->lost || rs->failed ? KS_EXIT_FAIL : KS_EXIT_OK;
}

/*
 * What stdout shows after the storms: the table (text or markdown) and,
 * with --hist, a histogram per entry; or, with --format json, the report
 * itself. Whatever would land in the JSON stream (the report on stdout with
 * --output -, or --format json) goes to stderr instead.
 */
static void run__print(const struct run_state *rs, const char *output)
{
	const struct ks_config *cfg = &rs->cfg;
	bool json_on_stdout = !strcmp(output, "-") || cfg->format == RUN_FORMAT_JSON;
	FILE *out = json_on_stdout ? stderr : stdout;
	struct table_options table;

	table__default_options(&table);
	if (cfg->npercentiles) {
		memcpy(table.percentiles, cfg->percentiles, cfg->npercentiles * sizeof(*cfg->percentiles));
		table.npercentiles = cfg->npercentiles;
	}
	table.format = cfg->format == RUN_FORMAT_MARKDOWN ? GRID_MARKDOWN : GRID_TEXT;
	if (cfg->format == RUN_FORMAT_JSON) {
		json_dumpf(rs->report.root, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		fputc('\n', stdout);
	}
	if (cfg->format != RUN_FORMAT_JSON || !cfg->quiet) {
		table__print(rs->report.root, &table, out);
		if (cfg->hist) {
			fputc('\n', out);
			hist_text__print(rs->report.root, NULL, table.format == GRID_MARKDOWN, out);
		}
		trace_table__print(rs->report.root, NULL, table.format == GRID_MARKDOWN, out);
	}
	/* The table and the notes on stderr that follow it reach a shared terminal or log in order. */
	fflush(stdout);
}

int cmd_run(int argc, char **argv)
{
	static struct run_state rs;
	char why[512], started[32], finished[32];
	const char *output;
	int ret;

	/* First: a signal that arrives while the run sets up still gets a report. */
	if (terminate__install() < 0)
		return KS_EXIT_FAIL;
	config__defaults(&rs.cfg);
	ret = config__parse_run(&rs.cfg, argc, argv);
	if (ret)
		return ret < 0 ? KS_EXIT_OK : ret;
	ks_quiet = rs.cfg.quiet;
	progress__start(&rs.cfg, !rs.cfg.quiet && isatty(STDERR_FILENO));
	output = rs.cfg.output ? rs.cfg.output : KS_DEFAULT_OUTPUT;
	if (report_file__check(output, why, sizeof(why)) < 0) {
		fprintf(stderr, "kickstorm run: --output: %s\n", why);
		return KS_EXIT_USAGE;
	}
	scenario__warn_unshaped(&rs.cfg);
	/* Before the VMs and threads it follows exist. */
	tracer__open(&rs.tracer, &rs.cfg, output);
	if (rs.tracer.session)
		terminate__at_exit(trace__cleanup_signal_safe);
	ret = host_env__open(&rs.env, &rs.cfg);
	if (!ret)
		ret = run__check_vcpus(&rs);
	if (!ret)
		ret = run__check_halt_poll(&rs);
	if (ret)
		goto out;

	clock__utc_now(started, sizeof(started));
	report__init(&rs.report, &rs.cfg, run__host_json(&rs), started);
	run__all(&rs);
	clock__utc_now(finished, sizeof(finished));
	report__finish(&rs.report, terminate__requested(), finished);

	run__print(&rs, output);
	if (report_file__write_json(output, rs.report.root) < 0)
		ret = KS_EXIT_FAIL;
	else if (strcmp(output, "-"))
		ks_note("report written to %s\n", output);
	if (!ret)
		ret = run__exit_status(&rs);
	report__release(&rs.report);
out:
	tracer__close(&rs.tracer);
	host_env__close(&rs.env);
	return ret;
}
