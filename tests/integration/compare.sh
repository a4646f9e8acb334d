#!/bin/bash
# kickstorm compare on a real report: itself, a doubled p99, more lost
# requests, malformed and missing input, bad options, --json, repetitions.
. "$(dirname "$0")/../lib.sh"
ks_require_tool jq
ks_require_kvm

base=$KS_TMP/base.json
status=0
"$KICKSTORM" run --quiet --scenario signal --count 300 --repeat 2 --output "$base" \
	>"$KS_TMP/run.out" 2>"$KS_TMP/run.err" || status=$?
# 1 only means a request was lost; the report is still whole.
if [ "$status" -gt 1 ] || ! [ -s "$base" ]; then
	echo "not ok - kickstorm run made no report (exit $status): $(head -c 400 "$KS_TMP/run.err")"
	exit 1
fi

ks_run_status 0 "a report compared with itself" compare "$base" "$base"
ks_check "the table shows every metric" grep -q '^p99 latency, us' "$KS_TMP/stdout"
ks_check "lost is shown as a correctness metric" grep -q '^lost requests per repetition.*correctness' "$KS_TMP/stdout"
ks_check "the verdict says no regression" grep -q '^result: no regression (1 scenario compared)' "$KS_TMP/stdout"
ks_check "two repetitions are too few to judge significance" \
	grep -q 'too few repetitions to judge significance (n=2 BASE, n=2 NEW; need 5 each)' "$KS_TMP/stdout"

jq '.scenarios[].latency_ns.p99 *= 2' "$base" >"$KS_TMP/p99x2.json"
ks_run_status 1 "p99 doubled is a regression" compare "$base" "$KS_TMP/p99x2.json"
ks_check "the verdict names p99 and the scenario" grep -q '^result: 1 regression: p99 of signal +100.0%' "$KS_TMP/stdout"
ks_check "the p99 row says REGRESSION" grep -q 'signal .* +100.0% .* REGRESSION$' "$KS_TMP/stdout"
ks_run_status 0 "p99 doubled passes with --threshold p99=150%" \
	compare "$base" "$KS_TMP/p99x2.json" --threshold p99=150%
ks_run_status 0 "p99 doubled passes with --threshold p99=off" \
	compare "$base" "$KS_TMP/p99x2.json" --threshold=p99=off

ks_run_status 1 "p99 doubled, --json" compare --json "$base" "$KS_TMP/p99x2.json"
ks_check "--json is JSON that names the regression" ks_jq "$KS_TMP/stdout" \
	'.regression == true and ([.regressions[].metric] == ["p99"]) and .comparisons[0].metrics.p99.verdict == "regression"'
ks_run_status 0 "itself, --json" compare "$base" "$base" --json
ks_check "--json carries base, new, change and thresholds" ks_jq "$KS_TMP/stdout" \
	'.regression == false and (.comparisons | length) == 1 and .comparisons[0].metrics.p50.change_pct == 0
	 and .comparisons[0].metrics.p99.best_change_pct == 0 and .comparisons[0].metrics.lost.best_change_pct == null
	 and .settings.thresholds_pct.p99 == 50 and .settings.thresholds_pct.max == null
	 and .comparisons[0].significance == "too few repetitions"'

jq '.scenarios[1].counts.lost += 1' "$base" >"$KS_TMP/lost.json"
ks_run_status 1 "one more lost request is a regression" compare "$base" "$KS_TMP/lost.json"
ks_check "the verdict names lost" grep -q '^result: 1 regression: lost of signal' "$KS_TMP/stdout"

# Five repetitions a side: the Mann-Whitney test judges, and no overlap gives p = 2/252.
jq '.scenarios = [range(5) as $i | .scenarios[0] | .latency_ns.p99 += $i]' "$base" >"$KS_TMP/five.json"
jq '.scenarios[].latency_ns.p99 *= 2' "$KS_TMP/five.json" >"$KS_TMP/five-x2.json"
ks_run_status 1 "five repetitions with p99 doubled" compare --json "$KS_TMP/five.json" "$KS_TMP/five-x2.json"
ks_check "the test is Mann-Whitney, exact, p = 2/252" ks_jq "$KS_TMP/stdout" \
	'.comparisons[0].significance == "mann-whitney" and .comparisons[0].metrics.p99.exact == true
	 and (.comparisons[0].metrics.p99.p_value - 2/252 | fabs) < 1e-9'

