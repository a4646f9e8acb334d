// SPDX-License-Identifier: MIT
#include "sweep_spec.h"
#include "scenario.h"

#include <stdio.h>
#include <string.h>

static const struct sweep_param_info params[SWEEP_NPARAMS] = {
	[SWEEP_VCPUS] = { "vcpus", "vcpus", KS_OPT_VCPUS, 1, KS_MAX_VCPUS, "vCPU counts 1-4096" },
	[SWEEP_SENDERS] = { "senders", "senders", KS_OPT_SENDERS, 1, KS_MAX_SENDERS, "1-64 senders" },
	[SWEEP_RATE] = { "rate", "rate_hz", KS_OPT_RATE, 0, 100000000,
			 "0 (closed loop) to 10^8 kicks/s" },
	[SWEEP_BURST] = { "burst", "burst", KS_OPT_BURST, 1, 4096, "bursts of 1-4096" },
	[SWEEP_GAP] = { "gap", "gap_ns", KS_OPT_GAP, 0, 1000000000, "gaps of 0-10^9 ns" },
	[SWEEP_RACE_WINDOW] = { "race-window", "race_window_ns", KS_OPT_RACE_WINDOW, 0, 1000000000,
				"windows of 0-10^9 ns" },
	[SWEEP_DEADLINE] = { "deadline", "deadline_ms", KS_OPT_DEADLINE, 1, 600000,
			     "deadlines of 1-600000 ms" },
	[SWEEP_LOST_AFTER] = { "lost-after", "lost_after_ms", KS_OPT_LOST_AFTER, 1, 3600000,
			       "loss windows of 1-3600000 ms" },
	[SWEEP_HALT_POLL] = { "halt-poll-ns", "halt_poll_ns", KS_OPT_HALT_POLL, 0, UINT32_MAX,
			      "0-4294967295 ns (KVM_CAP_HALT_POLL takes 32 bits)" },
};

const struct sweep_param_info *sweep_spec__info(enum sweep_param p)
{
	return p > SWEEP_NONE && p < SWEEP_NPARAMS ? &params[p] : NULL;
}

void sweep_spec__names_for(unsigned options, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int p = SWEEP_NONE + 1; p < SWEEP_NPARAMS && n < len; p++)
		if (params[p].option & options)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", params[p].name);
}

const char *sweep_spec__names(void)
{
	static char buf[160];

	if (!buf[0])
		sweep_spec__names_for(~0u, buf, sizeof(buf));
	return buf;
}

static enum sweep_param sweep_spec__find(const char *name, size_t len)
{
	for (int p = SWEEP_NONE + 1; p < SWEEP_NPARAMS; p++)
		if (strlen(params[p].name) == len && !strncmp(params[p].name, name, len))
			return (enum sweep_param)p;
	return SWEEP_NONE;
}

static int sweep_spec__point(struct sweep_spec *s, const struct sweep_param_info *info,
			     const char *opt, const char *item)
{
	char allowed[160];
	uint64_t v;

	ks_format(allowed, sizeof(allowed), "distinct %s, at most %d", info->allowed, KS_MAX_SWEEP);
	if (parse__u64(item, info->min, info->max, &v) < 0)
		return config__usage_error(opt, item, allowed);
	for (unsigned i = 0; i < s->n; i++)
		if (s->points[i] == v)
			return config__usage_error(opt, item, allowed);
	if (s->n == KS_MAX_SWEEP)
		return config__usage_error(opt, item, allowed);
	s->points[s->n++] = v;
	return 0;
}

int sweep_spec__parse_list(struct sweep_spec *s, enum sweep_param p, const char *opt, const char *list)
{
	const struct sweep_param_info *info = sweep_spec__info(p);
	char buf[1024], *rest = buf, *tok, what[64];

	if (s->param != SWEEP_NONE) {
		fprintf(stderr, "kickstorm run: %s '%s': a second sweep (allowed: one --sweep or "
			"--sweep-vcpus per run)\n", opt, list);
		return KS_EXIT_USAGE;
	}
	ks_format(what, sizeof(what), "%s %s", opt, info->name);
	if (!*list || strlen(list) >= sizeof(buf) || list[0] == ',' || list[strlen(list) - 1] == ',' ||
	    strstr(list, ",,")) {
		fprintf(stderr, "kickstorm run: %s '%s' has an empty item (allowed: %s separated by "
			"single commas, e.g. %s=%s)\n", opt, list, info->allowed, info->name,
			p == SWEEP_VCPUS ? "1,2,4,8" : "0,5000,20000");
		return KS_EXIT_USAGE;
	}
	strcpy(buf, list);
	s->n = 0;
	while ((tok = strsep(&rest, ",")))
		if (sweep_spec__point(s, info, what, tok))
			return KS_EXIT_USAGE;
	s->param = p;
	return 0;
}

int sweep_spec__parse(struct sweep_spec *s, const char *opt, const char *arg)
{
	const char *eq = strchr(arg, '=');
	enum sweep_param p = eq ? sweep_spec__find(arg, (size_t)(eq - arg)) : SWEEP_NONE;

	if (!eq) {
		fprintf(stderr, "kickstorm run: %s '%s' is not valid (allowed: PARAM=LIST, e.g. "
			"race-window=0,5000,20000, with PARAM one of %s)\n", opt, arg, sweep_spec__names());
		return KS_EXIT_USAGE;
	}
	if (p == SWEEP_NONE) {
		fprintf(stderr, "kickstorm run: %s: unknown parameter '%.*s' (allowed: %s)\n", opt,
			(int)(eq - arg), arg, sweep_spec__names());
		return KS_EXIT_USAGE;
	}
	return sweep_spec__parse_list(s, p, opt, eq + 1);
}

