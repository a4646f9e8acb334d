// SPDX-License-Identifier: MIT
/*
 * KVM binary stats on a real vCPU (skipped when /dev/kvm cannot be used),
 * the delta/per-kick arithmetic on synthetic samples, and host facts read
 * from recorded module-parameter trees through KICKSTORM_SYSFS_ROOT.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostinfo.h"
#include "kvm.h"
#include "kvmstats.h"
#include "util.h"

#define test_ioctl(fd, req, arg) \
	kvm__ioctl_checked((fd), (req), (void *)(arg), #req, "the test VM")

/* The reset vector (CS base 0xffff0000, IP 0xfff0) lands in this slot. */
#define RESET_SLOT_GPA	0xffff0000ull
#define RESET_SLOT_SIZE	0x10000ull
#define OPCODE_HLT	0xf4

struct kvm_fixture {
	int kvm_fd, vm_fd, vcpu_fd;
	void *mem;
	char why[256];
};

static int fixture__setup(void **state)
{
	struct kvm_fixture *fx = ks_zalloc(sizeof(*fx));
	long ret;

	fx->kvm_fd = fx->vm_fd = fx->vcpu_fd = -1;
	*state = fx;
	fx->kvm_fd = kvm__open(fx->why, sizeof(fx->why));
	if (fx->kvm_fd < 0)
		return 0;
	ret = test_ioctl(fx->kvm_fd, KVM_CREATE_VM, 0);
	if (ret < 0) {
		ks_format(fx->why, sizeof(fx->why), "KVM_CREATE_VM failed");
		return 0;
	}
	fx->vm_fd = (int)ret;
	ret = test_ioctl(fx->vm_fd, KVM_CREATE_VCPU, 0);
	if (ret < 0) {
		ks_format(fx->why, sizeof(fx->why), "KVM_CREATE_VCPU failed");
		return 0;
	}
	fx->vcpu_fd = (int)ret;
	return 0;
}

static int fixture__teardown(void **state)
{
	struct kvm_fixture *fx = *state;

	if (fx->vcpu_fd >= 0)
		close(fx->vcpu_fd);
	if (fx->vm_fd >= 0)
		close(fx->vm_fd);
	if (fx->kvm_fd >= 0)
		close(fx->kvm_fd);
	if (fx->mem)
		munmap(fx->mem, RESET_SLOT_SIZE);
	free(fx);
	return 0;
}

static struct kvm_fixture *fixture__require_vcpu(void **state)
{
	struct kvm_fixture *fx = *state;

	if (fx->vcpu_fd < 0) {
		print_message("skipping: %s\n", fx->why);
		skip();
	}
	return fx;
}

/*
 * Runs the vCPU into a HLT at the reset vector. Without an in-kernel irqchip
 * HLT exits to userspace, so one KVM_RUN moves "exits" and "halt_exits".
 * Returns false if this host would not run it (the stats test then only
 * checks that nothing went backwards).
 */