# The same report plus one entry under another name: what does match is identical.
jq '.scenarios += [.scenarios[0] | .name = "renamed"]' "$base" >"$KS_TMP/renamed.json"
ks_run_status 0 "unmatched scenarios are listed, not failures" compare "$base" "$KS_TMP/renamed.json"
ks_check "the scenario only in NEW is listed" \
	grep -q '^only in NEW, not compared, no scenario of the same name in BASE: renamed$' "$KS_TMP/stdout"

printf '{"schema_version": 1, "scenarios": [' >"$KS_TMP/truncated.json"
ks_run_status 2 "a malformed report" compare "$base" "$KS_TMP/truncated.json"
ks_check "the error names the file and the problem" \
	grep -q "truncated.json: not valid JSON" "$KS_TMP/stderr"
ks_check "the error is one line" test "$(wc -l <"$KS_TMP/stderr")" -eq 1
ks_run_status 2 "a missing report" compare "$KS_TMP/nowhere.json" "$base"
ks_check "the error names the missing file" grep -q "nowhere.json: cannot open: No such file" "$KS_TMP/stderr"
jq '.schema_version = 99' "$base" >"$KS_TMP/v99.json"
ks_run_status 2 "another schema_version" compare "$base" "$KS_TMP/v99.json"
ks_check "the error names the version and what is allowed" \
	grep -q "v99.json: schema_version 99 is not supported (allowed: 1, 2)" "$KS_TMP/stderr"
jq 'del(.scenarios[0].counts)' "$base" >"$KS_TMP/nocounts.json"
ks_run_status 2 "a report of the wrong shape" compare "$KS_TMP/nocounts.json" "$base"
ks_check "the error names the field" grep -q 'nocounts.json: scenarios\[0\].counts is missing (allowed: an object)' "$KS_TMP/stderr"

ks_run_status 2 "an unknown metric" compare "$base" "$base" --threshold p98=5
ks_check "names it and what is allowed" grep -q "unknown metric 'p98' (allowed: p50, p90, p99" "$KS_TMP/stderr"
ks_run_status 2 "a bad percentage" compare "$base" "$base" --threshold p99=fast
ks_check "names it and what is allowed" grep -q "'fast' is not a percentage (allowed: 0-100000" "$KS_TMP/stderr"
ks_run_status 2 "an unknown option" compare "$base" "$base" --bogus
ks_check "names it and what is allowed" grep -q "unknown option '--bogus' (allowed: --threshold" "$KS_TMP/stderr"
ks_run_status 2 "one report only" compare "$base"
ks_run_status 0 "--help" compare --help
ks_check "--help documents the defaults" grep -q 'p99 .*50%' "$KS_TMP/stdout"

# Units: latencies in us with one decimal, the unit and precision of run's table.
p50_us=$(printf '%.1f' "$(jq '[.scenarios[].latency_ns.p50] | add / length / 1000' "$base")")
ks_run_status 0 "itself again, for the units" compare "$base" "$base"
ks_check "the p50 table names us and shows the median p50 in us, one decimal" \
	grep -Eq "^  signal +2/2 +$p50_us +$p50_us +\+0\.0% " <(sed -n '/^p50 latency, us: /,/^$/p' "$KS_TMP/stdout")

# Never passes on nothing. Scenarios that differ only in deadline_ms (the README's
# recipe against a reference made with --deadline 1000): compared nothing, and why.
jq '.scenarios[].params.deadline_ms = 1000' "$base" >"$KS_TMP/deadline.json"
ks_run_status 2 "scenarios that differ only in deadline_ms" compare "$KS_TMP/deadline.json" "$base"
ks_check "the unmatched scenario names deadline_ms, BASE's value and NEW's" \
	grep -q '^only in BASE, not compared: signal deadline_ms=1000 (2 repetitions); closest in NEW differs in deadline_ms: 1000 vs 10 (BASE vs NEW)$' \
	"$KS_TMP/stdout"
