// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the report loader that `kickstorm compare` uses:
 * any bytes must load or be refused with a reason, and a loaded report must
 * compare against itself without a regression.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct compare_report a, b;
	struct compare_options o;
	struct compare_result res;
	json_error_t err;
	char why[512];

	json_t *root = json_loadb((const char *)data, size, 0, &err);
	if (!root)
		return 0;
	json_t *copy = json_deep_copy(root);
	int loaded = compare__from_json(&a, root, "fuzz-a.json", why, sizeof(why));

	if (loaded < 0) {
		if (!why[0])
			abort();	/* a refusal must say why */
		json_decref(copy);
		return 0;
	}
	if (compare__from_json(&b, copy, "fuzz-b.json", why, sizeof(why)) < 0)
		abort();	/* the same document cannot load once and fail once */
	compare__default_options(&o);
	compare__run(&a, &b, &o, &res);
	if (res.nregressions)
		abort();	/* a report never regresses against itself */
	compare__release_result(&res);
	compare__release_report(&a);
	compare__release_report(&b);
	return 0;
}
