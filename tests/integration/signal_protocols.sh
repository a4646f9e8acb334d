#!/bin/bash
# The signal scenario's must-show: a kick that lands between the vCPU
# thread's request check and KVM_RUN is lost under the naive protocol and
# never under immediate-exit or sigmask.
. "$(dirname "$0")/../lib.sh"
ks_require_kvm
ks_require_tool jq

common=(run --scenario signal --race-window 20000 --quiet)
# Whether a kick lands in the 20 us window is timing: a host that keeps the
# threads off their CPUs (a busy loop on every CPU) may never show it. Where
# the threads ran freely (at most 50 ms waited for a CPU in all), it must.
ran_freely='.scenarios[0].scheduling.max_waited_ns < 50000000'

# A spent kick leaves its request waiting for the loss window before it is
# declared lost and kicked again; a short window keeps the naive run brief.
report=$KS_TMP/naive.json
status=0
"$KICKSTORM" "${common[@]}" --count 3000 --protocol naive --lost-after 200 --output "$report" \
	>/dev/null 2>&1 || status=$?
ks_check "naive: exit $status is what its counts call for" ks_jq "$report" \
	".scenarios[0] | (.counts.lost > 0 or .kicks.lost > 0) == ($status == 1) and ($status < 2)"
ks_check "naive: every lost request had a spent kick (closed loop: one per request)" ks_jq "$report" \
	'.scenarios[0] | .counts.lost <= .kicks.lost and (.kicks.lost == 0 or .counts.lost > 0)'
ks_check "naive: where the threads ran freely, kicks were spent and requests lost" ks_jq "$report" \
	"($ran_freely | not) or (.scenarios[0] | .counts.lost > 0 and .kicks.lost > 0)"
ks_check "naive: the protocol honoured none of the kicks in the window" ks_jq "$report" \
	'.scenarios[0].kicks.honoured == 0'
ks_check "naive: every request has exactly one outcome" ks_jq "$report" \
	'.scenarios[0].counts | .sent == .delivered + .late + .coalesced + .lost + .unresolved'
ks_check "naive: the lost requests' waits are kept apart, from after the loss window" ks_jq "$report" \
	'.scenarios[0] | .counts.lost == 0 or (.latency_by_outcome_ns.lost_then_served.count <= .counts.lost and
	 .latency_by_outcome_ns.lost_then_served.min >= 200000000)'
ks_check "naive: report names the protocol" ks_jq "$report" \
	'.scenarios[0].params.protocol == "naive" and .scenarios[0].params.race_window_ns == 20000'

# The same window under the safe protocols: whatever kick lands in it makes
# KVM_RUN return at once, on a loaded host too (verdicts.sh adds two
# senders, whose kicks reach the window in every run). The default loss window
# (1 s, not counting time the vCPU thread waited for a CPU) keeps a busy
# machine's delays from being counted as losses.
for protocol in immediate-exit sigmask; do
	report=$KS_TMP/$protocol.json
	ks_run_status 0 "$protocol protocol with the same window exits 0" \
		"${common[@]}" --count 3000 --protocol "$protocol" --output "$report"
	ks_check "$protocol: no kick lost, every one in the window honoured" ks_jq "$report" \
		'.scenarios[0].kicks | .lost == 0 and .honoured <= .in_window'
	ks_check "$protocol: where the threads ran freely, kicks landed in the window" ks_jq "$report" \
		"($ran_freely | not) or .scenarios[0].kicks.in_window > 0"
	ks_check "$protocol: lost == 0, nothing left unresolved" ks_jq "$report" \
		'.scenarios[0].counts | .lost == 0 and .unresolved == 0 and .sent == 3000'
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
