# Shared helpers for kickstorm's integration tests (sourced, not run).
# make check sets KICKSTORM to the built binary and KS_SRCDIR to the source tree.
set -u

KICKSTORM=${KICKSTORM:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/kickstorm}
KS_SRCDIR=${KS_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
KS_TMP=$(mktemp -d "${TMPDIR:-/tmp}/kickstorm-test.XXXXXX")
trap 'rm -rf "$KS_TMP"' EXIT

ks_checks=0
ks_failures=0

ks_pass() { ks_checks=$((ks_checks + 1)); echo "ok - $*"; }
ks_fail() { ks_checks=$((ks_checks + 1)); ks_failures=$((ks_failures + 1)); echo "not ok - $*"; }

# ks_check DESCRIPTION COMMAND...: passes when the command succeeds.
ks_check() {
	local what=$1
	shift
	if "$@"; then ks_pass "$what"; else ks_fail "$what"; fi
}

# ks_jq FILE FILTER: true when the jq filter yields true on the file.
ks_jq() {
	[ "$(jq -r "$2" "$1" 2>/dev/null)" = true ]
}

# Skips the whole test (exit 77) when this host cannot run VMs.
ks_require_kvm() {
	if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
		echo "SKIP: /dev/kvm cannot be opened read-write on this host"
		exit 77
	fi
}

ks_require_tool() {
	if ! command -v "$1" >/dev/null 2>&1; then
		echo "SKIP: $1 is not installed"
		exit 77
	fi
}

# ks_run_status EXPECTED DESCRIPTION ARGS...: runs kickstorm, checks the exit status.
ks_run_status() {
	local want=$1 what=$2 status=0
	shift 2
	"$KICKSTORM" "$@" >"$KS_TMP/stdout" 2>"$KS_TMP/stderr" || status=$?
	if [ "$status" -eq "$want" ]; then
		ks_pass "$what (exit $status)"
	else
		ks_fail "$what: exit $status, expected $want; stderr: $(head -c 400 "$KS_TMP/stderr")"
		ks_explain_report "$@"
	fi
}

# What a report says about its verdicts, for a run that exited unexpectedly.
ks_explain_report() {
	local prev="" report=""
	for arg in "$@"; do
		case $prev in --output | -o) report=$arg ;; esac
		prev=$arg
	done
	[ -f "$report" ] && jq -c '.scenarios[]? | {name, counts, kicks, error,
		max_wait_ms: ((.scheduling.max_waited_ns // 0) / 1e6), stopped_ns: .scheduling.stopped_ns}' \
		"$report" 2>/dev/null | sed 's/^/#   /'
	return 0
}

# ks_wait_until SECONDS COMMAND...: polls until the command succeeds; false after SECONDS.
ks_wait_until() {
	local limit=$(($1 * 10)) i
	shift
	for ((i = 0; i < limit; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# ks_wait_pid PID SECONDS: waits for a background child and leaves its exit
# status in ks_status; one still running after SECONDS is killed (137), so a
# hang fails the test instead of stalling it.
ks_wait_pid() {
	ks_wait_until "$2" eval "! kill -0 $1 2>/dev/null" || kill -KILL "$1" 2>/dev/null
	ks_status=0
	wait "$1" 2>/dev/null || ks_status=$?
}

# ks_refused DESCRIPTION EXPECTED-TEXT ARGS...: kickstorm ARGS exits 2 with one line on
# stderr naming EXPECTED-TEXT and what is allowed, and writes no report at $out.
ks_refused() {
	local what=$1 text=$2 status=0
	shift 2
	"$KICKSTORM" "$@" >"$KS_TMP/stdout" 2>"$KS_TMP/stderr" || status=$?
	if [ "$status" -ne 2 ]; then
		ks_fail "$what: exit $status, expected 2"
	elif [ "$(wc -l <"$KS_TMP/stderr")" -ne 1 ]; then
		ks_fail "$what: expected one line on stderr, got: $(cat "$KS_TMP/stderr")"
	elif ! grep -qF -- "$text" "$KS_TMP/stderr" || ! grep -q 'allowed' "$KS_TMP/stderr"; then
		ks_fail "$what: stderr does not name '$text' and what is allowed: $(cat "$KS_TMP/stderr")"
	elif [ -e "$out" ]; then
		ks_fail "$what: a report was written"
	else
		ks_pass "$what"
	fi
}

ks_finish() {
	echo "# $ks_checks checks, $ks_failures failed"
	[ "$ks_failures" -eq 0 ]
}
