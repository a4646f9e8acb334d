// SPDX-License-Identifier: MIT
/*
 * The number and list grammar every option shares: plain decimals, and
 * CPU-style lists. Strict, so that a value means one thing only.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/*
 * Decimal digits only. "010" and "0x10" are refused rather than read as 10,
 * 8, 0 or 16: each of those is what some other tool would make of them.
 */
int parse__u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || !isdigit((unsigned char)*s) || (s[0] == '0' && s[1]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/*
 * Length of a plain decimal at the start of s: digits, optionally a point
 * and more digits, no leading zero before another digit. 0 if there is none.
 * strtod alone would also take hex ("0x10" is 16), exponents, inf and nan.
 */
static size_t decimal__span(const char *s)
{
	size_t n = 0;

	while (isdigit((unsigned char)s[n]))
		n++;
	if (!n || (s[0] == '0' && n > 1))
		return 0;
	if (s[n] == '.') {
		size_t frac = n + 1;

		while (isdigit((unsigned char)s[frac]))
			frac++;
		if (frac == n + 1)
			return 0;
		n = frac;
	}
	return n;
}

int parse__decimal(const char *s, double min, double max, double *out)
{
	double v;

	if (!s || !*s || decimal__span(s) != strlen(s))
		return -1;
	errno = 0;
	v = strtod(s, NULL);
	if (errno || !isfinite(v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int parse__seconds(const char *s, double min, double max, double *out)
{
	char buf[64];
	size_t n;

	if (!s || !*s)
		return -1;
	n = decimal__span(s);
	if (!n || n >= sizeof(buf) || (s[n] && strcmp(s + n, "s")))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return parse__decimal(buf, min, max, out);
}

static int parse_cpu_range(const char *s, uint64_t *lo, uint64_t *hi, unsigned max_cpu)
{
	char buf[32];
	const char *dash = strchr(s, '-');

	if (!dash)
		return parse__u64(s, 0, max_cpu - 1, lo) < 0 ? -1 : (*hi = *lo, 0);
	if ((size_t)(dash - s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, (size_t)(dash - s));
	buf[dash - s] = '\0';
	if (parse__u64(buf, 0, max_cpu - 1, lo) < 0 || parse__u64(dash + 1, 0, max_cpu - 1, hi) < 0)
		return -1;
	return *lo <= *hi ? 0 : -1;
}

int parse__cpu_list(const char *s, int *cpus, unsigned max, unsigned *n, unsigned max_cpu)
{
	char buf[4096], *rest = buf, *tok;
	unsigned char seen[KS_MAX_CPUS] = { 0 };
	unsigned count = 0;

	if (!s || !*s || strlen(s) >= sizeof(buf) || max_cpu > KS_MAX_CPUS)
		return -1;
	strcpy(buf, s);
	/* strsep, not strtok: an empty element ("0,,1", "0,") is an error, not skipped. */
	while ((tok = strsep(&rest, ","))) {
		uint64_t lo, hi;

		if (parse_cpu_range(tok, &lo, &hi, max_cpu) < 0)
			return -1;
		for (uint64_t c = lo; c <= hi; c++) {
			if (seen[c]++)
				return -1;
			if (count == max)
				return -1;
			cpus[count++] = (int)c;
		}
	}
	if (!count)
		return -1;
	*n = count;
	return 0;
}
