/* SPDX-License-Identifier: MIT */
/*
 * The host side every run stands on: /dev/kvm, the topology and the CPUs
 * this run may use, the TSC clock, and the process-wide signal handlers the
 * vCPU threads and the stop watch need. `kickstorm run` and bench/overhead
 * both set up through here, so the benchmark measures what a run does.
 */
#ifndef KICKSTORM_HOST_ENV_H
#define KICKSTORM_HOST_ENV_H

#include <stdatomic.h>

#include "clock.h"
#include "config.h"
#include "hostinfo.h"
#include "scenario.h"
#include "topology.h"

struct host_env {
	struct host_facts host;
	struct topology *topo;
	struct tsc_clock clock;
	int kvm_fd;
	int cpus[KS_MAX_CPUS];      /* the CPUs the run may use, in placement order */
	unsigned ncpus;
};

/*
 * Opens everything for cfg. Returns 0, or the exit status after one line on
 * stderr: KS_EXIT_SKIP when the host cannot run VMs, KS_EXIT_USAGE for a
 * --cpus it cannot use, KS_EXIT_FAIL otherwise.
 */
int host_env__open(struct host_env *env, const struct ks_config *cfg);
void host_env__close(struct host_env *env);

/*
 * A scenario's context: cfg at nvcpus vCPUs and nsenders host threads of
 * its own, placed on env's CPUs (senders kept off their targets' CPUs
 * one-to-one). -1 when no CPU is left to place them on.
 */
int host_env__context(struct host_env *env, const struct ks_config *cfg, unsigned nvcpus,
		      unsigned nsenders, const atomic_bool *interrupted, struct scenario_ctx *ctx);

#endif
