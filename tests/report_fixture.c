// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "report_fixture.h"
#include "report_read.h"

json_t *report_fixture__load(const char *name)
{
	char path[1024], why[256];
	json_t *root;

	snprintf(path, sizeof(path), "%s/%s", KS_TEST_DATA, name);
	root = report_read__load(path, why, sizeof(why));
	if (!root)
		fail_msg("%s: %s", path, why);
	return root;
}
