// SPDX-License-Identifier: MIT
/*
 * Kick latency as a multiple of the physical floor measured by the floor
 * scenario in the same invocation: a running target against the cache-line
 * ping-pong, a halted one against the wake-up.
 */
#include "floor_ratio.h"
#include "util.h"

#include <stdbool.h>
#include <string.h>

/* What an entry's latency is a distribution of: its "measures.kind". */
static bool entry__measures(const json_t *entry, const char *kind)
{
	const char *k = json_string_value(json_object_get(json_object_get(entry, "measures"), "kind"));

	return k && !strcmp(k, kind);
}

/* p50 and p99 of a latency_ns object with samples; false otherwise. */
static bool latency__p50_p99(const json_t *lat, double out[2])
{
	json_t *p50 = json_object_get(lat, "p50"), *p99 = json_object_get(lat, "p99");

	if (json_integer_value(json_object_get(lat, "count")) <= 0 ||
	    !json_is_number(p50) || !json_is_number(p99))
		return false;
	out[0] = json_number_value(p50);
	out[1] = json_number_value(p99);
	return true;
}

static int placement__first_cpu(const json_t *entry, const char *who)
{
	json_t *threads = json_object_get(json_object_get(entry, "placement"), who);
	json_t *cpu = json_object_get(json_array_get(threads, 0), "bound_cpu");

	return json_is_integer(cpu) ? (int)json_integer_value(cpu) : -1;
}

/* A ping-pong costs the same either way round, so the CPU pair is unordered. */
static bool floor__same_cpus(const json_t *floor, const json_t *entry)
{
	json_t *params = json_object_get(floor, "params");
	json_t *initiator = json_object_get(params, "initiator_cpu");
	json_t *responder = json_object_get(params, "responder_cpu");
	int fa = json_is_integer(initiator) ? (int)json_integer_value(initiator) : -1;
	int fb = json_is_integer(responder) ? (int)json_integer_value(responder) : -1;
	int ka = placement__first_cpu(entry, "senders"), kb = placement__first_cpu(entry, "vcpus");

	if (fa < 0 || fb < 0 || ka < 0 || kb < 0)
		return false;
	return (fa == ka && fb == kb) || (fa == kb && fb == ka);
}

/* The floor run to compare entry with: one between the same CPUs if any, else the first. */
static json_t *floor__pick(json_t *scenarios, const json_t *entry, size_t *index)
{
	json_t *sc, *first = NULL;
	size_t i, first_index = 0;

	json_array_foreach(scenarios, i, sc) {
		double p[2];

		if (!entry__measures(sc, "floor") || !latency__p50_p99(json_object_get(sc, "latency_ns"), p))
			continue;
		if (floor__same_cpus(sc, entry)) {
			*index = i;
			return sc;
		}
		if (!first) {
			first = sc;
			first_index = i;
		}
	}
	*index = first_index;
	return first;
}

static json_t *ratio__value(double kick, double floor)
{
	return floor > 0 ? json_real(kick / floor) : json_null();
}

/* {"floor", "p50", "p99", "floor_p50_ns", "floor_p99_ns"}; NULL when that floor has no samples. */
static json_t *floor_ratio__one(const char *kind, const json_t *floor_lat, const double kick[2])
{
	double f[2];

	if (!latency__p50_p99(floor_lat, f))
		return NULL;
	return json_pack("{s:s, s:o, s:o, s:f, s:f}", "floor", kind,
			 "p50", ratio__value(kick[0], f[0]), "p99", ratio__value(kick[1], f[1]),
			 "floor_p50_ns", f[0], "floor_p99_ns", f[1]);
}

/*
 * A running target is compared with the ping-pong (noticing a flag), a halted
 * one with the wake-up (being woken); a mixed one with the ping-pong, plus
 * the wake-up ratio nested under "wake_up".
 */
static json_t *floor_ratio__json(json_t *floor, size_t floor_index, const json_t *entry)
{
	const char *state = json_string_value(json_object_get(json_object_get(entry, "params"),
							      "target_state"));
	json_t *wake_lat = json_object_get(json_object_get(floor, "details"), "wake_up_ns");
	double kick[2];
	json_t *ratio;

	if (!latency__p50_p99(json_object_get(entry, "latency_ns"), kick))
		return NULL;
	if (state && !strcmp(state, "halted"))
		ratio = floor_ratio__one("wake_up", wake_lat, kick);
	else
		ratio = floor_ratio__one("ping_pong", json_object_get(floor, "latency_ns"), kick);
	if (!ratio)
		return NULL;
	if (state && !strcmp(state, "mixed")) {
		json_t *wake = floor_ratio__one("wake_up", wake_lat, kick);

		if (wake)
			json_object_set_new(ratio, "wake_up", wake);
	}
	json_object_set_new(ratio, "floor_scenario_index", json_integer((json_int_t)floor_index));
	json_object_set_new(ratio, "cpus_match", json_boolean(floor__same_cpus(floor, entry)));
	return ratio;
}

/* After every scenario ran, whatever the order: kick latencies as multiples of the floor. */
void floor_ratio__annotate(json_t *scenarios)
{
	json_t *entry;
	size_t i;

	json_array_foreach(scenarios, i, entry) {
		size_t floor_index;
		json_t *floor, *ratio;

		/* One-way kick latencies, request to observer, like the floor's. */
		if (!entry__measures(entry, "kick"))
			continue;
		floor = floor__pick(scenarios, entry, &floor_index);
		ratio = floor ? floor_ratio__json(floor, floor_index, entry) : NULL;
		if (ratio)
			json_object_set_new(entry, "floor_ratio", ratio);
	}
}

