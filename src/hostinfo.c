// SPDX-License-Identifier: MIT
#include "hostinfo.h"
#include "kvm.h"
#include "util.h"

#include <cpuid.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define CPUID_HYPERVISOR_BIT	(1u << 31)	/* leaf 1 ECX: running under a hypervisor */
#define CPUID_HYPERVISOR_LEAF	0x40000000u
#define CPUID_BRAND_FIRST	0x80000002u
#define CPUID_BRAND_LAST	0x80000004u

#define CAP(x) { #x, KVM_CAP_##x }

/* The capabilities a kick benchmark depends on or whose absence explains a result. */
static const struct {
	const char *name;
	long cap;
} cap_table[] = {
	CAP(IRQCHIP), CAP(SPLIT_IRQCHIP), CAP(X2APIC_API), CAP(SIGNAL_MSI),
	CAP(IRQFD), CAP(IRQ_ROUTING), CAP(IOEVENTFD), CAP(IMMEDIATE_EXIT),
	CAP(BINARY_STATS_FD), CAP(GET_TSC_KHZ), CAP(TSC_CONTROL), CAP(VM_TSC_CONTROL),
	CAP(TSC_DEADLINE_TIMER), CAP(ADJUST_CLOCK), CAP(VCPU_ATTRIBUTES),
	CAP(SET_GUEST_DEBUG), CAP(USER_MEMORY), CAP(READONLY_MEM), CAP(SET_TSS_ADDR),
	CAP(EXT_CPUID), CAP(HALT_POLL), CAP(X86_DISABLE_EXITS), CAP(MAX_VCPU_ID),
	CAP(DIRTY_LOG_RING),
};

_Static_assert(KS_ARRAY_SIZE(cap_table) <= HOSTINFO_MAX_CAPS, "grow HOSTINFO_MAX_CAPS");

static bool module__loaded(const char *module)
{
	char path[512];
	struct stat st;

	ks_format(path, sizeof(path), "%s/module/%s", sysfs__root(), module);
	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/*
 * Boolean module parameters read "Y"/"N"; older kvm_amd declares avic as an
 * int and reads "1"/"0". A missing file is false: the parameter does not
 * exist on this kernel, so the feature cannot be on.
 */
static bool module__param_on(const char *module, const char *param)
{
	char path[512], buf[16] = "";
	FILE *fp;

	ks_format(path, sizeof(path), "%s/module/%s/parameters/%s", sysfs__root(), module, param);
	fp = fopen(path, "re");
	if (!fp)
		return false;
	if (!fgets(buf, sizeof(buf), fp))
		buf[0] = '\0';
	fclose(fp);
	return buf[0] == 'Y' || buf[0] == 'y' || (buf[0] >= '1' && buf[0] <= '9');
}

/* kvm_pvm and friends explain a host with KVM but no kvm_intel/kvm_amd. */
static void host__kvm_modules(struct host_facts *f)
{
	char path[512];
	size_t used = 0;
	struct dirent *de;
	DIR *dir;

	f->kvm_modules[0] = '\0';
	ks_format(path, sizeof(path), "%s/module", sysfs__root());
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		size_t len = strlen(de->d_name);

		if (strncmp(de->d_name, "kvm_", 4))
			continue;
		if (used + len + 2 >= sizeof(f->kvm_modules))
			break;
		used += (size_t)snprintf(f->kvm_modules + used, sizeof(f->kvm_modules) - used,
					 "%s%s", used ? "," : "", de->d_name);
	}
	closedir(dir);
}

static void host__apic_virtualization(struct host_facts *f)
{
	f->apicv = f->ipiv = f->avic = f->x2avic = false;
	if (module__loaded("kvm_intel")) {
		ks_format(f->apicv_module, sizeof(f->apicv_module), "kvm_intel");
		f->apicv = module__param_on("kvm_intel", "enable_apicv");
		f->ipiv = module__param_on("kvm_intel", "enable_ipiv");
	} else if (module__loaded("kvm_amd")) {
		ks_format(f->apicv_module, sizeof(f->apicv_module), "kvm_amd");
		f->avic = module__param_on("kvm_amd", "avic");
		f->ipiv = module__param_on("kvm_amd", "enable_ipiv");
		f->x2avic = module__param_on("kvm_amd", "x2avic");
	} else {
		ks_format(f->apicv_module, sizeof(f->apicv_module), "none");
	}
	host__kvm_modules(f);
}

