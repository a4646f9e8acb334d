#!/bin/bash
# Overcommit: 32 vCPUs and 8 senders on a machine with far fewer CPUs still
# complete their storms with nothing lost, and the report says it was
# overcommitted. The deadline is long: on 2 CPUs a vCPU thread can wait
# several scheduler periods for its turn, which is delay, not loss.
. "$(dirname "$0")/../lib.sh"
ks_require_kvm
ks_require_tool jq

for scenario in signal msi; do
	report=$KS_TMP/$scenario.json
	ks_run_status 0 "$scenario with 32 vCPUs and 8 senders" run --scenario "$scenario" \
		--vcpus 32 --senders 8 --pattern all-to-all --count 64 --deadline 10000 --quiet \
		--output "$report"
	ks_check "$scenario: every kick delivered, none lost" ks_jq "$report" \
		'.scenarios[0].counts | .lost == 0 and .sent == 512 and .delivered + .coalesced == 512'
	ks_check "$scenario: 32 vCPU threads and 8 senders placed and recorded" ks_jq "$report" \
		'(.scenarios[0].placement.vcpus | length) == 32 and (.scenarios[0].placement.senders | length) == 8'
	if [ "$(nproc)" -lt 40 ]; then
		ks_check "$scenario: the report flags the overcommit" ks_jq "$report" \
			'.scenarios[0].placement.overcommit == true'
	fi
done

ks_finish
