// SPDX-License-Identifier: MIT
/*
 * Delivery-path classification. The contract (kickstorm(1), DELIVERY PATH):
 *
 * Every rate is per kick, summed over the scenario's target vCPUs, and what
 * decides is what the kicks CAUSED: the storm's rate minus that of a
 * kick-free control window on the same vCPUs, scaled to the storm's length.
 * A vCPU exits on its own (timer ticks, and on an emulating host such as
 * kvm_pvm at the end of every batch of emulated instructions), so exits
 * that merely happened during the storm say nothing about the kicks.
 * "exits" below means exits not caused by HLT (exits minus halt_exits):
 * a halted vCPU exits once to block before it can be woken.
 *
 *   1. No kicks                                           -> unknown
 *   2. No control window (interrupted), or a stat the
 *      applicable rule needs is missing                   -> unknown
 *   3. Halted target:
 *        caused halt_wakeup/kick >= 0.5                   -> wakeup
 *        signal kicks: caused signal_exits/kick >= 0.5
 *        (a signal wakes the thread without
 *        kvm_vcpu_wake_up)                                -> wakeup
 *        otherwise                                        -> unknown
 *   4. Running target:
 *        caused irq_exits/kick >= 0.5 and above the control's
 *        noise (z > 3): a kick IPI forced the vCPU out of guest
 *        mode, which costs an external-interrupt exit      -> ipi
 *        (only where the irq_exits stat is missing: the same
 *        test on all non-HLT exits)                         -> ipi
 *        caused exits/kick < 0.1, the host can post (APICv
 *        or AVIC enabled) and the kick is an interrupt    -> posted
 *        otherwise                                        -> unknown, with
 *        the reason. Exits the kicks come with that are not external-
 *        interrupt exits (the handler's EOI or IRET ending an emulation
 *        batch, say) are shown but are no evidence of a kick IPI.
 *   5. Mixed target:
 *        caused halt_wakeup/kick >= 0.5 and at least the
 *        caused exits                                     -> wakeup
 *        caused irq_exits as for "running"                -> ipi
 *        otherwise                                        -> unknown
 *
 * The tool never claims a path it did not observe: "posted" needs both the
 * absence of caused exits and a host that can post.
 */
#include "classify.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define CAUSED_PER_KICK		0.5	/* at or above: every kick caused it */
#define POSTED_MAX_EXITS	0.1	/* below: kicks did not cost exits */
#define NOISE_Z			3.0	/* excess over the control, in its standard deviations */

#define REASON_LEN 512

static const char *const path_names[] = {
	[DELIVERY_POSTED] = "posted",
	[DELIVERY_IPI] = "ipi",
	[DELIVERY_WAKEUP] = "wakeup",
	[DELIVERY_UNKNOWN] = "unknown",
	[DELIVERY_NOT_APPLICABLE] = "not_applicable",
};

const char *delivery__name(enum delivery_path p)
{
	return path_names[p];
}

static bool known(double r)
{
	return r >= 0.0;
}

/* Exits not explained by the vCPU blocking in HLT; -1 when exits is missing. */
static double non_halt_exits(const struct delivery_rates *r)
{
	double x;

	if (!known(r->exits))
		return -1.0;
	x = r->exits;
	if (known(r->halt_exits))
		x -= r->halt_exits;
	return x > 0.0 ? x : 0.0;
}

/*
 * Storm minus control for one stat: negative when the vCPUs happened to do
 * more of it without kicks; NAN when either is missing.
 */
static double caused(double storm, double control)
{
	if (!known(storm) || !known(control))
		return NAN;
	return storm - control;
}

static bool caused_known(double c)
{
	return !isnan(c);
}

static double caused_exits(const struct delivery_inputs *in)
{
	return caused(non_halt_exits(&in->storm), non_halt_exits(&in->control));
}

/*
 * Is the storm's count above the control's by more than counting noise?
 * Both are Poisson-like counts; the control was scaled by control_scale,
 * which scales its variance by the square.
 */
