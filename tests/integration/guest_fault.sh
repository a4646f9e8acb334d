#!/bin/bash
# A vCPU whose guest faults ends its scenario with an error naming the vCPU
# and the exception, promptly, with the report still written.
. "$(dirname "$0")/../lib.sh"
ks_require_kvm
ks_require_tool jq

check_fault() {
	local scenario=$1 target=$2 report=$KS_TMP/$1-$2.json status=0 start end
	start=$(date +%s)
	KICKSTORM_INJECT_FAULT=1 "$KICKSTORM" run --scenario "$scenario" --vcpus 2 \
		--pattern one-to-all --target-state "$target" --count 100000 --deadline 1000 \
		--quiet --output "$report" >"$KS_TMP/stdout" 2>"$KS_TMP/stderr" || status=$?
	end=$(date +%s)
	ks_check "$scenario/$target with a faulting vCPU 1: exit 1 (got $status)" [ "$status" -eq 1 ]
	ks_check "$scenario/$target: ended in $((end - start)) s, not after the full storm" \
		[ $((end - start)) -lt 30 ]
	ks_check "$scenario/$target: the error names vCPU 1 and the #UD vector" ks_jq "$report" \
		'.scenarios[0].error | test("vcpu 1: guest exception vector 6")'
	ks_check "$scenario/$target: the scenario is marked incomplete" ks_jq "$report" \
		'.scenarios[0].completed == false'
	ks_check "$scenario/$target: the table shows the error" grep -q 'error: vcpu 1' "$KS_TMP/stdout"
}

check_fault signal running
check_fault msi halted

ks_finish
