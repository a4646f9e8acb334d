// SPDX-License-Identifier: MIT
#include "kick_types.h"
#include "util.h"

#include <stddef.h>
#include <string.h>

static const char *const protocol_names[] = {
	[PROTOCOL_NAIVE] = "naive",
	[PROTOCOL_IMMEDIATE_EXIT] = "immediate-exit",
	[PROTOCOL_SIGMASK] = "sigmask",
};

static const char *const ipi_via_names[] = {
	[VIA_X2APIC] = "x2apic",
	[VIA_XAPIC] = "xapic",
	[VIA_PV] = "pv",
};

static const char *const delivery_names[] = {
	[KICK_DELIVERY_FIXED] = "fixed",
	[KICK_DELIVERY_NMI] = "nmi",
};

static int name__lookup(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	return -1;
}

const char *protocol__name(enum kick_protocol p)
{
	return protocol_names[p];
}

int protocol__parse(const char *s, enum kick_protocol *out)
{
	int i = name__lookup(s, protocol_names, KS_ARRAY_SIZE(protocol_names));

	if (i < 0)
		return -1;
	*out = (enum kick_protocol)i;
	return 0;
}

const char *ipi_via__name(enum ipi_via v)
{
	return ipi_via_names[v];
}

int ipi_via__parse(const char *s, enum ipi_via *out)
{
	int i = name__lookup(s, ipi_via_names, KS_ARRAY_SIZE(ipi_via_names));

	if (i < 0)
		return -1;
	*out = (enum ipi_via)i;
	return 0;
}

const char *kick_delivery__name(enum kick_delivery d)
{
	return delivery_names[d];
}

int kick_delivery__parse(const char *s, enum kick_delivery *out)
{
	int i = name__lookup(s, delivery_names, KS_ARRAY_SIZE(delivery_names));

	if (i < 0)
		return -1;
	*out = (enum kick_delivery)i;
	return 0;
}
