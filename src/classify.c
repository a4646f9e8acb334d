// SPDX-License-Identifier: MIT
/*
 * Delivery-path classification. The contract (kickstorm(1), DELIVERY PATH):
 *
 * Inputs are per-kick ratios of KVM stat deltas summed over the scenario's
 * vCPUs, where "exits" below means exits not caused by HLT (exits minus
 * halt_exits when halt_exits is known). A halted vCPU exits once to block in
 * HLT before it can be woken, and that exit says nothing about how the kick
 * travelled, so it must not count as evidence for an exit-based kick.
 *
 *   1. No kicks delivered                                 -> unknown
 *   2. A stat the applicable rule needs is missing        -> unknown
 *   3. Halted target:
 *        halt_wakeup/kick >= 0.5                          -> wakeup
 *        signal kicks: signal_exits/kick >= 0.5 (a signal
 *        wakes the thread without kvm_vcpu_wake_up)       -> wakeup
 *        otherwise (halt polling caught the kick, or the
 *        vCPU never blocked)                              -> unknown
 *   4. Running target:
 *        exits/kick >= 0.5 (a kick costs an exit)         -> ipi
 *        exits/kick <  0.1 and the host can post (APICv
 *        or AVIC enabled) and the kick is an interrupt
 *        (msi, irqfd, guest IPI; not a signal)            -> posted
 *        exits/kick <  0.1 but the host cannot post, or
 *        the kick is a userspace signal                   -> unknown
 *        0.1 <= exits/kick < 0.5 (some kicks exited,
 *        some did not)                                    -> unknown
 *   5. Mixed target:
 *        halt_wakeup/kick >= 0.5 and at least exits/kick  -> wakeup
 *        exits/kick >= 0.5                                -> ipi
 *        otherwise                                        -> unknown
 *   6. Any other target state                             -> unknown
 *
 * The tool never claims a path it did not observe: "posted" needs both the
 * absence of exits and a host that can post, because few exits on a host
 * without APICv/AVIC means the kicks found the vCPU outside guest mode (it
 * noticed the interrupt on its next entry), not that they were posted.
 *
 * Caveat recorded for the man page: the ratios sum over the vCPUs given, so a
 * guest-IPI scenario that includes its senders counts their ICR-write exits
 * too (unless IPI virtualization is on); pass the targets' stats only.
 */
#include "classify.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

#define EXIT_PER_KICK		0.5	/* at or above: every kick cost an exit */
#define POSTED_MAX_EXITS	0.1	/* below: kicks did not cost exits */
#define WAKEUP_PER_KICK		0.5	/* at or above: kicks woke a halted vCPU */

#define REASON_LEN 384

const char *delivery__name(enum delivery_path p)
{
	switch (p) {
	case DELIVERY_POSTED:
		return "posted";
	case DELIVERY_IPI:
		return "ipi";
	case DELIVERY_WAKEUP:
		return "wakeup";
	case DELIVERY_UNKNOWN:
		break;
	}
	return "unknown";
}

static bool ratio__known(double r)
{
	return r >= 0.0;
}

/* Exits not explained by the vCPU blocking in HLT; -1 when exits is missing. */
static double non_halt_exits(const struct delivery_inputs *in)
{
	double r;

	if (!ratio__known(in->exits_per_kick))
		return -1.0;
	r = in->exits_per_kick;
	if (ratio__known(in->halt_exits_per_kick))
		r -= in->halt_exits_per_kick;
	return r > 0.0 ? r : 0.0;
}

/* Names the number the running-target reasons quote, so it can be checked. */
static const char *exits__label(const struct delivery_inputs *in)
{
	return in->halt_exits_per_kick > 0.0 ? "non-HLT exits" : "exits";
}

/*
 * A signal wakes a vCPU thread blocked in HLT directly, not through
 * kvm_vcpu_wake_up(), so halt_wakeup stays 0; the signal exit KVM_RUN takes
 * on the way out is the evidence instead.
 */
