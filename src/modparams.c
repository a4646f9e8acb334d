// SPDX-License-Identifier: MIT
#include "modparams.h"
#include "config.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const struct {
	const char *module;
	const char *name;
} kick_params[] = {
	{ "kvm", "halt_poll_ns" },
	{ "kvm", "halt_poll_ns_grow" },
	{ "kvm", "halt_poll_ns_grow_start" },
	{ "kvm", "halt_poll_ns_shrink" },
	/* lapic_timer_advance_ns before 6.x (ns, -1 = adaptive), lapic_timer_advance (bool) after. */
	{ "kvm", "lapic_timer_advance_ns" },
	{ "kvm", "lapic_timer_advance" },
	{ "kvm_intel", "enable_apicv" },
	{ "kvm_intel", "enable_ipiv" },
	{ "kvm_amd", "avic" },
	{ "kvm_amd", "enable_ipiv" },
	{ "kvm_amd", "x2avic" },
};

_Static_assert(KS_ARRAY_SIZE(kick_params) <= MODPARAMS_MAX, "grow MODPARAMS_MAX");

const char *sysfs__root(void)
{
	const char *root = getenv("KICKSTORM_SYSFS_ROOT");

	return root && *root ? root : "/sys";
}

static bool module__present(const char *module)
{
	char path[512];
	struct stat st;

	ks_format(path, sizeof(path), "%s/module/%s", sysfs__root(), module);
	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static void modparam__read(struct modparam *p)
{
	char path[512];
	FILE *fp;
	size_t len;

	ks_format(path, sizeof(path), "%s/module/%s/parameters/%s", sysfs__root(), p->module, p->name);
	fp = fopen(path, "re");
	p->present = fp != NULL;
	p->value[0] = '\0';
	if (!fp)
		return;
	if (!fgets(p->value, sizeof(p->value), fp))
		p->value[0] = '\0';
	fclose(fp);
	len = strcspn(p->value, "\n");
	while (len && p->value[len - 1] == ' ')
		len--;
	p->value[len] = '\0';
}

void modparams__collect(struct modparams *mp)
{
	mp->n = 0;
	for (size_t i = 0; i < KS_ARRAY_SIZE(kick_params); i++) {
		struct modparam *p = &mp->p[mp->n];

		if (strcmp(kick_params[i].module, "kvm") && !module__present(kick_params[i].module))
			continue;
		p->module = kick_params[i].module;
		p->name = kick_params[i].name;
		modparam__read(p);
		mp->n++;
	}
}

static json_t *modparam__value_json(const struct modparam *p)
{
	char *end;
	long long v;

	if (!p->present)
		return json_null();
	if (!strcmp(p->value, "Y") || !strcmp(p->value, "N"))
		return json_boolean(p->value[0] == 'Y');
	errno = 0;
	v = strtoll(p->value, &end, 10);
	if (*p->value && !*end && !errno)
		return json_integer(v);
	return json_string(p->value);
}

json_t *modparams__to_json(const struct modparams *mp)
{
	json_t *all = json_object();

	for (unsigned i = 0; i < mp->n; i++) {
		const struct modparam *p = &mp->p[i];
		json_t *module = json_object_get(all, p->module);

		if (!module) {
			module = json_object();
			json_object_set_new(all, p->module, module);
		}
		json_object_set_new(module, p->name, modparam__value_json(p));
	}
	return all;
}

bool modparams__u64(const struct modparams *mp, const char *module, const char *name, uint64_t *out)
{
	for (unsigned i = 0; i < mp->n; i++) {
		const struct modparam *p = &mp->p[i];

		if (strcmp(p->module, module) || strcmp(p->name, name) || !p->present)
			continue;
		return parse__u64(p->value, 0, UINT64_MAX, out) == 0;
	}
	return false;
}

void modparams__print(const struct modparams *mp, FILE *out)
{
	for (unsigned i = 0; i < mp->n; i++) {
		const struct modparam *p = &mp->p[i];
		char label[96];

		ks_format(label, sizeof(label), "%s.%s", p->module, p->name);
		fprintf(out, "  %-29s %s\n", label, p->present ? p->value : "absent");
	}
}
