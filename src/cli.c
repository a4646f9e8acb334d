// SPDX-License-Identifier: MIT
/* `kickstorm run` options: parsing, validation and the usage text. */
#include "config.h"
#include "scenario.h"
#include "sweep_spec.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const target_names[] = { "running", "halted", "mixed" };
static const char *const pattern_names[] = { "one-to-one", "one-to-all", "all-to-all" };
static const char *const format_names[] = { "text", "json", "markdown" };

const char *target_state__name(enum target_state t)
{
	return target_names[t];
}

const char *pattern__name(enum kick_pattern p)
{
	return pattern_names[p];
}

const char *run_format__name(enum run_format f)
{
	return format_names[f];
}

static int lookup_name(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	return -1;
}

void config__defaults(struct ks_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->vcpus = 2;
	cfg->senders = 1;
	cfg->burst = 1;
	cfg->target = TARGET_HALTED;
	cfg->pattern = PATTERN_ONE_TO_ONE;
	cfg->protocol = PROTOCOL_IMMEDIATE_EXIT;
	cfg->deadline_ms = KS_DEFAULT_DEADLINE_MS;
	cfg->lost_after_ms = KS_DEFAULT_LOST_AFTER_MS;
	cfg->placement = PLACEMENT_COMPACT;
	cfg->seed = 1;
	cfg->repeat = 1;
	cfg->format = RUN_FORMAT_TEXT;
}

/* "0x10", "010", "1e3", "inf": a number, but not written the way kickstorm reads numbers. */
static bool number__foreign(const char *s)
{
	if (*s == '+' || *s == '-')
		s++;
	if (!isdigit((unsigned char)*s) && *s != '.')
		return !strcasecmp(s, "inf") || !strcasecmp(s, "infinity") || !strcasecmp(s, "nan");
	if (s[0] == '0' && (isdigit((unsigned char)s[1]) || s[1] == 'x' || s[1] == 'X'))
		return true;
	return strpbrk(s, "eE") != NULL;
}

int config__usage_error(const char *opt, const char *value, const char *allowed)
{
	fprintf(stderr, "kickstorm run: %s '%s' is not valid (allowed: %s%s)\n", opt, value, allowed,
		number__foreign(value) ? ", as a plain decimal number" : "");
	return KS_EXIT_USAGE;
}

#define usage_error config__usage_error

static int empty_item_error(const char *opt, const char *value, const char *allowed)
{
	fprintf(stderr, "kickstorm run: %s '%s' has an empty item (allowed: %s)\n", opt, value, allowed);
	return KS_EXIT_USAGE;
}

/* "", ",1", "1," and "1,,2": a list whose items are separated by single commas. */
static bool list__has_empty_item(const char *s)
{
	size_t len = strlen(s);

	return !len || s[0] == ',' || s[len - 1] == ',' || strstr(s, ",,");
}

static int parse_scenarios(struct ks_config *cfg, const char *list)
{
	char buf[512], *rest = buf, *tok;

	if (strlen(list) >= sizeof(buf) || !*list)
		return usage_error("--scenario", list, scenario__names_help());
	strcpy(buf, list);
	cfg->nscenarios = 0;
	/* strsep, not strtok: "signal,", ",msi" and "," are mistakes, not one scenario. */
	while ((tok = strsep(&rest, ","))) {
		if (!*tok)
			return empty_item_error("--scenario", list, scenario__names_help());
		if (!strcmp(tok, "all")) {
			for (size_t i = 0; scenario_registry[i] && cfg->nscenarios < KS_MAX_SCENARIOS; i++)
				cfg->scenarios[cfg->nscenarios++] = scenario_registry[i];
			continue;
		}
		const struct scenario *sc = scenario__find(tok);

		if (!sc) {
			fprintf(stderr, "kickstorm run: --scenario: unknown scenario '%s' (allowed: %s)\n",
				tok, scenario__names_help());
			return KS_EXIT_USAGE;
		}
		if (cfg->nscenarios == KS_MAX_SCENARIOS)
			return usage_error("--scenario", list, "at most 16 scenarios");
		cfg->scenarios[cfg->nscenarios++] = sc;
	}
	return 0;
}

