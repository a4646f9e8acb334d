// SPDX-License-Identifier: MIT
/*
 * compare's outputs for people and CI pages:
 * - markdown: one pipe table, a row per matched scenario and a column per
 *   judged metric ("base → new (change)"), to paste into a pull request;
 * - junit: JUnit XML, a testsuite with one testcase per scenario: a
 *   failure when it regressed, failed in NEW, or NEW lost requests or kicks
 *   (a correctness failure even where BASE lost as many); scenarios in
 *   one report only are skipped testcases, and a comparison that compared
 *   nothing or an interrupted NEW is an error testcase of its own.
 */
#include "compare_format.h"
#include "util.h"

#include <math.h>
#include <string.h>

#define MARKDOWN_UNMATCHED_SHOWN 20

/* ---- markdown ---------------------------------------------------------- */

/* Text inside a table cell: a pipe ends the cell, < and & start markup. */
static void md_text(const char *s, FILE *out)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", out);
		else if (*s == '<')
			fputs("&lt;", out);
		else if (*s == '>')
			fputs("&gt;", out);
		else if (*s == '&')
			fputs("&amp;", out);
		else if (*s == '\n' || *s == '\r' || *s == '\t' || *s == '`')
			fputc(' ', out);
		else if ((unsigned char)*s >= 0x20 && *s != 0x7f)
			fputc(*s, out);
	}
}

static bool column_shown(const struct compare_view *v, enum compare_metric m)
{
	if (!compare__metric_judged(v->o, m))
		return false;
	for (size_t i = 0; i < v->res->nmatches; i++)
		if (v->res->matches[i].cell[m].verdict != VERDICT_MISSING)
			return true;
	return false;
}

static void md_cell(const struct compare_cell *c, enum compare_metric m, FILE *out)
{
	char base[32], new[32], change[32];
	bool bold = c->verdict == VERDICT_REGRESSION;

	if (c->verdict == VERDICT_MISSING) {
		fputs(" - |", out);
		return;
	}
	compare__format_value(c->base, m, base, sizeof(base));
	compare__format_value(c->new, m, new, sizeof(new));
	compare__format_change(c->change_pct, change, sizeof(change));
	fprintf(out, " %s%s → %s (%s)%s |", bold ? "**" : "", base, new, change, bold ? "**" : "");
}

static void md_verdict(const struct compare_match *mt, FILE *out)
{
	bool first = true;

	if (mt->new_failed) {
		fputs(" **failed in NEW** |", out);
		return;
	}
	for (int m = 0; m < COMPARE_NMETRICS; m++) {
		if (mt->cell[m].verdict != VERDICT_REGRESSION)
			continue;
		fprintf(out, "%s%s", first ? " **regression**: " : ", ", compare_metrics[m].name);
		first = false;
	}
	fputs(first ? (mt->measured ? " ok |" : " not measured |") : " |", out);
}

static void md_report(const char *side, const struct compare_report *r, FILE *out)
{
	const char *started = json_string_value(json_object_get(r->root, "started_at"));

	fprintf(out, "%s: `", side);
	md_text(r->path, out);
	fprintf(out, "` (%zu entries%s%s%s)", r->nentries, started ? ", started " : "", started ? started : "",
		r->interrupted ? ", interrupted" : "");
}

static void md_unmatched(const struct compare_unmatched *u, size_t n, bool in_base, FILE *out)
{
	for (size_t i = 0; i < n && i < MARKDOWN_UNMATCHED_SHOWN; i++) {
		char why[COMPARE_LABEL_MAX * 2];

		compare__unmatched_text(&u[i], in_base, why, sizeof(why));
		fprintf(out, "- only in %s: ", in_base ? "BASE" : "NEW");
		md_text(u[i].group->label, out);
		fputs(" (", out);
		md_text(why, out);
		fputs(")\n", out);
	}
	if (n > MARKDOWN_UNMATCHED_SHOWN)
		fprintf(out, "- and %zu more only in %s\n", n - MARKDOWN_UNMATCHED_SHOWN, in_base ? "BASE" : "NEW");
}

