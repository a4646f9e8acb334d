// SPDX-License-Identifier: MIT
/*
 * --sweep PARAM=LIST: parsing, the checks against the rest of the options,
 * the configuration of each point, and the report's sweep section built
 * from entries made in memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <string.h>

#include "config.h"
#include "report_sweep.h"
#include "scenario.h"
#include "sweep_spec.h"

static struct ks_config cfg;

/* Parses a NULL-terminated list of arguments after "run", stderr discarded. */
static int parse(const char *first, ...)
{
	char *argv[64] = { "run" };
	int argc = 1, ret;
	FILE *saved = stderr;
	va_list ap;

	va_start(ap, first);
	for (const char *a = first; a && argc < 63; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	config__defaults(&cfg);
	stderr = fopen("/dev/null", "w");
	ret = config__parse_run(&cfg, argc, argv);
	fclose(stderr);
	stderr = saved;
	return ret;
}

static void every_param_parses(void **state)
{
	static const struct {
		const char *arg;
		enum sweep_param p;
		unsigned option;
	} good[] = {
		{ "vcpus=1,2,1024", SWEEP_VCPUS, KS_OPT_VCPUS },
		{ "senders=1,64", SWEEP_SENDERS, KS_OPT_SENDERS },
		{ "rate=1000,0", SWEEP_RATE, KS_OPT_RATE },
		{ "burst=1", SWEEP_BURST, KS_OPT_BURST },
		{ "gap=0,1000000000", SWEEP_GAP, KS_OPT_GAP },
		{ "race-window=0,5000,20000", SWEEP_RACE_WINDOW, KS_OPT_RACE_WINDOW },
		{ "deadline=1,10", SWEEP_DEADLINE, KS_OPT_DEADLINE },
		{ "lost-after=10,1000", SWEEP_LOST_AFTER, KS_OPT_LOST_AFTER },
		{ "halt-poll-ns=0,4294967295", SWEEP_HALT_POLL, KS_OPT_HALT_POLL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (parse("--sweep", good[i].arg, NULL))
			fail_msg("--sweep %s refused", good[i].arg);
		assert_int_equal(cfg.sweep.param, good[i].p);
		assert_int_equal(sweep_spec__info(cfg.sweep.param)->option, good[i].option);
		assert_true(sweep_spec__shapes(&cfg.sweep, good[i].option));
		assert_false(sweep_spec__shapes(&cfg.sweep, ~good[i].option));
	}
	/* The points, in the order given. */
	assert_int_equal(parse("--sweep", "race-window=20000,0,5000", NULL), 0);
	assert_int_equal(cfg.sweep.n, 3);
	assert_int_equal(cfg.sweep.points[0], 20000);
	assert_int_equal(cfg.sweep.points[2], 5000);
	/* The alias is the same sweep. */
	assert_int_equal(parse("--sweep-vcpus", "1,4", "--scenario", "broadcast", NULL), 0);
	assert_int_equal(cfg.sweep.param, SWEEP_VCPUS);
	assert_int_equal(cfg.sweep.points[1], 4);
	assert_null(sweep_spec__info(SWEEP_NONE));
	assert_non_null(strstr(sweep_spec__names(), "race-window"));
}

static void bad_sweeps_exit_2(void **state)
{
	static const char *const bad[][4] = {
		{ "--sweep", "race-window", NULL },             /* no LIST */
		{ "--sweep", "window=1,2", NULL },              /* no such PARAM */
		{ "--sweep", "race-window=1,1", NULL },         /* a repeated point */
		{ "--sweep", "race-window=,1", NULL },
		{ "--sweep", "race-window=1,", NULL },
		{ "--sweep", "vcpus=0", NULL },
		{ "--sweep", "senders=65", NULL },
		{ "--sweep", "halt-poll-ns=4294967296", NULL },
		{ "--sweep", "rate=1e3", NULL },
		{ "--sweep", "gap=010", NULL },
		{ "--sweep", "race-window=1,2", "--scenario", "msi" },  /* shapes none of them */
		{ "--sweep", "burst=1,4", NULL },               /* a burst in a closed loop */
		{ "--sweep", "rate=0,10", "--burst", "4" },     /* a closed loop with --burst */
		{ "--sweep", "lost-after=5,50", "--deadline", "10" },
		{ "--sweep", "gap=1,2", "--sweep", "gap=3" },   /* one sweep per run */
		{ "--sweep-vcpus", "1,2", "--sweep", "gap=1" },
		{ "--sweep", "rate=0,10", "--rate", "500" },    /* the swept option given too */
		{ "--vcpus", "2", "--sweep-vcpus", "1,2" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i][0], bad[i][1], bad[i][2], bad[i][3], NULL) != KS_EXIT_USAGE)
			fail_msg("%s %s %s %s was accepted", bad[i][0], bad[i][1], bad[i][2] ? bad[i][2] : "",
				 bad[i][3] ? bad[i][3] : "");
	}
	/* KS_MAX_SWEEP (32) points, and not one more. */
	assert_int_equal(parse("--sweep", "gap=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,"
			       "24,25,26,27,28,29,30,31,32", NULL), 0);
	assert_int_equal(parse("--sweep", "gap=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,"
			       "24,25,26,27,28,29,30,31,32,33", NULL), KS_EXIT_USAGE);
}

