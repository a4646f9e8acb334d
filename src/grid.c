// SPDX-License-Identifier: MIT
#include "grid.h"
#include "util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct grid_column {
	char *head;
	enum grid_align align;
};

struct grid_row {
	char **cell;
	char *note;
};

struct grid {
	char *title;
	char *footer;
	struct grid_column *col;
	size_t ncols;
	struct grid_row *row;
	size_t nrows, cap;
};

static char *__attribute__((format(printf, 1, 0))) vformat(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0) {
		ks_error("out of memory formatting a table cell");
		abort();
	}
	return s;
}

static char *dup_or_null(const char *s)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		abort();
	return d;
}

struct grid *grid__new(const char *title)
{
	struct grid *g = ks_zalloc(sizeof(*g));

	g->title = dup_or_null(title);
	return g;
}

size_t grid__column(struct grid *g, const char *head, enum grid_align align)
{
	g->col = realloc(g->col, (g->ncols + 1) * sizeof(*g->col));
	if (!g->col)
		abort();
	g->col[g->ncols] = (struct grid_column){ dup_or_null(head), align };
	return g->ncols++;
}

size_t grid__row(struct grid *g)
{
	if (g->nrows == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 16;
		g->row = realloc(g->row, g->cap * sizeof(*g->row));
		if (!g->row)
			abort();
	}
	g->row[g->nrows].cell = ks_zalloc((g->ncols + 1) * sizeof(char *));
	g->row[g->nrows].note = NULL;
	return g->nrows++;
}

void grid__set(struct grid *g, size_t row, size_t col, const char *fmt, ...)
{
	va_list ap;

	if (row >= g->nrows || col >= g->ncols)
		return;
	va_start(ap, fmt);
	free(g->row[row].cell[col]);
	g->row[row].cell[col] = vformat(fmt, ap);
	va_end(ap);
}

void grid__note(struct grid *g, size_t row, const char *fmt, ...)
{
	va_list ap;

	if (row >= g->nrows)
		return;
	va_start(ap, fmt);
	free(g->row[row].note);
	g->row[row].note = vformat(fmt, ap);
	va_end(ap);
}

void grid__footer(struct grid *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	free(g->footer);
	g->footer = vformat(fmt, ap);
	va_end(ap);
}

size_t grid__rows(const struct grid *g)
{
	return g->nrows;
}

size_t grid__columns(const struct grid *g)
{
	return g->ncols;
}

const char *grid__head(const struct grid *g, size_t col)
{
	return col < g->ncols ? g->col[col].head : NULL;
}

const char *grid__cell(const struct grid *g, size_t row, size_t col)
{
	if (row >= g->nrows || col >= g->ncols || !g->row[row].cell[col])
		return "";
	return g->row[row].cell[col];
}

size_t grid__find(const struct grid *g, const char *head)
{
	for (size_t c = 0; c < g->ncols; c++)
		if (!strcmp(g->col[c].head, head))
			return c;
	return (size_t)-1;
}

/* Display width: UTF-8 continuation bytes take no column (the µ of "µs"). */
static size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void pad(FILE *out, size_t n)
{
	while (n--)
		fputc(' ', out);
}

static void print_cell(FILE *out, const char *text, size_t width, enum grid_align align, bool last)
{
	size_t w = text_width(text);

	if (align == GRID_RIGHT)
		pad(out, width > w ? width - w : 0);
	fputs(text, out);
	if (align == GRID_LEFT && !last)
		pad(out, width > w ? width - w : 0);
}

static void print_text(const struct grid *g, FILE *out)
{
	size_t *width = ks_zalloc((g->ncols + 1) * sizeof(*width));

	for (size_t c = 0; c < g->ncols; c++) {
		width[c] = text_width(g->col[c].head);
		for (size_t r = 0; r < g->nrows; r++)
			if (text_width(grid__cell(g, r, c)) > width[c])
				width[c] = text_width(grid__cell(g, r, c));
	}
	if (g->title)
		fprintf(out, "%s\n", g->title);
	for (size_t c = 0; c < g->ncols; c++) {
		if (c)
			fputs("  ", out);
		print_cell(out, g->col[c].head, width[c], g->col[c].align, c + 1 == g->ncols);
	}
	fputc('\n', out);
	for (size_t r = 0; r < g->nrows; r++) {
		for (size_t c = 0; c < g->ncols; c++) {
			if (c)
				fputs("  ", out);
			print_cell(out, grid__cell(g, r, c), width[c], g->col[c].align, c + 1 == g->ncols);
		}
		fputc('\n', out);
		if (g->row[r].note)
			fprintf(out, "  %s\n", g->row[r].note);
	}
	if (g->footer)
		fprintf(out, "%s\n", g->footer);
	free(width);
}

/* A pipe ends a markdown cell wherever it stands: escape it. */
static void md_cell(FILE *out, const char *text)
{
	fputc(' ', out);
	for (; *text; text++) {
		if (*text == '|')
			fputc('\\', out);
		fputc(*text == '\n' ? ' ' : *text, out);
	}
	fputs(" |", out);
}

static void print_markdown(const struct grid *g, FILE *out)
{
	if (g->title)
		fprintf(out, "**%s**\n\n", g->title);
	fputc('|', out);
	for (size_t c = 0; c < g->ncols; c++)
		md_cell(out, g->col[c].head);
	fputs("\n|", out);
	for (size_t c = 0; c < g->ncols; c++)
		fputs(g->col[c].align == GRID_RIGHT ? "---:|" : "---|", out);
	fputc('\n', out);
	for (size_t r = 0; r < g->nrows; r++) {
		fputc('|', out);
		for (size_t c = 0; c < g->ncols; c++)
			md_cell(out, grid__cell(g, r, c));
		fputc('\n', out);
	}
	for (size_t r = 0, first = 1; r < g->nrows; r++) {
		if (!g->row[r].note)
			continue;
		fputs(first ? "\n" : "", out);
		first = 0;
		fprintf(out, "- row %zu (%s): %s\n", r + 1, grid__cell(g, r, 0), g->row[r].note);
	}
	if (g->footer)
		fprintf(out, "\n%s\n", g->footer);
}

void grid__print(const struct grid *g, enum grid_format format, FILE *out)
{
	if (format == GRID_MARKDOWN)
		print_markdown(g, out);
	else
		print_text(g, out);
}

void grid__free(struct grid *g)
{
	if (!g)
		return;
	for (size_t r = 0; r < g->nrows; r++) {
		for (size_t c = 0; c < g->ncols; c++)
			free(g->row[r].cell[c]);
		free(g->row[r].cell);
		free(g->row[r].note);
	}
	for (size_t c = 0; c < g->ncols; c++)
		free(g->col[c].head);
	free(g->row);
	free(g->col);
	free(g->title);
	free(g->footer);
	free(g);
}
