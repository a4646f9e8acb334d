// SPDX-License-Identifier: MIT
#include "svg.h"
#include "util.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

void svg__begin(FILE *out, double width, double height)
{
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		"viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n",
		width, height, width, height);
	/* Opaque, so a PNG made from it is readable on a dark background too. */
	svg__rect(out, 0, 0, width, height, "#ffffff", NULL);
}

void svg__end(FILE *out)
{
	fputs("</svg>\n", out);
}

static void escape(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		default:
			/* XML 1.0 allows no control characters but tab and newline. */
			if ((unsigned char)*s >= 0x20 || *s == '\t' || *s == '\n')
				fputc(*s, out);
		}
	}
}

void svg__text(FILE *out, double x, double y, double size, const char *anchor, const char *attrs,
	       const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.1f\" text-anchor=\"%s\"%s%s>", x, y, size,
		anchor, attrs ? " " : "", attrs ? attrs : "");
	escape(out, text);
	fputs("</text>\n", out);
}

static void stroke_attrs(FILE *out, const char *stroke, double width, const char *dash)
{
	fprintf(out, " stroke=\"%s\" stroke-width=\"%.2f\"", stroke, width);
	if (dash)
		fprintf(out, " stroke-dasharray=\"%s\"", dash);
}

void svg__line(FILE *out, double x1, double y1, double x2, double y2, const char *stroke,
	       double width, const char *dash)
{
	fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"", x1, y1, x2, y2);
	stroke_attrs(out, stroke, width, dash);
	fputs("/>\n", out);
}

void svg__rect(FILE *out, double x, double y, double w, double h, const char *fill, const char *stroke)
{
	fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"", x, y,
		w > 0 ? w : 0, h > 0 ? h : 0, fill ? fill : "none");
	if (stroke)
		stroke_attrs(out, stroke, 1, NULL);
	fputs("/>\n", out);
}

void svg__circle(FILE *out, double x, double y, double r, const char *fill)
{
	if (isfinite(x) && isfinite(y))
		fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"/>\n", x, y, r, fill);
}

void svg__polyline(FILE *out, const char *class, const char *stroke, double width, const char *dash,
		   const double *x, const double *y, size_t n)
{
	size_t finite = 0;

	for (size_t i = 0; i < n; i++)
		finite += isfinite(x[i]) && isfinite(y[i]);
	if (finite < 2)
		return;
	fprintf(out, "<polyline class=\"%s\" fill=\"none\" stroke-linejoin=\"round\"", class);
	stroke_attrs(out, stroke, width, dash);
	fputs(" points=\"", out);
	for (size_t i = 0, first = 1; i < n; i++) {
		if (!isfinite(x[i]) || !isfinite(y[i]))
			continue;
		fprintf(out, "%s%.1f,%.1f", first ? "" : " ", x[i], y[i]);
		first = 0;
	}
	fputs("\"/>\n", out);
}

/* The 1-2-5 step that cuts range into about n parts. */
static double nice_step(double range, int n)
{
	double raw = range / n, mag = pow(10, floor(log10(raw))), f = raw / mag;

	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

void axis__fit(struct axis *a, double lo, double hi, bool log)
{
	a->log = log;
	if (log) {
		lo = lo > 0 && isfinite(lo) ? lo : 1;
		hi = hi > lo && isfinite(hi) ? hi : lo;
		a->lo = pow(10, floor(log10(lo)));
		a->hi = pow(10, ceil(log10(hi)));
		if (a->hi <= a->lo)
			a->hi = a->lo * 10;
		return;
	}
	if (!isfinite(lo) || !isfinite(hi) || hi <= lo) {
		lo = isfinite(lo) ? lo : 0;
		hi = lo + 1;
	}
	double step = nice_step(hi - lo, 5);

	a->lo = floor(lo / step) * step;
	a->hi = ceil(hi / step) * step;
}

double axis__px(const struct axis *a, double v)
{
	double f;

	if (isnan(v))
		return NAN;
	if (a->log)
		f = (log10(v > 0 ? v : a->lo) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
	else
		f = (v - a->lo) / (a->hi - a->lo);
	f = f < 0 ? 0 : f > 1 ? 1 : f;
	return a->p0 + f * (a->p1 - a->p0);
}

size_t axis__ticks(const struct axis *a, double *ticks, size_t max)
{
	size_t n = 0;

	if (a->log) {
		double decades = log10(a->hi / a->lo);
		static const double few[] = { 1, 2, 5 };

		for (double d = a->lo; d <= a->hi * 1.0001 && n < max; d *= 10)
			for (size_t k = 0; k < (decades <= 2 ? 3u : 1u) && n < max; k++)
				if (d * few[k] <= a->hi * 1.0001)
					ticks[n++] = d * few[k];
		return n;
	}
	double step = nice_step(a->hi - a->lo, 5);

	for (double v = a->lo; v <= a->hi + step * 1e-6 && n < max; v += step)
		ticks[n++] = fabs(v) < step * 1e-9 ? 0 : v;
	return n;
}

void svg__format_ns(double ns, char *buf, size_t len)
{
	if (ns < 1e3)
		ks_format(buf, len, "%g ns", ns);
	else if (ns < 1e6)
		ks_format(buf, len, "%g µs", ns / 1e3);
	else if (ns < 1e9)
		ks_format(buf, len, "%g ms", ns / 1e6);
	else
		ks_format(buf, len, "%g s", ns / 1e9);
}
