#!/bin/bash
# kickstorm compare at scale: 10 000 scenarios against themselves, and
# against a copy made with another --deadline. Matching used to be
# quadratic (2000 scenarios 3.6 s, 8000 over 2 minutes); this checks that
# it completes with the right result. The time is bench/compare-scale.sh's
# to show: a test on a shared host asserts behaviour, not speed.
. "$(dirname "$0")/../lib.sh"
ks_require_tool jq

n=10000
big=$KS_TMP/big.json
jq -c --argjson n "$n" '.scenarios = [range($n) as $i | .scenarios[0] | .params.seed = $i]' \
	"$KS_SRCDIR/tests/data/compare-v1.json" >"$big"

ks_run_status 0 "$n scenarios against themselves" compare --json "$big" "$big"
ks_check "every one matched and compared, none regressed" ks_jq "$KS_TMP/stdout" \
	".compared == $n and (.comparisons | length) == $n and .regression == false
	 and (.only_in_base | length) == 0 and .comparisons[$n - 1].label == \"signal seed=$((n - 1))\""

jq -c '.scenarios[].params.deadline_ms = 1000' "$big" >"$KS_TMP/deadline.json"
ks_run_status 2 "$n scenarios against a copy made with another deadline" compare --json "$KS_TMP/deadline.json" "$big"
ks_check "each names its namesake and the one param they differ in" ks_jq "$KS_TMP/stdout" \
	".compared == 0 and (.only_in_base | length) == $n
	 and ([.only_in_base[] | .closest.differences == [{param: \"deadline_ms\", base: 1000, new: 10}]
	       and .closest.params.seed == .params.seed] | all)"
ks_check "stderr says it compared nothing" grep -q '^kickstorm compare: compared nothing' "$KS_TMP/stderr"

# Out of memory is named as such (it used to read "not valid JSON (line -1, column -1: )").
# Not under the sanitizers: they reserve more address space than the limit allows.
if ldd "$KICKSTORM" 2>/dev/null | grep -Eq 'lib(a|t|ub)san'; then
	echo "# skipping the memory limit check: a sanitizer build"
else
	status=0
	(ulimit -v 60000; exec "$KICKSTORM" compare "$big" "$big") >"$KS_TMP/stdout" 2>"$KS_TMP/stderr" || status=$?
	ks_check "under a 60 MB address-space limit: exit 2 (exit $status)" test "$status" -eq 2
	ks_check "one line that names running out of memory" \
		grep -Eqx "kickstorm compare: $big: out of memory while (reading|parsing) it \([0-9]+ bytes (read|of JSON)\)" \
		"$KS_TMP/stderr"
fi

ks_finish
