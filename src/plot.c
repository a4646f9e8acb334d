// SPDX-License-Identifier: MIT
#include "plot.h"
#include "latency.h"
#include "plot_panel.h"
#include "report_read.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SPECTRUM_POINTS 240
#define SPECTRUM_DECADES 4.0	/* x runs to 1/(1 - p) = 10^4, p = 99.99 */
#define HEADER_LINE 18.0
#define HEADER_CHARS 150
#define LEGEND_CHARS 52

/* Colour-blind-safe enough, and distinct in print: the usual ten-colour cycle. */
static const char *const palette[] = {
	"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
	"#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22",
};
static const char *const dashes[] = { NULL, "8 4", "2 3", "10 3 2 3" };

const char *plot__colour(size_t i)
{
	return palette[i % KS_ARRAY_SIZE(palette)];
}

const char *plot__dash(size_t i)
{
	return dashes[i % KS_ARRAY_SIZE(dashes)];
}

void panel__place(struct panel *p, double y0, double left_margin)
{
	p->y0 = y0;
	p->left = left_margin;
	p->right = 740;
	p->top = y0 + 50;
	p->bottom = y0 + PLOT_PANEL_HEIGHT - 60;
	p->legend_x = 765;
	p->legend_rows = 0;
}

void panel__title(FILE *out, const struct panel *p, const char *title, const char *note)
{
	svg__text(out, p->left, p->y0 + 24, 15, "start", "font-weight=\"bold\"", "%s", title);
	if (note)
		svg__text(out, p->left, p->y0 + 40, 11, "start", "fill=\"#555555\"", "%s", note);
	svg__rect(out, p->left, p->top, p->right - p->left, p->bottom - p->top, NULL, "#888888");
}

void panel__y_axis(FILE *out, const struct panel *p, const struct axis *a, const char *label,
		   bool ns, bool right)
{
	double ticks[32], x = right ? p->right : p->left;
	size_t n = axis__ticks(a, ticks, KS_ARRAY_SIZE(ticks));
	char text[32];

	for (size_t i = 0; i < n; i++) {
		double y = axis__px(a, ticks[i]);

		if (!right)
			svg__line(out, p->left, y, p->right, y, "#e4e4e4", 1, NULL);
		svg__line(out, x, y, right ? x + 5 : x - 5, y, "#444444", 1, NULL);
		if (ns)
			svg__format_ns(ticks[i], text, sizeof(text));
		else
			ks_format(text, sizeof(text), "%g%%", ticks[i] * 100);
		svg__text(out, right ? x + 8 : x - 8, y + 4, 11, right ? "start" : "end", NULL, "%s", text);
	}
	if (right) {
		char attrs[96];

		ks_format(attrs, sizeof(attrs), "transform=\"rotate(90 %.1f %.1f)\"", x + 52, (p->top + p->bottom) / 2);
		svg__text(out, x + 52, (p->top + p->bottom) / 2, 12, "middle", attrs, "%s", label);
	} else {
		char attrs[96];

		ks_format(attrs, sizeof(attrs), "transform=\"rotate(-90 %.1f %.1f)\"", p->left - 62,
			  (p->top + p->bottom) / 2);
		svg__text(out, p->left - 62, (p->top + p->bottom) / 2, 12, "middle", attrs, "%s", label);
	}
}

void panel__x_axis(FILE *out, const struct panel *p, const struct axis *a, const double *ticks,
		   const char *const *labels, size_t n, const char *label)
{
	for (size_t i = 0; i < n; i++) {
		double x = axis__px(a, ticks[i]);

		svg__line(out, x, p->top, x, p->bottom, "#e4e4e4", 1, NULL);
		svg__line(out, x, p->bottom, x, p->bottom + 5, "#444444", 1, NULL);
		if (labels)
			svg__text(out, x, p->bottom + 19, 11, "middle", NULL, "%s", labels[i]);
		else
			svg__text(out, x, p->bottom + 19, 11, "middle", NULL, "%g", ticks[i]);
	}
	svg__text(out, (p->left + p->right) / 2, p->bottom + 42, 12, "middle", NULL, "%s", label);
}

void panel__legend(FILE *out, struct panel *p, const char *colour, const char *dash, const char *label)
{
	double y = p->top + 8 + 17.0 * p->legend_rows++;

	svg__line(out, p->legend_x, y, p->legend_x + 28, y, colour, 2.5, dash);
	/* Long labels would run off the page: the legend keeps their start. */
	svg__text(out, p->legend_x + 34, y + 4, 11, "start", NULL, "%.*s%s", LEGEND_CHARS, label,
		  strlen(label) > LEGEND_CHARS ? "…" : "");
}

