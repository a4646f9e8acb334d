// SPDX-License-Identifier: MIT
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ks_quiet;
void (*ks_before_stderr)(void);

/* The calling thread's latest error, for a report entry that must say why. */
static _Thread_local char last_error[1280];

const char *ks_last_error(void)
{
	return last_error;
}

static void vreport(int errnum, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (errnum)
		snprintf(last_error, sizeof(last_error), "%s: %s", msg, strerror(errnum));
	else
		snprintf(last_error, sizeof(last_error), "%s", msg);
	if (ks_before_stderr)
		ks_before_stderr();
	fprintf(stderr, "kickstorm: %s\n", last_error);
}

void ks_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(0, fmt, ap);
	va_end(ap);
}

void ks_error_errno(int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(errnum, fmt, ap);
	va_end(ap);
}

void ks_note(const char *fmt, ...)
{
	va_list ap;

	if (ks_quiet)
		return;
	if (ks_before_stderr)
		ks_before_stderr();
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void ks_format(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

void *ks_zalloc(size_t size)
{
	void *p = calloc(1, size ? size : 1);

	if (!p) {
		ks_error("out of memory allocating %zu bytes", size);
		abort();
	}
	return p;
}

void *ks_aligned_zalloc(size_t align, size_t size)
{
	void *p = NULL;

	if (posix_memalign(&p, align, size ? size : align)) {
		ks_error("out of memory allocating %zu bytes", size);
		abort();
	}
	memset(p, 0, size);
	return p;
}