static void str__trim(char *s)
{
	size_t start = strspn(s, " \t"), len;

	memmove(s, s + start, strlen(s + start) + 1);
	len = strlen(s);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		s[--len] = '\0';
}

static void host__cpuid(struct host_facts *f)
{
	unsigned a, b, c, d;
	uint32_t brand[12];

	if (__get_cpuid(0, &a, &b, &c, &d)) {
		memcpy(f->cpu_vendor, &b, 4);
		memcpy(f->cpu_vendor + 4, &d, 4);
		memcpy(f->cpu_vendor + 8, &c, 4);
		f->cpu_vendor[12] = '\0';
	}
	if ((unsigned)__get_cpuid_max(0x80000000u, NULL) >= CPUID_BRAND_LAST) {
		for (unsigned leaf = CPUID_BRAND_FIRST; leaf <= CPUID_BRAND_LAST; leaf++) {
			uint32_t *r = &brand[(leaf - CPUID_BRAND_FIRST) * 4];

			__cpuid(leaf, r[0], r[1], r[2], r[3]);
		}
		memcpy(f->cpu_model, brand, sizeof(brand));
		f->cpu_model[sizeof(brand)] = '\0';
		str__trim(f->cpu_model);
	}
	if (__get_cpuid(1, &a, &b, &c, &d))
		f->nested_guest = c & CPUID_HYPERVISOR_BIT;
	if (f->nested_guest) {
		/* Leaf 0x40000000 is only defined when the hypervisor bit is set. */
		__cpuid(CPUID_HYPERVISOR_LEAF, a, b, c, d);
		memcpy(f->hypervisor, &b, 4);
		memcpy(f->hypervisor + 4, &c, 4);
		memcpy(f->hypervisor + 8, &d, 4);
		f->hypervisor[12] = '\0';
	}
}

static void host__kernel(struct host_facts *f)
{
	struct utsname u;

	if (uname(&u))
		ks_format(f->kernel, sizeof(f->kernel), "unknown");
	else
		ks_format(f->kernel, sizeof(f->kernel), "%s %s", u.release, u.version);
}

/*
 * The guest TSC frequency KVM gives a new vCPU: from the VM when
 * KVM_CAP_VM_TSC_CONTROL exists, else from a throwaway vCPU (KVM_GET_TSC_KHZ
 * is a vCPU ioctl on older kernels and nested hosts).
 */
static void host__tsc_khz(struct host_facts *f, int kvm_fd)
{
	long vm, vcpu, khz = -1;

	if (hostinfo__cap(f, "GET_TSC_KHZ") <= 0)
		return;
	vm = kvm_ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm < 0)
		return;
	if (hostinfo__cap(f, "VM_TSC_CONTROL") > 0)
		khz = kvm__ioctl_raw((int)vm, KVM_GET_TSC_KHZ, NULL);
	if (khz <= 0) {
		vcpu = kvm__ioctl_checked((int)vm, KVM_CREATE_VCPU, 0, "KVM_CREATE_VCPU",
					  "the host-facts VM");
		if (vcpu >= 0) {
			khz = kvm__ioctl_raw((int)vcpu, KVM_GET_TSC_KHZ, NULL);
			close((int)vcpu);
		}
	}
	if (khz > 0)
		f->tsc_khz = (uint32_t)khz;
	close((int)vm);
}

