// SPDX-License-Identifier: MIT
/* `kickstorm run`: set up the host side, run each scenario, report. */
#include "commands.h"
#include "config.h"
#include "floor_ratio.h"
#include "hostinfo.h"
#include "report.h"
#include "report_file.h"
#include "scenario.h"
#include "terminate.h"
#include "vm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool progress_enabled;

static void print_progress(const char *scenario, uint64_t done, uint64_t total, double elapsed)
{
	if (!progress_enabled)
		return;
	if (total)
		fprintf(stderr, "\r[%s] %llu/%llu kicks, %.1f s   ", scenario,
			(unsigned long long)done, (unsigned long long)total, elapsed);
	else
		fprintf(stderr, "\r[%s] %llu kicks, %.1f s   ", scenario,
			(unsigned long long)done, elapsed);
}

/* The CPU list the run may use, checked against what this process is allowed. */
static int run__cpus(const struct ks_config *cfg, struct topology *topo, int *cpus, unsigned *n)
{
	char why[256];

	if (!cfg->ncpus) {
		*n = topology__allowed_cpus(topo, cpus, KS_MAX_CPUS);
		return *n ? 0 : -1;
	}
	if (topology__check_cpus(topo, cfg->cpus, cfg->ncpus, why, sizeof(why)) < 0) {
		fprintf(stderr, "kickstorm run: --cpus: %s\n", why);
		return -1;
	}
	memcpy(cpus, cfg->cpus, cfg->ncpus * sizeof(*cpus));
	*n = cfg->ncpus;
	return 0;
}

struct run_state {
	struct ks_config cfg;
	struct host_facts host;
	struct topology *topo;
	struct tsc_clock clock;
	int kvm_fd;
	int cpus[KS_MAX_CPUS];
	unsigned ncpus;
	struct report report;
	uint64_t lost;
	unsigned failed;
};

static int run__scenario(struct run_state *rs, const struct scenario *sc, unsigned nvcpus)
{
	struct scenario_ctx ctx = {
		.cfg = &rs->cfg, .vcpus = nvcpus, .topo = rs->topo, .host = &rs->host,
		.clock = &rs->clock, .kvm_fd = rs->kvm_fd, .interrupted = terminate__flag(),
		.progress = print_progress,
	};
	struct scenario_result res;
	char why[256] = "";

	scenario_result__init(&res, sc);
	if (placement__assign(rs->cpus, rs->ncpus, rs->cfg.placement, nvcpus, rs->cfg.senders,
			      &ctx.plan) < 0) {
		ks_error("no CPU to place threads on");
		return -1;
	}
	if (rs->cfg.pattern == PATTERN_ONE_TO_ONE)
		placement__keep_senders_off_targets(&ctx.plan, rs->cpus, rs->ncpus);
	if (sc->supported && !sc->supported(&ctx, why, sizeof(why))) {
		snprintf(res.error, sizeof(res.error), "not available on this host: %s", why);
		ks_note("%s: %s\n", sc->name, res.error);
	} else if (sc->run(&ctx, &res) < 0 && !res.error[0]) {
		snprintf(res.error, sizeof(res.error), "the scenario failed (see messages above)");
	}
	if (progress_enabled)
		fputc('\n', stderr);
	if (res.error[0] && !strstr(res.error, "not available on this host"))
		rs->failed++;
	rs->lost += res.lost;
	report__add(&rs->report, &res, &rs->clock);
	scenario_result__release(&res);
	return 0;
}

static int run__setup(struct run_state *rs)
{
	char why[256];

	if (!rs->host.kvm_available) {
		fprintf(stderr, "kickstorm run: cannot run: %s\n", rs->host.kvm_unavailable_reason);
		return KS_EXIT_SKIP;
	}
	rs->kvm_fd = kvm__open(why, sizeof(why));
	if (rs->kvm_fd < 0) {
		fprintf(stderr, "kickstorm run: cannot run: %s\n", why);
		return KS_EXIT_SKIP;
	}
	for (unsigned i = 0; i < rs->cfg.nscenarios; i++) {
		const struct scenario *sc = rs->cfg.scenarios[i];
		unsigned lo = sc->min_vcpus ? sc->min_vcpus : 1;
		unsigned hi = sc->max_vcpus ? sc->max_vcpus : KS_MAX_VCPUS;

		if (rs->cfg.vcpus < lo || rs->cfg.vcpus > hi) {
			fprintf(stderr, "kickstorm run: --vcpus %u does not suit scenario %s "
				"(allowed: %u-%u)\n", rs->cfg.vcpus, sc->name, lo, hi);
			return KS_EXIT_USAGE;
		}
	}
	long max = vm__max_vcpus(rs->kvm_fd);
	unsigned want = rs->cfg.vcpus;

	for (unsigned i = 0; i < rs->cfg.nsweep; i++)
		want = rs->cfg.sweep_vcpus[i] > want ? rs->cfg.sweep_vcpus[i] : want;
	if (want > (unsigned long)max) {
		fprintf(stderr, "kickstorm run: %u vCPUs is more than this host's KVM allows (allowed: 1-%ld)\n",
			want, max);
		return KS_EXIT_USAGE;
	}
	if (topology__open(&rs->topo) < 0)
		return KS_EXIT_FAIL;
	if (run__cpus(&rs->cfg, rs->topo, rs->cpus, &rs->ncpus) < 0)
		return KS_EXIT_USAGE;
	topology__order_cpus(rs->topo, rs->cfg.placement, rs->cpus, rs->ncpus);
	if (clock__init(&rs->clock, why, sizeof(why)) < 0) {
		fprintf(stderr, "kickstorm run: cannot run: %s\n", why);
		return KS_EXIT_SKIP;
	}
	if (vcpu__install_kick_handler() < 0)
		return KS_EXIT_FAIL;
	return 0;
}

