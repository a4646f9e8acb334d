/* SPDX-License-Identifier: MIT */
/*
 * A file written whole or not at all: the text goes to a temporary file in
 * the same directory, which replaces the target by rename() only once it
 * is complete and flushed, so a reader never sees half a picture.
 */
#ifndef KICKSTORM_ATOMIC_FILE_H
#define KICKSTORM_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

struct atomic_file {
	FILE *f;                /* write here */
	char tmp[4096];
	const char *path;
};

/* Opens the temporary file; "-" writes straight to stdout. 0, or -1 with the reason in why. */
int atomic_file__open(struct atomic_file *af, const char *path, char *why, size_t why_len);
/* Flushes, syncs and renames over the target. 0, or -1 (the temporary removed) with why. */
int atomic_file__commit(struct atomic_file *af, char *why, size_t why_len);
/* Drops the temporary file. */
void atomic_file__abort(struct atomic_file *af);

#endif
