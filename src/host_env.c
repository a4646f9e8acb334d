// SPDX-License-Identifier: MIT
#include "host_env.h"
#include "kvm.h"
#include "schedstat.h"
#include "util.h"
#include "vcpu.h"
#include "vcpu_kick.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The CPU list the run may use, checked against what this process is allowed. */
static int host_env__cpus(struct host_env *env, const struct ks_config *cfg)
{
	char why[256];

	if (!cfg->ncpus) {
		env->ncpus = topology__allowed_cpus(env->topo, env->cpus, KS_MAX_CPUS);
		return env->ncpus ? 0 : -1;
	}
	if (topology__check_cpus(env->topo, cfg->cpus, cfg->ncpus, why, sizeof(why)) < 0) {
		fprintf(stderr, "kickstorm run: --cpus: %s\n", why);
		return -1;
	}
	memcpy(env->cpus, cfg->cpus, cfg->ncpus * sizeof(*env->cpus));
	env->ncpus = cfg->ncpus;
	return 0;
}

int host_env__open(struct host_env *env, const struct ks_config *cfg)
{
	char why[256];

	memset(env, 0, sizeof(*env));
	env->kvm_fd = -1;
	hostinfo__collect(&env->host);
	if (!env->host.kvm_available) {
		fprintf(stderr, "kickstorm run: cannot run: %s\n", env->host.kvm_unavailable_reason);
		return KS_EXIT_SKIP;
	}
	env->kvm_fd = kvm__open(why, sizeof(why));
	if (env->kvm_fd < 0) {
		fprintf(stderr, "kickstorm run: cannot run: %s\n", why);
		return KS_EXIT_SKIP;
	}
	if (topology__open(&env->topo) < 0)
		return KS_EXIT_FAIL;
	if (host_env__cpus(env, cfg) < 0)
		return KS_EXIT_USAGE;
	topology__order_cpus(env->topo, cfg->placement, env->cpus, env->ncpus);
	if (clock__init(&env->clock, why, sizeof(why)) < 0) {
		fprintf(stderr, "kickstorm run: cannot run: %s\n", why);
		return KS_EXIT_SKIP;
	}
	if (vcpu__install_kick_handler() < 0 || stopwatch__install() < 0)
		return KS_EXIT_FAIL;
	return 0;
}

void host_env__close(struct host_env *env)
{
	if (env->topo)
		topology__close(env->topo);
	env->topo = NULL;
	if (env->kvm_fd >= 0)
		close(env->kvm_fd);
	env->kvm_fd = -1;
}

int host_env__context(struct host_env *env, const struct ks_config *cfg, unsigned nvcpus,
		      unsigned nsenders, const atomic_bool *interrupted, struct scenario_ctx *ctx)
{
	*ctx = (struct scenario_ctx){
		.cfg = cfg, .vcpus = nvcpus, .topo = env->topo, .host = &env->host,
		.clock = &env->clock, .kvm_fd = env->kvm_fd, .interrupted = interrupted,
	};
	if (placement__assign(env->cpus, env->ncpus, cfg->placement, nvcpus, nsenders, &ctx->plan) < 0) {
		ks_error("no CPU to place threads on");
		return -1;
	}
	if (cfg->pattern == PATTERN_ONE_TO_ONE)
		placement__keep_senders_off_targets(&ctx->plan, env->cpus, env->ncpus);
	return 0;
}