static bool significant(const struct delivery_inputs *in, double storm_rate, double control_rate)
{
	double kicks = (double)in->kicks;
	double storm = storm_rate * kicks, control = control_rate * kicks;
	double scale = in->control_scale > 0 ? in->control_scale : 1.0;

	return storm - control > NOISE_Z * sqrt(storm + control * scale + 1.0);
}

static enum delivery_path classify__halted(const struct delivery_inputs *in,
					   char *reason, size_t len)
{
	const char *stat = in->kick_is_interrupt ? "halt_wakeup" : "signal_exits";
	double storm = in->kick_is_interrupt ? in->storm.halt_wakeup : in->storm.signal_exits;
	double control = in->kick_is_interrupt ? in->control.halt_wakeup : in->control.signal_exits;
	double c = caused(storm, control);

	if (!caused_known(c)) {
		ks_format(reason, len, "the %s stat is missing, so a wakeup of the halted target "
			  "cannot be confirmed", stat);
		return DELIVERY_UNKNOWN;
	}
	if (c >= CAUSED_PER_KICK) {
		ks_format(reason, len, "the kicks caused %.3g %s per kick (%.3g in the storm, %.3g "
			  "without kicks; >= %.1f) to a halted target: each %s woke a vCPU %s",
			  c, stat, storm, control, CAUSED_PER_KICK,
			  in->kick_is_interrupt ? "interrupt" : "signal",
			  in->kick_is_interrupt ? "blocked in HLT" : "thread blocked in KVM_RUN");
		return DELIVERY_WAKEUP;
	}
	ks_format(reason, len, "the kicks caused only %.3g %s per kick (< %.1f) to a halted "
		  "target: the vCPUs were mostly not blocked when kicked (halt polling, or "
		  "still on their way to HLT), so no path is claimed", c, stat, CAUSED_PER_KICK);
	return DELIVERY_UNKNOWN;
}

/*
 * Running or mixed: did the kicks force the vCPU out of guest mode? That
 * costs an external-interrupt exit; only a kernel without the irq_exits
 * stat is judged on all its non-HLT exits instead.
 */
static bool classify__forced_exits(const struct delivery_inputs *in, double exits,
				   char *reason, size_t len)
{
	double irq = caused(in->storm.irq_exits, in->control.irq_exits);

	if (caused_known(irq)) {
		if (irq < CAUSED_PER_KICK || !significant(in, in->storm.irq_exits, in->control.irq_exits))
			return false;
		ks_format(reason, len, "the kicks caused %.3g external-interrupt exits per kick "
			  "(irq_exits %.3g in the storm, %.3g without kicks; >= %.1f and above the "
			  "control's noise): each kick forced the vCPU out of guest mode", irq,
			  in->storm.irq_exits, in->control.irq_exits, CAUSED_PER_KICK);
		return true;
	}
	if (exits < CAUSED_PER_KICK ||
	    !significant(in, non_halt_exits(&in->storm), non_halt_exits(&in->control)))
		return false;
	ks_format(reason, len, "the kicks caused %.3g non-HLT exits per kick (%.3g in the storm, "
		  "%.3g without kicks; >= %.1f and above the control's noise; this kernel has no "
		  "irq_exits stat to tell which): each kick forced the vCPU out of guest mode",
		  exits, non_halt_exits(&in->storm), non_halt_exits(&in->control), CAUSED_PER_KICK);
	return true;
}

