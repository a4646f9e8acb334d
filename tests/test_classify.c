// SPDX-License-Identifier: MIT
/*
 * Delivery-path classification on storm and kick-free control rates. The
 * posted path cannot be exercised on the development hosts (no APICv/AVIC),
 * so these numbers are the only check that the rules claim it when, and
 * only when, the evidence supports it. Storm rates of the posted and
 * exit-based hosts are the recorded ones the first classifier was tested
 * on; their control rates are a spinning guest's background on such a host
 * (a few timer-tick exits), not recordings. The kvm_pvm cases were recorded
 * on the development host with this classifier's own control window.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "classify.h"

#define MISSING (-1.0)

static const struct delivery_rates all_missing = {
	MISSING, MISSING, MISSING, MISSING, MISSING,
};

static const char *const rate_names[] = {
	"exits", "non_halt_exits", "irq_exits", "halt_wakeup", "halt_exits", "signal_exits",
};

/* A control of zero everything: what halted vCPUs do when nobody kicks them. */
static struct delivery_inputs inputs(const char *state, bool can_post, uint64_t kicks)
{
	struct delivery_inputs in = {
		.target_state = state,
		.host_can_post = can_post,
		.kick_is_interrupt = true,
		.kicks = kicks,
		.storm_s = 1.0,
		.control_s = 1.0,
		.storm = all_missing,
		.have_control = true,
		.control_scale = 1.0,
		.control = { 0, 0, 0, 0, 0 },
	};
	return in;
}

/* Checks the evidence every verdict must carry, and returns its reason. */
static const char *check_evidence(const json_t *ev, const char *path, uint64_t kicks)
{
	const json_t *storm = json_object_get(ev, "storm");
	const char *reason = json_string_value(json_object_get(ev, "reason"));

	assert_non_null(ev);
	assert_string_equal(json_string_value(json_object_get(ev, "path")), path);
	assert_true(json_is_boolean(json_object_get(ev, "host_can_post")));
	assert_int_equal(json_integer_value(json_object_get(ev, "kicks")), kicks);
	assert_true(json_is_object(storm));
	for (size_t i = 0; i < sizeof(rate_names) / sizeof(rate_names[0]); i++)
		assert_non_null(json_object_get(storm, rate_names[i]));
	assert_non_null(json_object_get(ev, "control"));
	assert_non_null(json_object_get(ev, "caused"));
	assert_non_null(reason);
	assert_true(strlen(reason) > 10);
	return reason;
}

static double caused(const json_t *ev, const char *name)
{
	return json_real_value(json_object_get(json_object_get(ev, "caused"), name));
}

/* Intel host with enable_apicv=Y, MSI storm to a spinning vCPU. */
static void posted_host_running_target(void **state)
{
	struct delivery_inputs in = inputs("running", true, 10000);
	json_t *ev = NULL;

	(void)state;
	in.storm = (struct delivery_rates){ .exits = 0.02, .irq_exits = 0.01 };
	in.control = (struct delivery_rates){ .exits = 0.015, .irq_exits = 0.01 };
	assert_int_equal(delivery__classify(&in, &ev), DELIVERY_POSTED);
	assert_non_null(strstr(check_evidence(ev, "posted", 10000), "posted without VM exits"));
	assert_float_equal(caused(ev, "non_halt_exits"), 0.005, 1e-9);
	json_decref(ev);
}

/* Exit-based host: every kick forces an external-interrupt exit. */
static void exit_based_host_running_target(void **state)
{
	struct delivery_inputs in = inputs("running", false, 5000);
	json_t *ev = NULL;

	(void)state;
	in.storm = (struct delivery_rates){ .exits = 1.1, .irq_exits = 1.0 };
	in.control = (struct delivery_rates){ .exits = 0.02, .irq_exits = 0.01 };
	assert_int_equal(delivery__classify(&in, &ev), DELIVERY_IPI);
	assert_non_null(strstr(check_evidence(ev, "ipi", 5000), "irq_exits"));
	assert_float_equal(caused(ev, "irq_exits"), 0.99, 1e-9);
	json_decref(ev);

	/* Even a host that could post is exit-based when kicks cost exits. */
	in.host_can_post = true;
	assert_int_equal(delivery__classify(&in, NULL), DELIVERY_IPI);

	/* No irq_exits stat: the excess of plain exits decides, well above noise. */
	in.storm.irq_exits = in.control.irq_exits = MISSING;
	assert_int_equal(delivery__classify(&in, NULL), DELIVERY_IPI);
}

/*
 * kvm_pvm (development host), recorded: 1000 MSIs to a running vCPU, 4.27 s
 * storm, 1.00 s control scaled to it. The vCPU exits at the end of every
 * batch of emulated instructions, kicks or not: 22.3 exits per kick in the
 * storm, 23.5 without kicks. The kicks caused none, and must not read as ipi.
 */
