// SPDX-License-Identifier: MIT
/*
 * Delivery-path classification on recorded per-kick ratios. The posted path
 * cannot be exercised on the development hosts (no APICv/AVIC), so these
 * recorded numbers are the only check that the rules claim it when, and only
 * when, the evidence supports it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "classify.h"

#define MISSING (-1.0)

/* Present in every verdict's evidence, as a number or as null (missing). */
static const char *const ratio_names[] = {
	"exits", "irq_exits", "halt_wakeup", "halt_exits", "signal_exits",
};

/* Every ratio missing: each test fills in what its recording had. */
static struct delivery_inputs inputs(const char *state, bool can_post, uint64_t kicks)
{
	struct delivery_inputs in = {
		.target_state = state,
		.host_can_post = can_post,
		.kick_is_interrupt = true,
		.kicks = kicks,
		.exits_per_kick = MISSING,
		.irq_exits_per_kick = MISSING,
		.halt_wakeup_per_kick = MISSING,
		.halt_exits_per_kick = MISSING,
		.signal_exits_per_kick = MISSING,
	};
	return in;
}

/* Checks the evidence every verdict must carry, and returns its reason. */
static const char *check_evidence(const json_t *ev, const char *path, uint64_t kicks)
{
	const json_t *ratios = json_object_get(ev, "ratios");
	const char *reason = json_string_value(json_object_get(ev, "reason"));

	assert_non_null(ev);
	assert_string_equal(json_string_value(json_object_get(ev, "path")), path);
	assert_true(json_is_boolean(json_object_get(ev, "host_can_post")));
	assert_true(json_is_string(json_object_get(ev, "target_state")));
	assert_int_equal(json_integer_value(json_object_get(ev, "kicks")), kicks);
	assert_true(json_is_object(ratios));
	for (size_t i = 0; i < sizeof(ratio_names) / sizeof(ratio_names[0]); i++)
		assert_non_null(json_object_get(ratios, ratio_names[i]));
	assert_non_null(reason);
	assert_true(strlen(reason) > 10);
	return reason;
}

static double ratio(const json_t *ev, const char *name)
{
	return json_real_value(json_object_get(json_object_get(ev, "ratios"), name));
}

/* Intel host with enable_apicv=Y, MSI storm to a spinning vCPU. */
static void posted_host_running_target(void **state)
{
	struct delivery_inputs in = inputs("running", true, 10000);
	json_t *ev = NULL;
	const char *reason;

	(void)state;
	in.exits_per_kick = 0.02;
	in.irq_exits_per_kick = 0.01;
	in.halt_exits_per_kick = 0.0;
	in.halt_wakeup_per_kick = 0.0;
	in.signal_exits_per_kick = 0.0;

	assert_int_equal(delivery__classify(&in, &ev), DELIVERY_POSTED);
	reason = check_evidence(ev, "posted", 10000);
	assert_non_null(strstr(reason, "0.02"));
	assert_true(json_is_true(json_object_get(ev, "host_can_post")));
	assert_float_equal(ratio(ev, "exits"), 0.02, 1e-9);
	json_decref(ev);
}

/* Exit-based host: every kick forces an external-interrupt exit. */
static void exit_based_host_running_target(void **state)
{
	struct delivery_inputs in = inputs("running", false, 5000);
	json_t *ev = NULL;
	const char *reason;

	(void)state;
	in.exits_per_kick = 1.1;
	in.irq_exits_per_kick = 1.0;
	in.halt_exits_per_kick = 0.0;
	in.halt_wakeup_per_kick = 0.0;

	assert_int_equal(delivery__classify(&in, &ev), DELIVERY_IPI);
	reason = check_evidence(ev, "ipi", 5000);
	assert_non_null(strstr(reason, "1.1"));
	assert_float_equal(ratio(ev, "irq_exits"), 1.0, 1e-9);
	json_decref(ev);

	/* Even a host that could post is exit-based when kicks cost exits. */
	in.host_can_post = true;
	assert_int_equal(delivery__classify(&in, NULL), DELIVERY_IPI);
}