/* A point changes its option and nothing else. */
static void points_change_one_option(void **state)
{
	struct ks_config point;

	(void)state;
	assert_int_equal(parse("--sweep", "halt-poll-ns=0,50000", "--gap", "20000", NULL), 0);
	assert_false(cfg.halt_poll_given);
	sweep_spec__apply(&cfg, 1, &point);
	assert_int_equal(point.halt_poll_ns, 50000);
	assert_true(point.halt_poll_given && point.halt_poll_known);
	assert_int_equal(point.gap_ns, 20000);
	assert_int_equal(point.vcpus, cfg.vcpus);

	assert_int_equal(parse("--sweep", "lost-after=20,40", NULL), 0);
	sweep_spec__apply(&cfg, 0, &point);
	assert_int_equal(point.lost_after_ms, 20);
	assert_true(point.lost_after_given);

	assert_int_equal(parse("--sweep", "gap=0,7", NULL), 0);
	sweep_spec__apply(&cfg, 1, &point);
	assert_int_equal(point.gap_ns, 7);

	/* A deadline sweep widens the loss window to its largest point, so only the deadline varies. */
	assert_int_equal(parse("--sweep", "deadline=10,5000", NULL), 0);
	assert_int_equal(cfg.lost_after_ms, 5000);
	sweep_spec__apply(&cfg, 0, &point);
	assert_int_equal(point.deadline_ms, 10);
	assert_int_equal(point.lost_after_ms, 5000);

	/* A rate sweep through a closed loop keeps the halted targets' gap; one without, none. */
	assert_int_equal(parse("--sweep", "rate=0,1000", NULL), 0);
	assert_int_equal(cfg.gap_ns, KS_DEFAULT_HALTED_GAP_NS);
	sweep_spec__apply(&cfg, 1, &point);
	assert_int_equal(point.rate_hz, 1000);
	assert_int_equal(parse("--sweep", "rate=100,1000", NULL), 0);
	assert_int_equal(cfg.gap_ns, 0);

	assert_int_equal(parse("--sweep", "vcpus=1,8", "--scenario", "signal,floor", NULL), 0);
	sweep_spec__apply(&cfg, 1, &point);
	assert_int_equal(point.vcpus, 8);
	/* It shapes signal; floor runs no VM and takes no --vcpus. */
	assert_true(sweep_spec__shapes(&cfg.sweep, scenario__options(cfg.scenarios[0])));
	assert_false(sweep_spec__shapes(&cfg.sweep, scenario__options(cfg.scenarios[1])));
}

static void config_records_the_sweep(void **state)
{
	json_t *j;

	(void)state;
	assert_int_equal(parse("--sweep-vcpus", "2,4", NULL), 0);
	j = config__to_json(&cfg);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "sweep"), "parameter")), "vcpus");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "sweep"), "key")), "vcpus");
	assert_int_equal(json_array_size(json_object_get(j, "sweep_vcpus")), 2);
	json_decref(j);
	assert_int_equal(parse("--halt-poll-ns", "0", NULL), 0);
	j = config__to_json(&cfg);
	assert_true(json_is_null(json_object_get(j, "sweep")));
	assert_int_equal(json_integer_value(json_object_get(j, "halt_poll_ns")), 0);
	assert_string_equal(json_string_value(json_object_get(j, "halt_poll_source")), "option");
	assert_int_equal(json_array_size(json_object_get(j, "sweep_vcpus")), 0);
	json_decref(j);
}