/* Options with a short form return that letter; the rest a code above 255. */
enum {
	OPT_SENDERS = 256, OPT_RATE, OPT_BURST, OPT_TARGET, OPT_PATTERN, OPT_PROTOCOL, OPT_RACE,
	OPT_GAP, OPT_DEADLINE, OPT_CPUS, OPT_PLACEMENT, OPT_SEED, OPT_SWEEP_VCPUS, OPT_REPEAT,
	OPT_HIST, OPT_PERCENTILES, OPT_FORMAT, OPT_LOST_AFTER, OPT_HALT_POLL, OPT_SWEEP,
	OPT_TRACE, OPT_TRACE_THRESHOLD, OPT_IPI_VIA, OPT_DELIVERY,
	OPT_SCENARIO = 's', OPT_VCPUS = 'n', OPT_DURATION = 'D', OPT_COUNT = 'c',
	OPT_OUTPUT = 'o', OPT_QUIET = 'q', OPT_HELP = 'h',
};

static const char run_short_options[] = ":s:n:D:c:o:qh";

static const struct option run_options[] = {
	{ "scenario", required_argument, NULL, OPT_SCENARIO },
	{ "vcpus", required_argument, NULL, OPT_VCPUS },
	{ "senders", required_argument, NULL, OPT_SENDERS },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "burst", required_argument, NULL, OPT_BURST },
	{ "target-state", required_argument, NULL, OPT_TARGET },
	{ "pattern", required_argument, NULL, OPT_PATTERN },
	{ "protocol", required_argument, NULL, OPT_PROTOCOL },
	{ "ipi-via", required_argument, NULL, OPT_IPI_VIA },
	{ "delivery", required_argument, NULL, OPT_DELIVERY },
	{ "race-window", required_argument, NULL, OPT_RACE },
	{ "gap", required_argument, NULL, OPT_GAP },
	{ "deadline", required_argument, NULL, OPT_DEADLINE },
	{ "lost-after", required_argument, NULL, OPT_LOST_AFTER },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "placement", required_argument, NULL, OPT_PLACEMENT },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "hist", no_argument, NULL, OPT_HIST },
	{ "percentiles", required_argument, NULL, OPT_PERCENTILES },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "halt-poll-ns", required_argument, NULL, OPT_HALT_POLL },
	{ "sweep", required_argument, NULL, OPT_SWEEP },
	{ "sweep-vcpus", required_argument, NULL, OPT_SWEEP_VCPUS },
	{ "repeat", required_argument, NULL, OPT_REPEAT },
	{ "trace", no_argument, NULL, OPT_TRACE },
	{ "trace-threshold", required_argument, NULL, OPT_TRACE_THRESHOLD },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* The scenario-shaping options, by getopt code and by enum ks_option. */
static const struct {
	int opt;
	enum ks_option bit;
	const char *name;
} shaping_options[] = {
	{ OPT_VCPUS, KS_OPT_VCPUS, "--vcpus" },
	{ OPT_SENDERS, KS_OPT_SENDERS, "--senders" },
	{ OPT_RATE, KS_OPT_RATE, "--rate" },
	{ OPT_BURST, KS_OPT_BURST, "--burst" },
	{ OPT_TARGET, KS_OPT_TARGET, "--target-state" },
	{ OPT_PATTERN, KS_OPT_PATTERN, "--pattern" },
	{ OPT_PROTOCOL, KS_OPT_PROTOCOL, "--protocol" },
	{ OPT_RACE, KS_OPT_RACE_WINDOW, "--race-window" },
	{ OPT_GAP, KS_OPT_GAP, "--gap" },
	{ OPT_DEADLINE, KS_OPT_DEADLINE, "--deadline" },
	{ OPT_LOST_AFTER, KS_OPT_LOST_AFTER, "--lost-after" },
	{ OPT_HALT_POLL, KS_OPT_HALT_POLL, "--halt-poll-ns" },
	{ OPT_TRACE, KS_OPT_TRACE, "--trace" },
	{ OPT_TRACE_THRESHOLD, KS_OPT_TRACE, "--trace-threshold" },
	{ OPT_IPI_VIA, KS_OPT_IPI_VIA, "--ipi-via" },
	{ OPT_DELIVERY, KS_OPT_DELIVERY, "--delivery" },
};

const char *config__option_name(enum ks_option o)
{
	for (size_t i = 0; i < KS_ARRAY_SIZE(shaping_options); i++)
		if (shaping_options[i].bit == o)
			return shaping_options[i].name;
	return "?";
}

static void config__note_given(struct ks_config *cfg, int opt)
{
	for (size_t i = 0; i < KS_ARRAY_SIZE(shaping_options); i++)
		if (shaping_options[i].opt == opt)
			cfg->given |= shaping_options[i].bit;
}

