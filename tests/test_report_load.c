// SPDX-License-Identifier: MIT
/*
 * Unit tests for report_load.c: the shape and types compare requires of a
 * report (v1 and v2), each refusal naming the field, the value and what is
 * allowed; files that are missing, directories, empty or broken; a FIFO
 * with no writer (a bounded wait, then a one-line reason) and one with a
 * writer; and running out of memory, named as such.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compare.h"
#include "compare_fixtures.h"

#define V1_ENTRY "{\"name\": \"s\", \"params\": {}, \"counts\": {\"sent\": 1, \"delivered\": 1, " \
	"\"coalesced\": 0, \"lost\": 0}%s}"

static void expect_rejected(const char *text, const char *message)
{
	struct compare_report r;
	char why[256] = "";
	json_t *root = json_loads(text, 0, NULL);

	if (!root)
		fail_msg("test input is not JSON: %s", text);
	assert_int_equal(compare__from_json(&r, root, "x.json", NULL, why, sizeof(why)), -1);
	if (!strstr(why, message))
		fail_msg("'%s': expected '%s' in '%s'", text, message, why);
	assert_null(r.root);
}

/* One scenario entry with extra fields spliced in, in a v1 report. */
static void expect_entry_rejected(const char *extra, const char *message)
{
	char text[1024], e[768];

	snprintf(e, sizeof(e), V1_ENTRY, extra);
	snprintf(text, sizeof(text), "{\"schema_version\": 1, \"scenarios\": [%s]}", e);
	expect_rejected(text, message);
}

static void test_malformed_reports(void **state)
{
	(void)state;
	expect_rejected("[1, 2]", "top level is not a JSON object");
	expect_rejected("{\"scenarios\": []}", "no \"schema_version\"");
	expect_rejected("{\"schema_version\": 3, \"scenarios\": []}",
			"schema_version 3 is not supported (allowed: 1, 2)");
	expect_rejected("{\"schema_version\": 0, \"scenarios\": []}", "schema_version 0 is not supported");
	expect_rejected("{\"schema_version\": \"1\", \"scenarios\": []}", "schema_version \"1\" is not supported");
	expect_rejected("{\"schema_version\": 1}", "scenarios is missing (allowed: an array)");
	expect_rejected("{\"schema_version\": 1, \"scenarios\": {}}", "scenarios is an object (allowed: an array)");
	expect_rejected("{\"schema_version\": 1, \"scenarios\": [3]}", "scenarios[0] is not an object");
	expect_rejected("{\"schema_version\": 1, \"scenarios\": [{\"params\": {}}]}",
			"scenarios[0].name is missing (allowed: a string)");
	expect_rejected("{\"schema_version\": 1, \"scenarios\": [{\"name\": \"signal\"}]}",
			"scenarios[0].params is missing (allowed: an object)");
	expect_rejected("{\"schema_version\": 1, \"scenarios\": [{\"name\": \"s\", \"params\": {}}]}",
			"scenarios[0].counts is missing (allowed: an object)");
	expect_rejected("{\"schema_version\": 1, \"scenarios\": [{\"name\": \"s\", \"params\": {}, "
			"\"counts\": {\"sent\": 1, \"delivered\": 1, \"coalesced\": 0}}]}",
			"scenarios[0].counts.lost is missing (allowed: an integer >= 0)");
}

