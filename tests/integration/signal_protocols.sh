#!/bin/bash
# The signal scenario's must-show: a kick that lands between the vCPU
# thread's request check and KVM_RUN is lost under the naive protocol and
# never under immediate-exit or sigmask.
. "$(dirname "$0")/../lib.sh"
ks_require_kvm
ks_require_tool jq

common=(run --scenario signal --race-window 20000 --count 5000 --quiet)

# A spent kick leaves its request waiting for the loss window before it is
# declared lost and kicked again; a short window keeps the naive run brief.
report=$KS_TMP/naive.json
ks_run_status 1 "naive protocol with a 20 us race window exits 1" \
	"${common[@]}" --protocol naive --lost-after 50 --output "$report"
ks_check "naive: lost > 0, and kicks were spent in the window" ks_jq "$report" \
	'.scenarios[0] | .counts.lost > 0 and .kicks.lost > 0 and .kicks.in_window >= .kicks.lost'
ks_check "naive: every lost request had a spent kick (closed loop: one per request)" ks_jq "$report" \
	'.scenarios[0] | .counts.lost <= .kicks.lost'
ks_check "naive: the protocol honoured none of them" ks_jq "$report" \
	'.scenarios[0].kicks.honoured == 0'
ks_check "naive: every request has exactly one outcome" ks_jq "$report" \
	'.scenarios[0].counts | .sent == .delivered + .late + .coalesced + .lost + .unresolved'
ks_check "naive: the lost requests' waits are kept apart, from after the loss window" ks_jq "$report" \
	'.scenarios[0] | .latency_by_outcome_ns.lost_then_served.count <= .counts.lost and
	 .latency_by_outcome_ns.lost_then_served.min >= 50000000'
ks_check "naive: report names the protocol" ks_jq "$report" \
	'.scenarios[0].params.protocol == "naive" and .scenarios[0].params.race_window_ns == 20000'

# The same window under the safe protocols: kicks land in it, and every one
# of them makes KVM_RUN return at once. The default loss window (1 s) keeps
# a busy machine's scheduling delays from being counted as losses.
for protocol in immediate-exit sigmask; do
	report=$KS_TMP/$protocol.json
	ks_run_status 0 "$protocol protocol with the same window exits 0" \
		"${common[@]}" --protocol "$protocol" --output "$report"
	ks_check "$protocol: kicks landed in the window, none was lost" ks_jq "$report" \
		'.scenarios[0].kicks | .in_window > 0 and .lost == 0 and .honoured <= .in_window'
	ks_check "$protocol: lost == 0, nothing left unresolved" ks_jq "$report" \
		'.scenarios[0].counts | .lost == 0 and .unresolved == 0 and .sent == 5000'
	ks_check "$protocol: one latency sample per served request" ks_jq "$report" \
		'.scenarios[0] | .latency_ns.count == .counts.delivered + .counts.late + .counts.coalesced and
		 .latency_ns.min > 0 and .latency_ns.p50 <= .latency_ns.p99 and .latency_ns.p99 <= .latency_ns.max'
	ks_check "$protocol: report is complete" ks_jq "$report" \
		'.interrupted == false and .scenarios[0].completed == true and .scenarios[0].error == null'
done

# A halted target woken by the signal: the path is a wakeup, with evidence.
report=$KS_TMP/halted.json
ks_run_status 0 "signal kicks of halted vCPUs" run --scenario signal --count 300 \
	--target-state halted --quiet --output "$report"
ks_check "halted: delivery path wakeup with signal exits caused as evidence" ks_jq "$report" \
	'.scenarios[0].delivery | .path == "wakeup" and .caused.signal_exits >= 0.5 and .control != null'
ks_check "halted: placement records bound and observed CPUs" ks_jq "$report" \
	'[.scenarios[0].placement.vcpus[] | (.ran_on | length) > 0 and .thread != null] | all'

ks_finish
