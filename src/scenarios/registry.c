// SPDX-License-Identifier: MIT
#include "scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* scenario_list.inc: SCENARIO(name) for each file of Makefile.am's SCENARIO_SOURCES. */
#define SCENARIO(name) extern const struct scenario scenario_##name;
#include "scenario_list.inc"
#undef SCENARIO

/* Order is the order of `kickstorm list` and of --scenario all. */
#define SCENARIO(name) &scenario_##name,
const struct scenario *const scenario_registry[] = {
#include "scenario_list.inc"
	NULL,
};
#undef SCENARIO

const struct scenario *scenario__find(const char *name)
{
	for (size_t i = 0; scenario_registry[i]; i++)
		if (!strcmp(scenario_registry[i]->name, name))
			return scenario_registry[i];
	return NULL;
}

unsigned scenario__options(const struct scenario *sc)
{
	return sc->options | (sc->flags & SCENARIO_VM ? SCENARIO_VM_OPTIONS : 0u) |
	       (sc->flags & SCENARIO_TRACEABLE ? KS_OPT_TRACE : 0u);
}

const struct scenario_param scenario__vm_params[] = {
	{ "--halt-poll-ns", "the VM's halt-polling limit (KVM_CAP_HALT_POLL); default the kvm module's" },
	{ NULL, NULL },
};

const struct scenario_param scenario__trace_params[] = {
	{ "--trace", "where each kick's time goes, from kernel tracepoints (and --trace-threshold)" },
	{ NULL, NULL },
};

const char *scenario__name(const struct scenario *s)
{
	return s->name;
}

const char *scenario__names_help(void)
{
	static char buf[256];

	if (buf[0])
		return buf;
	for (size_t i = 0; scenario_registry[i]; i++) {
		strncat(buf, scenario_registry[i]->name, sizeof(buf) - strlen(buf) - 1);
		strncat(buf, ", ", sizeof(buf) - strlen(buf) - 1);
	}
	strncat(buf, "all", sizeof(buf) - strlen(buf) - 1);
	return buf;
}

const char *scenario__measures_name(enum scenario_measures m)
{
	static const char *const names[] = {
		[MEASURES_KICK] = "kick", [MEASURES_FLOOR] = "floor", [MEASURES_IOCTL] = "ioctl",
	};

	return names[m];
}

/* "signal, ipi": the scenarios an option shapes. */
static void registry__shaped_by(unsigned bit, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; scenario_registry[i] && n < len; i++)
		if (scenario__options(scenario_registry[i]) & bit)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
					      scenario_registry[i]->name);
}

void scenario__warn_unshaped(const struct ks_config *cfg)
{
	unsigned shaped = 0;
	char users[256];

	for (unsigned i = 0; i < cfg->nscenarios; i++)
		shaped |= scenario__options(cfg->scenarios[i]);
	for (unsigned bit = 1; bit && bit <= cfg->given; bit <<= 1) {
		if (!(cfg->given & bit) || (shaped & bit))
			continue;
		registry__shaped_by(bit, users, sizeof(users));
		fprintf(stderr, "kickstorm run: warning: %s does not apply to the chosen scenarios "
			"and is ignored (it shapes: %s)\n", config__option_name((enum ks_option)bit),
			users[0] ? users : "none");
	}
}

void scenario_result__init(struct scenario_result *r, const struct scenario *s)
{
	memset(r, 0, sizeof(*r));
	r->scenario = s;
	ledger_tally__init(&r->tally);
}

void scenario_result__release(struct scenario_result *r)
{
	json_decref(r->params);
	json_decref(r->kvm_stats);
	json_decref(r->delivery);
	json_decref(r->placement);
	json_decref(r->extra);
	json_decref(r->scheduling);
	json_decref(r->trace);
	ledger_tally__release(&r->tally);
	free(r->latency);
	memset(r, 0, sizeof(*r));
}