#define U64_OPTION(name, field, lo, hi, allowed)                                  \
	do {                                                                      \
		uint64_t v_;                                                      \
		if (parse__u64(optarg, (lo), (hi), &v_) < 0)                      \
			return usage_error(name, optarg, allowed);                \
		cfg->field = v_;                                                  \
	} while (0)

static int parse_enum_option(const char *opt, const char *const *names, size_t n,
			     const char *allowed, int *out)
{
	int v = lookup_name(optarg, names, n);

	if (v < 0)
		return usage_error(opt, optarg, allowed);
	*out = v;
	return 0;
}

/* What run prints on stdout after the storms. */
static int parse_output_option(struct ks_config *cfg, int opt)
{
	int v = 0;

	switch (opt) {
	case OPT_HIST: cfg->hist = true; return 0;
	case OPT_FORMAT:
		if (parse_enum_option("--format", format_names, KS_ARRAY_SIZE(format_names),
				      "text, json, markdown", &v))
			return KS_EXIT_USAGE;
		cfg->format = (enum run_format)v;
		cfg->format_given = true;
		return 0;
	case OPT_PERCENTILES: {
		char why[256];

		if (*optarg && list__has_empty_item(optarg))
			return empty_item_error("--percentiles", optarg, "e.g. 50,90,99,99.9");
		if (latency__parse_percentiles(optarg, cfg->percentiles, &cfg->npercentiles, why,
					       sizeof(why)) < 0) {
			fprintf(stderr, "kickstorm run: %s\n", why);
			return KS_EXIT_USAGE;
		}
		return 0;
	}
	default:
		return KS_EXIT_USAGE;
	}
}

static int parse_one(struct ks_config *cfg, int opt)
{
	int v = 0, ret = 0;

	switch (opt) {
	case OPT_SCENARIO: return parse_scenarios(cfg, optarg);
	case OPT_VCPUS: U64_OPTION("--vcpus", vcpus, 1, KS_MAX_VCPUS, "1-4096, and at most what KVM allows"); break;
	case OPT_SENDERS: U64_OPTION("--senders", senders, 1, KS_MAX_SENDERS, "1-64"); break;
	case OPT_COUNT: U64_OPTION("--count", count, 1, 1000000000000ull, "1-10^12 kicks per sender"); break;
	case OPT_RATE: U64_OPTION("--rate", rate_hz, 0, 100000000, "0 (closed loop) to 10^8 kicks/s"); break;
	case OPT_BURST: U64_OPTION("--burst", burst, 1, 4096, "1-4096"); break;
	case OPT_RACE: U64_OPTION("--race-window", race_window_ns, 0, 1000000000, "0-10^9 ns"); break;
	case OPT_GAP:
		U64_OPTION("--gap", gap_ns, 0, 1000000000, "0-10^9 ns");
		cfg->gap_given = true;
		break;
	case OPT_DEADLINE: U64_OPTION("--deadline", deadline_ms, 1, 600000, "1-600000 ms"); break;
	case OPT_LOST_AFTER:
		U64_OPTION("--lost-after", lost_after_ms, 1, 3600000, "1-3600000 ms");
		cfg->lost_after_given = true;
		break;
	case OPT_SEED: U64_OPTION("--seed", seed, 0, INT64_MAX, "0-9223372036854775807"); break;
	case OPT_REPEAT: U64_OPTION("--repeat", repeat, 1, 1000, "1-1000"); break;
	case OPT_TRACE: cfg->trace = true; break;
	case OPT_TRACE_THRESHOLD:
		U64_OPTION("--trace-threshold", trace_threshold_us, 1, 60000000, "1-60000000 us");
		cfg->trace = true;
		break;
	case OPT_DURATION:
		if (parse__seconds(optarg, 0.001, 86400, &cfg->duration_s) < 0)
			return usage_error("--duration", optarg, "0.001-86400 seconds");
		break;
	case OPT_TARGET:
		ret = parse_enum_option("--target-state", target_names, 3, "running, halted, mixed", &v);
		cfg->target = (enum target_state)v;
		break;
	case OPT_PATTERN:
		ret = parse_enum_option("--pattern", pattern_names, 3,
					"one-to-one, one-to-all, all-to-all", &v);
		cfg->pattern = (enum kick_pattern)v;
		break;
	case OPT_PROTOCOL:
		if (protocol__parse(optarg, &cfg->protocol) < 0)
			return usage_error("--protocol", optarg, "naive, immediate-exit, sigmask");
		break;
	case OPT_IPI_VIA:
		if (ipi_via__parse(optarg, &cfg->ipi_via) < 0)
			return usage_error("--ipi-via", optarg, "x2apic, xapic, pv");
		break;
	case OPT_DELIVERY:
		if (kick_delivery__parse(optarg, &cfg->delivery) < 0)
			return usage_error("--delivery", optarg, "fixed, nmi");
		break;
	case OPT_PLACEMENT:
		if (placement__parse(optarg, &cfg->placement) < 0)
			return usage_error("--placement", optarg, "compact, scatter, none");
		break;
	case OPT_CPUS:
		if (*optarg && list__has_empty_item(optarg))
			return empty_item_error("--cpus", optarg, "CPU numbers and ranges separated by commas, e.g. 0-3,6");
		if (parse__cpu_list(optarg, cfg->cpus, KS_MAX_CPUS, &cfg->ncpus, KS_MAX_CPUS) < 0)
			return usage_error("--cpus", optarg, "a list of distinct CPU numbers like 0-3,6");
		break;
	case OPT_OUTPUT:
		if (!*optarg)
			return usage_error("--output", optarg, "a file name, or - for stdout");
		cfg->output = optarg;
		break;
	case OPT_QUIET: cfg->quiet = true; break;
	case OPT_HALT_POLL:
		U64_OPTION("--halt-poll-ns", halt_poll_ns, 0, UINT32_MAX, "0-4294967295 ns");
		cfg->halt_poll_given = cfg->halt_poll_known = true;
		break;
	case OPT_SWEEP: return sweep_spec__parse(&cfg->sweep, "--sweep", optarg);
	case OPT_SWEEP_VCPUS: return sweep_spec__parse_list(&cfg->sweep, SWEEP_VCPUS, "--sweep-vcpus", optarg);
	default: return parse_output_option(cfg, opt);
	}
	return ret ? KS_EXIT_USAGE : 0;
}

