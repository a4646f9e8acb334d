#!/bin/bash
# SIGINT/SIGTERM during a run: threads stop, the VM is torn down, and a
# report marked interrupted with the samples so far is written. Doubled,
# early, late and mid-write signals: terminate.sh.
. "$(dirname "$0")/../lib.sh"
ks_require_kvm
ks_require_tool jq

# wait_for_progress PID: until the run has been measuring for a moment.
settle() { sleep 1.5; }

for sig in INT TERM; do
	want=$([ "$sig" = INT ] && echo 130 || echo 143)
	report=$KS_TMP/$sig.json
	"$KICKSTORM" run --scenario signal --duration 60 --quiet --output "$report" \
		>"$KS_TMP/stdout" 2>"$KS_TMP/stderr" &
	pid=$!
	settle
	kill -"$sig" "$pid"
	status=0
	wait "$pid" || status=$?
	ks_check "SIG$sig: exit $want (got $status)" [ "$status" -eq "$want" ]
	ks_check "SIG$sig: report marked interrupted" ks_jq "$report" \
		'.interrupted == true and .scenarios[0].interrupted == true'
	ks_check "SIG$sig: samples taken so far are in the report" ks_jq "$report" \
		'.scenarios[0].latency_ns.count > 0 and .scenarios[0].counts.delivered > 0'
	ks_check "SIG$sig: the table was still printed" grep -q '^signal ' "$KS_TMP/stdout"
	ks_check "SIG$sig: no temporary file left" bash -c "! ls '$report'.tmp.* 2>/dev/null"
	ks_check "SIG$sig: no thread outlived the run" bash -c "! kill -0 $pid 2>/dev/null"
done

ks_finish
