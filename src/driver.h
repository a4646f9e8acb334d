/* SPDX-License-Identifier: MIT */
/*
 * The one driver every scenario runs under (scenario.h describes the
 * hooks): VM start, the scenario's setup, the KVM stats around its
 * measurement, the kick-free control window, vCPUs stopped and TSC offsets
 * checked, then the report entry: params, kvm_stats, delivery, placement,
 * scheduling, and whatever the scenario adds.
 */
#ifndef KICKSTORM_DRIVER_H
#define KICKSTORM_DRIVER_H

#include "engine.h"
#include "scenario.h"

/*
 * Runs sc under ctx into res (initialised by the caller). 0 when it ran
 * (lost requests are a result, not an error), -1 with res->error set.
 */
int scenario__drive(const struct scenario *sc, struct scenario_ctx *ctx, struct scenario_result *res);

/*
 * The engine a scenario's storm runs on, started as the driver starts it:
 * also what bench/overhead measures the shipped sender loop on.
 */
int driver__start_engine(struct scenario_run *run, struct engine *e);

#endif
