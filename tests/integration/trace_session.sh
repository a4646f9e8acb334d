#!/bin/bash
# A trace session (src/trace.c) on this host: a private tracefs instance
# records the real binary's threads and no one else's, the stage builder
# cuts every kick into stages, and the instance is gone afterwards: after
# trace__close, after SIGINT and SIGKILL (the reaper removes it), and after
# a handler's trace__cleanup_signal_safe. Skips without libtracefs in the
# build, or without tracefs or permission on the host.
. "$(dirname "$0")/../lib.sh"
ks_require_kvm
ks_require_tool jq

rec=$(dirname "$KICKSTORM")/tests/trace_record
if ! [ -x "$rec" ]; then
	echo "SKIP: built without libtracefs (no tests/trace_record)"
	exit 77
fi
# gone PATH: the path (a directory, or /proc/PID) disappears within 15 s
# (a loaded host is slow, and the reaper retries a busy instance for 5 s).
gone() {
	for _ in $(seq 150); do
		[ -e "$1" ] || return 0
		sleep 0.1
	done
	return 1
}

status=0
"$rec" --check --kicks msi "$KS_TMP/msi.txt" -- "$KICKSTORM" run --scenario msi --target-state halted \
	--count 200 --deadline 60000 --quiet --output "$KS_TMP/msi.json" >"$KS_TMP/rec.out" 2>&1 || status=$?
if [ "$status" -eq 77 ]; then
	cat "$KS_TMP/rec.out"
	exit 77
fi
# trace_record fails unless events came from the run's threads and only
# them, and unless the instance is gone once trace__close returns.
ks_check "recorded the run's threads and only them, instance removed: $(grep '^events' "$KS_TMP/rec.out")" \
	[ "$status" -eq 0 ]
ks_check "the run delivered its 200 requests while traced" \
	ks_jq "$KS_TMP/msi.json" '.scenarios[0].counts | .delivered == 200 and .lost == 0'
# Kicks are derived from the events by a heuristic (tests/data/README.md):
# nearly all of them, not necessarily every one on a loaded host.
kicks=$(grep -c '^kick ' "$KS_TMP/msi.txt")
ks_check "kicks derived from the recording: $kicks of 200" [ "$kicks" -ge 190 -a "$kicks" -le 200 ]
ks_check "the sched and kvm events were enabled" \
	grep -q '^enabled .*sched_switch.*kvm_apic_accept_irq' "$KS_TMP/msi.txt"

"$rec" --analyse "$KS_TMP/msi.txt" --json >"$KS_TMP/analysis.out"
sed -n '/^{/,$p' "$KS_TMP/analysis.out" >"$KS_TMP/analysis.json"
ks_check "at least 4 stages count nearly every kick" ks_jq "$KS_TMP/analysis.json" \
	'.kicks.traced as $n | [.stages[] | select(.count >= 0.95 * $n)] | length >= 4'
ks_check "every stage counts or skips every kick" ks_jq "$KS_TMP/analysis.json" \
	'.kicks.traced as $n | all(.stages[]; .count + .skipped == $n)'
ks_check "five worst kicks, each with an analysis" ks_jq "$KS_TMP/analysis.json" \
	'(.worst | length) == 5 and all(.worst[]; (.analysis | length) > 20)'

# hold_and_kill SIGNAL [--on-sigint cleanup]: the instance of a killed holder
# disappears, and so does its reaper; with the handler's cleanup, at once.
hold_and_kill() {
	local sig=$1 path pid reaper
	shift
	# setsid: the signal reaches the holder's whole process group, as Ctrl-C does.
	setsid "$rec" "$@" --hold >"$KS_TMP/hold.out" 2>&1 &
	pid=$!
	for _ in $(seq 300); do
		grep -qs '^instance ' "$KS_TMP/hold.out" && break
		sleep 0.1
	done
	path=$(sed -n 's/^instance //p' "$KS_TMP/hold.out")
	reaper=$(pgrep -P "$pid" | head -1)
	if [ -z "$path" ] || ! [ -d "$path" ] || [ -z "$reaper" ]; then
		ks_fail "SIG$sig: no instance or no reaper (path=$path reaper=$reaper): $(cat "$KS_TMP/hold.out"; ps -o pid,stat,wchan:20,cmd -p "$pid" | tail -n +2)"
		kill -KILL "$pid" 2>/dev/null
		return
	fi
	kill -"$sig" -- "-$pid" 2>/dev/null || kill -"$sig" "$pid"
	wait "$pid" 2>/dev/null
	if [ $# -gt 0 ]; then
		ks_check "SIG$sig${*:+ $*}: the handler removed the instance before exiting" [ ! -e "$path" ]
	else
		ks_check "SIG$sig: the reaper removes the instance" gone "$path"
	fi
	ks_check "SIG$sig${*:+ $*}: the reaper is gone too" gone "/proc/$reaper"
}

hold_and_kill INT
hold_and_kill KILL
hold_and_kill INT --on-sigint cleanup
ks_finish