static json_t *run__host_json(struct run_state *rs)
{
	json_t *host = hostinfo__to_json(&rs->host);

	json_object_set_new(host, "topology", topology__to_json(rs->topo));
	json_object_set_new(host, "tsc", json_pack("{s:I, s:s, s:I}",
						   "khz", (json_int_t)rs->clock.khz,
						   "source", rs->clock.source,
						   "calibrated_khz", (json_int_t)rs->clock.calibrated_khz));
	return host;
}

/*
 * --sweep-vcpus applies to broadcast alone, whose cost is a function of the
 * vCPU count; the other scenarios run once at --vcpus, so adding a sweep to a
 * mixed --scenario list does not multiply their runs.
 */
extern const struct scenario scenario_broadcast;

static bool run__sweeps(const struct run_state *rs, const struct scenario *sc)
{
	return rs->cfg.nsweep && sc == &scenario_broadcast;
}

/* One pass over the scenario list; false once interrupted. */
static bool run__pass(struct run_state *rs)
{
	for (unsigned i = 0; i < rs->cfg.nscenarios; i++) {
		const struct scenario *sc = rs->cfg.scenarios[i];
		unsigned runs = run__sweeps(rs, sc) ? rs->cfg.nsweep : 1;

		for (unsigned k = 0; k < runs; k++) {
			if (terminate__requested())
				return false;
			run__scenario(rs, sc, run__sweeps(rs, sc) ? rs->cfg.sweep_vcpus[k] : rs->cfg.vcpus);
		}
	}
	return true;
}

static void run__all(struct run_state *rs)
{
	for (unsigned rep = 0; rep < rs->cfg.repeat; rep++)
		if (!run__pass(rs))
			break;
	floor_ratio__annotate(rs->report.scenarios);
}

static int run__exit_status(const struct run_state *rs)
{
	if (terminate__exit_status())
		return terminate__exit_status();
	return rs->lost || rs->failed ? KS_EXIT_FAIL : KS_EXIT_OK;
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
	progress_enabled = !rs.cfg.quiet && isatty(STDERR_FILENO);
	output = rs.cfg.output ? rs.cfg.output : KS_DEFAULT_OUTPUT;
	if (report_file__check(output, why, sizeof(why)) < 0) {
		fprintf(stderr, "kickstorm run: --output: %s\n", why);
		return KS_EXIT_USAGE;
	}
	rs.kvm_fd = -1;
	hostinfo__collect(&rs.host);
	ret = run__setup(&rs);
	if (ret)
		goto out;

	clock__utc_now(started, sizeof(started));
	report__init(&rs.report, &rs.cfg, run__host_json(&rs), started);
	run__all(&rs);
	clock__utc_now(finished, sizeof(finished));
	report__finish(&rs.report, terminate__requested(), finished);

	/* With the report on stdout, the table goes to stderr so stdout stays JSON. */
	report__print_table(rs.report.root, strcmp(output, "-") ? stdout : stderr);
	report__print_sweep(rs.report.root, strcmp(output, "-") ? stdout : stderr);
	if (report_file__write_json(output, rs.report.root) < 0)
		ret = KS_EXIT_FAIL;
	else if (strcmp(output, "-"))
		ks_note("report written to %s\n", output);
	if (!ret)
		ret = run__exit_status(&rs);
	report__release(&rs.report);
out:
	if (rs.topo)
		topology__close(rs.topo);
	if (rs.kvm_fd >= 0)
		close(rs.kvm_fd);
	return ret;
}
