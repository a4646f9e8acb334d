/* SPDX-License-Identifier: MIT */
/*
 * A table of text cells laid out once it is complete, so every column is
 * as wide as its widest cell (a p50 in the tens of ms, a count in the
 * millions) and the same cells print as aligned text or as a markdown
 * pipe table.
 */
#ifndef KICKSTORM_GRID_H
#define KICKSTORM_GRID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum grid_align { GRID_LEFT, GRID_RIGHT };
enum grid_format { GRID_TEXT, GRID_MARKDOWN };

struct grid;

struct grid *grid__new(const char *title);
/* Columns are added before the first row; returns the column's index. */
size_t grid__column(struct grid *g, const char *head, enum grid_align align);
size_t grid__row(struct grid *g);
void grid__set(struct grid *g, size_t row, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A line of text under the row (an error message): indented in text, a list item under the table in markdown. */
void grid__note(struct grid *g, size_t row, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A sentence printed after the table. */
void grid__footer(struct grid *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
size_t grid__rows(const struct grid *g);
const char *grid__head(const struct grid *g, size_t col);
size_t grid__columns(const struct grid *g);
/* The cell's text, "" when never set. */
const char *grid__cell(const struct grid *g, size_t row, size_t col);
/* The column whose head is head, or (size_t)-1. */
size_t grid__find(const struct grid *g, const char *head);
void grid__print(const struct grid *g, enum grid_format format, FILE *out);
void grid__free(struct grid *g);

#endif
