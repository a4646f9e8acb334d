#!/bin/bash
# SIGINT/SIGTERM during a run: threads stop, the VM is torn down, and a
# report marked interrupted with the samples so far is written; a second
# signal exits at once.
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

# A second signal ends the process at once, even in a run that would take a minute.
"$KICKSTORM" run --scenario signal --duration 60 --quiet --output "$KS_TMP/twice.json" \
	>/dev/null 2>&1 &
pid=$!
settle
start=$(date +%s%N)
kill -INT "$pid"
kill -INT "$pid"
status=0
wait "$pid" || status=$?
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
ks_check "second SIGINT: exit 130 (got $status)" [ "$status" -eq 130 ]
ks_check "second SIGINT: gone within 5 s (${elapsed_ms} ms)" [ "$elapsed_ms" -lt 5000 ]

ks_finish
