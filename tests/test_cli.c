// SPDX-License-Identifier: MIT
/* Option parsing for `kickstorm run`: defaults, good values, and every kind of bad one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "config.h"
#include "scenario.h"

static struct ks_config cfg;

/* Parses a NULL-terminated list of arguments after "run". */
static int parse(const char *first, ...)
{
	char *argv[64] = { "run" };
	int argc = 1;
	va_list ap;

	va_start(ap, first);
	for (const char *a = first; a && argc < 63; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	config__defaults(&cfg);
	return config__parse_run(&cfg, argc, argv);
}

static void defaults_are_documented_values(void **state)
{
	(void)state;
	assert_int_equal(parse(NULL), 0);
	assert_int_equal(cfg.vcpus, 2);
	assert_int_equal(cfg.senders, 1);
	assert_int_equal(cfg.count, KS_DEFAULT_COUNT);
	assert_int_equal(cfg.rate_hz, 0);
	assert_int_equal(cfg.burst, 1);
	assert_int_equal(cfg.target, TARGET_HALTED);
	assert_int_equal(cfg.protocol, PROTOCOL_IMMEDIATE_EXIT);
	assert_int_equal(cfg.deadline_ms, KS_DEFAULT_DEADLINE_MS);
	assert_int_equal(cfg.placement, PLACEMENT_COMPACT);
	assert_int_equal(cfg.nscenarios, 1);
	assert_string_equal(cfg.scenarios[0]->name, "signal");
	/* Halted targets get time to block in hlt between kicks. */
	assert_int_equal(cfg.gap_ns, KS_DEFAULT_HALTED_GAP_NS);
}

static void gap_defaults_follow_the_target(void **state)
{
	(void)state;
	assert_int_equal(parse("--target-state", "running", NULL), 0);
	assert_int_equal(cfg.gap_ns, 0);
	assert_int_equal(parse("--target-state", "mixed", NULL), 0);
	assert_int_equal(cfg.gap_ns, KS_DEFAULT_HALTED_GAP_NS);
	assert_int_equal(parse("--gap", "0", NULL), 0);
	assert_int_equal(cfg.gap_ns, 0);
	assert_int_equal(parse("--rate", "1000", NULL), 0);
	assert_int_equal(cfg.gap_ns, 0);
}

static void good_values_are_stored(void **state)
{
	(void)state;
	assert_int_equal(parse("--vcpus", "8", "--senders", "3", "--count", "5000",
			       "--rate", "100000", "--burst", "16", "--target-state", "mixed",
			       "--pattern", "all-to-all", "--protocol", "sigmask",
			       "--race-window", "20000", "--deadline", "50", "--cpus", "0-1",
			       "--placement", "scatter", "--seed", "42", "--output", "-",
			       "--quiet", "--duration", "2.5", "--repeat", "3", NULL), 0);
	assert_int_equal(cfg.vcpus, 8);
	assert_int_equal(cfg.senders, 3);
	assert_int_equal(cfg.count, 5000);
	assert_int_equal(cfg.rate_hz, 100000);
	assert_int_equal(cfg.burst, 16);
	assert_int_equal(cfg.target, TARGET_MIXED);
	assert_int_equal(cfg.pattern, PATTERN_ALL_TO_ALL);
	assert_int_equal(cfg.protocol, PROTOCOL_SIGMASK);
	assert_int_equal(cfg.race_window_ns, 20000);
	assert_int_equal(cfg.deadline_ms, 50);
	assert_int_equal(cfg.ncpus, 2);
	assert_int_equal(cfg.placement, PLACEMENT_SCATTER);
	assert_int_equal(cfg.seed, 42);
	assert_string_equal(cfg.output, "-");
	assert_true(cfg.quiet);
	assert_true(cfg.duration_s > 2.49 && cfg.duration_s < 2.51);
	assert_int_equal(cfg.repeat, 3);
}

static void duration_alone_leaves_count_unbounded(void **state)
{
	(void)state;
	assert_int_equal(parse("--duration", "3s", NULL), 0);
	assert_int_equal(cfg.count, 0);
}

static void bad_values_exit_2(void **state)
{
	static const char *const bad[][2] = {
		{ "--vcpus", "0" }, { "--vcpus", "4097" }, { "--vcpus", "-1" }, { "--vcpus", "two" },
		{ "--vcpus", "" }, { "--vcpus", " 2" }, { "--senders", "0" }, { "--senders", "65" },
		{ "--count", "0" }, { "--count", "1e3" }, { "--count", "99999999999999999999999" },
		{ "--rate", "-5" }, { "--burst", "0" }, { "--duration", "0" },
		{ "--duration", "-1" }, { "--duration", "nan" }, { "--duration", "1x" },
		{ "--target-state", "sleeping" }, { "--pattern", "one-to-many" },
		{ "--protocol", "immediate" }, { "--placement", "spread" },
		{ "--race-window", "1000000001" }, { "--deadline", "0" }, { "--deadline", "600001" },
		{ "--cpus", "" }, { "--cpus", "1,1" }, { "--cpus", "2-1" }, { "--cpus", "a" },
		{ "--cpus", "0,,1" }, { "--cpus", "0," }, { "--cpus", "1024" },
		{ "--scenario", "nope" }, { "--scenario", "signal,nope" }, { "--scenario", "" },
		{ "--seed", "-1" }, { "--repeat", "0" }, { "--output", "" },
		{ "--sweep-vcpus", "0" }, { "--sweep-vcpus", "1,1" },
		/* Empty list items are mistakes, not skipped. */
		{ "--scenario", "," }, { "--scenario", "signal," }, { "--scenario", ",signal" },
		{ "--scenario", "signal,,msi" }, { "--cpus", "1,,2" }, { "--cpus", ",0" },
		{ "--sweep-vcpus", "1,,2" }, { "--sweep-vcpus", "2," },
		{ "--sweep", "race-window" }, { "--sweep", "nope=1" }, { "--sweep", "=1" },
		{ "--sweep", "race-window=" }, { "--sweep", "race-window=1,1" },
		{ "--sweep", "race-window=1,,2" }, { "--sweep", "vcpus=0" }, { "--sweep", "vcpus=4097" },
		{ "--sweep", "rate=0x10" }, { "--sweep", "halt-poll-ns=4294967296" },
		{ "--halt-poll-ns", "4294967296" }, { "--halt-poll-ns", "-1" }, { "--halt-poll-ns", "" },
		/* Numbers are plain decimals: no hex, octal-looking, exponent or bare point. */
		{ "--duration", "0x10" }, { "--count", "0x10" }, { "--count", "010" },
		{ "--vcpus", "08" }, { "--duration", "1e1" }, { "--duration", "inf" },
		{ "--duration", "00.5" }, { "--duration", ".5" }, { "--duration", "5." },
		{ "--duration", "+5" }, { "--duration", "5ms" }, { "--deadline", "0x0a" },
		{ "--percentiles", "" }, { "--percentiles", "0" }, { "--percentiles", "100.1" },
		{ "--percentiles", ".5" }, { "--percentiles", "50,50" }, { "--percentiles", "50," },
		{ "--percentiles", "1,2,3,4,5,6,7,8,9,10,11,12,13" }, { "--percentiles", "0x32" },
		{ "--percentiles", "050" }, { "--percentiles", "5." },
		{ "--percentiles", "-1" }, { "--format", "html" }, { "--format", "" },
		{ "--lost-after", "0" }, { "--lost-after", "3600001" }, { "--lost-after", "1e3" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = parse(bad[i][0], bad[i][1], NULL);

		if (ret != KS_EXIT_USAGE)
			fail_msg("%s '%s' returned %d, expected %d", bad[i][0], bad[i][1], ret,
				 KS_EXIT_USAGE);
	}
}

static void structural_errors_exit_2(void **state)
{
	(void)state;
	assert_int_equal(parse("--bogus", NULL), KS_EXIT_USAGE);
	assert_int_equal(parse("--count", NULL), KS_EXIT_USAGE);
	assert_int_equal(parse("stray", NULL), KS_EXIT_USAGE);
	assert_int_equal(parse("--burst", "4", NULL), KS_EXIT_USAGE);
	assert_int_equal(parse("--rate", "1000", "--burst", "4", NULL), 0);
	/* JSON or markdown on stdout, and the report there too: one of them. */
	assert_int_equal(parse("--format", "json", "--output", "-", NULL), KS_EXIT_USAGE);
	assert_int_equal(parse("--format", "markdown", "-o", "-", NULL), KS_EXIT_USAGE);
	assert_int_equal(parse("--format", "text", "--output", "-", NULL), 0);
	/* A request cannot be lost before it is late. */
	assert_int_equal(parse("--lost-after", "5", NULL), KS_EXIT_USAGE);
	assert_int_equal(parse("--lost-after", "50", "--deadline", "51", NULL), KS_EXIT_USAGE);
	assert_int_equal(parse("--lost-after", "50", "--deadline", "50", NULL), 0);
	assert_int_equal(parse("-Z", NULL), KS_EXIT_USAGE);
	assert_int_equal(parse("-c", NULL), KS_EXIT_USAGE);
}

static void short_options_are_the_long_ones(void **state)
{
	(void)state;
	assert_int_equal(parse("-s", "msi,irqfd", "-n", "4", "-c", "10", "-D", "2", "-o", "x.json",
			       "-q", NULL), 0);
	assert_int_equal(cfg.nscenarios, 2);
	assert_string_equal(cfg.scenarios[0]->name, "msi");
	assert_string_equal(cfg.scenarios[1]->name, "irqfd");
	assert_int_equal(cfg.vcpus, 4);
	assert_int_equal(cfg.count, 10);
	assert_true(cfg.duration_s > 1.99 && cfg.duration_s < 2.01);
	assert_string_equal(cfg.output, "x.json");
	assert_true(cfg.quiet);
	/* Clustered and attached forms, as getopt allows. */
	assert_int_equal(parse("-qc5", "-n2", NULL), 0);
	assert_true(cfg.quiet);
	assert_int_equal(cfg.count, 5);
	assert_int_equal(cfg.vcpus, 2);
	assert_int_equal(parse("-h", NULL), -1);
	assert_int_equal(parse("--help", NULL), -1);
}

static void output_options_are_stored(void **state)
{
	(void)state;
	assert_int_equal(parse(NULL), 0);
	assert_int_equal(cfg.format, RUN_FORMAT_TEXT);
	assert_false(cfg.hist);
	assert_int_equal(cfg.npercentiles, 0);
	assert_int_equal(parse("--hist", "--format", "markdown", "--percentiles", "50,90,99,99.9",
			       NULL), 0);
	assert_true(cfg.hist);
	assert_int_equal(cfg.format, RUN_FORMAT_MARKDOWN);
	assert_int_equal(cfg.npercentiles, 4);
	assert_true(cfg.percentiles[0] == 50 && cfg.percentiles[2] == 99);
	assert_true(cfg.percentiles[3] > 99.89 && cfg.percentiles[3] < 99.91);
	assert_int_equal(parse("--format", "json", NULL), 0);
	assert_int_equal(cfg.format, RUN_FORMAT_JSON);
	assert_string_equal(run_format__name(cfg.format), "json");
	assert_int_equal(parse("--percentiles", "0.1,1,10,25,50,75,90,99.99", NULL), 0);
	assert_int_equal(cfg.npercentiles, 8);
}

static void lost_after_defaults_and_reaches_the_report(void **state)
{
	json_t *j;

	(void)state;
	assert_int_equal(parse(NULL), 0);
	assert_int_equal(cfg.lost_after_ms, KS_DEFAULT_LOST_AFTER_MS);
	assert_int_equal(parse("--lost-after", "2500", NULL), 0);
	assert_int_equal(cfg.lost_after_ms, 2500);
	/* A deadline past the default window moves the window with it. */
	assert_int_equal(parse("--deadline", "5000", NULL), 0);
	assert_int_equal(cfg.lost_after_ms, 5000);
	assert_int_equal(parse("--lost-after", "3600000", NULL), 0);
	j = config__to_json(&cfg);
	assert_int_equal(json_integer_value(json_object_get(j, "lost_after_ms")), 3600000);
	json_decref(j);
}

/* --ipi-via and --delivery: stored, refused in one line otherwise, and in the report's config. */
static void kick_source_options(void **state)
{
	static const char *const bad[][2] = {
		{ "--ipi-via", "X2APIC" }, { "--ipi-via", "" }, { "--ipi-via", "msr" },
		{ "--delivery", "lowest" }, { "--delivery", "" }, { "--delivery", "NMI" },
	};
	json_t *j;

	(void)state;
	assert_int_equal(parse(NULL), 0);
	assert_int_equal(cfg.ipi_via, VIA_X2APIC);
	assert_int_equal(cfg.delivery, KICK_DELIVERY_FIXED);
	assert_int_equal(parse("--ipi-via", "xapic", "--delivery", "nmi", NULL), 0);
	assert_int_equal(cfg.ipi_via, VIA_XAPIC);
	assert_int_equal(cfg.delivery, KICK_DELIVERY_NMI);
	assert_true(cfg.given & KS_OPT_IPI_VIA);
	assert_true(cfg.given & KS_OPT_DELIVERY);
	j = config__to_json(&cfg);
	assert_string_equal(json_string_value(json_object_get(j, "ipi_via")), "xapic");
	assert_string_equal(json_string_value(json_object_get(j, "delivery")), "nmi");
	json_decref(j);
	assert_int_equal(parse("--ipi-via", "pv", NULL), 0);
	assert_int_equal(cfg.ipi_via, VIA_PV);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i][0], bad[i][1], NULL) != KS_EXIT_USAGE)
			fail_msg("%s '%s' was not refused with exit 2", bad[i][0], bad[i][1]);
}