/* Does a point of a sweep of p take value v? (config__check refuses a swept option given too.) */
static bool sweep_has(const struct ks_config *cfg, enum sweep_param p, uint64_t v)
{
	for (unsigned k = 0; cfg->sweep.param == p && k < cfg->sweep.n; k++)
		if (cfg->sweep.points[k] == v)
			return true;
	return false;
}

static int config__check(struct ks_config *cfg)
{
	enum sweep_param swept = cfg->sweep.param;
	const struct sweep_param_info *sw = sweep_spec__info(swept);

	/* The sweep sets its option at every point: a value given as well would go unused. */
	if (sw && (cfg->given & sw->option)) {
		fprintf(stderr, "kickstorm run: %s and --sweep %s=LIST both set %s (allowed: one of them)\n",
			config__option_name(sw->option), sw->name, sw->name);
		return KS_EXIT_USAGE;
	}
	/* A sweep of rate or burst checks the pair at each point (sweep_spec__check). */
	if (cfg->burst > 1 && !cfg->rate_hz && swept != SWEEP_RATE && swept != SWEEP_BURST) {
		fprintf(stderr, "kickstorm run: --burst %u needs an open-loop --rate above 0 "
			"(allowed: --burst 1 in a closed loop)\n", cfg->burst);
		return KS_EXIT_USAGE;
	}
	if (cfg->output && !strcmp(cfg->output, "-") && cfg->format != RUN_FORMAT_TEXT) {
		fprintf(stderr, "kickstorm run: --format %s prints on stdout, where --output - writes the "
			"report (allowed: one of them, or --format text)\n", run_format__name(cfg->format));
		return KS_EXIT_USAGE;
	}
	/* A request cannot be lost before it could be late. */
	if (cfg->lost_after_given && cfg->lost_after_ms < cfg->deadline_ms &&
	    swept != SWEEP_DEADLINE && swept != SWEEP_LOST_AFTER) {
		fprintf(stderr, "kickstorm run: --lost-after %u is shorter than --deadline %u (allowed: "
			"--lost-after at least --deadline)\n", cfg->lost_after_ms, cfg->deadline_ms);
		return KS_EXIT_USAGE;
	}
	if (!cfg->lost_after_given && cfg->lost_after_ms < cfg->deadline_ms)
		cfg->lost_after_ms = cfg->deadline_ms;
	if (!cfg->count && !cfg->duration_s)
		cfg->count = KS_DEFAULT_COUNT;
	/* The gap shapes closed loops only: a rate sweep through 0 gets it at every point. */
	if (!cfg->gap_given && (swept == SWEEP_RATE ? sweep_has(cfg, SWEEP_RATE, 0) : !cfg->rate_hz) &&
	    cfg->target != TARGET_RUNNING)
		cfg->gap_ns = KS_DEFAULT_HALTED_GAP_NS;
	if (!cfg->nscenarios)
		cfg->scenarios[cfg->nscenarios++] = scenario_registry[0];
	return sweep_spec__check(cfg);
}