void plot__group_label(const struct report_group *g, char *buf, size_t len)
{
	const char *target = json_string_value(json_object_get(g->params, "target_state"));
	const char *proto = json_string_value(json_object_get(g->params, "protocol"));

	ks_format(buf, len, "%s%s%s%s%s%s%s", g->name, target ? " " : "", target ? target : "",
		  proto ? " " : "", proto ? proto : "", g->varying[0] ? " " : "", g->varying);
}

/* ---- header -------------------------------------------------------------- */

static size_t header_lines(size_t nrep)
{
	return nrep == 1 ? 2 : 1 + (nrep < 4 ? nrep : 4);
}

static bool same_host(const struct plot_doc *d)
{
	char first[256], other[256];

	report_read__host_line(d->rep[0].root, first, sizeof(first));
	for (size_t r = 1; r < d->nrep; r++) {
		report_read__host_line(d->rep[r].root, other, sizeof(other));
		if (strcmp(first, other))
			return false;
	}
	return true;
}

static void draw_header(FILE *out, const struct plot_doc *d)
{
	char host[256], run[512], line[800];
	bool one_host = same_host(d);
	double y = 28;

	report_read__host_line(d->rep[0].root, host, sizeof(host));
	report_read__config_line(d->rep[0].root, run, sizeof(run));
	if (d->nrep == 1) {
		svg__text(out, 20, y, 17, "start", "font-weight=\"bold\"", "kickstorm: %s", host);
		svg__text(out, 20, y + HEADER_LINE, 12, "start", "fill=\"#444444\"", "%s", run);
		return;
	}
	if (one_host)
		svg__text(out, 20, y, 17, "start", "font-weight=\"bold\"", "kickstorm: %s", host);
	else
		svg__text(out, 20, y, 17, "start", "font-weight=\"bold\"", "kickstorm: %zu reports", d->nrep);
	for (size_t r = 0; r < d->nrep && r < 4; r++) {
		report_read__host_line(d->rep[r].root, host, sizeof(host));
		report_read__config_line(d->rep[r].root, run, sizeof(run));
		ks_format(line, sizeof(line), "%s: %s%s%s", d->rep[r].label, one_host ? "" : host,
			  one_host ? "" : "; ", run);
		svg__text(out, 20, y + HEADER_LINE * (double)(r + 1), 12, "start", "fill=\"#444444\"",
			  "%.*s%s", HEADER_CHARS, line, strlen(line) > HEADER_CHARS ? "…" : "");
	}
}

/* ---- the percentile spectrum -------------------------------------------- */

struct spectrum_line {
	char label[200];
	struct latency_bins bins;
	size_t colour, dash;
};

/* The group's repetitions merged into one set of bins (failed ones left out). */
static void merged_bins(const struct report_groups *gs, const struct report_group *g, struct latency_bins *b)
{
	for (size_t j = 0; j < g->n; j++) {
		const json_t *sc = report_groups__entry(gs, g, j);

		if (!report_read__error(sc))
			latency__bins_add(b, json_object_get(sc, "latency_ns"));
	}
}

static size_t collect_lines(const struct plot_doc *d, struct spectrum_line *lines, size_t max, size_t *dropped)
{
	size_t n = 0;

	*dropped = 0;
	for (size_t r = 0; r < d->nrep; r++) {
		for (size_t g = 0; g < d->groups[r].n; g++) {
			struct latency_bins bins = { 0 };
			char label[160];

			merged_bins(&d->groups[r], &d->groups[r].group[g], &bins);
			if (!bins.count || n == max) {
				*dropped += bins.count != 0;
				latency__bins_release(&bins);
				continue;
			}
			plot__group_label(&d->groups[r].group[g], label, sizeof(label));
			if (d->nrep > 1)
				ks_format(lines[n].label, sizeof(lines[n].label), "%s: %s", d->rep[r].label, label);
			else
				ks_format(lines[n].label, sizeof(lines[n].label), "%s", label);
			lines[n].bins = bins;
			lines[n].colour = 0;
			lines[n].dash = r;
			n++;
		}
	}
	return n;
}

/*
 * Across reports the same scenario keeps its colour and each report its
 * dash; with one scenario per report, colours tell the reports apart.
 */
static void assign_styles(const struct plot_doc *d, struct spectrum_line *lines, size_t n)
{
	char (*names)[160] = ks_zalloc((n + 1) * sizeof(*names));
	size_t nnames = 0;

	for (size_t i = 0; i < n; i++) {
		const char *label = d->nrep > 1 ? strstr(lines[i].label, ": ") + 2 : lines[i].label;
		size_t k;

		for (k = 0; k < nnames && strcmp(names[k], label); k++)
			;
		if (k == nnames)
			ks_format(names[nnames++], sizeof(names[0]), "%s", label);
		lines[i].colour = k;
	}
	for (size_t i = 0; i < n && nnames == 1; i++) {
		lines[i].colour = lines[i].dash;
		lines[i].dash = 0;
	}
	free(names);
}

