/* SPDX-License-Identifier: MIT */
/*
 * Inside plot.c and plot_sweep.c: a panel's geometry and the drawing they
 * share (frame, axes, legend, palette), so each chart only places data.
 */
#ifndef KICKSTORM_PLOT_PANEL_H
#define KICKSTORM_PLOT_PANEL_H

#include <stdbool.h>
#include <stdio.h>

#include "report_groups.h"
#include "svg.h"

struct plot_report;

#define PLOT_WIDTH 1100.0
#define PLOT_PANEL_HEIGHT 430.0

/* A panel at y0 of the document; the data area is [left, right] x [top, bottom]. */
struct panel {
	double y0;
	double left, right, top, bottom;
	double legend_x;
	unsigned legend_rows;
};

/* Everything plot.c read from the reports, for the panels to draw. */
struct plot_doc {
	const struct plot_report *rep;
	size_t nrep;
	const char *only;
	struct report_groups *groups;   /* one per report */
	struct sweeps *sweeps;          /* one per report */
};

void panel__place(struct panel *p, double y0, double left_margin);
/* Panel title above the data area, and a note in smaller type beside it. */
void panel__title(FILE *out, const struct panel *p, const char *title, const char *note);
/* Grid lines and labels of a y axis (right: a second axis on the right side). */
void panel__y_axis(FILE *out, const struct panel *p, const struct axis *a, const char *label,
		   bool ns, bool right);
/* Ticks at ticks[] labelled with labels[] (NULL: %g of the value), axis label below. */
void panel__x_axis(FILE *out, const struct panel *p, const struct axis *a, const double *ticks,
		   const char *const *labels, size_t n, const char *label);
/* One legend entry in the right margin: a line sample in colour and dash, and its label. */
void panel__legend(FILE *out, struct panel *p, const char *colour, const char *dash, const char *label);
const char *plot__colour(size_t i);
const char *plot__dash(size_t i);

/* A scenario group's name for legends: "signal halted immediate-exit vcpus=4". */
void plot__group_label(const struct report_group *g, char *buf, size_t len);

/* Panels plot_sweep.c will draw, for the document's height. */
size_t plot__sweep_panels(const struct plot_doc *d);
size_t plot__stage_panels(const struct plot_doc *d);
/* Draws them from y0 on; returns the y below the last. */
double plot__draw_sweeps(FILE *out, const struct plot_doc *d, double y0);
double plot__draw_stages(FILE *out, const struct plot_doc *d, double y0);

#endif
