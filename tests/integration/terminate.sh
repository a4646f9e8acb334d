#!/bin/bash
# How a run ends on SIGINT, SIGTERM and SIGHUP (kickstorm(1), SIGNALS): a
# signal that arrives before the run has even set up still gets a report;
# copies of a signal arriving together (coreutils timeout, a terminal's
# Ctrl-C through a wrapper) count once; only a signal a second or more after
# the first exits at once, says so, and leaves no temporary file; a signal
# while the report is written into a slow reader does not cut it short.
. "$(dirname "$0")/../lib.sh"
ks_require_kvm
ks_require_tool jq
ks_require_tool python3
ks_require_tool timeout
ks_require_tool setsid
CC=${CC:-cc}
ks_require_tool "${CC%% *}"

# A 60 s deadline keeps lost requests (exit 1) out of a loaded host's runs.
run_args=(run --scenario signal --deadline 60000 --quiet)

# The run is measuring: its vCPU threads exist.
measuring() { [ "$(ls "/proc/$1/task" 2>/dev/null | wc -l)" -gt 2 ]; }
proc_state() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1; }
measuring_child() { measuring "$(pgrep -P "$1" | head -1)"; }
# The main thread sleeps in write(2) (syscall 1 on x86-64), twice in a row.
blocked_in_write() {
	[ "$(cut -d' ' -f1 "/proc/$1/syscall" 2>/dev/null)" = 1 ] && [ "$(proc_state "$1")" = S ] &&
		sleep 0.2 && [ "$(cut -d' ' -f1 "/proc/$1/syscall" 2>/dev/null)" = 1 ]
}

# ---- a signal before the handlers exist -------------------------------------
# Blocked and already pending at exec: the run must take it as soon as it
# can, as a request to stop, and still replace the previous report.
report=$KS_TMP/early.json
echo '{"previous": "run"}' >"$report"
status=0
python3 -c '
import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT])
os.kill(os.getpid(), signal.SIGINT)
os.execv(sys.argv[1], sys.argv[1:])' "$KICKSTORM" "${run_args[@]}" --count 200 --output "$report" \
	>"$KS_TMP/stdout" 2>"$KS_TMP/stderr" || status=$?
ks_check "SIGINT pending at exec: exit 130 (got $status)" [ "$status" -eq 130 ]
ks_check "... the previous report was replaced by an interrupted one" ks_jq "$report" \
	'.interrupted == true and (.previous | not)'
ks_check "... nothing was measured after it" ks_jq "$report" '(.scenarios | length) == 0'

# ---- SIGHUP is SIGTERM's twin; SIGQUIT keeps its core-dumping default -------
report=$KS_TMP/hup.json
"$KICKSTORM" "${run_args[@]}" --duration 60 --output "$report" >"$KS_TMP/stdout" 2>"$KS_TMP/stderr" &
pid=$!
ks_wait_until 30 measuring "$pid"
sleep 0.5
kill -HUP "$pid"
ks_wait_pid "$pid" 120
status=$ks_status
ks_check "SIGHUP: exit 129 (got $status)" [ "$status" -eq 129 ]
ks_check "SIGHUP: report written and marked interrupted" ks_jq "$report" \
	'.interrupted == true and (.scenarios | length) == 1'

report=$KS_TMP/quit.json
# A shell without job control starts background commands with SIGQUIT
# ignored, and what is ignored stays so across exec (as nohup wants it);
# the test is about the default action, so kickstorm gets that.
(ulimit -c 0; exec python3 -c 'import os, signal, sys
signal.signal(signal.SIGQUIT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$KICKSTORM" "${run_args[@]}" --duration 60 --output "$report") \
	>"$KS_TMP/stdout" 2>"$KS_TMP/stderr" &
pid=$!
ks_wait_until 30 measuring "$pid"
kill -QUIT "$pid"
# (bash reports the core-dumping death on its stderr; that is expected here)
{ ks_wait_pid "$pid" 120; } 2>/dev/null
status=$ks_status
ks_check "SIGQUIT: the default action, exit 131 (got $status)" [ "$status" -eq 131 ]
ks_check "SIGQUIT: no report, no temporary file" bash -c "! ls '$report'* 2>/dev/null"

# ---- copies of one signal count once -----------------------------------------
# check_one_request WHAT STATUS WANT REPORT
check_one_request() {
	ks_check "$1: exit $3 (got $2)" [ "$2" -eq "$3" ]
	# One scenario, cut short: the run was not started again or abandoned.
	if ks_jq "$4" '.interrupted == true and (.scenarios | length) == 1 and .scenarios[0].interrupted == true'; then
		ks_pass "$1: the report was written, marked interrupted"
	else
		ks_fail "$1: the report was written, marked interrupted: $(jq -c '{interrupted,
			scenarios: [.scenarios[] | {interrupted, error, sent: .counts.sent}]}' "$4" 2>&1 |
			head -c 300); stderr: $(head -c 300 "$KS_TMP/stderr")"
	fi
	ks_check "$1: nothing said about an abandoned report" bash -c "! grep -q abandon '$KS_TMP/stderr'"
}

for trial in 1 2 3; do
	for sig in INT TERM; do
		want=$([ "$sig" = INT ] && echo 130 || echo 143)
		report=$KS_TMP/twice-$sig-$trial.json
		"$KICKSTORM" "${run_args[@]}" --duration 60 --output "$report" \
			>"$KS_TMP/stdout" 2>"$KS_TMP/stderr" &
		pid=$!
		ks_wait_until 30 measuring "$pid"
		kill -"$sig" "$pid"
		kill -"$sig" "$pid"
		ks_wait_pid "$pid" 120
		status=$ks_status
		check_one_request "two SIG$sig at once, trial $trial" "$status" "$want" "$report"
	done
