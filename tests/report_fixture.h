/* SPDX-License-Identifier: MIT */
/* A report fixture of tests/data, loaded for a cmocka test. */
#ifndef KICKSTORM_TEST_REPORT_FIXTURE_H
#define KICKSTORM_TEST_REPORT_FIXTURE_H

#include <jansson.h>

/* tests/data/NAME, read as kickstorm reads reports; fails the test if it cannot. */
json_t *report_fixture__load(const char *name);

#endif
