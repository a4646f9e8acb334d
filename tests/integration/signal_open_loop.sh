#!/bin/bash
# Open-loop signal storms, patterns and target states: counts stay consistent
# and the report records what ran where. A busy machine's scheduling delays
# make requests late, never lost: the loss window is a second.
. "$(dirname "$0")/../lib.sh"
ks_require_kvm
ks_require_tool jq

report=$KS_TMP/open.json
ks_run_status 0 "open loop at 20 kHz in bursts of 4" run --scenario signal --rate 20000 \
	--burst 4 --count 4000 --quiet --output "$report"
ks_check "open loop: nothing lost, every request has one outcome" ks_jq "$report" \
	'.scenarios[0].counts | .lost == 0 and .sent == 4000 and .sent == .delivered + .late + .coalesced + .unresolved'
ks_check "open loop: the report records rate and burst" ks_jq "$report" \
	'.config.rate_hz == 20000 and .config.burst == 4'

# Far above what one sender reaches: it kicks back to back and reads the
# observer's log in batches, which must neither overrun nor miss a delivery.
report=$KS_TMP/saturated.json
ks_run_status 0 "open loop at 5 MHz, faster than a sender goes" run --scenario signal \
	--rate 5000000 --count 20000 --quiet --output "$report"
ks_check "saturated: every request accounted for, no log entry overwritten" ks_jq "$report" \
	'.scenarios[0] | .counts.lost == 0 and .counts.sent == 20000 and
	 .counts.sent == .counts.delivered + .counts.late + .counts.coalesced + .counts.unresolved and
	 .details.observations_overwritten == 0'
ks_check "saturated: one latency sample per served request, coalesced ones included" ks_jq "$report" \
	'.scenarios[0] | .latency_ns.count == .counts.delivered + .counts.late + .counts.coalesced and
	 .counts.delivered > 0 and (.counts.coalesced == 0 or .latency_by_outcome_ns.coalesced.count == .counts.coalesced)'

for pattern in one-to-all all-to-all; do
	report=$KS_TMP/$pattern.json
	ks_run_status 0 "closed loop, pattern $pattern, 2 senders" run --scenario signal \
		--pattern "$pattern" --senders 2 --vcpus 2 --count 400 --quiet --output "$report"
	ks_check "$pattern: both senders reached both vCPUs" ks_jq "$report" \
		'[.scenarios[0].placement.senders[].targets | length == 2] | all'
	ks_check "$pattern: nothing lost, every request served" ks_jq "$report" \
		'.scenarios[0].counts | .lost == 0 and .delivered + .late == .sent and .sent == 800'
done

report=$KS_TMP/mixed.json
ks_run_status 0 "mixed targets" run --scenario signal --target-state mixed --count 400 \
	--quiet --output "$report"
ks_check "mixed: even vCPUs run, odd vCPUs halt" ks_jq "$report" \
	'[.scenarios[0].placement.vcpus[] | .mode] == ["running", "halted"]'

report=$KS_TMP/duration.json
ks_run_status 0 "--duration bounds a run without --count" run --scenario signal \
	--duration 1 --quiet --output "$report"
ks_check "duration: ran about a second" ks_jq "$report" \
	'.scenarios[0].elapsed_s >= 0.9 and .scenarios[0].elapsed_s < 5 and .scenarios[0].counts.sent > 0'

ks_run_status 0 "--output - writes the report to stdout" run --scenario signal --count 100 \
	--quiet --output -
ks_check "stdout is one JSON report" ks_jq "$KS_TMP/stdout" '.schema_version == 2'
ks_check "the table went to stderr" grep -q '^scenario' "$KS_TMP/stderr"

ks_finish
