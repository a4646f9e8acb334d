// SPDX-License-Identifier: MIT
/*
 * The registry: every scenario's descriptor is whole and agrees with
 * itself (the options it lists in its help are the options it says shape
 * it), and an option that shapes none of the chosen scenarios is named on
 * stderr with the scenarios it does shape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "scenario.h"
#include "storm.h"

static bool params_mention(const struct scenario_param *params, const char *option)
{
	size_t len = strlen(option);

	for (const struct scenario_param *p = params; p && p->option; p++) {
		const char *hit = strstr(p->option, option);

		/* "--rate/--burst" mentions both; "--rate" must not match "--race-window". */
		if (hit && (hit[len] == '\0' || hit[len] == '/'))
			return true;
	}
	return false;
}

/* What `kickstorm list` shows under sc: its own help, and the VM options' when it runs a VM. */
static bool help_mentions(const struct scenario *sc, const char *option)
{
	return params_mention(sc->params, option) ||
	       ((sc->flags & SCENARIO_VM) && params_mention(scenario__vm_params, option)) ||
	       ((sc->flags & SCENARIO_TRACEABLE) && params_mention(scenario__trace_params, option));
}

static void descriptors_are_whole(void **state)
{
	(void)state;
	assert_non_null(scenario_registry[0]);
	for (size_t i = 0; scenario_registry[i]; i++) {
		const struct scenario *sc = scenario_registry[i];

		assert_non_null(sc->name);
		assert_true(strlen(sc->name) > 0 && strspn(sc->name, "abcdefghijklmnopqrstuvwxyz") ==
			    strlen(sc->name));
		assert_ptr_equal(scenario__find(sc->name), sc);
		assert_non_null(sc->summary);
		assert_non_null(sc->latency);
		assert_non_null(sc->params);
		assert_non_null(sc->params[0].option);
		/* It measures something: a storm of host kicks, or a measurement of its own. */
		assert_true(sc->kick || sc->measure);
		if (sc->kick)
			assert_non_null(sc->kick->kick);
	}
}

static void flags_agree(void **state)
{
	(void)state;
	for (size_t i = 0; scenario_registry[i]; i++) {
		const struct scenario *sc = scenario_registry[i];

		if (sc->flags & (SCENARIO_KICK_PATH | SCENARIO_HOST_OBSERVER | SCENARIO_GUEST_TSC))
			assert_true(sc->flags & SCENARIO_VM);
		if (sc->flags & SCENARIO_HOST_OBSERVER)
			assert_true(sc->options & KS_OPT_PROTOCOL);
		/* A kick latency is only a kick's where a kick travels to a vCPU. */
		if (sc->measures == MEASURES_KICK)
			assert_true(sc->flags & SCENARIO_KICK_PATH);
		if (!(sc->flags & SCENARIO_KICK_PATH))
			assert_non_null(sc->no_path_why);
		/* The VM options are the engine's: a scenario without a VM cannot take them. */
		if (!(sc->flags & SCENARIO_VM))
			assert_false(scenario__options(sc) & SCENARIO_VM_OPTIONS);
		else
			assert_true((scenario__options(sc) & SCENARIO_VM_OPTIONS) == SCENARIO_VM_OPTIONS);
	}
}

/* What the help of a scenario lists is what it says shapes it, both ways. */
static void options_match_the_help(void **state)
{
	(void)state;
	for (size_t i = 0; scenario_registry[i]; i++) {
		const struct scenario *sc = scenario_registry[i];

		/* Every bit: config__option_name says "?" for one no option has. */
		for (unsigned bit = 1; bit; bit <<= 1) {
			const char *name = config__option_name((enum ks_option)bit);

			/* --vcpus shapes every VM scenario; the help lists it where it is the point. */
			if (bit == KS_OPT_VCPUS)
				continue;
			if (help_mentions(sc, name) != !!(scenario__options(sc) & bit))
				fail_msg("%s: %s is %s its help but %s its options", sc->name, name,
					 help_mentions(sc, name) ? "in" : "not in",
					 scenario__options(sc) & bit ? "in" : "not in");
		}
	}
}

/* Runs scenario__warn_unshaped and returns what it printed (static buffer). */
static const char *warnings_for(const char *scenarios, unsigned given)
{
	static char text[2048];
	struct ks_config cfg;
	FILE *saved = stderr, *f = tmpfile();
	char list[128], *save, *name;
	size_t n;

	config__defaults(&cfg);
	snprintf(list, sizeof(list), "%s", scenarios);
	for (name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save))
		cfg.scenarios[cfg.nscenarios++] = scenario__find(name);
	cfg.given = given;
	stderr = f;
	scenario__warn_unshaped(&cfg);
	stderr = saved;
	rewind(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

static void unshaped_options_are_named(void **state)
{
	const char *w;

	(void)state;
	w = warnings_for("msi", KS_OPT_PROTOCOL | KS_OPT_RACE_WINDOW | KS_OPT_RATE);
	assert_non_null(strstr(w, "--protocol does not apply"));
	assert_non_null(strstr(w, "--race-window does not apply"));
	assert_non_null(strstr(w, "(it shapes: signal)"));
	assert_null(strstr(w, "--rate does not apply"));
	/* One chosen scenario it shapes is enough. */
	assert_string_equal(warnings_for("msi,signal", KS_OPT_PROTOCOL), "");
	w = warnings_for("floor", KS_OPT_SENDERS | KS_OPT_HALT_POLL);
	assert_non_null(strstr(w, "--senders does not apply"));
	/* --halt-poll-ns shapes every VM scenario, none of which lists it itself. */
	assert_non_null(strstr(w, "--halt-poll-ns does not apply to the chosen scenarios and is "
				  "ignored (it shapes: signal, msi, "));
	assert_non_null(strstr(strstr(w, "--halt-poll-ns"), "broadcast"));
	assert_null(strstr(strstr(w, "--halt-poll-ns"), "floor"));
	assert_string_equal(warnings_for("broadcast", KS_OPT_HALT_POLL), "");
	assert_string_equal(warnings_for("signal", 0), "");
	/* The kick-source options of issue 12 name the scenarios they shape. */
	w = warnings_for("irqfd,timer", KS_OPT_DELIVERY | KS_OPT_IPI_VIA);
	assert_non_null(strstr(w, "--delivery does not apply to the chosen scenarios and is ignored "
				  "(it shapes: msi, ipi)"));
	assert_non_null(strstr(w, "--ipi-via does not apply to the chosen scenarios and is ignored "
				  "(it shapes: ipi)"));
	assert_string_equal(warnings_for("msi", KS_OPT_DELIVERY), "");
	w = warnings_for("timer", KS_OPT_BURST | KS_OPT_SENDERS);
	assert_non_null(strstr(w, "--burst does not apply"));
	assert_non_null(strstr(w, "--senders does not apply"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(descriptors_are_whole),
		cmocka_unit_test(flags_agree),
		cmocka_unit_test(options_match_the_help),
		cmocka_unit_test(unshaped_options_are_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