void compare__print_markdown(const struct compare_view *v, FILE *out)
{
	const struct compare_result *res = v->res;

	fputs("### kickstorm compare: ", out);
	md_text(res->reason, out);
	fputs("\n\n", out);
	md_report("BASE", v->base, out);
	fputs(" · ", out);
	md_report("NEW", v->new, out);
	fputs("\n\n", out);
	if (res->nmatches) {
		fputs("| scenario | reps (base/new) |", out);
		for (int m = 0; m < COMPARE_NMETRICS; m++)
			if (column_shown(v, m))
				fprintf(out, " %s (%s) |", compare_metrics[m].name,
					compare_metrics[m].latency ? "µs" : "per repetition");
		fputs(" verdict |\n|:--|--:|", out);
		for (int m = 0; m < COMPARE_NMETRICS; m++)
			if (column_shown(v, m))
				fputs("--:|", out);
		fputs(":--|\n", out);
	}
	for (size_t i = 0; i < res->nmatches; i++) {
		const struct compare_match *mt = &res->matches[i];

		fputs("| ", out);
		md_text(mt->label, out);
		fprintf(out, " | %zu/%zu |", mt->base->reps, mt->new->reps);
		for (int m = 0; m < COMPARE_NMETRICS; m++)
			if (column_shown(v, m))
				md_cell(&mt->cell[m], m, out);
		md_verdict(mt, out);
		fputc('\n', out);
	}
	if (res->nmatches)
		fputc('\n', out);
	md_unmatched(res->base_only, res->nbase_only, true, out);
	md_unmatched(res->new_only, res->nnew_only, false, out);
	fputs(res->nbase_only || res->nnew_only ? "\n" : "", out);
	fputs("Lower is better. Thresholds:", out);
	for (int m = 0, n = 0; m < COMPARE_NMETRICS; m++)
		if (compare__metric_judged(v->o, m))
			fprintf(out, "%s %s %+g%%", n++ ? "," : "", compare_metrics[m].name, v->o->threshold[m]);
	fprintf(out, "; a latency regresses when its median and its best repetition grew past the "
		"threshold and, with at least %u repetitions a side, p < %g (Mann-Whitney U).\n",
		compare__repeats_needed(v->o), v->o->alpha);
}

/* ---- JUnit XML --------------------------------------------------------- */

/* XML 1.0 text or attribute value: markup escaped, control characters dropped. */
static void xml_text(const char *s, FILE *out)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&apos;", out); break;
		case '\n': fputs("&#10;", out); break;
		case '\t': fputs("&#9;", out); break;
		default:
			if (*p >= 0x20 && *p != 0x7f)
				fputc(*p, out);
		}
	}
}

/* Why a matched scenario fails, "" when it does not: one line per reason. */
static void failure_reasons(const struct compare_match *mt, const struct compare_options *o,
			    char *buf, size_t len, bool *regression)
{
	static const enum compare_metric lost[] = { COMPARE_LOST, COMPARE_KICKS_LOST };
	size_t used = 0;

	buf[0] = '\0';
	*regression = mt->new_failed;
	if (mt->new_failed)
		ks_format(buf, len, "every NEW repetition failed: %s\n", mt->new->error);
	for (int m = 0; m < COMPARE_NMETRICS; m++) {
		char change[32];

		if (mt->cell[m].verdict != VERDICT_REGRESSION)
			continue;
		*regression = true;
		used = strlen(buf);
		compare__format_change(mt->cell[m].change_pct, change, sizeof(change));
		ks_format(buf + used, len - used, "%s %s (threshold %+g%%)\n", compare_metrics[m].name,
			  change, o->threshold[m]);
	}
	for (size_t i = 0; i < KS_ARRAY_SIZE(lost); i++) {
		const struct compare_cell *c = &mt->cell[lost[i]];

		if (c->verdict == VERDICT_MISSING || !(c->new > 0))
			continue;
		used = strlen(buf);
		ks_format(buf + used, len - used, "NEW %s: %.2f (BASE %.2f)\n", compare_metrics[lost[i]].title,
			  c->new, c->base);
	}
}

static void junit_details(const struct compare_match *mt, FILE *out)
{
	for (int m = 0; m < COMPARE_NMETRICS; m++) {
		const struct compare_cell *c = &mt->cell[m];
		char base[32], new[32], change[32], line[256];

		if (c->verdict == VERDICT_MISSING)
			continue;
		compare__format_value(c->base, m, base, sizeof(base));
		compare__format_value(c->new, m, new, sizeof(new));
		compare__format_change(c->change_pct, change, sizeof(change));
		ks_format(line, sizeof(line), "%s%s%s: %s -> %s (%s), %zu/%zu repetitions: %s\n",
			  compare_metrics[m].title, compare_metrics[m].latency ? ", " : "",
			  compare_metrics[m].latency ? compare__display_unit(m) : "", base, new, change,
			  c->nbase, c->nnew, compare__verdict_name(c->verdict));
		xml_text(line, out);
	}
}

