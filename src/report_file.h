/* SPDX-License-Identifier: MIT */
/*
 * Where a report goes, and getting it there whole.
 *
 * "-" is standard output. A FIFO or a character device is written straight
 * into: the write waits up to REPORT_FILE_READER_WAIT_MS for a FIFO's reader
 * and fails after that. Anything else is a regular file, replaced
 * atomically: the report goes to a temporary file in the same directory,
 * is synced and renamed over the target, so readers see the old report or
 * the whole new one. A symlink is followed, and the file it names is
 * replaced (the link stays). An existing file keeps its permission bits and,
 * where the caller may set them, its owner and group; a write-protected one
 * is refused. Directories, sockets and block devices are refused.
 *
 * Writes survive EINTR. While a temporary file exists it is registered with
 * terminate.h, so a run killed at once by a second signal does not leave it
 * behind.
 */
#ifndef KICKSTORM_REPORT_FILE_H
#define KICKSTORM_REPORT_FILE_H

#include <jansson.h>
#include <stddef.h>

#define REPORT_FILE_READER_WAIT_MS 10000

/*
 * Before anything runs: whether the report can be written to path, including
 * the rename that will replace an existing file. Opens nothing a reader could
 * see (a FIFO's reader would take the probe for the end of the report).
 * 0, or -1 with one line in why naming the path and the problem.
 */
int report_file__check(const char *path, char *why, size_t why_len);

/* Writes len bytes of data to path as above; prints why it failed. 0 or -1. */
int report_file__write(const char *path, const char *data, size_t len);

/* The report's JSON (indented, sorted keys, final newline) to path. */
int report_file__write_json(const char *path, const json_t *root);

/*
 * The temporary name used beside base: "<base>.tmp.<6 random characters>",
 * with base shortened so the whole name stays within name_max. Exposed for
 * tests. -1 when name_max leaves no room.
 */
int report_file__temp_name(const char *base, size_t name_max, char *buf, size_t len);

#endif
