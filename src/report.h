/* SPDX-License-Identifier: MIT */
/*
 * The JSON report (schema: results/kickstorm-report.schema.json). The
 * table printed after a run is table.c's, built from this JSON.
 */
#ifndef KICKSTORM_REPORT_H
#define KICKSTORM_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "scenario.h"

#define REPORT_SCHEMA_VERSION 2

struct report {
	json_t *root;
	json_t *scenarios;
};

void report__init(struct report *r, const struct ks_config *cfg, json_t *host, const char *started_at);
void report__add(struct report *r, const struct scenario_result *res, const struct tsc_clock *clock);
void report__finish(struct report *r, bool interrupted, const char *finished_at);
void report__release(struct report *r);

/* JSON of one result; also used by tests. */
json_t *report__scenario_json(const struct scenario_result *res, const struct tsc_clock *clock);


#endif