static void spectrum_axes(FILE *out, const struct panel *p, const struct axis *x, const struct axis *y)
{
	static const double ticks[] = { 0, 1, 2, 3, 4 };
	static const char *const labels[] = { "0", "90", "99", "99.9", "99.99" };

	panel__y_axis(out, p, y, "latency", true, false);
	panel__x_axis(out, p, x, ticks, labels, KS_ARRAY_SIZE(ticks), "percentile (%), log scale of 1/(1 - p)");
}

static void spectrum_line(FILE *out, const struct spectrum_line *l, const struct axis *x, const struct axis *y)
{
	double px[SPECTRUM_POINTS + 1], py[SPECTRUM_POINTS + 1];

	for (int i = 0; i <= SPECTRUM_POINTS; i++) {
		double decades = SPECTRUM_DECADES * i / SPECTRUM_POINTS;
		double pct = 100.0 * (1.0 - pow(10.0, -decades));

		px[i] = axis__px(x, decades);
		py[i] = axis__px(y, (double)latency__bins_percentile(&l->bins, pct));
	}
	svg__polyline(out, "spectrum", plot__colour(l->colour), 2, plot__dash(l->dash), px, py,
		      SPECTRUM_POINTS + 1);
}

static bool repeated(const struct plot_doc *d)
{
	for (size_t r = 0; r < d->nrep; r++)
		for (size_t g = 0; g < d->groups[r].n; g++)
			if (d->groups[r].group[g].n > 1)
				return true;
	return false;
}

static double draw_spectrum(FILE *out, const struct plot_doc *d, double y0)
{
	struct spectrum_line lines[PLOT_MAX_LINES];
	size_t dropped, n = collect_lines(d, lines, PLOT_MAX_LINES, &dropped);
	struct axis x = { 0 }, y = { 0 };
	double lo = INFINITY, hi = 0;
	struct panel p;
	char note[128];

	panel__place(&p, y0, 86);
	ks_format(note, sizeof(note), "%s%s", !n ? "no latency samples to draw" :
		  repeated(d) ? "one line per scenario, its repetitions merged" : "one line per scenario",
		  dropped ? "; more scenarios than lines: choose with --scenario" : "");
	panel__title(out, &p, "Latency percentile spectrum", note);
	for (size_t i = 0; i < n; i++) {
		lo = (double)lines[i].bins.min < lo ? (double)lines[i].bins.min : lo;
		hi = (double)lines[i].bins.max > hi ? (double)lines[i].bins.max : hi;
	}
	axis__fit(&y, n ? lo : 1000, n ? hi : 1e6, true);
	y.p0 = p.bottom;
	y.p1 = p.top;
	x = (struct axis){ .lo = 0, .hi = SPECTRUM_DECADES, .p0 = p.left, .p1 = p.right };
	spectrum_axes(out, &p, &x, &y);
	assign_styles(d, lines, n);
	for (size_t i = 0; i < n; i++) {
		spectrum_line(out, &lines[i], &x, &y);
		panel__legend(out, &p, plot__colour(lines[i].colour), plot__dash(lines[i].dash), lines[i].label);
		latency__bins_release(&lines[i].bins);
	}
	if (dropped)
		ks_note("kickstorm plot: %zu scenario lines left out of the spectrum (at most %d; "
			"choose with --scenario)\n", dropped, PLOT_MAX_LINES);
	return y0 + PLOT_PANEL_HEIGHT;
}

void plot__svg(const struct plot_report *reports, size_t n, const char *only, FILE *out)
{
	struct plot_doc d = { .rep = reports, .nrep = n, .only = only };
	double header, height, y;

	d.groups = ks_zalloc(n * sizeof(*d.groups));
	d.sweeps = ks_zalloc(n * sizeof(*d.sweeps));
	for (size_t r = 0; r < n; r++) {
		report_groups__build(&d.groups[r], reports[r].root, only);
		report_groups__sweeps(&d.groups[r], &d.sweeps[r]);
	}
	header = 20 + HEADER_LINE * (double)header_lines(n);
	height = header + PLOT_PANEL_HEIGHT * (double)(1 + plot__sweep_panels(&d) + plot__stage_panels(&d));
	svg__begin(out, PLOT_WIDTH, height);
	draw_header(out, &d);
	y = draw_spectrum(out, &d, header);
	y = plot__draw_sweeps(out, &d, y);
	plot__draw_stages(out, &d, y);
	svg__end(out);
	for (size_t r = 0; r < n; r++) {
		report_groups__release_sweeps(&d.sweeps[r]);
		report_groups__release(&d.groups[r]);
	}
	free(d.sweeps);
	free(d.groups);
}