static void junit_testcase(const struct compare_match *mt, const struct compare_options *o, FILE *out)
{
	char reasons[2048];
	bool regression;

	failure_reasons(mt, o, reasons, sizeof(reasons), &regression);
	fputs("    <testcase classname=\"kickstorm.compare.", out);
	xml_text(mt->base->name, out);
	fputs("\" name=\"", out);
	xml_text(mt->label, out);
	fprintf(out, "\" time=\"%.3f\">\n", mt->new->elapsed_s);
	if (reasons[0]) {
		reasons[strlen(reasons) - 1] = '\0';
		fprintf(out, "      <failure type=\"%s\" message=\"", regression ? "regression" : "lost");
		xml_text(reasons, out);
		fputs("\">", out);
		junit_details(mt, out);
		fputs("</failure>\n", out);
	} else {
		fputs("      <system-out>", out);
		junit_details(mt, out);
		fputs("</system-out>\n", out);
	}
	fputs("    </testcase>\n", out);
}

static void junit_skipped(const struct compare_unmatched *u, bool in_base, FILE *out)
{
	char why[COMPARE_LABEL_MAX * 2];

	compare__unmatched_text(u, in_base, why, sizeof(why));
	fputs("    <testcase classname=\"kickstorm.compare.", out);
	xml_text(u->group->name, out);
	fputs("\" name=\"", out);
	xml_text(u->group->label, out);
	fprintf(out, "\" time=\"0\">\n      <skipped message=\"only in %s, not compared: ", in_base ? "BASE" : "NEW");
	xml_text(why, out);
	fputs("\"/>\n    </testcase>\n", out);
}

static size_t junit_failures(const struct compare_view *v, double *time)
{
	size_t failures = 0;

	*time = 0;
	for (size_t i = 0; i < v->res->nmatches; i++) {
		char reasons[2048];
		bool regression;

		failure_reasons(&v->res->matches[i], v->o, reasons, sizeof(reasons), &regression);
		failures += reasons[0] != '\0';
		*time += v->res->matches[i].new->elapsed_s;
	}
	return failures;
}

static void junit_property(const char *name, const char *value, FILE *out)
{
	fprintf(out, "      <property name=\"%s\" value=\"", name);
	xml_text(value, out);
	fputs("\"/>\n", out);
}

void compare__print_junit(const struct compare_view *v, FILE *out)
{
	const struct compare_result *res = v->res;
	bool error = res->status == COMPARE_STATUS_NOTHING || res->status == COMPARE_STATUS_INTERRUPTED;
	size_t skipped = res->nbase_only + res->nnew_only, tests = res->nmatches + skipped + error;
	double time;
	size_t failures = junit_failures(v, &time);
	char counts[160];

	ks_format(counts, sizeof(counts), "tests=\"%zu\" failures=\"%zu\" errors=\"%d\" skipped=\"%zu\" "
		  "time=\"%.3f\"", tests, failures, error, skipped, time);
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<testsuites name=\"kickstorm compare\" %s>\n"
		"  <testsuite name=\"kickstorm compare\" %s>\n    <properties>\n", counts, counts);
	junit_property("base", v->base->path, out);
	junit_property("new", v->new->path, out);
	junit_property("result", res->reason, out);
	fputs("    </properties>\n", out);
	for (size_t i = 0; i < res->nmatches; i++)
		junit_testcase(&res->matches[i], v->o, out);
	for (size_t i = 0; i < res->nbase_only; i++)
		junit_skipped(&res->base_only[i], true, out);
	for (size_t i = 0; i < res->nnew_only; i++)
		junit_skipped(&res->new_only[i], false, out);
	if (error) {
		fputs("    <testcase classname=\"kickstorm.compare\" name=\"comparison\" time=\"0\">\n"
		      "      <error type=\"", out);
		xml_text(compare__status_name(res->status), out);
		fputs("\" message=\"", out);
		xml_text(res->reason, out);
		fputs("\"/>\n    </testcase>\n", out);
	}
	fputs("  </testsuite>\n</testsuites>\n", out);
}
