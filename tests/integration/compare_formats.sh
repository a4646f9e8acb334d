#!/bin/bash
# kickstorm compare --format: markdown is a pipe table, junit is XML valid
# against the JUnit schema with a testcase per scenario and a failure on a
# regression or on lost requests/kicks, bmf and github validate against
# their formats' documented fields, --json is --format json. On recorded
# reports (tests/data: a real v1 report and its v2 counterpart), so no VM.
. "$(dirname "$0")/../lib.sh"
ks_require_tool jq
ks_require_tool xmllint
ks_require_tool python3
if ! python3 -c 'import jsonschema' 2>/dev/null; then
	echo "SKIP: python3 has no jsonschema module"
	exit 77
fi

data=$KS_SRCDIR/tests/data
v1=$data/compare-v1.json
v2=$data/compare-v2.json
jq '.scenarios[].latency_ns.p99 *= 2' "$v1" >"$KS_TMP/p99x2.json"

# validate SCHEMA FILE: the JSON in FILE satisfies the JSON Schema.
validate() {
	python3 - "$1" "$2" <<'EOF'
import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))
EOF
}

# xpath FILE EXPR: the value of an XPath expression over FILE.
xpath() {
	xmllint --xpath "$2" "$1" 2>/dev/null
}

# ---- markdown
ks_run_status 1 "markdown of a doubled p99" compare --format markdown "$v1" "$KS_TMP/p99x2.json"
ks_check "a heading with the result" grep -q '^### kickstorm compare: 2 regressions$' "$KS_TMP/stdout"
ks_check "the header row of a pipe table, latencies in µs" \
	grep -qx '| scenario | reps (base/new) | p50 (µs) | p90 (µs) | p99 (µs) | lost (per repetition) | verdict |' \
	"$KS_TMP/stdout"
ks_check "the delimiter row aligns numbers right" grep -qx '|:--|--:|--:|--:|--:|--:|:--|' "$KS_TMP/stdout"
ks_check "one row per scenario, as many cells as the header" \
	test "$(grep -c '^| [a-z].* | [0-9]*/[0-9]* |' "$KS_TMP/stdout")" -eq 2 -a \
	"$(grep '^| signal' "$KS_TMP/stdout" | tr -cd '|' | wc -c)" -eq 8
msi_p99=$(jq '[.scenarios[] | select(.name == "msi") | .latency_ns.p99] | add / length / 1000' "$v1")
msi_cell=$(printf '%.1f → %.1f' "$msi_p99" "$(jq -n "$msi_p99 * 2")")
ks_check "the regressed cell is bold and the verdict names p99" \
	grep -qF "| **$msi_cell (+100.0%)** | 0 → 0 (+0.0%) | **regression**: p99 |" "$KS_TMP/stdout"

# ---- junit
ks_run_status 1 "junit of a doubled p99" compare --format junit "$v1" "$KS_TMP/p99x2.json"
cp "$KS_TMP/stdout" "$KS_TMP/p99x2.xml"
ks_check "junit is well-formed XML" xmllint --noout "$KS_TMP/p99x2.xml"
ks_check "junit is valid against the JUnit schema" xmllint --noout --schema "$data/junit.xsd" "$KS_TMP/p99x2.xml"
ks_check "one testcase per scenario" test "$(xpath "$KS_TMP/p99x2.xml" 'count(//testcase)')" = 2
ks_check "both failed as regressions, the counts say so" \
	test "$(xpath "$KS_TMP/p99x2.xml" 'count(//testcase/failure[@type="regression"])')" = 2 -a \
	"$(xpath "$KS_TMP/p99x2.xml" 'string(/testsuites/@failures)')" = 2
ks_check "the failure message names the metric, the change and the threshold" \
	test "$(xpath "$KS_TMP/p99x2.xml" 'string(//testcase[@name="msi"]/failure/@message)')" = \
	"p99 +100.0% (threshold +50%)"

# Lost requests in NEW fail the testcase even where BASE lost as many (no regression, exit 0).
jq '.scenarios[1].counts.lost = 1' "$v1" >"$KS_TMP/lost.json"
ks_run_status 0 "junit of a report that lost a request, against itself" compare --format junit \
	"$KS_TMP/lost.json" "$KS_TMP/lost.json"
cp "$KS_TMP/stdout" "$KS_TMP/lost.xml"
ks_check "valid JUnit" xmllint --noout --schema "$data/junit.xsd" "$KS_TMP/lost.xml"
ks_check "msi failed for its lost request, signal passed" \
	test "$(xpath "$KS_TMP/lost.xml" 'count(//testcase[@name="msi"]/failure[@type="lost"])')" = 1 -a \
	"$(xpath "$KS_TMP/lost.xml" 'count(//testcase[@name="signal"]/failure)')" = 0

# v2: a lost kick regresses and fails the testcase.
jq '(.scenarios[] | select(.name == "signal") | .kicks.lost) = 1' "$v2" >"$KS_TMP/kicks.json"
ks_run_status 1 "a lost kick in a v2 report" compare --format junit "$v2" "$KS_TMP/kicks.json"
cp "$KS_TMP/stdout" "$KS_TMP/kicks.xml"
ks_check "valid JUnit" xmllint --noout --schema "$data/junit.xsd" "$KS_TMP/kicks.xml"
ks_check "signal failed naming kicks_lost" \
	grep -q 'message="kicks_lost +inf% (threshold +0%)&#10;NEW lost kicks per repetition: 1.00 (BASE 0.00)"' \
	"$KS_TMP/kicks.xml"

