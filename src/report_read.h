/* SPDX-License-Identifier: MIT */
/*
 * Reading a report back (show, plot): loading with the checks that let the
 * renderers trust what they read, and the accessors that hide the
 * difference between schema_version 1 and 2. report.c builds reports;
 * this file only reads them, and needs no KVM.
 */
#ifndef KICKSTORM_REPORT_READ_H
#define KICKSTORM_REPORT_READ_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REPORT_READ_MIN_SCHEMA 1
#define REPORT_READ_MAX_SCHEMA 2

/*
 * Loads and checks the report at path ("-" = stdin). Returns a new
 * reference, or NULL with a one-line reason in why.
 */
json_t *report_read__load(const char *path, char *why, size_t why_len);
/*
 * The checks of report_read__load() on a document already parsed: a
 * top-level object with a supported schema_version and a scenarios array
 * whose entries have a name, params, counts, and a latency_ns that is null
 * or a histogram whose bins sum to its count.
 */
int report_read__check(const json_t *root, char *why, size_t why_len);
int report_read__schema(const json_t *root);

/*
 * counts.<key> of one scenario entry. false when the report does not
 * record it: v1 has no late or unresolved (its ledger folded them into
 * delivered and lost).
 */
bool report_read__count(const json_t *sc, const char *key, uint64_t *out);
/* kicks.lost (v2, signal only): false when null or absent. */
bool report_read__lost_kicks(const json_t *sc, uint64_t *out);
/*
 * The delivery path as a table shows it: "-" where no kick path exists
 * (not_applicable), else the path, "unknown" when missing.
 */
const char *report_read__path(const json_t *root, const json_t *sc);
/* The scenario's error string, NULL when it ran. */
const char *report_read__error(const json_t *sc);

/* "AMD EPYC (2 CPUs), Linux 6.18.44-fc-v669": for titles. */
void report_read__host_line(const json_t *root, char *buf, size_t len);
/* "count 2000 per sender, closed loop, deadline 10 ms, started ...": for titles. */
void report_read__config_line(const json_t *root, char *buf, size_t len);

#endif
