#!/bin/bash
# kickstorm show: the table of v1 and v2 fixture reports and of a real run,
# --hist whose buckets sum to each scenario's latency count, --percentiles,
# --format markdown, --scenario, and one-line refusals of bad input.
. "$(dirname "$0")/../lib.sh"
ks_require_tool jq

data=$KS_SRCDIR/tests/data
v1=$data/report-v1.json
v2=$data/report-v2.json

# hist_sums FILE: "count" per histogram block of show --hist output, one a line.
hist_sums() {
	awk '/: latency in ns, / { if (n) print sum; n = 1; sum = 0; next }
	     /^\[/ { sub(/^[^])]*[])] */, ""); sum += $1 }
	     END { if (n) print sum }' "$1"
}

# check_hist REPORT: show --hist's bucket counts equal latency_ns.count, entry by entry.
check_hist() {
	local report=$1 what=$2
	ks_run_status 0 "$what: show --hist" show "$report" --hist
	hist_sums "$KS_TMP/stdout" >"$KS_TMP/sums"
	jq -r '.scenarios[] | select(.latency_ns != null and .latency_ns.count > 0) | .latency_ns.count' \
		"$report" >"$KS_TMP/counts"
	ks_check "$what: one histogram per entry with samples ($(wc -l <"$KS_TMP/counts"))" \
		test "$(wc -l <"$KS_TMP/sums")" -eq "$(wc -l <"$KS_TMP/counts")" -a -s "$KS_TMP/counts"
	ks_check "$what: each histogram's buckets sum to its latency_ns.count" \
		cmp -s "$KS_TMP/sums" "$KS_TMP/counts"
}

# --- v1 fixture ---
ks_run_status 0 "show a v1 report" show "$v1"
header=$(grep -m1 '^scenario ' "$KS_TMP/stdout")
for col in rep target protocol sent deliv late coal lost unres 'p50 us' 'p90 us' 'p99 us' 'p99.9 us' 'max us' path; do
	ks_check "v1: the table has a '$col' column" grep -qF -- " $col" <<<"$header"
done
ks_check "v1: repetitions are numbered" grep -qE '^signal +2 +halted' "$KS_TMP/stdout"
ks_check "v1: a median row per repeated scenario" test "$(grep -cE '^[a-z]+ +median ' "$KS_TMP/stdout")" -eq 4
ks_check "v1: floor and broadcast have no kick path: '-'" \
	test "$(grep -E '^(floor|broadcast) ' "$KS_TMP/stdout" | grep -cE ' -$')" -eq 6
ks_check "v1: nothing reads 'unknown'" bash -c "! grep -q unknown '$KS_TMP/stdout'"
ks_check "v1: late and unresolved are '-', and the footer says why" \
	grep -q 'late and unresolved were not recorded' "$KS_TMP/stdout"
ks_check "v1: the header names the host" grep -q '^host: ' "$KS_TMP/stdout"
check_hist "$v1" v1

# --- v2 fixture ---
ks_run_status 0 "show a v2 report" show "$v2"
ks_check "v2: late counted" grep -qE '^signal +1 +halted +immediate-exit +100 +97 +3 ' "$KS_TMP/stdout"
ks_check "v2: a lost kicks column" grep -q ' lost kicks ' "$KS_TMP/stdout"
ks_check "v2: the scenario that did not run shows its error" \
	grep -q '^  error: not available on this host' "$KS_TMP/stdout"
ks_run_status 0 "v2, --scenario msi,floor" show "$v2" --scenario msi,floor
ks_check "no row has a protocol: no protocol column" bash -c "! grep -q protocol '$KS_TMP/stdout'"
ks_check "--scenario keeps only those rows" \
	test "$(grep -cE '^(msi|floor) ' "$KS_TMP/stdout")" -eq 6 -a "$(grep -cE '^(signal|broadcast|ipi) ' "$KS_TMP/stdout")" -eq 0