static void plain_decimals_only(void **state)
{
	double v = -1;
	uint64_t u = 7;

	(void)state;
	assert_int_equal(parse__decimal("2.5", 0, 10, &v), 0);
	assert_true(v == 2.5);
	assert_int_equal(parse__decimal("0.001", 0, 10, &v), 0);
	assert_int_equal(parse__decimal("0", 0, 10, &v), 0);
	assert_true(v == 0);
	assert_int_equal(parse__decimal("0x1", 0, 10, &v), -1);
	assert_int_equal(parse__decimal("1e0", 0, 10, &v), -1);
	assert_int_equal(parse__decimal("nan", 0, 10, &v), -1);
	assert_int_equal(parse__decimal("11", 0, 10, &v), -1);
	assert_int_equal(parse__seconds("3s", 0, 10, &v), 0);
	assert_true(v == 3);
	assert_int_equal(parse__seconds("3ss", 0, 10, &v), -1);
	assert_int_equal(parse__seconds("s", 0, 10, &v), -1);
	assert_int_equal(parse__u64("0", 0, 10, &u), 0);
	assert_int_equal(u, 0);
	assert_int_equal(parse__u64("00", 0, 10, &u), -1);
	assert_int_equal(parse__u64("07", 0, 10, &u), -1);
}

