/* SPDX-License-Identifier: MIT */
/*
 * "Where the time goes" for a whole report: the stage table and the
 * slowest kick's analysis of every entry that carries a trace object, as
 * run prints them after its table and show prints them for saved reports.
 */
#ifndef KICKSTORM_TRACE_TABLE_H
#define KICKSTORM_TRACE_TABLE_H

#include <jansson.h>
#include <stdio.h>

/* Entries of only (comma-separated names; NULL: all); markdown wraps each in a code block. */
void trace_table__print(const json_t *root, const char *only, int markdown, FILE *out);

#endif
