#!/bin/bash
# Open-loop signal storms, patterns and target states: counts stay consistent
# and the report records what ran where. Runs use a 1 s deadline so a busy
# machine's scheduling delays are not counted as lost requests.
. "$(dirname "$0")/../lib.sh"
ks_require_kvm
ks_require_tool jq

report=$KS_TMP/open.json
ks_run_status 0 "open loop at 20 kHz in bursts of 4" run --scenario signal --rate 20000 \
	--burst 4 --count 4000 --deadline 1000 --quiet --output "$report"
ks_check "open loop: nothing lost, every kick accounted for" ks_jq "$report" \
	'.scenarios[0].counts | .lost == 0 and .sent == 4000 and .sent == .delivered + .coalesced'
ks_check "open loop: the report records rate and burst" ks_jq "$report" \
	'.config.rate_hz == 20000 and .config.burst == 4'

# Far above what one sender reaches: it kicks back to back and reads the
# observer's log in batches, which must neither overrun nor miss a delivery.
report=$KS_TMP/saturated.json
ks_run_status 0 "open loop at 5 MHz, faster than a sender goes" run --scenario signal \
	--rate 5000000 --count 20000 --deadline 1000 --quiet --output "$report"
ks_check "saturated: every kick accounted for, no log entry overwritten" ks_jq "$report" \
	'.scenarios[0] | .counts.lost == 0 and .counts.sent == 20000 and
	 .counts.sent == .counts.delivered + .counts.coalesced and .details.observations_overwritten == 0'
ks_check "saturated: one latency sample per delivered request" ks_jq "$report" \
	'.scenarios[0] | .latency_ns.count == .counts.delivered and .counts.delivered > 0'

for pattern in one-to-all all-to-all; do
	report=$KS_TMP/$pattern.json
	ks_run_status 0 "closed loop, pattern $pattern, 2 senders" run --scenario signal \
		--pattern "$pattern" --senders 2 --vcpus 2 --count 400 --deadline 1000 --quiet --output "$report"
	ks_check "$pattern: both senders reached both vCPUs" ks_jq "$report" \
		'[.scenarios[0].placement.senders[].targets | length == 2] | all'
	ks_check "$pattern: nothing lost" ks_jq "$report" \
		'.scenarios[0].counts | .lost == 0 and .delivered == .sent and .sent == 800'
done

report=$KS_TMP/mixed.json
ks_run_status 0 "mixed targets" run --scenario signal --target-state mixed --count 400 \
	--deadline 1000 --quiet --output "$report"
ks_check "mixed: even vCPUs run, odd vCPUs halt" ks_jq "$report" \
	'[.scenarios[0].placement.vcpus[] | .mode] == ["running", "halted"]'

report=$KS_TMP/duration.json
ks_run_status 0 "--duration bounds a run without --count" run --scenario signal \
	--duration 1 --deadline 1000 --quiet --output "$report"
ks_check "duration: ran about a second" ks_jq "$report" \
	'.scenarios[0].elapsed_s >= 0.9 and .scenarios[0].elapsed_s < 5 and .scenarios[0].counts.sent > 0'

ks_run_status 0 "--output - writes the report to stdout" run --scenario signal --count 100 \
	--deadline 1000 --quiet --output -
ks_check "stdout is one JSON report" ks_jq "$KS_TMP/stdout" '.schema_version == 1'
ks_check "the table went to stderr" grep -q '^scenario' "$KS_TMP/stderr"

ks_finish