check_hist "$v2" v2

ks_run_status 0 "--percentiles 50,99.5,99.99" show "$v1" --percentiles 50,99.5,99.99
ks_check "chosen percentiles are the columns" \
	grep -qE '^scenario .* p50 us +p99.5 us +p99.99 us +max us +path$' "$KS_TMP/stdout"
ks_check "p90 is gone when not chosen" bash -c "! grep -q 'p90 us' '$KS_TMP/stdout'"

ks_run_status 0 "--format markdown" show "$v2" --format markdown --hist
ks_check "markdown: a pipe table header" grep -q '^| scenario | rep | target | protocol | sent |' "$KS_TMP/stdout"
ks_check "markdown: its alignment row" grep -qE '^\|---\|---:\|---\|' "$KS_TMP/stdout"
ks_check "markdown: the histograms are code blocks" test "$(grep -c '^```$' "$KS_TMP/stdout")" -ge 16

ks_run_status 0 "show a sweep report" show "$data/report-sweep.json"
ks_check "sweep: a table along vcpus" grep -q '^broadcast vs vcpus' "$KS_TMP/stdout"
ks_check "sweep: one row per vCPU count" \
	test "$(sed -n '/^broadcast vs vcpus/,$p' "$KS_TMP/stdout" | grep -cE '^ +[1248]  ')" -eq 4

# --- refusals: exit 2, one line on stderr ---
refuse() {
	local what=$1
	shift
	ks_run_status 2 "$what" "$@"
	ks_check "$what: one line on stderr" test "$(wc -l <"$KS_TMP/stderr")" -eq 1
}
echo '{"schema_version": 9, "scenarios": []}' >"$KS_TMP/v9.json"
echo 'not json' >"$KS_TMP/garbage.json"
jq '.scenarios[0].latency_ns.count += 1' "$v1" >"$KS_TMP/badcount.json"
refuse "a missing file" show "$KS_TMP/nope.json"
refuse "not JSON" show "$KS_TMP/garbage.json"
refuse "an unknown schema_version" show "$KS_TMP/v9.json"
refuse "bins that do not sum to count" show "$KS_TMP/badcount.json"
refuse "a directory" show "$KS_TMP"
refuse "no report" show
refuse "two reports" show "$v1" "$v2"
refuse "--percentiles 0" show "$v1" --percentiles 0
refuse "--percentiles 50,,99" show "$v1" --percentiles 50,,99
refuse "--format html" show "$v1" --format html
refuse "--scenario of a scenario the report lacks" show "$v1" --scenario ipi
refuse "an unknown option" show "$v1" --histogram
ks_check "the reason names the bad value" grep -q "histogram" "$KS_TMP/stderr"
ks_run_status 0 "show --help" show --help
ks_check "--help is the usage" grep -q '^usage: kickstorm show REPORT' "$KS_TMP/stdout"
ks_run_status 0 "show -h" show -h

# --- a real run: show prints the table run printed ---
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	report=$KS_TMP/real.json
	status=0
	"$KICKSTORM" run --quiet --scenario signal,floor --count 200 --repeat 2 --deadline 1000 \
		--output "$report" >"$KS_TMP/run.out" 2>"$KS_TMP/run.err" || status=$?
	if [ "$status" -le 1 ] && [ -s "$report" ]; then
		ks_pass "a real run made a report (exit $status)"
		ks_run_status 0 "show the real report" show "$report"
		ks_check "show prints the table run printed" \
			cmp -s <(grep -v '^report written' "$KS_TMP/run.out") <(sed '1,/^$/d' "$KS_TMP/stdout")
		check_hist "$report" "real run"
	else
		ks_fail "kickstorm run made no report (exit $status): $(head -c 400 "$KS_TMP/run.err")"
	fi
else
	echo "# no /dev/kvm: the real-run checks are skipped"
fi

ks_finish