ks_check "stderr says it compared nothing, in one line" \
	test "$(grep -c '^kickstorm compare: compared nothing: no scenario of NEW matches one of BASE' "$KS_TMP/stderr")" -eq 1 \
	-a "$(wc -l <"$KS_TMP/stderr")" -eq 1
ks_run_status 0 "--match-ignore deadline_ms compares them" \
	compare "$KS_TMP/deadline.json" "$base" --match-ignore deadline_ms
ks_check "and says so" grep -q '^result: no regression (1 scenario compared)$' "$KS_TMP/stdout"
ks_run_status 2 "--match-ignore a param no scenario has" compare "$base" "$base" --match-ignore deadline
ks_check "names it" grep -q "match-ignore 'deadline': no scenario of either report has that param" "$KS_TMP/stderr"

jq '.scenarios = []' "$base" >"$KS_TMP/empty.json"
ks_run_status 2 "an empty NEW" compare "$base" "$KS_TMP/empty.json"
ks_check "says NEW holds nothing" grep -q '^kickstorm compare: compared nothing: NEW holds no scenario$' "$KS_TMP/stderr"
# NEW: the same two repetitions, then a third that a signal cut short.
jq '.interrupted = true | .scenarios += [.scenarios[-1] | .interrupted = true | .completed = false]' "$base" \
	>"$KS_TMP/interrupted.json"
ks_run_status 2 "an interrupted NEW without a regression" compare "$base" "$KS_TMP/interrupted.json"
ks_check "the cut-short repetition is left out" \
	grep -q '^note: signal: 1 of 3 NEW repetitions were cut short by a signal and are left out$' "$KS_TMP/stdout"
ks_check "a partial run cannot pass" grep -q 'NEW is an interrupted run: .* a partial run cannot pass' "$KS_TMP/stderr"
ks_run_status 0 "an interrupted BASE is a partial reference" compare "$KS_TMP/interrupted.json" "$base"

# Fields compare reads are checked against the schema's types.
jq '.scenarios[0].counts.sent = -5' "$base" >"$KS_TMP/sent.json"
ks_run_status 2 "sent: -5" compare "$base" "$KS_TMP/sent.json"
ks_check "names the field, the value and what is allowed" \
	grep -qx 'kickstorm compare: .*/sent.json: scenarios\[0\].counts.sent is -5 (allowed: an integer >= 0)' "$KS_TMP/stderr"
jq '.interrupted = "yes"' "$base" >"$KS_TMP/yes.json"
ks_run_status 2 'interrupted: "yes"' compare "$KS_TMP/yes.json" "$base"
ks_check "names the field" grep -q 'yes.json: interrupted is "yes" (allowed: true or false)$' "$KS_TMP/stderr"

# A FIFO: no writer is a bounded wait and a one-line error; a writer is read.
mkfifo "$KS_TMP/fifo"
status=0
timeout 60 "$KICKSTORM" compare "$base" "$KS_TMP/fifo" --wait 1 >"$KS_TMP/stdout" 2>"$KS_TMP/stderr" || status=$?
ks_check "a FIFO with no writer: exit 2 after --wait, not a hang (exit $status)" test "$status" -eq 2
ks_check "one line that says so" \
	test "$(cat "$KS_TMP/stderr")" = "kickstorm compare: $KS_TMP/fifo: is a FIFO that no writer opened within 1 s (allowed: --wait SECONDS, up to 86400, waits longer)"
(sleep 1; cat "$base" >"$KS_TMP/fifo") &
status=0
timeout 60 "$KICKSTORM" compare "$base" "$KS_TMP/fifo" >"$KS_TMP/stdout" 2>"$KS_TMP/stderr" || status=$?
wait
ks_check "a FIFO whose writer comes a second later is compared (exit $status)" test "$status" -eq 0
ks_run_status 0 "NEW on stdin" compare "$base" - <"$base"

ks_finish