static void emulating_host_running_msi_is_not_ipi(void **state)
{
	struct delivery_inputs in = inputs("running", false, 1000);
	json_t *ev = NULL;
	const char *reason;

	(void)state;
	in.storm_s = 4.271975306;
	in.control_s = 1.003912012;
	in.storm = (struct delivery_rates){ .exits = 22.323 };
	in.control = (struct delivery_rates){ .exits = 23.519200123149833 };
	assert_int_equal(delivery__classify(&in, &ev), DELIVERY_UNKNOWN);
	reason = check_evidence(ev, "unknown", 1000);
	assert_non_null(strstr(reason, "cannot post"));
	assert_true(caused(ev, "non_halt_exits") < 0);
	json_decref(ev);

	/* On a host that can post, kicks that caused no exit of their own were posted. */
	in.host_can_post = true;
	assert_int_equal(delivery__classify(&in, NULL), DELIVERY_POSTED);
}

/*
 * kvm_pvm, recorded: 1000 signal kicks to a running vCPU thread (6.04 s
 * storm). Each made KVM_RUN return (1 signal exit per kick) at an exit that
 * happens anyway: 25.8 exits per kick against 31.2 without kicks.
 */
static void emulating_host_running_signal_is_not_ipi(void **state)
{
	struct delivery_inputs in = inputs("running", false, 1000);
	json_t *ev = NULL;

	(void)state;
	in.kick_is_interrupt = false;
	in.storm_s = 6.036032925;
	in.control_s = 1.004694776;
	in.storm = (struct delivery_rates){ .exits = 25.769, .signal_exits = 1 };
	in.control = (struct delivery_rates){ .exits = 31.246710934351466 };
	assert_int_equal(delivery__classify(&in, &ev), DELIVERY_UNKNOWN);
	assert_non_null(strstr(check_evidence(ev, "unknown", 1000), "never posted"));
	json_decref(ev);
}

/*
 * kvm_pvm, recorded: 1000 guest IPIs to a running vCPU (0.57 s storm, 0.59 s
 * control). The target took 1.16 exits per kick against 0.36 without kicks,
 * but no external-interrupt exit: the kicks sent no IPI, and the extra exits
 * came with handling the interrupts. Not ipi.
 */
static void emulating_host_running_guest_ipi_is_not_ipi(void **state)
{
	struct delivery_inputs in = inputs("running", false, 1000);
	json_t *ev = NULL;
	const char *reason;

	(void)state;
	in.storm_s = 0.567746709;
	in.control_s = 0.58538204;
	in.control_scale = in.storm_s / in.control_s;
	in.storm = (struct delivery_rates){ .exits = 1.157 };
	in.control = (struct delivery_rates){ .exits = 0.35982318323090334 };
	assert_int_equal(delivery__classify(&in, &ev), DELIVERY_UNKNOWN);
	reason = check_evidence(ev, "unknown", 1000);
	assert_non_null(strstr(reason, "external-interrupt"));
	assert_float_equal(caused(ev, "non_halt_exits"), 0.797, 1e-3);
	json_decref(ev);
}

/* Exits above the control, but within its noise: no claim. */
static void excess_within_noise_is_unknown(void **state)
{
	struct delivery_inputs in = inputs("running", false, 10);

	(void)state;
	in.storm = (struct delivery_rates){ .exits = 5.0, .irq_exits = MISSING };
	in.control = (struct delivery_rates){ .exits = 4.4, .irq_exits = MISSING };
	assert_int_equal(delivery__classify(&in, NULL), DELIVERY_UNKNOWN);
	/* The same excess over many kicks is well above the noise. */
	in.kicks = 100000;
	in.control.exits = 4.0;
	assert_int_equal(delivery__classify(&in, NULL), DELIVERY_IPI);
}

/* MSI to vCPUs blocked in HLT, recorded on kvm_pvm: 1000 kicks, nothing moves without them. */
static void halted_target_wakeup(void **state)
{
	struct delivery_inputs in = inputs("halted", false, 1000);
	json_t *ev = NULL;

	(void)state;
	in.storm = (struct delivery_rates){ .exits = 1.001, .halt_exits = 1, .halt_wakeup = 0.989 };
	assert_int_equal(delivery__classify(&in, &ev), DELIVERY_WAKEUP);
	check_evidence(ev, "wakeup", 1000);
	assert_float_equal(caused(ev, "halt_wakeup"), 0.989, 1e-9);
	json_decref(ev);

	/* Halt polling caught most kicks: no wakeup is claimed. */
	in.storm.halt_wakeup = 0.2;
	assert_int_equal(delivery__classify(&in, NULL), DELIVERY_UNKNOWN);
	/* Wakeups that happen without kicks too are not the kicks' doing. */
	in.storm.halt_wakeup = 1.0;
	in.control.halt_wakeup = 0.8;
	assert_int_equal(delivery__classify(&in, NULL), DELIVERY_UNKNOWN);
}