bool sweep_spec__shapes(const struct sweep_spec *s, unsigned options)
{
	const struct sweep_param_info *info = sweep_spec__info(s->param);

	return info && (info->option & options);
}

static int point_error(const struct sweep_spec *s, uint64_t v, const char *why)
{
	fprintf(stderr, "kickstorm run: --sweep %s point %llu is not valid: %s\n",
		sweep_spec__info(s->param)->name, (unsigned long long)v, why);
	return KS_EXIT_USAGE;
}

/* What a point must agree with in the rest of the configuration. */
static int sweep_spec__check_point(const struct ks_config *cfg, uint64_t v)
{
	const struct sweep_spec *s = &cfg->sweep;

	switch (s->param) {
	case SWEEP_BURST:
		if (v > 1 && !cfg->rate_hz)
			return point_error(s, v, "a burst above 1 needs an open-loop --rate above 0 "
					   "(allowed: 1 in a closed loop)");
		break;
	case SWEEP_RATE:
		if (!v && cfg->burst > 1)
			return point_error(s, v, "--burst above 1 needs an open-loop rate (allowed: "
					   "rates above 0 with this --burst)");
		break;
	case SWEEP_DEADLINE:
		if (cfg->lost_after_given && v > cfg->lost_after_ms)
			return point_error(s, v, "it is longer than --lost-after (allowed: deadlines "
					   "up to --lost-after)");
		break;
	case SWEEP_LOST_AFTER:
		if (v < cfg->deadline_ms)
			return point_error(s, v, "it is shorter than --deadline (allowed: loss windows "
					   "of at least --deadline)");
		break;
	default:
		break;
	}
	return 0;
}

/* The swept PARAM must vary something in a chosen scenario. */
static int sweep_spec__check_shapes(const struct ks_config *cfg)
{
	const struct sweep_param_info *info = sweep_spec__info(cfg->sweep.param);
	unsigned options = 0;
	char names[256] = "", allowed[160];
	size_t n = 0;

	for (unsigned i = 0; i < cfg->nscenarios; i++) {
		options |= scenario__options(cfg->scenarios[i]);
		n += (size_t)snprintf(names + n, n < sizeof(names) ? sizeof(names) - n : 0, "%s%s",
				      i ? ", " : "", cfg->scenarios[i]->name);
	}
	if (options & info->option)
		return 0;
	sweep_spec__names_for(options, allowed, sizeof(allowed));
	fprintf(stderr, "kickstorm run: --sweep %s shapes none of the chosen scenarios (%s) "
		"(allowed for them: %s)\n", info->name, names, allowed[0] ? allowed : "no sweep");
	return KS_EXIT_USAGE;
}

int sweep_spec__check(struct ks_config *cfg)
{
	uint64_t widest = 0;

	if (cfg->sweep.param == SWEEP_NONE)
		return 0;
	if (sweep_spec__check_shapes(cfg))
		return KS_EXIT_USAGE;
	for (unsigned k = 0; k < cfg->sweep.n; k++) {
		if (sweep_spec__check_point(cfg, cfg->sweep.points[k]))
			return KS_EXIT_USAGE;
		widest = cfg->sweep.points[k] > widest ? cfg->sweep.points[k] : widest;
	}
	/* A request cannot be lost before it could be late, at any point. */
	if (cfg->sweep.param == SWEEP_DEADLINE && !cfg->lost_after_given && cfg->lost_after_ms < widest)
		cfg->lost_after_ms = (unsigned)widest;
	return 0;
}

void sweep_spec__apply(const struct ks_config *base, unsigned k, struct ks_config *out)
{
	uint64_t v = base->sweep.points[k];

	*out = *base;
	switch (base->sweep.param) {
	case SWEEP_VCPUS: out->vcpus = (unsigned)v; break;
	case SWEEP_SENDERS: out->senders = (unsigned)v; break;
	case SWEEP_RATE: out->rate_hz = v; break;
	case SWEEP_BURST: out->burst = (unsigned)v; break;
	case SWEEP_GAP:
		out->gap_ns = v;
		out->gap_given = true;
		break;
	case SWEEP_RACE_WINDOW: out->race_window_ns = v; break;
	case SWEEP_DEADLINE: out->deadline_ms = (unsigned)v; break;
	case SWEEP_LOST_AFTER:
		out->lost_after_ms = (unsigned)v;
		out->lost_after_given = true;
		break;
	case SWEEP_HALT_POLL:
		out->halt_poll_ns = v;
		out->halt_poll_given = out->halt_poll_known = true;
		break;
	default:
		break;
	}
}

json_t *sweep_spec__to_json(const struct sweep_spec *s)
{
	const struct sweep_param_info *info = sweep_spec__info(s->param);
	json_t *points;

	if (!info)
		return json_null();
	points = json_array();
	for (unsigned i = 0; i < s->n; i++)
		json_array_append_new(points, json_integer((json_int_t)s->points[i]));
	return json_pack("{s:s, s:s, s:o}", "parameter", info->name, "key", info->key, "points", points);
}