/* Issue 15 item 12: fields compare reads are checked against the schema's types. */
static void test_field_types(void **state)
{
	(void)state;
	expect_rejected("{\"schema_version\": 1, \"interrupted\": \"yes\", \"scenarios\": []}",
			"interrupted is \"yes\" (allowed: true or false)");
	expect_rejected("{\"schema_version\": 1, \"tool\": {\"version\": 7}, \"scenarios\": []}",
			"tool.version is 7 (allowed: a string)");
	expect_rejected("{\"schema_version\": 1, \"host\": {\"cpu\": {\"model\": null}}, \"scenarios\": []}",
			"host.cpu.model is null (allowed: a string)");
	expect_rejected("{\"schema_version\": 1, \"scenarios\": [{\"name\": \"s\", \"params\": {}, "
			"\"counts\": {\"sent\": -5, \"delivered\": 1, \"coalesced\": 0, \"lost\": 0}}]}",
			"scenarios[0].counts.sent is -5 (allowed: an integer >= 0)");
	expect_rejected("{\"schema_version\": 1, \"scenarios\": [{\"name\": \"s\", \"params\": {}, "
			"\"counts\": {\"sent\": 1, \"delivered\": 1.5, \"coalesced\": 0, \"lost\": 0}}]}",
			"scenarios[0].counts.delivered is 1.5 (allowed: an integer >= 0)");
	expect_entry_rejected(", \"interrupted\": \"yes\"", "scenarios[0].interrupted is \"yes\" (allowed: true or false)");
	expect_entry_rejected(", \"completed\": 1", "scenarios[0].completed is 1 (allowed: true or false)");
	expect_entry_rejected(", \"error\": 5", "scenarios[0].error is 5 (allowed: a string or null)");
	expect_entry_rejected(", \"elapsed_s\": -1", "scenarios[0].elapsed_s is -1 (allowed: a number >= 0)");
	expect_entry_rejected(", \"kicks\": [1]", "scenarios[0].kicks is an array (allowed: an object or null)");
	expect_entry_rejected(", \"kicks\": {\"lost\": \"x\"}",
			      "scenarios[0].kicks.lost is \"x\" (allowed: an integer >= 0 or null)");
	expect_entry_rejected(", \"kicks\": {\"rekicks\": null}",
			      "scenarios[0].kicks.rekicks is null (allowed: an integer >= 0)");
	expect_entry_rejected(", \"latency_ns\": 5", "scenarios[0].latency_ns is 5 (allowed: an object or null)");
	expect_entry_rejected(", \"latency_ns\": {\"count\": 5, \"p50\": 1, \"p90\": 1, \"p99\": \"fast\", "
			      "\"p999\": 1, \"max\": 1, \"mean\": 1}",
			      "scenarios[0].latency_ns.p99 is \"fast\" (allowed: a number >= 0)");
	expect_entry_rejected(", \"latency_ns\": {\"count\": -2, \"p50\": 1, \"p90\": 1, \"p99\": 1, "
			      "\"p999\": 1, \"max\": 1, \"mean\": 1}",
			      "scenarios[0].latency_ns.count is -2 (allowed: an integer >= 0)");
	/* A long value is cut, not copied whole into the message. */
	expect_entry_rejected(", \"completed\": \"a string far longer than forty characters, cut short\"",
			      "scenarios[0].completed is \"a string far longer than forty characte... (allowed: "
			      "true or false)");
}

