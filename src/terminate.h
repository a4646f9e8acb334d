/* SPDX-License-Identifier: MIT */
/*
 * How `kickstorm run` ends on SIGINT, SIGTERM or SIGHUP.
 *
 * The first signal asks the run to wind down: storms stop, what was measured
 * is reported, and the exit status says which signal it was (130, 143, 129).
 * Copies arriving within TERMINATE_REPEAT_NS of the first are the same
 * request: a terminal's Ctrl-C reaches a wrapper and kickstorm alike, and
 * coreutils timeout signals its child and then the child's process group.
 * A signal after that means "now": the process exits at once, removes the
 * report's temporary file if one is being written, and says on stderr that
 * the report was abandoned.
 *
 * SIGQUIT keeps its default action (exit with a core dump, no report): it is
 * how a hung run is debugged.
 */
#ifndef KICKSTORM_TERMINATE_H
#define KICKSTORM_TERMINATE_H

#include <stdatomic.h>
#include <stdbool.h>

#define TERMINATE_REPEAT_NS 1000000000ll

/*
 * Installs the handlers and unblocks the three signals (a parent may have
 * blocked them; one already pending is then handled at once). Call it
 * before anything else a run does. 0, or -1 after printing why.
 */
int terminate__install(void);

/* Set by the first signal; what the storms poll. */
atomic_bool *terminate__flag(void);
bool terminate__requested(void);
/* 128 + the first signal's number, or 0 when none arrived. */
int terminate__exit_status(void);

/*
 * While a report is being written to a temporary file: the file (name
 * relative to dirfd, copied) that an exit at once removes.
 */
void terminate__guard_file(int dirfd, const char *name);
void terminate__unguard_file(void);
/* The report is out: an exit at once no longer abandons it. */
void terminate__report_saved(void);
/*
 * fn runs just before an exit at once: an async-signal-safe cleanup such as
 * removing a trace instance. One at a time; NULL removes it.
 */
void terminate__at_exit(void (*fn)(void));

#endif