static void host__kvm(struct host_facts *f)
{
	int fd = kvm__open(f->kvm_unavailable_reason, sizeof(f->kvm_unavailable_reason));
	long ret;

	if (fd < 0)
		return;

	/* Raw: a failure here is a fact to record, not an error to print. */
	ret = kvm__ioctl_raw(fd, KVM_GET_API_VERSION, NULL);
	if (ret < 0) {
		ks_format(f->kvm_unavailable_reason, sizeof(f->kvm_unavailable_reason),
			  "KVM_GET_API_VERSION on %s failed: %s (is it a KVM device?)",
			  KVM_DEVICE_PATH, strerror((int)-ret));
		close(fd);
		return;
	}
	if (ret != KVM_API_VERSION) {
		ks_format(f->kvm_unavailable_reason, sizeof(f->kvm_unavailable_reason),
			  "%s speaks KVM API version %ld, kickstorm was built for %d",
			  KVM_DEVICE_PATH, ret, KVM_API_VERSION);
		close(fd);
		return;
	}
	f->kvm_available = true;
	f->kvm_api_version = (int)ret;

	for (size_t i = 0; i < KS_ARRAY_SIZE(cap_table); i++) {
		ret = kvm__check_extension(fd, cap_table[i].cap);
		f->caps[f->ncaps].name = cap_table[i].name;
		f->caps[f->ncaps].value = ret > 0 ? ret : 0;
		f->ncaps++;
	}
	f->max_vcpus = kvm__check_extension(fd, KVM_CAP_MAX_VCPUS);
	f->nr_vcpus = kvm__check_extension(fd, KVM_CAP_NR_VCPUS);
	f->nr_memslots = kvm__check_extension(fd, KVM_CAP_NR_MEMSLOTS);
	host__tsc_khz(f, fd);
	close(fd);
}

int hostinfo__collect(struct host_facts *f)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	memset(f, 0, sizeof(*f));
	host__kernel(f);
	host__cpuid(f);
	f->online_cpus = online > 0 ? (unsigned)online : 0;
	host__apic_virtualization(f);
	modparams__collect(&f->modparams);
	host__kvm(f);
	return 0;
}

bool hostinfo__can_post_interrupts(const struct host_facts *f)
{
	if (!strcmp(f->apicv_module, "kvm_intel"))
		return f->apicv;
	if (!strcmp(f->apicv_module, "kvm_amd"))
		return f->avic;
	return false;
}

long hostinfo__cap(const struct host_facts *f, const char *name)
{
	for (unsigned i = 0; i < f->ncaps; i++)
		if (!strcmp(f->caps[i].name, name))
			return f->caps[i].value;
	return -1;
}

/* Values KVM could not tell us are null, never a made-up 0. */
static json_t *known__int(bool known, long long v)
{
	return known ? json_integer(v) : json_null();
}

/* "kvm_amd,kvm_pvm" as ["kvm_amd", "kvm_pvm"]. */
static json_t *modules__json(const char *list)
{
	json_t *arr = json_array();

	while (*list) {
		size_t len = strcspn(list, ",");

		json_array_append_new(arr, json_stringn(list, len));
		list += len + (list[len] == ',');
	}
	return arr;
}

static json_t *kvm__json(const struct host_facts *f)
{
	bool ok = f->kvm_available;
	json_t *caps = json_object();
	json_t *kvm = json_object();

	for (unsigned i = 0; i < f->ncaps; i++)
		json_object_set_new(caps, f->caps[i].name, json_integer(f->caps[i].value));

	json_object_set_new(kvm, "available", json_boolean(ok));
	if (!ok)
		json_object_set_new(kvm, "reason", json_string(f->kvm_unavailable_reason));
	json_object_set_new(kvm, "api_version", known__int(ok, f->kvm_api_version));
	json_object_set_new(kvm, "max_vcpus", known__int(ok, f->max_vcpus));
	json_object_set_new(kvm, "nr_vcpus", known__int(ok, f->nr_vcpus));
	json_object_set_new(kvm, "nr_memslots", known__int(ok, f->nr_memslots));
	json_object_set_new(kvm, "tsc_khz", known__int(f->tsc_khz, f->tsc_khz));
	json_object_set_new(kvm, "vendor_modules", modules__json(f->kvm_modules));
	json_object_set_new(kvm, "capabilities", caps);
	json_object_set_new(kvm, "module_parameters", modparams__to_json(&f->modparams));
	return kvm;
}