/* MSI to vCPUs blocked in HLT: one wakeup (and one HLT exit) per kick. */
static void halted_target_wakeup(void **state)
{
	struct delivery_inputs in = inputs("halted", false, 2000);
	json_t *ev = NULL;
	const char *reason;

	(void)state;
	in.exits_per_kick = 1.05;
	in.halt_exits_per_kick = 1.0;
	in.halt_wakeup_per_kick = 1.0;
	in.irq_exits_per_kick = 0.0;

	assert_int_equal(delivery__classify(&in, &ev), DELIVERY_WAKEUP);
	reason = check_evidence(ev, "wakeup", 2000);
	assert_non_null(strstr(reason, "halt wakeups"));
	assert_float_equal(ratio(ev, "halt_wakeup"), 1.0, 1e-9);
	json_decref(ev);

	/* Halt polling caught most kicks: no wakeup is claimed. */
	in.halt_wakeup_per_kick = 0.2;
	assert_int_equal(delivery__classify(&in, &ev), DELIVERY_UNKNOWN);
	check_evidence(ev, "unknown", 2000);
	json_decref(ev);
}

/* Recorded on this development host: signal kicks to a halted guest (200 kicks). */
static void halted_target_signal_wakeup(void **state)
{
	struct delivery_inputs in = inputs("halted", false, 200);
	json_t *ev = NULL;
	const char *reason;

	(void)state;
	in.kick_is_interrupt = false;
	in.exits_per_kick = 0.0;
	in.halt_exits_per_kick = 0.0;
	in.halt_wakeup_per_kick = 0.0;
	in.signal_exits_per_kick = 1.0;
	assert_int_equal(delivery__classify(&in, &ev), DELIVERY_WAKEUP);
	reason = check_evidence(ev, "wakeup", 200);
	assert_non_null(strstr(reason, "signal exits"));
	json_decref(ev);

	/* Signals that mostly landed outside KVM_RUN prove no wakeup. */
	in.signal_exits_per_kick = 0.1;
	assert_int_equal(delivery__classify(&in, &ev), DELIVERY_UNKNOWN);
	check_evidence(ev, "unknown", 200);
	json_decref(ev);

	in.signal_exits_per_kick = MISSING;
	assert_int_equal(delivery__classify(&in, &ev), DELIVERY_UNKNOWN);
	json_decref(ev);
}

/* This development host: few exits, but no APICv/AVIC to have posted them. */
static void low_exits_without_posting_is_unknown(void **state)
{
	struct delivery_inputs in = inputs("running", false, 3000);
	json_t *ev = NULL;
	const char *reason;

	(void)state;
	in.exits_per_kick = 0.03;
	in.irq_exits_per_kick = 0.0;
	in.halt_exits_per_kick = 0.0;

	assert_int_equal(delivery__classify(&in, &ev), DELIVERY_UNKNOWN);
	reason = check_evidence(ev, "unknown", 3000);
	assert_non_null(strstr(reason, "cannot post"));
	assert_null(strstr(json_string_value(json_object_get(ev, "path")), "posted"));
	json_decref(ev);

	/* A signal kick is never posted, whatever the host can do. */
	in.host_can_post = true;
	in.kick_is_interrupt = false;
	assert_int_equal(delivery__classify(&in, NULL), DELIVERY_UNKNOWN);

	/* Between the thresholds: some kicks exited, some did not. */
	in.kick_is_interrupt = true;
	in.exits_per_kick = 0.3;
	assert_int_equal(delivery__classify(&in, NULL), DELIVERY_UNKNOWN);
}

