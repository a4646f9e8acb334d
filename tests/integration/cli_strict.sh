#!/bin/bash
# The command line says what it takes: short options, help for every
# command, and values that are refused (exit 2, one line naming the value and
# what is allowed) instead of being read some other way: empty list items,
# hex, octal-looking and exponent numbers.
. "$(dirname "$0")/../lib.sh"
ks_require_tool jq

out=$KS_TMP/never.json

# ---- help ----------------------------------------------------------------------
ks_run_status 0 "kickstorm -h" -h
ks_check "kickstorm -h prints the general usage" grep -q '^usage: kickstorm COMMAND' "$KS_TMP/stdout"
ks_run_status 0 "kickstorm help" help
ks_check "kickstorm help prints the general usage" grep -q '^usage: kickstorm COMMAND' "$KS_TMP/stdout"
for cmd in run info list compare; do
	ks_run_status 0 "kickstorm help $cmd" help "$cmd"
	ks_check "kickstorm help $cmd prints $cmd's usage" grep -q "^usage: kickstorm $cmd" "$KS_TMP/stdout"
	cp "$KS_TMP/stdout" "$KS_TMP/help-$cmd"
	for flag in -h --help; do
		ks_run_status 0 "kickstorm $cmd $flag" "$cmd" "$flag"
		ks_check "kickstorm $cmd $flag is the same text" cmp -s "$KS_TMP/stdout" "$KS_TMP/help-$cmd"
	done
done
ks_check "run's usage lists the short options" grep -qE -- '-s, --scenario.*' "$KS_TMP/help-run"
ks_refused "help for an unknown command" "'bogus'" help bogus
ks_refused "help with two commands" "'info'" help run info

# ---- short options -------------------------------------------------------------
ks_refused "unknown short option" "'-Z'" run -Z -o "$out"
ks_refused "unknown short option in a cluster" "'-x'" run -qx -o "$out"
ks_run_status 2 "short option without its value" run -o "$out" -c
ks_check "... the message names it" grep -q "option '-c' needs a value" "$KS_TMP/stderr"
ks_refused "a short option's value is checked like the long one's" "'0'" run -n 0 -o "$out"

# ---- empty list items ----------------------------------------------------------
ks_refused "--scenario ," "','" run --scenario , -o "$out"
ks_refused "--scenario with a trailing comma" "'signal,'" run --scenario signal, -o "$out"
ks_refused "--scenario with a leading comma" "',msi'" run -s ,msi -o "$out"
ks_refused "--scenario with two commas" "'signal,,msi'" run -s signal,,msi -o "$out"
ks_refused "--cpus 1,,2" "'1,,2'" run --cpus 1,,2 -o "$out"
ks_refused "--cpus with a trailing comma" "'0,'" run --cpus 0, -o "$out"
ks_refused "--sweep-vcpus with an empty item" "'1,,2'" run --sweep-vcpus 1,,2 -o "$out"
ks_refused "--percentiles with an empty item" "'50,,99'" run --percentiles 50,,99 -o "$out"

# ---- numbers are plain decimals -----------------------------------------------------
ks_refused "--duration 0x10" "'0x10'" run --duration 0x10 -o "$out"
ks_refused "--count 0x10" "'0x10'" run --count 0x10 -o "$out"
ks_refused "--count 010 (octal-looking)" "'010'" run --count 010 -o "$out"
ks_refused "--vcpus 02" "'02'" run --vcpus 02 -o "$out"
ks_refused "--duration 1e3" "'1e3'" run -D 1e3 -o "$out"
ks_refused "--duration inf" "'inf'" run --duration inf -o "$out"
ks_refused "--duration .5" "'.5'" run --duration .5 -o "$out"
ks_refused "--deadline 0x0a" "'0x0a'" run --deadline 0x0a -o "$out"
ks_refused "--lost-after 1e3" "'1e3'" run --lost-after 1e3 -o "$out"
ks_check "a foreign number is told to be written in decimal" grep -q 'plain decimal' "$KS_TMP/stderr"
ks_refused "--min-repeats 010 (compare)" "'010'" compare --min-repeats 010 a.json b.json

# ---- the run options of the output renderers -------------------------------------
ks_refused "--format xml" "'xml'" run --format xml -o "$out"
ks_refused "--format json with --output -" "--output -" run --format json -o -
ks_refused "--percentiles listed twice" "'90,50,90'" run --percentiles 90,50,90 -o "$out"
ks_refused "--percentiles 100.5" "'100.5'" run --percentiles 100.5 -o "$out"
ks_refused "--percentiles .5" "'.5'" run --percentiles .5 -o "$out"
ks_refused "thirteen --percentiles" "'1,2,3,4,5,6,7,8,9,10,11,12,13'" \
	run --percentiles 1,2,3,4,5,6,7,8,9,10,11,12,13 -o "$out"
ks_refused "--lost-after 0" "'0'" run --lost-after 0 -o "$out"
ks_refused "--lost-after shorter than --deadline" "--lost-after 5" run --lost-after 5 --deadline 10 -o "$out"

# ---- what the parser accepts reaches the run ---------------------------------------
# A 60 s deadline: on a loaded host a descheduled vCPU thread must not turn
# into a lost request and exit 1.
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	report=$KS_TMP/short.json
	ks_run_status 0 "a run with short options" run -s signal -n 2 -c 20 -q --deadline 60000 -o "$report"
	ks_check "... -s, -n, -c reached the report's config" ks_jq "$report" \
		'.config.scenarios == ["signal"] and .config.vcpus == 2 and .config.count == 20'
	ks_check "... -q kept stderr empty" [ ! -s "$KS_TMP/stderr" ]
	ks_check "... the loss window follows a deadline past its default" ks_jq "$report" \
		'.config.lost_after_ms == 60000'
	ks_run_status 0 "a run with -D, --lost-after, --hist, --percentiles, --format text" run -s signal -D 0.2 \
		--deadline 60000 --lost-after 120000 --hist --percentiles 50,99.9 --format text -q -o "$report"
	ks_check "... the loss window reached the report" ks_jq "$report" \
		'.config.lost_after_ms == 120000 and .config.duration_s == 0.2'
	ks_check "... --percentiles chose the columns" grep -q 'p99.9 us' "$KS_TMP/stdout"
	ks_check "... --hist added a histogram whose buckets sum to the sample count" bash -c "
		n=\$(jq '.scenarios[0].latency_ns.count' '$report')
		sum=\$(grep -E '^\\[' '$KS_TMP/stdout' | awk '{ s += \$3 } END { print s + 0 }')
		[ \"\$n\" -gt 0 ] && [ \"\$n\" = \"\$sum\" ]"

	ks_run_status 0 "--format markdown" run -s signal -c 20 --deadline 60000 --format markdown -q -o "$report"
	ks_check "... stdout is a pipe table" grep -q '^| scenario |' "$KS_TMP/stdout"
	ks_run_status 0 "--format json" run -s signal -c 20 --deadline 60000 --format json -o "$report"
	ks_check "... stdout is the report written to --output" \
		bash -c "cmp <(jq -S . '$KS_TMP/stdout') <(jq -S . '$report')"
	ks_check "... the table went to stderr" grep -q '^scenario ' "$KS_TMP/stderr"
else
	echo "# /dev/kvm is not usable here: the parsed options are not run"
fi

ks_finish
