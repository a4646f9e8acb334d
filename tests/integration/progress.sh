#!/bin/bash
# The progress line on a terminal: scenario, repetition, sweep point, kicks
# and the time left; notes get lines of their own; nothing on a file.
# Each entry stops at 1.5 s: long enough for a line (one a second),
# whatever the load.
. "$(dirname "$0")/../lib.sh"
ks_require_kvm
ks_require_tool script

# script(1) gives kickstorm a terminal for stderr; the line is rewritten with \r.
script -qec "'$KICKSTORM' run --scenario msi --repeat 2 --sweep vcpus=1,2 --count 4000 --duration 1.5 --deadline 60000 \
	--output '$KS_TMP/r.json'" /dev/null >"$KS_TMP/tty" 2>&1 </dev/null
tr '\r' '\n' <"$KS_TMP/tty" >"$KS_TMP/lines"
ks_check "the run under a terminal finished" ks_jq "$KS_TMP/r.json" '.scenarios | length == 4'
ks_check "the line names the scenario, repetition and sweep point" \
	grep -q '^\[msi, rep 2/2, vcpus=2 (2/2)\] [0-9]*/4000 kicks' "$KS_TMP/lines"
ks_check "... and the time the run has left" grep -qE '^\[msi, rep 1/2, vcpus=1 \(1/2\)\] .*, about [0-9]+ s left' \
	"$KS_TMP/lines"
ks_check "a note never shares a line with the progress" bash -c "! grep -E 'kicks, [0-9.]+ s.*[a-z]: latencies' '$KS_TMP/lines'"

ks_run_status 0 "into a file" run --scenario msi --repeat 2 --count 4000 --duration 1.5 --deadline 60000 --output "$KS_TMP/f.json"
ks_check "... stderr holds no progress line" bash -c "! grep -q 'kicks, ' '$KS_TMP/stderr'"

ks_finish