static void zero_kicks_and_missing_stats_are_unknown(void **state)
{
	struct delivery_inputs in = inputs("running", true, 0);
	json_t *ev = NULL;
	const json_t *ratios;

	(void)state;
	in.exits_per_kick = 0.0;
	assert_int_equal(delivery__classify(&in, &ev), DELIVERY_UNKNOWN);
	assert_non_null(strstr(check_evidence(ev, "unknown", 0), "no kicks"));
	json_decref(ev);

	in = inputs("running", true, 100);
	assert_int_equal(delivery__classify(&in, &ev), DELIVERY_UNKNOWN);
	assert_non_null(strstr(check_evidence(ev, "unknown", 100), "missing"));
	ratios = json_object_get(ev, "ratios");
	assert_true(json_is_null(json_object_get(ratios, "exits")));
	json_decref(ev);

	in = inputs("halted", true, 100);
	assert_int_equal(delivery__classify(&in, NULL), DELIVERY_UNKNOWN);
	in = inputs("mixed", true, 100);
	in.exits_per_kick = 2.0;
	assert_int_equal(delivery__classify(&in, NULL), DELIVERY_UNKNOWN);
	in = inputs("sideways", true, 100);
	in.exits_per_kick = 2.0;
	assert_int_equal(delivery__classify(&in, NULL), DELIVERY_UNKNOWN);
	in = inputs(NULL, true, 100);
	assert_int_equal(delivery__classify(&in, &ev), DELIVERY_UNKNOWN);
	assert_true(json_is_null(json_object_get(ev, "target_state")));
	json_decref(ev);
}

static void mixed_target(void **state)
{
	struct delivery_inputs in = inputs("mixed", false, 4000);

	(void)state;
	/* Half the targets halted: each wakeup came with its HLT exit. */
	in.exits_per_kick = 1.3;
	in.halt_exits_per_kick = 0.7;
	in.halt_wakeup_per_kick = 0.7;
	assert_int_equal(delivery__classify(&in, NULL), DELIVERY_WAKEUP);

	/* Mostly running targets: the non-HLT exits dominate. */
	in.exits_per_kick = 1.2;
	in.halt_exits_per_kick = 0.1;
	in.halt_wakeup_per_kick = 0.1;
	assert_int_equal(delivery__classify(&in, NULL), DELIVERY_IPI);

	/* HLT exits alone are no evidence of exit-based kicks. */
	in.exits_per_kick = 0.6;
	in.halt_exits_per_kick = 0.4;
	in.halt_wakeup_per_kick = 0.3;
	assert_int_equal(delivery__classify(&in, NULL), DELIVERY_UNKNOWN);
}

static void names_and_ratios_from_json(void **state)
{
	struct delivery_inputs in = inputs("running", true, 10);
	json_t *per_kick = json_pack("{s:f, s:f, s:n, s:f, s:f, s:f}", "exits", 1.5,
				     "irq_exits", 1.0, "signal_exits", "halt_exits", 0.0,
				     "halt_wakeup", 0.25, "irq_injections", 1.0);

	(void)state;
	assert_string_equal(delivery__name(DELIVERY_POSTED), "posted");
	assert_string_equal(delivery__name(DELIVERY_IPI), "ipi");
	assert_string_equal(delivery__name(DELIVERY_WAKEUP), "wakeup");
	assert_string_equal(delivery__name(DELIVERY_UNKNOWN), "unknown");

	delivery__ratios_from_json(&in, per_kick);
	assert_float_equal(in.exits_per_kick, 1.5, 1e-12);
	assert_float_equal(in.irq_exits_per_kick, 1.0, 1e-12);
	assert_float_equal(in.halt_wakeup_per_kick, 0.25, 1e-12);
	assert_float_equal(in.halt_exits_per_kick, 0.0, 1e-12);
	assert_true(in.signal_exits_per_kick < 0);
	json_decref(per_kick);

	delivery__ratios_from_json(&in, NULL);
	assert_true(in.exits_per_kick < 0 && in.halt_wakeup_per_kick < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(posted_host_running_target),
		cmocka_unit_test(exit_based_host_running_target),
		cmocka_unit_test(halted_target_wakeup),
		cmocka_unit_test(halted_target_signal_wakeup),
		cmocka_unit_test(low_exits_without_posting_is_unknown),
		cmocka_unit_test(zero_kicks_and_missing_stats_are_unknown),
		cmocka_unit_test(mixed_target),
		cmocka_unit_test(names_and_ratios_from_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
