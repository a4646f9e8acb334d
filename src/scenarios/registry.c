// SPDX-License-Identifier: MIT
#include "scenario.h"

#include <stdlib.h>
#include <string.h>

extern const struct scenario scenario_signal;
extern const struct scenario scenario_msi;
extern const struct scenario scenario_irqfd;
extern const struct scenario scenario_ipi;
extern const struct scenario scenario_broadcast;
extern const struct scenario scenario_floor;

/* Order is the order of `kickstorm list` and of --scenario all. */
const struct scenario *const scenario_registry[] = {
	&scenario_signal,
	&scenario_msi,
	&scenario_irqfd,
	&scenario_ipi,
	&scenario_broadcast,
	&scenario_floor,
	NULL,
};

const struct scenario *scenario__find(const char *name)
{
	for (size_t i = 0; scenario_registry[i]; i++)
		if (!strcmp(scenario_registry[i]->name, name))
			return scenario_registry[i];
	return NULL;
}

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
	ledger_tally__release(&r->tally);
	free(r->latency);
	memset(r, 0, sizeof(*r));
}