static enum delivery_path classify__halted_signal(const struct delivery_inputs *in,
						  char *reason, size_t len)
{
	double sig = in->signal_exits_per_kick;

	if (!ratio__known(sig)) {
		ks_format(reason, len, "the signal_exits stat is missing, so a signal wakeup of "
			  "the halted target cannot be confirmed");
		return DELIVERY_UNKNOWN;
	}
	if (sig >= WAKEUP_PER_KICK) {
		ks_format(reason, len, "%.3g signal exits per kick (>= %.1f) to a halted target: "
			  "each signal woke a vCPU thread blocked in HLT", sig, WAKEUP_PER_KICK);
		return DELIVERY_WAKEUP;
	}
	ks_format(reason, len, "only %.3g signal exits per kick (< %.1f) to a halted target: "
		  "most signals found the thread outside KVM_RUN, so no path is claimed",
		  sig, WAKEUP_PER_KICK);
	return DELIVERY_UNKNOWN;
}

static enum delivery_path classify__halted(const struct delivery_inputs *in,
					   char *reason, size_t len)
{
	double wakeups = in->halt_wakeup_per_kick;

	if (!in->kick_is_interrupt)
		return classify__halted_signal(in, reason, len);

	if (!ratio__known(wakeups)) {
		ks_format(reason, len, "the halt_wakeup stat is missing, so a wakeup of the "
			  "halted target cannot be confirmed");
		return DELIVERY_UNKNOWN;
	}
	if (wakeups >= WAKEUP_PER_KICK) {
		ks_format(reason, len, "%.3g halt wakeups per kick (>= %.1f) to a halted target: "
			  "the kicks woke vCPUs blocked in HLT", wakeups, WAKEUP_PER_KICK);
		return DELIVERY_WAKEUP;
	}
	ks_format(reason, len, "only %.3g halt wakeups per kick (< %.1f) to a halted target: "
		  "the vCPUs were mostly not blocked when kicked (halt polling or no HLT), "
		  "so no path is claimed", wakeups, WAKEUP_PER_KICK);
	return DELIVERY_UNKNOWN;
}

static enum delivery_path classify__few_exits(const struct delivery_inputs *in, double exits,
					      char *reason, size_t len)
{
	if (!in->kick_is_interrupt) {
		ks_format(reason, len, "only %.3g %s per kick (< %.1f) for signal kicks, which "
			  "are never posted: the vCPUs were mostly outside guest mode when kicked",
			  exits, exits__label(in), POSTED_MAX_EXITS);
		return DELIVERY_UNKNOWN;
	}
	if (!in->host_can_post) {
		ks_format(reason, len, "only %.3g %s per kick (< %.1f) to a running target, but "
			  "this host cannot post interrupts (no APICv/AVIC), so a posted path is "
			  "not claimed", exits, exits__label(in), POSTED_MAX_EXITS);
		return DELIVERY_UNKNOWN;
	}
	ks_format(reason, len, "%.3g %s per kick (< %.1f) to a running target on a host with "
		  "APICv/AVIC enabled: the interrupts were posted without VM exits",
		  exits, exits__label(in), POSTED_MAX_EXITS);
	return DELIVERY_POSTED;
}

static enum delivery_path classify__running(const struct delivery_inputs *in,
					    char *reason, size_t len)
{
	double exits = non_halt_exits(in);

	if (!ratio__known(exits)) {
		ks_format(reason, len, "the exits stat is missing, so whether kicks cost VM "
			  "exits cannot be decided");
		return DELIVERY_UNKNOWN;
	}
	if (exits >= EXIT_PER_KICK) {
		char irq[32] = "n/a";

		if (ratio__known(in->irq_exits_per_kick))
			ks_format(irq, sizeof(irq), "%.3g", in->irq_exits_per_kick);
		ks_format(reason, len, "%.3g %s per kick (>= %.1f, irq_exits %s per kick) to a "
			  "running target: each kick forced the vCPU out of guest mode",
			  exits, exits__label(in), EXIT_PER_KICK, irq);
		return DELIVERY_IPI;
	}
	if (exits < POSTED_MAX_EXITS)
		return classify__few_exits(in, exits, reason, len);

	ks_format(reason, len, "%.3g %s per kick is between %.1f and %.1f: some kicks cost "
		  "an exit and some did not, so no path is claimed",
		  exits, exits__label(in), POSTED_MAX_EXITS, EXIT_PER_KICK);
	return DELIVERY_UNKNOWN;
}

