// SPDX-License-Identifier: MIT
/* The kvm module parameters that shape kicks, read from a recorded sysfs tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modparams.h"

static char root[64];

static void put(const char *module, const char *param, const char *value)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/module", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/module/%s", root, module);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/module/%s/parameters", root, module);
	mkdir(path, 0755);
	if (!param)
		return;
	snprintf(path, sizeof(path), "%s/module/%s/parameters/%s", root, module, param);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(value, f);
	fclose(f);
}

static int make_root(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/kickstorm-sysfs.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	setenv("KICKSTORM_SYSFS_ROOT", root, 1);
	return 0;
}

static int remove_root(void **state)
{
	char cmd[128];

	(void)state;
	unsetenv("KICKSTORM_SYSFS_ROOT");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

/* An AMD host of an older kernel: lapic_timer_advance_ns, no lapic_timer_advance. */
static void amd_host_values_are_typed(void **state)
{
	struct modparams mp;
	json_t *j, *kvm, *amd;

	(void)state;
	put("kvm", "halt_poll_ns", "200000\n");
	put("kvm", "halt_poll_ns_grow", "2\n");
	put("kvm", "halt_poll_ns_grow_start", "10000\n");
	put("kvm", "lapic_timer_advance_ns", "-1\n");
	put("kvm_amd", "avic", "1\n");
	put("kvm_amd", "enable_ipiv", "Y\n");
	modparams__collect(&mp);
	j = modparams__to_json(&mp);
	kvm = json_object_get(j, "kvm");
	amd = json_object_get(j, "kvm_amd");
	assert_int_equal(json_integer_value(json_object_get(kvm, "halt_poll_ns")), 200000);
	assert_int_equal(json_integer_value(json_object_get(kvm, "lapic_timer_advance_ns")), -1);
	/* A parameter this kernel does not have is there, as null. */
	assert_true(json_is_null(json_object_get(kvm, "halt_poll_ns_shrink")));
	assert_true(json_is_null(json_object_get(kvm, "lapic_timer_advance")));
	assert_int_equal(json_integer_value(json_object_get(amd, "avic")), 1);
	assert_true(json_is_true(json_object_get(amd, "enable_ipiv")));
	assert_true(json_is_null(json_object_get(amd, "x2avic")));
	/* The other vendor's module is not loaded: its switches are not listed. */
	assert_null(json_object_get(j, "kvm_intel"));
	json_decref(j);
}

static void text_says_absent(void **state)
{
	struct modparams mp;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	(void)state;
	put("kvm", "halt_poll_ns", "0\n");
	put("kvm", "lapic_timer_advance", "N\n");
	put("kvm_intel", "enable_apicv", "Y\n");
	modparams__collect(&mp);
	modparams__print(&mp, out);
	fclose(out);
	assert_non_null(strstr(buf, "kvm.halt_poll_ns "));
	assert_non_null(strstr(buf, " 0\n"));
	assert_non_null(strstr(buf, "kvm.halt_poll_ns_shrink       absent\n"));
	assert_non_null(strstr(buf, "kvm.lapic_timer_advance       N\n"));
	assert_non_null(strstr(buf, "kvm_intel.enable_apicv        Y\n"));
	assert_non_null(strstr(buf, "kvm_intel.enable_ipiv         absent\n"));
	assert_null(strstr(buf, "kvm_amd"));
	free(buf);
}

static void no_kvm_module_lists_every_kvm_parameter_as_absent(void **state)
{
	struct modparams mp;
	json_t *j;

	(void)state;
	modparams__collect(&mp);
	assert_int_equal(mp.n, 6);
	for (unsigned i = 0; i < mp.n; i++)
		assert_false(mp.p[i].present);
	j = modparams__to_json(&mp);
	assert_int_equal(json_object_size(json_object_get(j, "kvm")), 6);
	json_decref(j);
}

/* The halt-polling default a run records when --halt-poll-ns is not given. */
static void unsigned_values_read_back(void **state)
{
	struct modparams mp;
	uint64_t v = 7;

	(void)state;
	put("kvm", "halt_poll_ns", "200000\n");
	put("kvm", "halt_poll_ns_grow", "-1\n");
	put("kvm", "halt_poll_ns_shrink", "lots\n");
	modparams__collect(&mp);
	assert_true(modparams__u64(&mp, "kvm", "halt_poll_ns", &v));
	assert_int_equal(v, 200000);
	/* Negative, not a number, absent, or another module's: false, and v untouched. */
	assert_false(modparams__u64(&mp, "kvm", "halt_poll_ns_grow", &v));
	assert_false(modparams__u64(&mp, "kvm", "halt_poll_ns_shrink", &v));
	assert_false(modparams__u64(&mp, "kvm", "halt_poll_ns_grow_start", &v));
	assert_false(modparams__u64(&mp, "kvm_amd", "halt_poll_ns", &v));
	assert_int_equal(v, 200000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(amd_host_values_are_typed, make_root, remove_root),
		cmocka_unit_test_setup_teardown(text_says_absent, make_root, remove_root),
		cmocka_unit_test_setup_teardown(unsigned_values_read_back, make_root, remove_root),
		cmocka_unit_test_setup_teardown(no_kvm_module_lists_every_kvm_parameter_as_absent,
						make_root, remove_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
