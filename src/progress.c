// SPDX-License-Identifier: MIT
#include "progress.h"
#include "clock.h"
#include "config.h"
#include "scenario.h"
#include "sweep_spec.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

/* One run per process: the line's state. */
static struct {
	bool enabled;
	unsigned reps, entries, entries_done;
	unsigned rep;
	char point[80];
	double duration_s;
	uint64_t start_ns;
	bool line_open;         /* a progress line waits for its end on stderr */
} progress;

/* A note or error is about to be written: it gets a line of its own. */
static void progress__break_line(void)
{
	if (progress.line_open)
		fputc('\n', stderr);
	progress.line_open = false;
}

void progress__start(const struct ks_config *cfg, bool enabled)
{
	unsigned per_pass = 0;

	memset(&progress, 0, sizeof(progress));
	progress.enabled = enabled;
	for (unsigned i = 0; i < cfg->nscenarios; i++)
		per_pass += sweep_spec__shapes(&cfg->sweep, scenario__options(cfg->scenarios[i])) ?
			    cfg->sweep.n : 1;
	progress.reps = cfg->repeat;
	progress.entries = per_pass * cfg->repeat;
	progress.duration_s = cfg->duration_s;
	progress.start_ns = clock__monotonic_ns();
	if (enabled)
		ks_before_stderr = progress__break_line;
}

void progress__entry(unsigned rep, const char *point, unsigned k, unsigned n)
{
	progress.rep = rep;
	progress.point[0] = '\0';
	if (point)
		snprintf(progress.point, sizeof(progress.point), ", %s (%u/%u)", point, k + 1, n);
}

void progress__entry_done(void)
{
	progress.entries_done++;
	progress__break_line();
}

double progress__left_s(uint64_t done, uint64_t total, double elapsed_s, double duration_s,
			unsigned entries_done, unsigned entries, double run_elapsed_s)
{
	double this_left = -1, per_entry;

	/* Whichever of --count and --duration comes first ends the storm. */
	if (total && done)
		this_left = elapsed_s * (double)(total - (done < total ? done : total)) / (double)done;
	if (duration_s > 0 && (this_left < 0 || duration_s - elapsed_s < this_left))
		this_left = duration_s > elapsed_s ? duration_s - elapsed_s : 0;
	if (this_left < 0)
		return -1;
	if (entries_done + 1 >= entries)
		return this_left;
	/* The rest at the pace so far: the finished runs' average, or this one's forecast. */
	per_entry = entries_done ? (run_elapsed_s - elapsed_s) / entries_done : elapsed_s + this_left;
	return this_left + per_entry * (entries - entries_done - 1);
}

void progress__update(const char *scenario, uint64_t done, uint64_t total, double elapsed_s)
{
	double run_s = (double)(clock__monotonic_ns() - progress.start_ns) / 1e9;
	double left = progress__left_s(done, total, elapsed_s, progress.duration_s, progress.entries_done,
				       progress.entries, run_s);
	char rep[32] = "";

	if (!progress.enabled)
		return;
	if (progress.reps > 1)
		snprintf(rep, sizeof(rep), ", rep %u/%u", progress.rep + 1, progress.reps);
	fprintf(stderr, "\r[%s%s%s] %llu", scenario, rep, progress.point, (unsigned long long)done);
	if (total)
		fprintf(stderr, "/%llu", (unsigned long long)total);
	fprintf(stderr, " kicks, %.1f s", elapsed_s);
	if (left >= 0)
		fprintf(stderr, ", about %.0f s left", left + 0.5);
	fputs("   ", stderr);
	progress.line_open = true;
}