static enum delivery_path classify__mixed(const struct delivery_inputs *in,
					  char *reason, size_t len)
{
	double wakeups = in->halt_wakeup_per_kick;
	double exits = non_halt_exits(in);

	if (!ratio__known(wakeups) || !ratio__known(exits)) {
		ks_format(reason, len, "the %s stat is missing, so a mixed target cannot be "
			  "classified", ratio__known(exits) ? "halt_wakeup" : "exits");
		return DELIVERY_UNKNOWN;
	}
	if (wakeups >= WAKEUP_PER_KICK && wakeups >= exits) {
		ks_format(reason, len, "%.3g halt wakeups per kick (>= %.1f) outweigh %.3g non-HLT "
			  "exits per kick on a mixed target: most kicks woke a halted vCPU",
			  wakeups, WAKEUP_PER_KICK, exits);
		return DELIVERY_WAKEUP;
	}
	if (exits >= EXIT_PER_KICK) {
		ks_format(reason, len, "%.3g non-HLT exits per kick (>= %.1f) against %.3g halt "
			  "wakeups per kick on a mixed target: most kicks forced an exit",
			  exits, EXIT_PER_KICK, wakeups);
		return DELIVERY_IPI;
	}
	ks_format(reason, len, "%.3g halt wakeups and %.3g non-HLT exits per kick on a mixed "
		  "target: neither reaches %.1f, so no path is claimed",
		  wakeups, exits, EXIT_PER_KICK);
	return DELIVERY_UNKNOWN;
}

static enum delivery_path classify__decide(const struct delivery_inputs *in,
					   char *reason, size_t len)
{
	const char *state = in->target_state ? in->target_state : "";

	if (!in->kicks) {
		ks_format(reason, len, "no kicks were delivered, so there is nothing to classify");
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

static json_t *ratio__json(double r)
{
	return ratio__known(r) ? json_real(r) : json_null();
}

static json_t *evidence__build(const struct delivery_inputs *in, enum delivery_path path,
			       const char *reason)
{
	json_t *ratios = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}",
				   "exits", ratio__json(in->exits_per_kick),
				   "non_halt_exits", ratio__json(non_halt_exits(in)),
				   "irq_exits", ratio__json(in->irq_exits_per_kick),
				   "halt_wakeup", ratio__json(in->halt_wakeup_per_kick),
				   "halt_exits", ratio__json(in->halt_exits_per_kick),
				   "signal_exits", ratio__json(in->signal_exits_per_kick));
	json_t *thresholds = json_pack("{s:f, s:f, s:f}",
				       "exit_per_kick", EXIT_PER_KICK,
				       "posted_max_exits_per_kick", POSTED_MAX_EXITS,
				       "wakeup_per_kick", WAKEUP_PER_KICK);

	return json_pack("{s:s, s:b, s:b, s:s?, s:I, s:o, s:o, s:s}",
			 "path", delivery__name(path),
			 "host_can_post", in->host_can_post,
			 "kick_is_interrupt", in->kick_is_interrupt,
			 "target_state", in->target_state,
			 "kicks", (json_int_t)in->kicks,
			 "ratios", ratios,
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

void delivery__ratios_from_json(struct delivery_inputs *in, const json_t *per_kick)
{
	const struct {
		const char *name;
		double *dst;
	} fields[] = {
		{ "exits", &in->exits_per_kick },
		{ "irq_exits", &in->irq_exits_per_kick },
		{ "halt_wakeup", &in->halt_wakeup_per_kick },
		{ "halt_exits", &in->halt_exits_per_kick },
		{ "signal_exits", &in->signal_exits_per_kick },
	};

	for (size_t i = 0; i < KS_ARRAY_SIZE(fields); i++) {
		const json_t *v = per_kick ? json_object_get(per_kick, fields[i].name) : NULL;

		*fields[i].dst = json_is_number(v) ? json_number_value(v) : -1.0;
	}
}