done

# As CI runs things: timeout forwards a SIGINT, then sends it to the group too.
report=$KS_TMP/timeout-int.json
setsid -w timeout 60 "$KICKSTORM" "${run_args[@]}" --duration 30 --output "$report" \
	>"$KS_TMP/stdout" 2>"$KS_TMP/stderr" &
tpid=$!
ks_wait_until 30 measuring_child "$tpid"
kill -INT "$tpid"
ks_wait_pid "$tpid" 120
status=$ks_status
check_one_request "SIGINT forwarded by timeout" "$status" 130 "$report"

# ... and its own SIGTERM when the time is up, child first, then the group.
report=$KS_TMP/timeout-term.json
status=0
setsid -w timeout --preserve-status 5 "$KICKSTORM" "${run_args[@]}" --duration 30 --output "$report" \
	>"$KS_TMP/stdout" 2>"$KS_TMP/stderr" || status=$?
check_one_request "timeout's SIGTERM" "$status" 143 "$report"

# ---- a second signal well after the first: exit at once, and say so --------
# After the first SIGINT the run winds down and waits for the FIFO's reader;
# none comes, so the second SIGINT ends it.
fifo=$KS_TMP/no-reader
mkfifo "$fifo"
"$KICKSTORM" "${run_args[@]}" --duration 60 --output "$fifo" >"$KS_TMP/stdout" 2>"$KS_TMP/stderr" &
pid=$!
ks_wait_until 30 measuring "$pid"
kill -INT "$pid"
sleep 1.5
start=$(date +%s%N)
kill -INT "$pid"
ks_wait_pid "$pid" 120
status=$ks_status
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
ks_check "second SIGINT after 1.5 s: exit 130 (got $status)" [ "$status" -eq 130 ]
ks_check "... at once (${elapsed_ms} ms)" [ "$elapsed_ms" -lt 3000 ]
ks_check "... and says the report was abandoned" grep -q 'SIGINT again: exiting at once; the report was abandoned' \
	"$KS_TMP/stderr"

# The same while the report's temporary file exists: the process is stopped
# inside its fsync (by a preloaded fsync), so the second signal lands in the
# middle of the write however fast the disk is.
cat >"$KS_TMP/stop_in_fsync.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdlib.h>

int fsync(int fd)
{
	static int stopped;
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");

	if (!stopped++ && getenv("KS_STOP_IN_FSYNC"))
		raise(SIGSTOP);
	return real(fd);
}
EOF
if $CC -shared -fPIC -o "$KS_TMP/stop_in_fsync.so" "$KS_TMP/stop_in_fsync.c" -ldl; then
	report=$KS_TMP/mid-write.json
	echo '{"previous": "run"}' >"$report"
	KS_STOP_IN_FSYNC=1 LD_PRELOAD=$KS_TMP/stop_in_fsync.so \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		"$KICKSTORM" "${run_args[@]}" --duration 60 --output "$report" \
		>"$KS_TMP/stdout" 2>"$KS_TMP/stderr" &
	pid=$!
	ks_wait_until 30 measuring "$pid"
	kill -INT "$pid"
	first=$(date +%s%N)
	ks_wait_until 60 eval '[ "$(proc_state "$pid")" = T ]'
	ks_check "mid-write: stopped with its temporary file in place" bash -c "ls '$report'.tmp.* >/dev/null 2>&1"
	while [ $((($(date +%s%N) - first) / 1000000)) -lt 1300 ]; do sleep 0.1; done
	kill -INT "$pid"
	kill -CONT "$pid"
	ks_wait_pid "$pid" 120
	status=$ks_status
	ks_check "mid-write: second SIGINT exits 130 (got $status)" [ "$status" -eq 130 ]
	ks_check "mid-write: no temporary file is left" bash -c "! ls '$report'.tmp.* 2>/dev/null"
	ks_check "mid-write: the previous report is untouched" ks_jq "$report" '.previous == "run"'
	ks_check "mid-write: stderr says the report was abandoned" grep -q 'abandoned' "$KS_TMP/stderr"
else
	ks_fail "cannot build the fsync shim with $CC"
fi

# ---- a signal while the report is written into a slow reader -----------------
# The report (well over a pipe's 64 KiB) goes to stdout, a FIFO whose reader
# waits; SIGINT arrives while write(2) blocks. The reader must get all of it.
pipe=$KS_TMP/slow-reader
mkfifo "$pipe"
sh -c 'while [ ! -e "$1" ]; do sleep 0.1; done; exec cat' sh "$KS_TMP/go" <"$pipe" >"$KS_TMP/read.json" &
reader=$!
"$KICKSTORM" "${run_args[@]}" --count 50 --repeat 12 --output - >"$pipe" 2>"$KS_TMP/stderr" &
pid=$!
if ks_wait_until 60 blocked_in_write "$pid"; then
	kill -INT "$pid"
	sleep 0.3
	touch "$KS_TMP/go"
	ks_wait_pid "$pid" 120
	status=$ks_status
	ks_wait_pid "$reader" 10
	ks_check "SIGINT during a blocked write: exit 130 (got $status)" [ "$status" -eq 130 ]
	ks_check "... the reader got the whole report" ks_jq "$KS_TMP/read.json" '(.scenarios | length) == 12'
	ks_check "... no write error" bash -c "! grep -qi 'interrupted system call\|cannot write' '$KS_TMP/stderr'"
else
	touch "$KS_TMP/go"
	ks_wait_pid "$pid" 120
	ks_wait_pid "$reader" 10
	ks_fail "the report never blocked in write(2) on a full pipe"
fi

ks_finish