int config__parse_run(struct ks_config *cfg, int argc, char **argv)
{
	int opt, ret;

	optind = 0;	/* glibc: 0 also resets its internal state, so parsing can be repeated */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, run_short_options, run_options, NULL)) != -1) {
		if (opt == OPT_HELP) {
			config__print_run_usage(stdout);
			return -1;
		}
		/* optopt names a bad short option inside a cluster like -qx; 0 for a long one. */
		if (opt == '?') {
			if (optopt)
				fprintf(stderr, "kickstorm run: unknown option '-%c' (allowed: -s -n -D -c -o -q "
					"-h and the long options of kickstorm run --help)\n", optopt);
			else
				fprintf(stderr, "kickstorm run: unknown option '%s' (allowed: the options "
					"listed by kickstorm run --help)\n", argv[optind - 1]);
			return KS_EXIT_USAGE;
		}
		if (opt == ':') {
			if (strncmp(argv[optind - 1], "--", 2))
				fprintf(stderr, "kickstorm run: option '-%c' needs a value (allowed: -%c VALUE, "
					"see kickstorm run --help)\n", optopt, optopt);
			else
				fprintf(stderr, "kickstorm run: option '%s' needs a value (allowed: %s VALUE, "
					"see kickstorm run --help)\n", argv[optind - 1], argv[optind - 1]);
			return KS_EXIT_USAGE;
		}
		ret = parse_one(cfg, opt);
		if (ret)
			return ret;
		config__note_given(cfg, opt);
	}
	if (optind < argc) {
		fprintf(stderr, "kickstorm run: unexpected argument '%s' (allowed: options only, see kickstorm run "
			"--help)\n",
			argv[optind]);
		return KS_EXIT_USAGE;
	}
	return config__check(cfg);
}

void config__print_run_usage(FILE *out)
{
	fputs("usage: kickstorm run [options]\n"
	      "\n"
	      "Runs kick/request storms against vCPUs of a real KVM guest, prints a table\n"
	      "and writes a JSON report. Numbers are plain decimals (no 0x, leading zeros\n"
	      "or exponents); lists are comma-separated without empty items.\n"
	      "\n"
	      "  -s, --scenario LIST      scenarios to run, comma-separated, or all (default: signal)\n"
	      "  -n, --vcpus N            vCPUs in the VM, 1 to KVM's KVM_CAP_MAX_VCPUS (default 2)\n"
	      "      --senders N          sender threads, 1-64 (default 1)\n"
	      "  -c, --count N            kicks per sender (default 2000 unless --duration is given)\n"
	      "  -D, --duration S         stop after S seconds (whichever of --count/--duration comes first)\n"
	      "      --rate HZ            open-loop kicks per second per sender; 0 = closed loop (default)\n"
	      "      --burst N            kicks sent back to back at each open-loop tick (default 1)\n"
	      "      --target-state STATE running, halted or mixed (default halted)\n"
	      "      --pattern PATTERN    one-to-one, one-to-all or all-to-all (default one-to-one)\n"
	      "      --protocol PROTOCOL  naive, immediate-exit or sigmask (default immediate-exit)\n"
	      "      --race-window NS     delay between the vCPU thread's request check and KVM_RUN\n"
	      "      --ipi-via PATH       ipi: x2apic (ICR MSR, default), xapic (ICR MMIO) or pv (hypercall)\n"
	      "      --delivery MODE      msi, ipi: fixed (a vectored interrupt, default) or nmi\n"
	      "      --gap NS             closed loop: random pause of up to NS before each kick\n"
	      "                           (default 0 for running targets, 1000000 for halted/mixed)\n"
	      "      --deadline MS        a request observed within MS is delivered, after it\n"
	      "                           late (default 10)\n"
	      "      --lost-after MS      a request still unobserved after MS is lost and re-kicked,\n"
	      "                           1-3600000 (default 1000, and never below --deadline)\n"
	      "      --cpus LIST          CPUs to use, e.g. 0-3,8 (default: all allowed)\n"
	      "      --placement POLICY   compact, scatter or none (default compact)\n"
	      "      --seed N             seed for randomised gaps (default 1)\n"
	      "      --halt-poll-ns N     the VM's halt-polling limit (KVM_CAP_HALT_POLL), 0-4294967295;\n"
	      "                           default: the kvm module's halt_poll_ns, recorded\n"
	      "      --sweep PARAM=LIST   run the scenarios PARAM shapes once per point, e.g.\n"
	      "                           race-window=0,5000,20000; PARAM: vcpus, senders, rate,\n"
	      "                           burst, gap, race-window, deadline, lost-after, halt-poll-ns\n"
	      "                           (not with that option itself)\n"
	      "      --sweep-vcpus LIST   the same as --sweep vcpus=LIST\n"
	      "      --repeat N           repeat every scenario N times (default 1)\n"
	      "      --trace              where each kick's time goes, from kernel tracepoints\n"
	      "                           (root, tracefs; signal, msi, irqfd, ipi)\n"
	      "      --trace-threshold US keep the raw events around the slowest kick over US\n"
	      "                           in a file beside the report (implies --trace)\n"
	      "  -o, --output FILE        JSON report path, - for stdout (default kickstorm-report.json)\n"
	      "      --format FORMAT      what stdout shows: text (the table, default), json or markdown\n"
	      "      --hist               a text latency histogram per scenario after the table\n"
	      "      --percentiles LIST   the table's percentile columns, e.g. 50,90,99,99.9\n"
	      "                           (1-12 values above 0 and up to 100, the maximum)\n"
	      "  -q, --quiet              no progress or notes on stderr\n"
	      "  -h, --help               this text\n", out);
}