/* An entry as report.c writes one, with what the sweep section reads. */
static json_t *entry(const char *name, int window, int sent, int lost, int kicks_lost, int lat_us)
{
	json_t *lat = json_pack("{s:i, s:i, s:i, s:[[i, i, i]]}", "count", sent - lost, "min", lat_us * 1000,
				"max", lat_us * 1000, "bins", lat_us * 1000, lat_us * 1000, sent - lost);

	return json_pack("{s:s, s:{s:i}, s:{s:i, s:i, s:i, s:i, s:i, s:i}, s:{s:i}, s:o, s:n,"
			 " s:{s:{s:i, s:i}}}", "name", name, "params", "race_window_ns", window,
			 "counts", "sent", sent, "delivered", sent - lost, "late", 0, "coalesced", 0,
			 "lost", lost, "unresolved", 0, "kicks", "lost", kicks_lost, "latency_ns", lat,
			 "error", "kvm_stats", "halt_poll", "vcpu_cpu_ns", sent * 2000, "requests", sent);
}

static void sweep_section_pools_the_points(void **state)
{
	json_t *root, *points, *p;

	(void)state;
	root = json_pack("{s:{s:[s, s], s:{s:s, s:s, s:[i, i]}}, s:[o, o, o, o, o]}",
			 "config", "scenarios", "signal", "floor", "sweep", "parameter", "race-window",
			 "key", "race_window_ns", "points", 0, 20000,
			 "scenarios", entry("signal", 0, 100, 0, 0, 50), entry("signal", 20000, 100, 3, 3, 60),
			 json_pack("{s:s, s:{}}", "name", "floor", "params"),
			 entry("signal", 0, 100, 1, 1, 70), entry("signal", 20000, 100, 5, 5, 80));
	report_sweep__annotate(root);
	assert_string_equal(json_string_value(json_object_get(json_object_get(root, "sweep"), "parameter")),
			    "race-window");
	/* floor records no race_window_ns: no points of its own. */
	assert_int_equal(json_array_size(json_object_get(json_object_get(root, "sweep"), "scenarios")), 1);
	points = json_object_get(json_array_get(json_object_get(json_object_get(root, "sweep"), "scenarios"), 0),
				 "points");
	assert_int_equal(json_array_size(points), 2);
	p = json_array_get(points, 1);
	assert_int_equal(json_integer_value(json_object_get(p, "value")), 20000);
	assert_int_equal(json_array_size(json_object_get(p, "entries")), 2);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(p, "entries"), 1)), 4);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(p, "counts"), "sent")), 200);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(p, "counts"), "lost")), 8);
	assert_float_equal(json_real_value(json_object_get(p, "lost_fraction")), 0.04, 1e-12);
	assert_int_equal(json_integer_value(json_object_get(p, "kicks_lost")), 8);
	assert_float_equal(json_real_value(json_object_get(p, "cpu_ns_per_request")), 2000, 1e-9);
	/* Latency from the two repetitions' bins merged: 95 samples at 60 us, 97 at 80 us. */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(p, "latency_ns"), "count")), 192);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(p, "latency_ns"), "min")), 60000);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(p, "latency_ns"), "max")), 80000);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(p, "latency_ns"), "p99")), 80000);
	json_decref(root);

	/* No sweep, no section. */
	root = json_pack("{s:{s:n}, s:[]}", "config", "sweep", "scenarios");
	report_sweep__annotate(root);
	assert_null(json_object_get(root, "sweep"));
	json_decref(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_param_parses),
		cmocka_unit_test(bad_sweeps_exit_2),
		cmocka_unit_test(points_change_one_option),
		cmocka_unit_test(config_records_the_sweep),
		cmocka_unit_test(sweep_section_pools_the_points),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
