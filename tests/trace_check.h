/* SPDX-License-Identifier: MIT */
/*
 * cmocka checks of trace stage analyses, shared by test_trace_stages:
 * loading a stream from tests/data and the properties every timeline has.
 */
#ifndef KICKSTORM_TEST_TRACE_CHECK_H
#define KICKSTORM_TEST_TRACE_CHECK_H

#include "trace_stages.h"

struct fixture {
	struct trace_events ev;
	struct trace_analysis *a;
};

struct want_span {
	enum trace_stage stage;
	uint64_t ticks;
};

/* Reads tests/data/NAME and analyses its kicks; fails the test on error. */
void load(struct fixture *f, const char *name);
void release(struct fixture *f);
uint32_t tev_mask(const char *const *names);
void assert_order(const struct trace_analysis *a, const enum trace_stage *want, unsigned n);
/*
 * Every kick: spans in its kind's order without gaps from kick to
 * observation, ending at the right events; every stage counted or skipped
 * for every traced kick (one kind of kick per analysis).
 */
void check_timelines(const struct fixture *f);
/* Stages counted in at least 95 % of the kicks. */
unsigned stages_in_most_kicks(const struct trace_analysis *a);
/* The stage p50s (of stages most kicks pass) sum to within 25 % of the kicks' p50. */
void check_p50_sum(const struct trace_analysis *a);
/* want worst kicks, slowest first, each explained starting with its dominant stage. */
void check_worst(const struct trace_analysis *a, unsigned want);
/* On kvm_pvm: exactly these events missing, the scheduler ones used. */
void pvm_missing_events(const struct trace_analysis *a, const char *const *missing);
void assert_timeline(const struct trace_analysis *a, size_t i, const struct want_span *want,
		     unsigned n, uint32_t skipped);

#endif
