/* SPDX-License-Identifier: MIT */
/*
 * Served kicks derived from a recorded stream, for test recordings where
 * kickstorm's ledger is not at hand (tests/data/README.md: how, and what
 * the derived times bound). Not used by kickstorm itself.
 */
#ifndef KICKSTORM_TEST_TRACE_KICKS_H
#define KICKSTORM_TEST_TRACE_KICKS_H

#include "trace_event.h"

/* kind: msi, eventfd, signal or ipi. Appends to s->kicks; 0, or -1 with a reason. */
int trace_kicks__derive(struct trace_events *s, const char *kind, char *why, size_t why_len);

#endif
