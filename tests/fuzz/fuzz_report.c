// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the report loader that `kickstorm compare` uses:
 * any bytes must load or be refused with a reason; a loaded report must
 * compare against itself without a regression, and every output format
 * must print the comparison (escaping whatever strings the report holds).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "compare_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *sink(void)
{
	static FILE *devnull;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	return devnull;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct compare_report a, b;
	struct compare_options o;
	struct compare_result res;
	struct compare_view view;
	char why[512] = "";

	compare__default_options(&o);
	if (compare__load_buffer(&a, (const char *)data, size, "fuzz-a.json", &o, why, sizeof(why)) < 0) {
		if (!why[0])
			abort();	/* a refusal must say why */
		return 0;
	}
	if (compare__load_buffer(&b, (const char *)data, size, "fuzz-b.json", &o, why, sizeof(why)) < 0)
		abort();	/* the same document cannot load once and fail once */
	compare__run(&a, &b, &o, &res);
	if (res.nregressions || res.nbase_only || res.nnew_only)
		abort();	/* a report never regresses against itself, and matches itself whole */
	view = (struct compare_view){ &a, &b, &res, &o };
	for (int f = 0; f < COMPARE_NFORMATS; f++)
		if (compare__print(f, &view, sink()) < 0)
			abort();
	compare__release_result(&res);
	compare__release_report(&a);
	compare__release_report(&b);
	return 0;
}