static void cpu_lists_parse_ranges(void **state)
{
	int cpus[16];
	unsigned n = 0;

	(void)state;
	assert_int_equal(parse__cpu_list("0-3,8,10-11", cpus, 16, &n, 64), 0);
	assert_int_equal(n, 7);
	assert_int_equal(cpus[0], 0);
	assert_int_equal(cpus[3], 3);
	assert_int_equal(cpus[4], 8);
	assert_int_equal(cpus[6], 11);
	assert_int_equal(parse__cpu_list("0-20", cpus, 16, &n, 64), -1);
	assert_int_equal(parse__cpu_list("64", cpus, 16, &n, 64), -1);
	assert_int_equal(parse__cpu_list("-1", cpus, 16, &n, 64), -1);
}

static void scenario_all_expands_the_registry(void **state)
{
	size_t registered = 0;

	(void)state;
	while (scenario_registry[registered])
		registered++;
	assert_int_equal(parse("--scenario", "all", NULL), 0);
	assert_int_equal(cfg.nscenarios, registered);
	for (size_t i = 0; i < registered; i++)
		assert_ptr_equal(cfg.scenarios[i], scenario_registry[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_are_documented_values),
		cmocka_unit_test(good_values_are_stored),
		cmocka_unit_test(gap_defaults_follow_the_target),
		cmocka_unit_test(duration_alone_leaves_count_unbounded),
		cmocka_unit_test(bad_values_exit_2),
		cmocka_unit_test(structural_errors_exit_2),
		cmocka_unit_test(cpu_lists_parse_ranges),
		cmocka_unit_test(scenario_all_expands_the_registry),
		cmocka_unit_test(short_options_are_the_long_ones),
		cmocka_unit_test(output_options_are_stored),
		cmocka_unit_test(lost_after_defaults_and_reaches_the_report),
		cmocka_unit_test(plain_decimals_only),
		cmocka_unit_test(kick_source_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
