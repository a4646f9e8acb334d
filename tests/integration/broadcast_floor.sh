#!/bin/bash
# broadcast and floor must-shows: kick-all ioctl latency per vCPU count with
# every vCPU acknowledging, the host's own floors, and kick latencies carried
# as multiples of those floors when floor ran in the same invocation.
. "$(dirname "$0")/../lib.sh"
ks_require_kvm
if ! command -v jq >/dev/null 2>&1; then
	echo "not ok - jq is needed to check the reports"
	exit 1
fi

# --- broadcast, swept over vCPU counts (more vCPUs than this host has CPUs) ---
# Running vCPUs outnumber the CPUs from 4 on, and a vCPU waiting for a CPU
# answers late: a generous deadline keeps "lost" meaning "never answered".
for target in halted running; do
	report=$KS_TMP/sweep-$target.json
	count=200
	[ "$target" = running ] && count=100
	ks_run_status 0 "broadcast --sweep-vcpus 1,2,4,8 ($target) completes with nothing lost" \
		run --scenario broadcast --sweep-vcpus 1,2,4,8 --target-state "$target" --count $count \
		--deadline 1000 --output "$report"
	ks_check "$target: one broadcast entry per vCPU count, in order" ks_jq "$report" \
		'[.scenarios[] | select(.name == "broadcast") | .params.vcpus] == [1, 2, 4, 8]'
	ks_check "$target: the config records the sweep" ks_jq "$report" '.config.sweep_vcpus == [1, 2, 4, 8]'
	ks_check "$target: a KVM_SET_CLOCK distribution per count" ks_jq "$report" \
		'[.scenarios[] | .latency_ns | .count == '$count' and .min > 0 and .p50 <= .p99 and .p99 <= .max and (.bins | length) > 0] | all'
	ks_check "$target: a memslot (dirty-log) distribution per count" ks_jq "$report" \
		'[.scenarios[] | .details.memslot | .count == '$count' and .p50 > 0] | all'
	ks_check "$target: lost == 0 and every request accounted for" ks_jq "$report" \
		'[.scenarios[] | .counts | .lost == 0 and .sent > 0 and .sent == .delivered + .coalesced + .lost] | all'
	ks_check "$target: each count posts two requests per vCPU per round" ks_jq "$report" \
		'[.scenarios[] | .counts.sent == 2 * '$count' * .params.vcpus] | all'
	ks_check "$target: every vCPU acknowledged the last round, both requests" ks_jq "$report" \
		'[.scenarios[] | .details.acknowledgement | (.lost_vcpus == []) and
		  ([.per_vcpu[] | .clock_update.acknowledged_last and .tlb_flush.acknowledged_last] | all)] | all'
	ks_check "$target: per-vCPU evidence for every vCPU of each count" ks_jq "$report" \
		'[.scenarios[] | (.details.acknowledgement.per_vcpu | length) == .params.vcpus] | all'
	ks_check "$target: entries complete, without errors" ks_jq "$report" \
		'[.scenarios[] | .completed and .error == null] | all'
	ks_check "$target: the sweep table is printed after the main table" \
		grep -q "^broadcast vs vcpus (latency in us, target $target" "$KS_TMP/stdout"
	ks_check "$target: the sweep table has a row per count" \
		test "$(sed -n '/^broadcast vs vcpus/,/^$/p' "$KS_TMP/stdout" | grep -cE '^ *[1248]  ')" -eq 4
done
report=$KS_TMP/sweep-halted.json
ks_check "halted: requests to halted vCPUs coalesce until their next entry" ks_jq "$report" \
	'[.scenarios[] | .details.acknowledgement.per_vcpu[] | .clock_update.updates <= 2] | all'

ks_run_status 0 "no sweep: one broadcast entry at --vcpus" \
	run --scenario broadcast --vcpus 3 --count 50 --output "$KS_TMP/single.json"
ks_check "no sweep: params.vcpus is --vcpus" ks_jq "$KS_TMP/single.json" \
	'(.scenarios | length) == 1 and .scenarios[0].params.vcpus == 3'
ks_check "no sweep: no sweep table" bash -c "! grep -q 'broadcast vs vcpus' '$KS_TMP/stdout'"

