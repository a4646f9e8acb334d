#!/bin/bash
# Reports conform to the JSON Schema shipped in results/.
. "$(dirname "$0")/../lib.sh"
ks_require_kvm
ks_require_tool jq
if ! python3 -c 'import jsonschema' 2>/dev/null; then
	echo "SKIP: python3-jsonschema is not installed"
	exit 77
fi

schema=$KS_SRCDIR/results/kickstorm-report.schema.json
validate() {
	python3 - "$schema" "$1" <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.validate(json.load(open(sys.argv[2])), schema)
PY
}

report=$KS_TMP/all.json
ks_run_status 0 "every scenario, briefly" run --scenario all --count 200 --vcpus 2 --deadline 1000 --quiet \
	--output "$report"
ks_check "the report validates against the schema" validate "$report"
ks_check "every registered scenario is in the report" ks_jq "$report" \
	"(.scenarios | length) == $("$KICKSTORM" list | grep -c '^[a-z]')"

ks_check "every VM scenario's kvm_stats has its halt_poll section" ks_jq "$report" \
	'all(.scenarios[] | select(.params | has("vcpus")); .kvm_stats.halt_poll.per_vcpu | length > 0)'

# A sweep: the config's sweep and the report's sweep section.
swept=$KS_TMP/sweep.json
ks_run_status 0 "a sweep, briefly" run --scenario signal,broadcast --sweep vcpus=1,2 --count 50 --quiet \
	--output "$swept"
ks_check "the sweep report validates against the schema" validate "$swept"
ks_check "it has a sweep section for both scenarios" ks_jq "$swept" '[.sweep.scenarios[].name] == ["signal", "broadcast"]'

# A document that breaks the contract must fail validation, or the check proves nothing.
jq '.scenarios[0].counts.lost = "none"' "$report" >"$KS_TMP/bad.json"
rejects() { ! validate "$1" 2>/dev/null; }
ks_check "a report with a malformed count is rejected" rejects "$KS_TMP/bad.json"
jq '.sweep.scenarios[0].points[0].lost_fraction = "none"' "$swept" >"$KS_TMP/bad-sweep.json"
ks_check "a sweep point with a malformed fraction is rejected" rejects "$KS_TMP/bad-sweep.json"
jq '.scenarios[0].kvm_stats.halt_poll.histograms = {"halt_wait_hist": {"unit": "ns", "buckets": [[1, 2]]}}' \
	"$swept" >"$KS_TMP/bad-hist.json"
ks_check "a halt histogram bucket without its count is rejected" rejects "$KS_TMP/bad-hist.json"

ks_finish