static bool vcpu__run_to_hlt(struct kvm_fixture *fx)
{
	struct kvm_userspace_memory_region slot = {
		.slot = 0,
		.guest_phys_addr = RESET_SLOT_GPA,
		.memory_size = RESET_SLOT_SIZE,
	};

	if (!fx->mem) {
		fx->mem = mmap(NULL, RESET_SLOT_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (fx->mem == MAP_FAILED) {
			fx->mem = NULL;
			return false;
		}
		memset(fx->mem, OPCODE_HLT, RESET_SLOT_SIZE);
		slot.userspace_addr = (uint64_t)(uintptr_t)fx->mem;
		if (test_ioctl(fx->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
			return false;
	}
	return kvm__ioctl_checked(fx->vcpu_fd, KVM_RUN, NULL, "KVM_RUN", "vcpu 0") >= 0;
}

static void stats_open_finds_kick_counters(void **state)
{
	struct kvm_fixture *fx = fixture__require_vcpu(state);
	static const char *const wanted[] = { "exits", "halt_wakeup", "signal_exits" };
	struct kvmstats s;

	assert_int_equal(kvmstats__open(&s, fx->vcpu_fd, "vcpu 0"), 0);
	assert_true(s.fd >= 0);
	assert_true(s.n > 0 && s.n <= KVMSTATS_MAX);
	for (size_t i = 0; i < KS_ARRAY_SIZE(wanted); i++) {
		int idx = kvmstats__find(&s, wanted[i]);

		assert_true(idx >= 0);
		assert_true(kvmstats__is_cumulative(&s, (unsigned)idx));
		assert_true(s.offsets[idx] + sizeof(uint64_t) <= s.data_size);
	}
	assert_int_equal(kvmstats__find(&s, "no_such_stat"), -1);
	/* Histograms are kept whole, inside the block a sample reads (the halt-polling ones on x86). */
	assert_true(s.nhist <= KVMSTATS_MAX_HIST);
	for (unsigned h = 0; h < s.nhist; h++) {
		assert_true(s.hist_size[h] > 0 && s.hist_size[h] <= KVMSTATS_HIST_BUCKETS);
		assert_true(s.hist_offsets[h] + s.hist_size[h] * sizeof(uint64_t) <= s.data_size);
		assert_int_equal(kvmstats__find_hist(&s, s.hist_names[h]), (int)h);
	}
	if (kvmstats__find_hist(&s, "halt_wait_hist") < 0)
		print_message("note: no halt_wait_hist on this kernel\n");
	kvmstats__close(&s);
	assert_int_equal(s.fd, -1);
}

static void stats_read_is_monotone(void **state)
{
	struct kvm_fixture *fx = fixture__require_vcpu(state);
	struct kvmstats_sample before, after;
	struct kvmstats s;
	bool ran;
	int exits;

	assert_int_equal(kvmstats__open(&s, fx->vcpu_fd, "vcpu 0"), 0);
	assert_int_equal(kvmstats__read(&s, &before), 0);
	ran = vcpu__run_to_hlt(fx);
	assert_int_equal(kvmstats__read(&s, &after), 0);

	for (unsigned i = 0; i < s.n; i++)
		if (kvmstats__is_cumulative(&s, i))
			assert_true(after.value[i] >= before.value[i]);

	exits = kvmstats__find(&s, "exits");
	assert_true(exits >= 0);
	if (ran)
		assert_true(after.value[exits] > before.value[exits]);
	else
		print_message("note: KVM_RUN to a HLT did not work here; checked monotone only\n");
	kvmstats__close(&s);
}

/* A hand-built descriptor table: vCPU 1 lists its stats in another order. */
static void synthetic__add(struct kvmstats *s, const char *name, uint32_t type)
{
	ks_format(s->names[s->n], sizeof(s->names[s->n]), "%s", name);
	s->offsets[s->n] = s->n * sizeof(uint64_t);
	s->flags[s->n] = type;
	s->n++;
}

static void synthetic__stats(struct kvmstats stats[2])
{
	memset(stats, 0, 2 * sizeof(*stats));
	stats[0].fd = stats[1].fd = -1;
	synthetic__add(&stats[0], "exits", KVM_STATS_TYPE_CUMULATIVE);
	synthetic__add(&stats[0], "irq_exits", KVM_STATS_TYPE_CUMULATIVE);
	synthetic__add(&stats[0], "halt_wakeup", KVM_STATS_TYPE_CUMULATIVE);
	synthetic__add(&stats[0], "blocking", KVM_STATS_TYPE_INSTANT);
	synthetic__add(&stats[1], "halt_wakeup", KVM_STATS_TYPE_CUMULATIVE);
	synthetic__add(&stats[1], "blocking", KVM_STATS_TYPE_INSTANT);
	synthetic__add(&stats[1], "exits", KVM_STATS_TYPE_CUMULATIVE);
	synthetic__add(&stats[1], "irq_exits", KVM_STATS_TYPE_CUMULATIVE);
}

static json_int_t json__int_at(const json_t *obj, const char *a, const char *b)
{
	return json_integer_value(json_object_get(json_object_get(obj, a), b));
}

static void delta_json_per_kick_math(void **state)
{
	struct kvmstats stats[2];
	/* vCPU 0: exits, irq_exits, halt_wakeup, blocking */
	/* vCPU 1: halt_wakeup, blocking, exits, irq_exits */
	struct kvmstats_sample before[2] = { { { 100, 10, 5, 1 } }, { { 7, 0, 1000, 40 } } };
	struct kvmstats_sample after[2] = { { { 160, 60, 5, 0 } }, { { 57, 1, 1050, 40 } } };
	const json_t *per_kick, *vcpu1;
	json_t *j;

	(void)state;
	synthetic__stats(stats);
	j = kvmstats__delta_json(stats, before, after, 2, 100);
	assert_non_null(j);

	vcpu1 = json_array_get(json_object_get(j, "per_vcpu"), 1);
	assert_int_equal(json_integer_value(json_object_get(vcpu1, "vcpu")), 1);
	assert_int_equal(json__int_at(vcpu1, "delta", "exits"), 50);
	assert_int_equal(json__int_at(vcpu1, "delta", "halt_wakeup"), 50);
	assert_null(json_object_get(json_object_get(vcpu1, "delta"), "blocking"));

	assert_int_equal(json__int_at(j, "totals", "exits"), 110);
	assert_int_equal(json__int_at(j, "totals", "irq_exits"), 50);
	assert_int_equal(json__int_at(j, "totals", "halt_wakeup"), 50);
	assert_null(json_object_get(json_object_get(j, "totals"), "blocking"));

	per_kick = json_object_get(j, "per_kick");
	assert_float_equal(json_real_value(json_object_get(per_kick, "exits")), 1.1, 1e-12);
	assert_float_equal(json_real_value(json_object_get(per_kick, "irq_exits")), 0.5, 1e-12);
	assert_float_equal(json_real_value(json_object_get(per_kick, "halt_wakeup")), 0.5, 1e-12);
	assert_true(json_is_null(json_object_get(per_kick, "signal_exits")));
	assert_true(json_is_null(json_object_get(per_kick, "irq_injections")));
	assert_int_equal(kvmstats__total_delta(stats, before, after, 2, "exits"), 110);
	assert_int_equal(kvmstats__total_delta(stats, before, after, 2, "signal_exits"), -1);
	assert_int_equal(kvmstats__total_delta(stats, before, after, 2, "blocking"), -1);
	json_decref(j);

	/* No kicks: every ratio is null, the deltas are still reported. */
	j = kvmstats__delta_json(stats, before, after, 2, 0);
	per_kick = json_object_get(j, "per_kick");
	assert_true(json_is_null(json_object_get(per_kick, "exits")));
	assert_int_equal(json__int_at(j, "totals", "exits"), 110);
	json_decref(j);
}

static void delta_json_counter_reset_counts_zero(void **state)
{
	struct kvmstats stats[2];
	struct kvmstats_sample before[1] = { { { 500, 0, 0, 0 } } };
	struct kvmstats_sample after[1] = { { { 3, 0, 0, 0 } } };
	json_t *j;

	(void)state;
	synthetic__stats(stats);
	j = kvmstats__delta_json(stats, before, after, 1, 10);
	assert_int_equal(json__int_at(j, "totals", "exits"), 0);
	json_decref(j);
}

/* A histogram descriptor as KVM_GET_STATS_FD gives it, after the scalars. */
static void synthetic__hist(struct kvmstats *s, const char *name, uint32_t type, uint32_t size,
			    uint32_t bucket_size)
{
	unsigned h = s->nhist++;

	ks_format(s->hist_names[h], sizeof(s->hist_names[h]), "%s", name);
	s->hist_flags[h] = type | KVM_STATS_UNIT_SECONDS;
	s->hist_exponent[h] = -9;
	s->hist_size[h] = size;
	s->hist_bucket_size[h] = bucket_size;
}

/*
 * Buckets as the kernel fills them (a log histogram's bucket i holds
 * [2^(i-1), 2^i - 1], bucket 0 the value 0, the last one everything
 * above), summed over vCPUs by name whatever their order.
 */
static void histogram_deltas(void **state)
{
	static struct kvmstats stats[2];
	static struct kvmstats_sample before[2], after[2];
	const json_t *wait, *lin, *b;
	json_t *j;

	(void)state;
	synthetic__stats(stats);
	synthetic__hist(&stats[0], "halt_wait_hist", KVM_STATS_TYPE_LOG_HIST, 32, 0);
	synthetic__hist(&stats[0], "halt_poll_linear", KVM_STATS_TYPE_LINEAR_HIST, 8, 10);
	synthetic__hist(&stats[1], "halt_poll_linear", KVM_STATS_TYPE_LINEAR_HIST, 8, 10);
	synthetic__hist(&stats[1], "halt_wait_hist", KVM_STATS_TYPE_LOG_HIST, 32, 0);
	memset(before, 0, sizeof(before));
	memset(after, 0, sizeof(after));
	after[0].hist[0][0] = 2;        /* vCPU 0, log: two waits of 0 ns */
	before[0].hist[0][3] = 5;
	after[0].hist[0][3] = 9;        /* four of 4-7 ns */
	after[1].hist[1][3] = 1;        /* vCPU 1 lists log second: one of 4-7 ns */
	after[1].hist[1][31] = 6;       /* six of 2^30 ns or more */
	after[0].hist[1][2] = 3;        /* linear: three of 20-29 */
	before[1].hist[0][2] = 9;       /* a reset bucket counts 0 */
	after[1].hist[0][2] = 1;

	j = kvmstats__hist_delta_json(stats, before, after, 2, "halt_");
	wait = json_object_get(j, "halt_wait_hist");
	assert_string_equal(json_string_value(json_object_get(wait, "unit")), "ns");
	b = json_object_get(wait, "buckets");
	assert_int_equal(json_array_size(b), 3);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(b, 0), 1)), 0);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(b, 0), 2)), 2);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(b, 1), 0)), 4);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(b, 1), 1)), 7);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(b, 1), 2)), 5);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(b, 2), 0)), 1ll << 30);
	assert_true(json_is_null(json_array_get(json_array_get(b, 2), 1)));
	assert_int_equal(json_integer_value(json_array_get(json_array_get(b, 2), 2)), 6);
	lin = json_object_get(json_object_get(j, "halt_poll_linear"), "buckets");
	assert_int_equal(json_array_size(lin), 1);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(lin, 0), 0)), 20);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(lin, 0), 1)), 29);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(lin, 0), 2)), 3);
	json_decref(j);

	/* The prefix picks: none of these is an "exit" histogram. */
	j = kvmstats__hist_delta_json(stats, before, after, 2, "exit");
	assert_int_equal(json_object_size(j), 0);
	json_decref(j);
}