static enum delivery_path classify__running(const struct delivery_inputs *in,
					    char *reason, size_t len)
{
	double exits = caused_exits(in);

	if (!caused_known(exits)) {
		ks_format(reason, len, "the exits stat is missing, so whether kicks cost VM "
			  "exits cannot be decided");
		return DELIVERY_UNKNOWN;
	}
	if (classify__forced_exits(in, exits, reason, len))
		return DELIVERY_IPI;
	if (exits < POSTED_MAX_EXITS && in->kick_is_interrupt && in->host_can_post) {
		ks_format(reason, len, "the kicks caused %.3g exits per kick (< %.1f) to a running "
			  "target on a host with APICv/AVIC enabled: the interrupts were posted "
			  "without VM exits", exits, POSTED_MAX_EXITS);
		return DELIVERY_POSTED;
	}
	if (exits < POSTED_MAX_EXITS) {
		ks_format(reason, len, "the kicks caused %.3g exits per kick (%.3g in the storm, "
			  "%.3g without kicks): they forced no exit of their own, and %s, so they "
			  "were picked up at exits the vCPU takes anyway (on an emulating host, the "
			  "end of a batch of emulated instructions); no path is claimed", exits,
			  non_halt_exits(&in->storm), non_halt_exits(&in->control),
			  !in->kick_is_interrupt ? "signal kicks are never posted" :
			  "this host cannot post interrupts (no APICv/AVIC)");
		return DELIVERY_UNKNOWN;
	}
	if (exits >= CAUSED_PER_KICK && caused_known(caused(in->storm.irq_exits, in->control.irq_exits))) {
		ks_format(reason, len, "the kicks came with %.3g more exits per kick than the vCPU "
			  "takes without them (%.3g against %.3g), but not with the external-"
			  "interrupt exits (irq_exits %.3g per kick caused) a kick forcing the vCPU "
			  "out of guest mode costs; exits that come with handling a request (the "
			  "handler's EOI or IRET ending an emulation batch, say) are no evidence of "
			  "a kick IPI, so no path is claimed", exits, non_halt_exits(&in->storm),
			  non_halt_exits(&in->control),
			  caused(in->storm.irq_exits, in->control.irq_exits));
		return DELIVERY_UNKNOWN;
	}
	ks_format(reason, len, "the kicks caused %.3g exits per kick (%.3g in the storm, %.3g "
		  "without kicks): some kicks may have cost an exit and some not, or the excess "
		  "is within the control's noise, so no path is claimed", exits,
		  non_halt_exits(&in->storm), non_halt_exits(&in->control));
	return DELIVERY_UNKNOWN;
}

static enum delivery_path classify__mixed(const struct delivery_inputs *in,
					  char *reason, size_t len)
{
	double wakeups = caused(in->storm.halt_wakeup, in->control.halt_wakeup);
	double exits = caused_exits(in);

	if (!caused_known(wakeups) || !caused_known(exits)) {
		ks_format(reason, len, "the %s stat is missing, so a mixed target cannot be "
			  "classified", caused_known(exits) ? "halt_wakeup" : "exits");
		return DELIVERY_UNKNOWN;
	}
	if (wakeups >= CAUSED_PER_KICK && wakeups >= exits) {
		ks_format(reason, len, "the kicks caused %.3g halt wakeups per kick (>= %.1f), "
			  "more than the %.3g non-HLT exits they caused, on a mixed target: most "
			  "kicks woke a halted vCPU", wakeups, CAUSED_PER_KICK, exits);
		return DELIVERY_WAKEUP;
	}
	if (classify__forced_exits(in, exits, reason, len))
		return DELIVERY_IPI;
	ks_format(reason, len, "the kicks caused %.3g halt wakeups and %.3g non-HLT exits per "
		  "kick on a mixed target: neither reaches %.1f above the kick-free control, so "
		  "no path is claimed", wakeups, exits, CAUSED_PER_KICK);
	return DELIVERY_UNKNOWN;
}

static enum delivery_path classify__decide(const struct delivery_inputs *in,
					   char *reason, size_t len)
{
	const char *state = in->target_state ? in->target_state : "";

	if (!in->kicks) {
		ks_format(reason, len, "no kicks were sent, so there is nothing to classify");
		return DELIVERY_UNKNOWN;
	}
	if (!in->have_control) {
		ks_format(reason, len, "%s, so exits the kicks caused cannot be told from those "
			  "the vCPUs take on their own; no path is claimed",
			  in->no_control_why ? in->no_control_why : "no kick-free control window");
		return DELIVERY_UNKNOWN;
	}
	if (!strcmp(state, "halted"))
		return classify__halted(in, reason, len);
	if (!strcmp(state, "running"))
		return classify__running(in, reason, len);
	if (!strcmp(state, "mixed"))
		return classify__mixed(in, reason, len);
	ks_format(reason, len, "target state '%s' is not running, halted or mixed", state);
	return DELIVERY_UNKNOWN;
}