# --- floor ---
report=$KS_TMP/floor.json
ks_run_status 0 "floor runs" run --scenario floor --count 1000 --quiet --output "$report"
ks_check "floor: ping-pong one-way distribution is the main latency" ks_jq "$report" \
	'.scenarios[0].latency_ns | .count == 1000 and .min > 0 and .p50 <= .p99 and (.bins | length) > 0'
ks_check "floor: ping-pong round trips are twice the one-way figures" ks_jq "$report" \
	'.scenarios[0] | .details.ping_pong_round_trip_ns.count == 1000 and
	 (.details.ping_pong_round_trip_ns.p50 - 2 * .latency_ns.p50 | fabs) <= 0.02 * .details.ping_pong_round_trip_ns.p50 + 2'
ks_check "floor: wake-up distribution in details" ks_jq "$report" \
	'.scenarios[0].details.wake_up_ns | .count > 900 and .min > 0 and .p50 <= .p99 and (.bins | length) > 0'
ks_check "floor: a futex wake-up costs more than a cache-line transfer" ks_jq "$report" \
	'.scenarios[0] | .details.wake_up_ns.p50 > .latency_ns.p50'
ks_check "floor: measured between two different CPUs, threads stayed there" ks_jq "$report" \
	'.scenarios[0] | .params.same_cpu == false and .params.initiator_cpu != .params.responder_cpu and
	 ([.placement.senders[] | .ran_on == [.bound_cpu]] | all)'
ks_check "floor: complete, nothing lost" ks_jq "$report" \
	'.scenarios[0] | .completed and .error == null and .counts.lost == 0'

# --- floor ratios ---
# Under ThreadSanitizer a signal handler runs at TSan's next intercepted
# call, which can be inside KVM_RUN: immediate-exit's kicks are then spent
# by the instrumentation, not by KVM. sigmask needs no handler to end
# KVM_RUN, and the ratios below hold for any protocol.
signal_protocol=()
[ "${KS_TSAN:-no}" = yes ] && signal_protocol=(--protocol sigmask)
report=$KS_TMP/floor-signal.json
ks_run_status 0 "floor,signal" run --scenario floor,signal "${signal_protocol[@]}" --count 500 --deadline 1000 --quiet --output "$report"
ks_check "halted signal is compared with the wake-up floor" ks_jq "$report" \
	'.scenarios[1] | .name == "signal" and .floor_ratio.floor == "wake_up" and
	 .floor_ratio.p50 > 0 and .floor_ratio.p99 > 0 and .floor_ratio.floor_scenario_index == 0'
ks_check "the ratio is the signal latency over the floor's" ks_jq "$report" \
	'(.scenarios[1].latency_ns.p50 / .scenarios[0].details.wake_up_ns.p50 - .scenarios[1].floor_ratio.p50 | fabs) < 1e-6'
ks_check "floor itself carries no ratio" ks_jq "$report" '.scenarios[0] | has("floor_ratio") | not'

report=$KS_TMP/signal-floor.json
ks_run_status 0 "signal,floor (floor last), running target" \
	run --scenario signal,floor "${signal_protocol[@]}" --target-state running --count 200 --deadline 1000 --quiet --output "$report"
ks_check "running signal is compared with the ping-pong floor, whatever the order" ks_jq "$report" \
	'.scenarios[0] | .floor_ratio.floor == "ping_pong" and .floor_ratio.p50 > 0 and
	 .floor_ratio.floor_scenario_index == 1 and .floor_ratio.cpus_match == true'

report=$KS_TMP/mixed.json
ks_run_status 0 "floor,signal with a mixed target" \
	run --scenario floor,signal "${signal_protocol[@]}" --target-state mixed --count 300 --deadline 1000 --quiet --output "$report"
ks_check "mixed signal carries the ping-pong ratio and the wake-up one" ks_jq "$report" \
	'.scenarios[1].floor_ratio | .floor == "ping_pong" and .wake_up.floor == "wake_up" and .wake_up.p50 > 0'

report=$KS_TMP/signal-only.json
ks_run_status 0 "signal alone" run --scenario signal "${signal_protocol[@]}" --count 200 --deadline 1000 --quiet --output "$report"
ks_check "no floor ratios when floor did not run" ks_jq "$report" \
	'[.scenarios[] | has("floor_ratio")] | any | not'

ks_finish