/* Writes <root>/module/<module>/parameters/<param> containing value. */
static void sysfs__write(const char *root, const char *module, const char *param,
			 const char *value)
{
	char path[512];
	FILE *fp;

	ks_format(path, sizeof(path), "%s/module", root);
	mkdir(path, 0755);
	ks_format(path, sizeof(path), "%s/module/%s", root, module);
	mkdir(path, 0755);
	if (!param)
		return;
	ks_format(path, sizeof(path), "%s/module/%s/parameters", root, module);
	mkdir(path, 0755);
	ks_format(path, sizeof(path), "%s/module/%s/parameters/%s", root, module, param);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(value, fp);
	fclose(fp);
}

static void sysfs__remove(const char *root)
{
	char cmd[600];

	ks_format(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* Collects host facts against a fresh fake /sys filled by fill(). */
static bool hostinfo__with_fake_sysfs(void (*fill)(const char *root), struct host_facts *f)
{
	char root[] = "/tmp/kickstorm-sysfs-XXXXXX";
	json_t *j, *apic;
	bool can_post;

	assert_non_null(mkdtemp(root));
	fill(root);
	setenv("KICKSTORM_SYSFS_ROOT", root, 1);
	assert_int_equal(hostinfo__collect(f), 0);
	unsetenv("KICKSTORM_SYSFS_ROOT");
	sysfs__remove(root);

	can_post = hostinfo__can_post_interrupts(f);
	j = hostinfo__to_json(f);
	apic = json_object_get(j, "apic_virtualization");
	assert_string_equal(json_string_value(json_object_get(apic, "module")), f->apicv_module);
	assert_int_equal(json_is_true(json_object_get(apic, "can_post_interrupts")), can_post);
	assert_true(json_is_boolean(json_object_get(json_object_get(j, "kvm"), "available")));
	assert_true(json_is_string(json_object_get(json_object_get(j, "cpu"), "vendor")));
	json_decref(j);
	return can_post;
}

static void fill_intel_apicv(const char *root)
{
	sysfs__write(root, "kvm_intel", "enable_apicv", "Y\n");
	sysfs__write(root, "kvm_intel", "enable_ipiv", "Y\n");
	sysfs__write(root, "kvm", "halt_poll_ns", "200000\n");
}

static void fill_intel_no_apicv(const char *root)
{
	sysfs__write(root, "kvm_intel", "enable_apicv", "N\n");
}

static void fill_amd_avic(const char *root)
{
	sysfs__write(root, "kvm_amd", "avic", "1\n");
	sysfs__write(root, "kvm_amd", "enable_ipiv", "Y\n");
	sysfs__write(root, "kvm_amd", "x2avic", "Y\n");
}

static void fill_amd_no_avic(const char *root)
{
	sysfs__write(root, "kvm_amd", "avic", "0\n");
}

static void fill_none(const char *root)
{
	sysfs__write(root, "kvm", NULL, NULL);
	sysfs__write(root, "kvm_pvm", NULL, NULL);
}

static void hostinfo_apic_virtualization_from_sysfs(void **state)
{
	struct host_facts f;

	(void)state;
	assert_true(hostinfo__with_fake_sysfs(fill_intel_apicv, &f));
	assert_string_equal(f.apicv_module, "kvm_intel");
	assert_true(f.apicv && f.ipiv && !f.avic);

	assert_false(hostinfo__with_fake_sysfs(fill_intel_no_apicv, &f));
	assert_false(f.apicv);

	assert_true(hostinfo__with_fake_sysfs(fill_amd_avic, &f));
	assert_string_equal(f.apicv_module, "kvm_amd");
	assert_true(f.avic && f.x2avic && f.ipiv && !f.apicv);

	assert_false(hostinfo__with_fake_sysfs(fill_amd_no_avic, &f));

	assert_false(hostinfo__with_fake_sysfs(fill_none, &f));
	assert_string_equal(f.apicv_module, "none");
	assert_string_equal(f.kvm_modules, "kvm_pvm");
}

static void hostinfo_reports_kvm_or_why_not(void **state)
{
	struct host_facts f;

	(void)state;
	assert_int_equal(hostinfo__collect(&f), 0);
	assert_true(f.online_cpus > 0);
	assert_true(f.kernel[0] && f.cpu_vendor[0]);
	if (!f.kvm_available) {
		assert_true(strlen(f.kvm_unavailable_reason) > 0);
		return;
	}
	assert_int_equal(f.kvm_api_version, KVM_API_VERSION);
	assert_true(hostinfo__cap(&f, "IRQCHIP") > 0);
	assert_int_equal(hostinfo__cap(&f, "NO_SUCH_CAP"), -1);
}

int main(void)
{
	const struct CMUnitTest kvm_tests[] = {
		cmocka_unit_test(stats_open_finds_kick_counters),
		cmocka_unit_test(stats_read_is_monotone),
	};
	const struct CMUnitTest pure_tests[] = {
		cmocka_unit_test(delta_json_per_kick_math),
		cmocka_unit_test(delta_json_counter_reset_counts_zero),
		cmocka_unit_test(histogram_deltas),
		cmocka_unit_test(hostinfo_apic_virtualization_from_sysfs),
		cmocka_unit_test(hostinfo_reports_kvm_or_why_not),
	};
	int failed = cmocka_run_group_tests_name("kvmstats on a real vCPU", kvm_tests,
						 fixture__setup, fixture__teardown);

	failed += cmocka_run_group_tests_name("kvmstats and hostinfo logic", pure_tests, NULL, NULL);
	return failed;
}