json_t *hostinfo__to_json(const struct host_facts *f)
{
	json_t *cpu = json_pack("{s:s, s:s, s:i}", "vendor", f->cpu_vendor,
				"model", f->cpu_model, "online", (int)f->online_cpus);
	json_t *apic = json_pack("{s:s, s:b, s:b, s:b, s:b, s:b}",
				 "module", f->apicv_module,
				 "apicv", f->apicv, "ipiv", f->ipiv,
				 "avic", f->avic, "x2avic", f->x2avic,
				 "can_post_interrupts", hostinfo__can_post_interrupts(f));

	return json_pack("{s:s, s:o, s:o, s:o, s:b, s:s}",
			 "kernel", f->kernel, "cpu", cpu, "kvm", kvm__json(f),
			 "apic_virtualization", apic,
			 "nested_guest", f->nested_guest,
			 "hypervisor", f->hypervisor);
}

__attribute__((format(printf, 3, 4)))
static void print__kv(FILE *out, const char *key, const char *fmt, ...)
{
	va_list ap;

	fprintf(out, "%-22s ", key);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

/* NAME=value tokens wrapped under the value column, so the block stays aligned. */
static void print__caps(const struct host_facts *f, FILE *out)
{
	const int indent = 23, width = 79;
	int col = indent;

	fprintf(out, "%-22s ", "kvm capabilities:");
	for (unsigned i = 0; i < f->ncaps; i++) {
		char tok[64];
		int len = snprintf(tok, sizeof(tok), "%s=%ld", f->caps[i].name, f->caps[i].value);

		if (col > indent && col + 1 + len > width) {
			fprintf(out, "\n%*s", indent, "");
			col = indent;
		}
		if (col > indent) {
			fputc(' ', out);
			col++;
		}
		fputs(tok, out);
		col += len;
	}
	fputc('\n', out);
}

static void print__apic(const struct host_facts *f, FILE *out)
{
	print__kv(out, "apic virtualization:", "%s", f->apicv_module);
	if (!strcmp(f->apicv_module, "kvm_intel")) {
		print__kv(out, "  apicv:", "%s", yes_no(f->apicv));
		print__kv(out, "  ipiv:", "%s", yes_no(f->ipiv));
	} else if (!strcmp(f->apicv_module, "kvm_amd")) {
		print__kv(out, "  avic:", "%s", yes_no(f->avic));
		print__kv(out, "  x2avic:", "%s", yes_no(f->x2avic));
		print__kv(out, "  ipiv:", "%s", yes_no(f->ipiv));
	}
	print__kv(out, "can post interrupts:", "%s%s", yes_no(hostinfo__can_post_interrupts(f)),
		  hostinfo__can_post_interrupts(f) ? "" :
		  " (the posted-interrupt path cannot be exercised on this host)");
}

void hostinfo__print(const struct host_facts *f, FILE *out)
{
	print__kv(out, "kernel:", "%s", f->kernel);
	print__kv(out, "cpu vendor:", "%s", f->cpu_vendor);
	print__kv(out, "cpu model:", "%s", f->cpu_model);
	print__kv(out, "online cpus:", "%u", f->online_cpus);
	print__kv(out, "nested guest:", "%s%s%s%s", yes_no(f->nested_guest),
		  *f->hypervisor ? " (hypervisor \"" : "", f->hypervisor,
		  *f->hypervisor ? "\")" : "");
	print__apic(f, out);
	print__kv(out, "kvm modules:", "%s", *f->kvm_modules ? f->kvm_modules : "none");
	print__kv(out, "kvm module parameters:", "%s/module/*/parameters (absent: not on this kernel)",
		  sysfs__root());
	modparams__print(&f->modparams, out);
	if (!f->kvm_available) {
		print__kv(out, "kvm:", "unavailable: %s", f->kvm_unavailable_reason);
		return;
	}
	print__kv(out, "kvm:", "available, API version %d", f->kvm_api_version);
	print__kv(out, "kvm max vcpus:", "%ld (recommended %ld)", f->max_vcpus, f->nr_vcpus);
	print__kv(out, "kvm memslots:", "%ld", f->nr_memslots);
	if (f->tsc_khz)
		print__kv(out, "tsc khz:", "%u", f->tsc_khz);
	else
		print__kv(out, "tsc khz:", "unknown (calibrated per run)");
	print__caps(f, out);
}