/* Recorded on kvm_pvm: signal kicks to a halted guest (1000 kicks). */
static void halted_target_signal_wakeup(void **state)
{
	struct delivery_inputs in = inputs("halted", false, 1000);
	json_t *ev = NULL;

	(void)state;
	in.kick_is_interrupt = false;
	in.storm = (struct delivery_rates){ .halt_wakeup = 0.002, .signal_exits = 1 };
	assert_int_equal(delivery__classify(&in, &ev), DELIVERY_WAKEUP);
	check_evidence(ev, "wakeup", 1000);
	json_decref(ev);

	/* Signals that mostly landed outside KVM_RUN prove no wakeup. */
	in.storm.signal_exits = 0.1;
	assert_int_equal(delivery__classify(&in, NULL), DELIVERY_UNKNOWN);
	in.storm.signal_exits = MISSING;
	assert_int_equal(delivery__classify(&in, NULL), DELIVERY_UNKNOWN);
}

static void without_control_nothing_is_claimed(void **state)
{
	struct delivery_inputs in = inputs("halted", false, 1000);
	json_t *ev = NULL;

	(void)state;
	in.storm = (struct delivery_rates){ .exits = 1, .halt_exits = 1, .halt_wakeup = 1 };
	in.have_control = false;
	in.no_control_why = "the run was interrupted before the kick-free control window ended";
	assert_int_equal(delivery__classify(&in, &ev), DELIVERY_UNKNOWN);
	assert_non_null(strstr(json_string_value(json_object_get(ev, "reason")), "interrupted"));
	assert_true(json_is_null(json_object_get(ev, "control")));
	json_decref(ev);
}

static void zero_kicks_and_missing_stats_are_unknown(void **state)
{
	struct delivery_inputs in = inputs("running", true, 0);
	json_t *ev = NULL;

	(void)state;
	in.storm.exits = 0.0;
	assert_int_equal(delivery__classify(&in, NULL), DELIVERY_UNKNOWN);

	in = inputs("running", true, 100);
	assert_int_equal(delivery__classify(&in, &ev), DELIVERY_UNKNOWN);
	assert_true(json_is_null(json_object_get(json_object_get(ev, "storm"), "exits")));
	json_decref(ev);

	in = inputs("halted", true, 100);
	assert_int_equal(delivery__classify(&in, NULL), DELIVERY_UNKNOWN);
	in = inputs("mixed", true, 100);
	in.storm.exits = 2.0;
	assert_int_equal(delivery__classify(&in, NULL), DELIVERY_UNKNOWN);
	in = inputs("sideways", true, 100);
	in.storm.exits = 2.0;
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
	in.storm = (struct delivery_rates){ .exits = 1.3, .halt_exits = 0.7, .halt_wakeup = 0.7 };
	assert_int_equal(delivery__classify(&in, NULL), DELIVERY_WAKEUP);

	/* Mostly running targets, forced out of guest mode by each kick. */
	in.storm = (struct delivery_rates){ .exits = 1.2, .irq_exits = 0.9, .halt_exits = 0.1,
					    .halt_wakeup = 0.1 };
	assert_int_equal(delivery__classify(&in, NULL), DELIVERY_IPI);

	/* The running half takes as many external-interrupt exits without kicks: no claim. */
	in.control = (struct delivery_rates){ .exits = 1.1, .irq_exits = 0.85 };
	assert_int_equal(delivery__classify(&in, NULL), DELIVERY_UNKNOWN);
}

static void names_rates_and_not_applicable(void **state)
{
	struct delivery_rates r;
	json_t *per_kick = json_pack("{s:f, s:f, s:n, s:f, s:f, s:f}", "exits", 1.5,
				     "irq_exits", 1.0, "signal_exits", "halt_exits", 0.0,
				     "halt_wakeup", 0.25, "irq_injections", 1.0);
	json_t *na;

	(void)state;
	assert_string_equal(delivery__name(DELIVERY_POSTED), "posted");
	assert_string_equal(delivery__name(DELIVERY_NOT_APPLICABLE), "not_applicable");
	delivery__rates_from_json(&r, per_kick);
	assert_float_equal(r.exits, 1.5, 1e-12);
	assert_float_equal(r.halt_wakeup, 0.25, 1e-12);
	assert_true(r.signal_exits < 0);
	delivery__rates_scale(&r, 2.0);
	assert_float_equal(r.exits, 3.0, 1e-12);
	assert_true(r.signal_exits < 0);
	json_decref(per_kick);
	delivery__rates_from_json(&r, NULL);
	assert_true(r.exits < 0 && r.halt_wakeup < 0);

	na = delivery__not_applicable("no kick");
	assert_string_equal(json_string_value(json_object_get(na, "path")), "not_applicable");
	json_decref(na);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(posted_host_running_target),
		cmocka_unit_test(exit_based_host_running_target),
		cmocka_unit_test(emulating_host_running_msi_is_not_ipi),
		cmocka_unit_test(emulating_host_running_signal_is_not_ipi),
		cmocka_unit_test(emulating_host_running_guest_ipi_is_not_ipi),
		cmocka_unit_test(excess_within_noise_is_unknown),
		cmocka_unit_test(halted_target_wakeup),
		cmocka_unit_test(halted_target_signal_wakeup),
		cmocka_unit_test(without_control_nothing_is_claimed),
		cmocka_unit_test(zero_kicks_and_missing_stats_are_unknown),
		cmocka_unit_test(mixed_target),
		cmocka_unit_test(names_rates_and_not_applicable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
