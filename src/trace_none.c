// SPDX-License-Identifier: MIT
/* trace.h for a build without libtracefs: every session fails with the reason. */
#include "trace.h"
#include "util.h"

#include <errno.h>

bool trace__built_in(void)
{
	return false;
}

int trace__open(struct trace_session **out, const struct trace_options *o, char *why, size_t why_len)
{
	(void)o;
	*out = NULL;
	ks_format(why, why_len, "this kickstorm was built without libtracefs and libtraceevent "
		  "(install libtracefs-dev and libtraceevent-dev, then configure again)");
	return -1;
}

int trace__add_tid(struct trace_session *s, int tid)
{
	(void)s;
	(void)tid;
	return -ENOSYS;
}

int trace__start(struct trace_session *s)
{
	(void)s;
	return -ENOSYS;
}

int trace__stop(struct trace_session *s)
{
	(void)s;
	return -ENOSYS;
}

int trace__read(struct trace_session *s, struct trace_events *out, char *why, size_t why_len)
{
	(void)s;
	(void)out;
	ks_format(why, why_len, "this kickstorm was built without libtracefs");
	return -1;
}

uint32_t trace__missing(const struct trace_session *s)
{
	(void)s;
	return 0;
}

const char *trace__instance_path(const struct trace_session *s)
{
	(void)s;
	return "";
}

void trace__close(struct trace_session *s)
{
	(void)s;
}

void trace__cleanup_signal_safe(void)
{
}