json_t *config__to_json(const struct ks_config *cfg)
{
	json_t *names = json_array(), *cpus = json_array(), *sweep_vcpus = json_array(), *root;

	for (unsigned i = 0; i < cfg->nscenarios; i++)
		json_array_append_new(names, json_string(scenario__name(cfg->scenarios[i])));
	for (unsigned i = 0; i < cfg->ncpus; i++)
		json_array_append_new(cpus, json_integer(cfg->cpus[i]));
	for (unsigned i = 0; cfg->sweep.param == SWEEP_VCPUS && i < cfg->sweep.n; i++)
		json_array_append_new(sweep_vcpus, json_integer((json_int_t)cfg->sweep.points[i]));
	root = json_pack("{s:o, s:i, s:i, s:I, s:f, s:I, s:i, s:s, s:s, s:s, s:I, s:I, s:i,"
			 " s:i, s:o, s:s, s:I, s:o, s:i}",
			 "scenarios", names, "vcpus", cfg->vcpus, "senders", cfg->senders,
			 "count", (json_int_t)cfg->count, "duration_s", cfg->duration_s,
			 "rate_hz", (json_int_t)cfg->rate_hz, "burst", cfg->burst,
			 "target_state", target_state__name(cfg->target),
			 "pattern", pattern__name(cfg->pattern),
			 "protocol", protocol__name(cfg->protocol),
			 "race_window_ns", (json_int_t)cfg->race_window_ns,
			 "gap_ns", (json_int_t)cfg->gap_ns, "deadline_ms", cfg->deadline_ms,
			 "lost_after_ms", cfg->lost_after_ms,
			 "cpus", cpus, "placement", placement__name(cfg->placement),
			 "seed", (json_int_t)cfg->seed, "sweep_vcpus", sweep_vcpus, "repeat", cfg->repeat);
	json_object_set_new(root, "halt_poll_ns", cfg->halt_poll_known ?
			    json_integer((json_int_t)cfg->halt_poll_ns) : json_null());
	json_object_set_new(root, "halt_poll_source", json_string(cfg->halt_poll_given ? "option" :
				    cfg->halt_poll_known ? "kvm module default" : "unknown"));
	json_object_set_new(root, "sweep", sweep_spec__to_json(&cfg->sweep));
	json_object_set_new(root, "trace", json_boolean(cfg->trace));
	json_object_set_new(root, "trace_threshold_us", cfg->trace_threshold_us ?
			    json_integer((json_int_t)cfg->trace_threshold_us) : json_null());
	json_object_set_new(root, "ipi_via", json_string(ipi_via__name(cfg->ipi_via)));
	json_object_set_new(root, "delivery", json_string(kick_delivery__name(cfg->delivery)));
	return root;
}