static json_t *rate__json(double r)
{
	return known(r) ? json_real(r) : json_null();
}

static json_t *caused__value(double c)
{
	return caused_known(c) ? json_real(c) : json_null();
}

static json_t *rates__json(const struct delivery_rates *r)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}",
			 "exits", rate__json(r->exits),
			 "non_halt_exits", rate__json(non_halt_exits(r)),
			 "irq_exits", rate__json(r->irq_exits),
			 "halt_wakeup", rate__json(r->halt_wakeup),
			 "halt_exits", rate__json(r->halt_exits),
			 "signal_exits", rate__json(r->signal_exits));
}

static json_t *caused__json(const struct delivery_inputs *in)
{
	const struct delivery_rates *s = &in->storm, *c = &in->control;

	return json_pack("{s:o, s:o, s:o, s:o}",
			 "non_halt_exits", caused__value(caused_exits(in)),
			 "irq_exits", caused__value(caused(s->irq_exits, c->irq_exits)),
			 "halt_wakeup", caused__value(caused(s->halt_wakeup, c->halt_wakeup)),
			 "signal_exits", caused__value(caused(s->signal_exits, c->signal_exits)));
}

static json_t *evidence__build(const struct delivery_inputs *in, enum delivery_path path,
			       const char *reason)
{
	json_t *thresholds = json_pack("{s:f, s:f, s:f}",
				       "caused_per_kick", CAUSED_PER_KICK,
				       "posted_max_exits_per_kick", POSTED_MAX_EXITS,
				       "noise_z", NOISE_Z);

	return json_pack("{s:s, s:b, s:b, s:s?, s:I, s:f, s:f, s:f, s:o, s:o, s:o, s:o, s:s}",
			 "path", delivery__name(path),
			 "host_can_post", in->host_can_post,
			 "kick_is_interrupt", in->kick_is_interrupt,
			 "target_state", in->target_state,
			 "kicks", (json_int_t)in->kicks,
			 "storm_s", in->storm_s, "control_s", in->have_control ? in->control_s : 0.0,
			 "control_scale", in->have_control ? in->control_scale : 0.0,
			 "storm", rates__json(&in->storm),
			 "control", in->have_control ? rates__json(&in->control) : json_null(),
			 "caused", in->have_control ? caused__json(in) : json_null(),
			 "thresholds", thresholds,
			 "reason", reason);
}

enum delivery_path delivery__classify(const struct delivery_inputs *in, json_t **evidence)
{
	char reason[REASON_LEN];
	enum delivery_path path = classify__decide(in, reason, sizeof(reason));

	if (evidence)
		*evidence = evidence__build(in, path, reason);
	return path;
}

json_t *delivery__not_applicable(const char *why)
{
	return json_pack("{s:s, s:s}", "path", delivery__name(DELIVERY_NOT_APPLICABLE),
			 "reason", why);
}

void delivery__rates_from_json(struct delivery_rates *r, const json_t *per_kick)
{
	const struct {
		const char *name;
		double *dst;
	} fields[] = {
		{ "exits", &r->exits },
		{ "irq_exits", &r->irq_exits },
		{ "halt_wakeup", &r->halt_wakeup },
		{ "halt_exits", &r->halt_exits },
		{ "signal_exits", &r->signal_exits },
	};

	for (size_t i = 0; i < KS_ARRAY_SIZE(fields); i++) {
		const json_t *v = per_kick ? json_object_get(per_kick, fields[i].name) : NULL;

		*fields[i].dst = json_is_number(v) ? json_number_value(v) : -1.0;
	}
}

void delivery__rates_scale(struct delivery_rates *r, double factor)
{
	double *all[] = { &r->exits, &r->irq_exits, &r->halt_wakeup, &r->halt_exits,
			  &r->signal_exits };

	for (size_t i = 0; i < KS_ARRAY_SIZE(all); i++)
		if (known(*all[i]))
			*all[i] *= factor;
}