static void test_v1_and_v2_accepted(void **state)
{
	const char *v2 = "{\"schema_version\": 2, \"interrupted\": false, \"scenarios\": [{\"name\": \"signal\", "
		"\"params\": {\"lost_after_ms\": 1000}, \"counts\": {\"sent\": 10, \"delivered\": 5, \"late\": 2, "
		"\"coalesced\": 1, \"lost\": 1, \"unresolved\": 1}, \"kicks\": {\"sent\": 10, \"rekicks\": 1, "
		"\"failed\": 0, \"in_window\": 3, \"honoured\": 2, \"lost\": 1}, \"latency_ns\": null, "
		"\"error\": null}, {\"name\": \"msi\", \"params\": {}, \"counts\": {\"sent\": 1, \"delivered\": 1, "
		"\"late\": 0, \"coalesced\": 0, \"lost\": 0, \"unresolved\": 0}, \"kicks\": {\"sent\": 1, "
		"\"rekicks\": 0, \"failed\": 0, \"in_window\": null, \"honoured\": null, \"lost\": null}}]}";
	struct compare_report r;
	char why[256] = "";

	(void)state;
	assert_int_equal(compare__load_buffer(&r, v2, strlen(v2), "v2.json", NULL, why, sizeof(why)), 0);
	assert_int_equal(r.schema_version, 2);
	assert_int_equal(r.ngroups, 2);
	assert_int_equal(r.groups[0].n[COMPARE_LATE], 1);
	assert_true(r.groups[0].values[COMPARE_LATE][0] == 2);
	assert_true(r.groups[0].values[COMPARE_UNRESOLVED][0] == 1);
	assert_true(r.groups[0].values[COMPARE_KICKS_LOST][0] == 1);
	/* No latency: nothing to compare there, and no made-up zero either. */
	assert_int_equal(r.groups[0].n[COMPARE_P50], 0);
	/* kicks.lost null: unknown, not 0. */
	assert_int_equal(r.groups[1].n[COMPARE_KICKS_LOST], 0);
	compare__release_report(&r);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void test_load_files(void **state)
{
	char dir[] = "/tmp/ks-test-load-XXXXXX", path[128], why[256];
	struct compare_report r;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/missing.json", dir);
	assert_int_equal(compare__load(&r, path, NULL, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "cannot open: No such file"));

	assert_int_equal(compare__load(&r, dir, NULL, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "is a directory"));

	snprintf(path, sizeof(path), "%s/broken.json", dir);
	write_file(path, "{\"schema_version\": 1,\n \"scenarios\": [}\n");
	assert_int_equal(compare__load(&r, path, NULL, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "not valid JSON (line 2"));

	write_file(path, "");
	assert_int_equal(compare__load(&r, path, NULL, why, sizeof(why)), -1);
	assert_string_equal(why, "is empty: no JSON in it");
	unlink(path);

	snprintf(path, sizeof(path), "%s/ok.json", dir);
	write_file(path, "{\"schema_version\": 1, \"interrupted\": true, \"scenarios\": []}\n");
	assert_int_equal(compare__load(&r, path, NULL, why, sizeof(why)), 0);
	assert_true(r.interrupted);
	assert_int_equal(r.ngroups, 0);
	assert_int_equal(r.nentries, 0);
	compare__release_report(&r);
	unlink(path);
	rmdir(dir);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A FIFO nobody opens for writing: compare used to wait in open() for ever. */
static void test_fifo_without_writer(void **state)
{
	char dir[] = "/tmp/ks-test-fifo-XXXXXX", path[128], why[256];
	struct compare_options o;
	struct compare_report r;
	double t0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/report.fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	compare__default_options(&o);
	o.wait_s = 1;
	t0 = now_s();
	assert_int_equal(compare__load(&r, path, &o, why, sizeof(why)), -1);
	assert_string_equal(why, "is a FIFO that no writer opened within 1 s (allowed: --wait SECONDS, "
			    "up to 86400, waits longer)");
	/* It gave up after its wait, not at once: a writer had a second to come. */
	assert_true(now_s() - t0 >= 0.9);
	unlink(path);
	rmdir(dir);
}

/* A FIFO whose writer comes late, writes a report in pieces and closes. */
static void test_fifo_with_writer(void **state)
{
	char dir[] = "/tmp/ks-test-fifo-XXXXXX", path[128], why[256] = "";
	const char *report = "{\"schema_version\": 1, \"scenarios\": [" "{\"name\": \"s\", \"params\": {}, "
		"\"counts\": {\"sent\": 1, \"delivered\": 1, \"coalesced\": 0, \"lost\": 0}}]}";
	struct compare_options o;
	struct compare_report r;
	int status;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/report.fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd;
		size_t half = strlen(report) / 2;

		usleep(200 * 1000);
		fd = open(path, O_WRONLY);
		if (fd < 0 || write(fd, report, half) != (ssize_t)half)
			_exit(1);
		usleep(200 * 1000);
		if (write(fd, report + half, strlen(report) - half) != (ssize_t)(strlen(report) - half))
			_exit(1);
		_exit(close(fd) ? 1 : 0);
	}
	compare__default_options(&o);
	o.wait_s = 60;
	if (compare__load(&r, path, &o, why, sizeof(why)) < 0)
		fail_msg("the FIFO's report did not load: %s", why);
	assert_int_equal(r.ngroups, 1);
	compare__release_report(&r);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	unlink(path);
	rmdir(dir);
}

/* jansson's allocations fail after a budget: what running out of memory looks like. */
static long alloc_budget;

static void *failing_malloc(size_t n)
{
	return alloc_budget-- > 0 ? malloc(n) : NULL;
}

static void test_out_of_memory(void **state)
{
	const char *text = "{\"schema_version\": 1, \"scenarios\": [{\"name\": \"s\", \"params\": {\"a\": [1, 2, 3]}, "
		"\"counts\": {\"sent\": 1, \"delivered\": 1, \"coalesced\": 0, \"lost\": 0}}]}";
	struct compare_report r;
	char why[256] = "";
	int ret;

	(void)state;
	json_set_alloc_funcs(failing_malloc, free);
	alloc_budget = 5;
	ret = compare__load_buffer(&r, text, strlen(text), "big.json", NULL, why, sizeof(why));
	json_set_alloc_funcs(malloc, free);
	if (ret == 0)
		compare__release_report(&r);
	assert_int_equal(ret, -1);
	/* Not "not valid JSON (line -1, column -1: )". */
	assert_string_equal(why, "out of memory while parsing it (145 bytes of JSON)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed_reports),
		cmocka_unit_test(test_field_types),
		cmocka_unit_test(test_v1_and_v2_accepted),
		cmocka_unit_test(test_load_files),
		cmocka_unit_test(test_fifo_without_writer),
		cmocka_unit_test(test_fifo_with_writer),
		cmocka_unit_test(test_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
