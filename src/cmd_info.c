// SPDX-License-Identifier: MIT
/*
 * kickstorm info [--json]: what this host can tell us before any storm runs.
 * It is the first thing to run on a new machine, so it never fails for lack
 * of /dev/kvm or hwloc: it prints what it can, and why the rest is missing.
 */
#include "hostinfo.h"
#include "topology.h"
#include "util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_info(int argc, char **argv);

/*
 * The shape of `info --json`: the report's "host" object plus this number.
 * It grows when a key is removed or changes meaning, not when one is added.
 */
#define INFO_SCHEMA_VERSION 1

static void info__usage(FILE *out)
{
	fputs("usage: kickstorm info [--json]\n"
	      "\n"
	      "Prints the host facts kickstorm records in every report: kernel, CPU,\n"
	      "whether it runs as a guest, KVM availability and capabilities, APIC\n"
	      "virtualization (APICv/IPIv, AVIC/x2AVIC) and whether interrupts can be\n"
	      "posted, the kvm module parameters that shape kicks (halt polling, LAPIC\n"
	      "timer advance; \"absent\" where this kernel has none), and the CPU/NUMA\n"
	      "topology.\n"
	      "\n"
	      "  --json       print the same facts as JSON (the report's \"host\" object\n"
	      "               and a schema_version)\n"
	      "  -h, --help   print this help\n", out);
}

static void key__humanize(const char *key, char *buf, size_t len)
{
	size_t i;

	for (i = 0; key[i] && i + 1 < len; i++)
		buf[i] = key[i] == '_' ? ' ' : key[i];
	buf[i] = '\0';
}

/* One scalar as the human output shows it: strings bare, null as "-". */
static void scalar__print(const json_t *v, FILE *out)
{
	if (json_is_string(v))
		fputs(json_string_value(v), out);
	else if (json_is_null(v))
		fputs("-", out);
	else if (json_is_true(v))
		fputs("yes", out);
	else if (json_is_false(v))
		fputs("no", out);
	else {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

		fputs(s ? s : "?", out);
		free(s);
	}
}

/* The topology's keys as a reader names them; keys not listed are shown humanized. */
static const struct {
	const char *key;
	const char *label;
} topology_labels[] = {
	{ "packages", "cpu packages:" },
	{ "cores", "cpu cores:" },
	{ "pus", "hardware threads:" },
	{ "allowed_cpus", "cpus allowed here:" },
	{ "numa_available", "numa (libnuma):" },
	{ "hwloc_version", "hwloc version:" },
};

static void topology__label(const char *key, char *buf, size_t len)
{
	char human[64];

	for (size_t i = 0; i < KS_ARRAY_SIZE(topology_labels); i++) {
		if (!strcmp(key, topology_labels[i].key)) {
			ks_format(buf, len, "%s", topology_labels[i].label);
			return;
		}
	}
	key__humanize(key, human, sizeof(human));
	ks_format(buf, len, "%s:", human);
}

/* "numa node 0:           cpus 0-1, 3900 MiB" */
static void numa_node__print(size_t i, const json_t *node, FILE *out)
{
	const json_t *id = json_object_get(node, "node"), *cpus = json_object_get(node, "cpus");
	const json_t *mib = json_object_get(node, "memory_mib");
	char label[48];

	ks_format(label, sizeof(label), "numa node %lld:",
		  json_is_integer(id) ? (long long)json_integer_value(id) : (long long)i);
	fprintf(out, "%-22s cpus ", label);
	scalar__print(cpus, out);
	if (json_is_integer(mib))
		fprintf(out, ", %lld MiB", (long long)json_integer_value(mib));
	fputc('\n', out);
}

/*
 * The topology module owns its JSON schema; walking it keeps the human
 * output in step with whatever that module reports.
 */
static void topology__print_json(const json_t *topo, FILE *out)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)topo, key, v) {
		char label[80];

		if (!strcmp(key, "numa_nodes") && json_is_array(v)) {
			for (size_t i = 0; i < json_array_size(v); i++)
				numa_node__print(i, json_array_get(v, i), out);
			continue;
		}
		topology__label(key, label, sizeof(label));
		fprintf(out, "%-22s ", label);
		if (json_is_array(v) || json_is_object(v)) {
			char *s = json_dumps(v, JSON_COMPACT);

			fputs(s ? s : "?", out);
			free(s);
		} else {
			scalar__print(v, out);
		}
		fputc('\n', out);
	}
}

static int info__print_json(json_t *host, json_t *topo)
{
	int ret;

	json_object_set_new(host, "schema_version", json_integer(INFO_SCHEMA_VERSION));
	json_object_set_new(host, "topology", topo ? topo : json_null());
	ret = json_dumpf(host, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(host);
	if (ret || fflush(stdout)) {
		ks_error_errno(errno, "writing the host facts to stdout");
		return KS_EXIT_FAIL;
	}
	return KS_EXIT_OK;
}

static int info__parse(int argc, char **argv, bool *json)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			*json = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			info__usage(stdout);
			return KS_EXIT_OK;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "kickstorm info: unknown option '%s' (allowed: --json, -h, --help)\n",
				argv[i]);
			return KS_EXIT_USAGE;
		} else {
			fprintf(stderr, "kickstorm info: unexpected argument '%s' (info takes no "
				"arguments; allowed: --json, -h, --help)\n", argv[i]);
			return KS_EXIT_USAGE;
		}
	}
	return -1;
}

int cmd_info(int argc, char **argv)
{
	struct host_facts facts;
	struct topology *t = NULL;
	json_t *topo = NULL;
	bool json = false;
	int ret = info__parse(argc, argv, &json);

	if (ret >= 0)
		return ret;

	hostinfo__collect(&facts);
	/* topology__open reports its own failure; info goes on without it. */
	if (!topology__open(&t)) {
		topo = topology__to_json(t);
		topology__close(t);
	}

	if (json)
		return info__print_json(hostinfo__to_json(&facts), topo);

	hostinfo__print(&facts, stdout);
	if (topo)
		topology__print_json(topo, stdout);
	else
		printf("%-22s %s\n", "topology:", "unavailable (see the message above)");
	json_decref(topo);
	return KS_EXIT_OK;
}