# Nothing compared: every scenario skipped, and an error testcase says why.
jq '.scenarios[].params.deadline_ms = 1000' "$v1" >"$KS_TMP/deadline.json"
ks_run_status 2 "junit when nothing matched" compare --format junit "$KS_TMP/deadline.json" "$v1"
cp "$KS_TMP/stdout" "$KS_TMP/nothing.xml"
ks_check "valid JUnit" xmllint --noout --schema "$data/junit.xsd" "$KS_TMP/nothing.xml"
ks_check "four skipped testcases and one error" \
	test "$(xpath "$KS_TMP/nothing.xml" 'count(//testcase/skipped)')" = 4 -a \
	"$(xpath "$KS_TMP/nothing.xml" 'count(//testcase/error)')" = 1
ks_check "a skipped testcase names the param that differs" \
	grep -q 'skipped message="only in BASE, not compared: closest in NEW differs in deadline_ms: 1000 vs 10' \
	"$KS_TMP/nothing.xml"

# ---- bmf
ks_run_status 1 "bmf" compare --format bmf "$v1" "$KS_TMP/p99x2.json"
cp "$KS_TMP/stdout" "$KS_TMP/bmf.json"
ks_check "bmf validates against the BMF schema" validate "$data/bmf.schema.json" "$KS_TMP/bmf.json"
ks_check "one benchmark per scenario of NEW, named with every param" ks_jq "$KS_TMP/bmf.json" \
	'keys == ["msi burst=1 deadline_ms=10 gap_ns=0 kick=KVM_SIGNAL_MSI pattern=one-to-one protocol=immediate-exit rate_hz=0 senders=1 target_state=halted vcpus=2",
		  "signal burst=1 deadline_ms=10 gap_ns=0 pattern=one-to-one protocol=immediate-exit race_window_ns=0 rate_hz=0 senders=1 target_state=halted vcpus=2"]'
ks_check "latency-p99 is NEW's median in ns, with its best and worst repetition" \
	test "$(jq -c '[.[] | .["latency-p99"]] | sort_by(.value)' "$KS_TMP/bmf.json")" = \
	"$(jq -c '[.scenarios | group_by(.name)[] | [.[].latency_ns.p99] | {value: (add / length), lower_value: min, upper_value: max}] | sort_by(.value)' "$KS_TMP/p99x2.json")"

# ---- github
ks_run_status 1 "github" compare --format github "$v1" "$KS_TMP/p99x2.json"
cp "$KS_TMP/stdout" "$KS_TMP/github.json"
ks_check "github validates against customSmallerIsBetter's fields" \
	validate "$data/github-benchmark.schema.json" "$KS_TMP/github.json"
ks_check "the judged metrics of each scenario, uniquely named" ks_jq "$KS_TMP/github.json" \
	'length == 8 and ([.[].name] | unique | length) == 8
	 and ([.[] | select(.name | endswith(" p99 latency"))] | length) == 2'
ks_check "latency in us, the regression said in extra" ks_jq "$KS_TMP/github.json" \
	".[] | select(.name | startswith(\"msi\") and endswith(\"p99 latency\"))
	 | .unit == \"us\" and (.value - $msi_p99 * 2 | fabs) < 1e-9
	 and (.extra | endswith(\"BASE $(printf '%.1f' "$msi_p99") us (+100.0%): regression\"))"

# ---- json, and its alias
ks_run_status 1 "--format json" compare --format json "$v1" "$KS_TMP/p99x2.json"
cp "$KS_TMP/stdout" "$KS_TMP/format-json.json"
ks_run_status 1 "--json" compare --json "$v1" "$KS_TMP/p99x2.json"
ks_check "--json is --format json" cmp -s "$KS_TMP/stdout" "$KS_TMP/format-json.json"
ks_check "json says the result, the exit status and how much was compared" ks_jq "$KS_TMP/stdout" \
	'.result == "regression" and .exit_status == 1 and .compared == 2 and .settings.units.p99 == "ns"'
ks_run_status 0 "v2 against itself, json" compare --json "$v2" "$v2"
ks_check "v2's late requests are reported, not judged" ks_jq "$KS_TMP/stdout" \
	'.new.schema_version == 2 and ([.comparisons[].metrics.late.verdict] | unique) == ["report only"]
	 and ([.comparisons[].metrics.late.new] | unique) == [1]'

ks_run_status 2 "an unknown format" compare --format yaml "$v1" "$v1"
ks_check "names it and what is allowed" \
	grep -qx "kickstorm compare: --format 'yaml' is not a format (allowed: text, json, markdown, junit, bmf, github)" \
	"$KS_TMP/stderr"

# --help and the man page describe the same options, formats and metrics as the code.
ks_run_status 0 "compare --help" compare --help
cp "$KS_TMP/stdout" "$KS_TMP/help"
for format in text json markdown junit bmf github; do
	ks_check "--help names the $format format" grep -qw -- "$format" "$KS_TMP/help"
done
if command -v mandoc >/dev/null; then
	rendered=$(mandoc -Tutf8 "$KS_SRCDIR/man/kickstorm.1" | col -b | sed -n '/^COMPARING REPORTS/,/^REPORT/p')
	for opt in $(grep -o -- '--[a-z][a-z-]*' "$KS_TMP/help" | sort -u); do
		ks_check "the man page's COMPARING REPORTS documents $opt" grep -qF -- "$opt" <<<"$rendered"
	done
	for metric in $(sed -n 's/^  *\([a-z0-9_]*\) *\(off\|[0-9]*%\) (.*/\1/p' "$KS_TMP/help"); do
		ks_check "the man page names the $metric metric" grep -qw -- "$metric" <<<"$rendered"
	done
fi

ks_finish
