/* SPDX-License-Identifier: MIT */
/*
 * SVG written by hand: the few elements plot.c draws (text, lines,
 * polylines, rectangles, circles) with their text escaped, and the axes
 * that map values to pixels with ticks people read (1-2-5 steps on linear
 * axes, decades on log ones). No plotting library: the picture is a text
 * file any browser, rsvg-convert or xmllint can check.
 */
#ifndef KICKSTORM_SVG_H
#define KICKSTORM_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

void svg__begin(FILE *out, double width, double height);
void svg__end(FILE *out);

/* anchor: "start", "middle" or "end"; attrs: extra attributes or NULL. */
void svg__text(FILE *out, double x, double y, double size, const char *anchor, const char *attrs,
	       const char *fmt, ...) __attribute__((format(printf, 7, 8)));
void svg__line(FILE *out, double x1, double y1, double x2, double y2, const char *stroke,
	       double width, const char *dash);
void svg__rect(FILE *out, double x, double y, double w, double h, const char *fill, const char *stroke);
void svg__circle(FILE *out, double x, double y, double r, const char *fill);
/*
 * A polyline of the finite points among (x[i], y[i]); class names it for
 * tests and style sheets. Nothing when fewer than two points are finite.
 */
void svg__polyline(FILE *out, const char *class, const char *stroke, double width, const char *dash,
		   const double *x, const double *y, size_t n);

/* A value axis mapped onto pixels p0 (at lo) .. p1 (at hi), linear or log10. */
struct axis {
	double lo, hi;
	double p0, p1;
	bool log;
};

/* lo..hi widened to whole decades (log) or to 1-2-5 steps (linear). */
void axis__fit(struct axis *a, double lo, double hi, bool log);
/* Pixel of v, clamped to the axis. NAN stays NAN. */
double axis__px(const struct axis *a, double v);
/* Tick values within the axis, at most max: decades (with 2 and 5 when few), or 1-2-5 steps. */
size_t axis__ticks(const struct axis *a, double *ticks, size_t max);

/* "50 ns", "2.5 µs", "10 ms", "1 s": a latency in ns with its unit. */
void svg__format_ns(double ns, char *buf, size_t len);

#endif
