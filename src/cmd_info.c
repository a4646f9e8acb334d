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

static void info__usage(FILE *out)
{
	fputs("usage: kickstorm info [--json]\n"
	      "\n"
	      "Prints the host facts kickstorm records in every report: kernel, CPU,\n"
	      "whether it runs as a guest, KVM availability and capabilities, APIC\n"
	      "virtualization (APICv/IPIv, AVIC/x2AVIC) and whether interrupts can be\n"
	      "posted, and the CPU/NUMA topology.\n"
	      "\n"
	      "  --json       print the same facts as JSON (the report's \"host\" object)\n"
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

/* An object inside an array, on one line: "node 0, cpus 0-1, memory mib 3900". */
static void inline__print(const json_t *obj, FILE *out)
{
	const char *key;
	json_t *v;
	bool first = true;

	json_object_foreach((json_t *)obj, key, v) {
		char human[64];

		key__humanize(key, human, sizeof(human));
		fprintf(out, "%s%s ", first ? "" : ", ", human);
		scalar__print(v, out);
		first = false;
	}
}

/*
 * The topology module owns its JSON schema; walking it generically keeps the
 * human output in step with whatever that module reports.
 */
static void topology__print_json(const json_t *topo, FILE *out)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)topo, key, v) {
		char human[64], label[80];

		key__humanize(key, human, sizeof(human));
		if (!json_is_array(v)) {
			ks_format(label, sizeof(label), "%s:", human);
			fprintf(out, "%-22s ", label);
			scalar__print(v, out);
			fputc('\n', out);
			continue;
		}
		for (size_t i = 0; i < json_array_size(v); i++) {
			const json_t *item = json_array_get(v, i);

			ks_format(label, sizeof(label), "%s[%zu]:", human, i);
			fprintf(out, "%-22s ", label);
			if (json_is_object(item))
				inline__print(item, out);
			else
				scalar__print(item, out);
			fputc('\n', out);
		}
	}
}

static int info__print_json(json_t *host, json_t *topo)
{
	int ret;

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
