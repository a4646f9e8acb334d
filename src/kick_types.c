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

const char *protocol__name(enum kick_protocol p)
{
	return protocol_names[p];
}

int protocol__parse(const char *s, enum kick_protocol *out)
{
	for (size_t i = 0; i < KS_ARRAY_SIZE(protocol_names); i++) {
		if (!strcmp(s, protocol_names[i])) {
			*out = (enum kick_protocol)i;
			return 0;
		}
	}
	return -1;
}
