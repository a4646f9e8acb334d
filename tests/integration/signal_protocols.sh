#!/bin/bash
# The signal scenario's must-show: a kick that lands between the vCPU
# thread's request check and KVM_RUN is lost under the naive protocol and
# never under immediate-exit or sigmask.
. "$(dirname "$0")/../lib.sh"
ks_require_kvm
ks_require_tool jq

common=(run --scenario signal --race-window 20000 --count 5000 --quiet)

# The deadline only bounds how long each lost request waits; it is
# shortened so the naive run (which loses most kicks) stays brief.
report=$KS_TMP/naive.json
ks_run_status 1 "naive protocol with a 20 us race window exits 1" \
	"${common[@]}" --protocol naive --deadline 2 --output "$report"
ks_check "naive: lost > 0" ks_jq "$report" '.scenarios[0].counts.lost > 0'
ks_check "naive: every kick is accounted for" ks_jq "$report" \
	'.scenarios[0].counts | .sent == .delivered + .coalesced + .lost'
ks_check "naive: kicks landed in the race window" ks_jq "$report" \
	'.scenarios[0].details.kicks_in_race_window > 0'
ks_check "naive: report names the protocol" ks_jq "$report" \
	'.scenarios[0].params.protocol == "naive" and .scenarios[0].params.race_window_ns == 20000'

# A kick lost to the race is never observed, whatever the deadline; a long one
# keeps a busy machine's scheduling delays from being counted as losses.
for protocol in immediate-exit sigmask; do
	report=$KS_TMP/$protocol.json
	ks_run_status 0 "$protocol protocol with the same window exits 0" \
		"${common[@]}" --protocol "$protocol" --deadline 1000 --output "$report"
	ks_check "$protocol: lost == 0" ks_jq "$report" '.scenarios[0].counts.lost == 0'
	ks_check "$protocol: all 5000 delivered" ks_jq "$report" \
		'.scenarios[0].counts | .sent == 5000 and .delivered == 5000'
	ks_check "$protocol: latency distribution of 5000 samples" ks_jq "$report" \
		'.scenarios[0].latency_ns | .count == 5000 and .min > 0 and .p50 <= .p99 and .p99 <= .max and (.bins | length) > 0'
	ks_check "$protocol: report is complete" ks_jq "$report" \
		'.interrupted == false and .scenarios[0].completed == true and .scenarios[0].error == null'
done

# A halted target woken by the signal: the path is a wakeup, with evidence.
report=$KS_TMP/halted.json
ks_run_status 0 "signal kicks of halted vCPUs" run --scenario signal --count 300 \
	--target-state halted --deadline 1000 --quiet --output "$report"
ks_check "halted: delivery path wakeup with signal exits as evidence" ks_jq "$report" \
	'.scenarios[0].delivery.path == "wakeup" and .scenarios[0].kvm_stats.per_kick.signal_exits >= 0.5'
ks_check "halted: placement records bound and observed CPUs" ks_jq "$report" \
	'[.scenarios[0].placement.vcpus[] | (.ran_on | length) > 0 and .thread != null] | all'

ks_finish
