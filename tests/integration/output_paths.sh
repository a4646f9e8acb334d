#!/bin/bash
# Where output goes (kickstorm(1), REPORT and FILES): --output naming a
# FIFO with or without a reader, a file another user owns in a sticky
# directory, a write-protected file, a symlink, a 255-byte name; and stdout
# that is full or closed, for every command.
. "$(dirname "$0")/../lib.sh"
ks_require_tool jq

# A 60 s deadline: on a loaded host a descheduled vCPU thread must not turn
# into a lost request and an exit status these checks do not expect.
run_args=(run --scenario signal --count 20 --deadline 60000 --quiet)
have_kvm=false
[ -r /dev/kvm ] && [ -w /dev/kvm ] && have_kvm=true

# ---- stdout that cannot be written: every command says so and fails ------------
for args in "info" "info --json" "list" "--help" "-h" "--version" "help run" "run --help" \
	"compare --help" "list -h"; do
	status=0
	# shellcheck disable=SC2086
	"$KICKSTORM" $args >/dev/full 2>"$KS_TMP/stderr" || status=$?
	ks_check "kickstorm $args >/dev/full: exit 1 and one line on stderr (exit $status)" \
		bash -c "[ $status -eq 1 ] && [ \$(wc -l <'$KS_TMP/stderr') -eq 1 ] &&
			grep -q 'No space left on device' '$KS_TMP/stderr'"
	status=0
	# shellcheck disable=SC2086
	"$KICKSTORM" $args >&- 2>"$KS_TMP/stderr" || status=$?
	ks_check "kickstorm $args with stdout closed: exit 1 (got $status)" [ "$status" -eq 1 ]
done

# compare's table, the output CI reads: a report compared with itself.
ref=$KS_SRCDIR/results/reference-quick.json
status=0
"$KICKSTORM" compare "$ref" "$ref" >/dev/full 2>"$KS_TMP/stderr" || status=$?
# 2, not 1: compare's 1 says "regression", and CI must not read a full disk as one.
ks_check "compare >/dev/full: exit 2 (got $status), saying why" \
	bash -c "[ $status -eq 2 ] && grep -q 'No space left on device' '$KS_TMP/stderr'"
status=0
"$KICKSTORM" compare "$ref" "$ref" >"$KS_TMP/compare.txt" 2>"$KS_TMP/stderr" || status=$?
ks_check "... while to a file it exits 0 (got $status)" [ "$status" -eq 0 ]

# With stdout closed the first file opened must not become stdout: the
# report would go into /dev/kvm. --output - is refused before anything runs.
status=0
"$KICKSTORM" "${run_args[@]}" --output - >&- 2>"$KS_TMP/stderr" || status=$?
ks_check "run --output - with stdout closed: exit 2 (got $status)" [ "$status" -eq 2 ]
ks_check "... saying stdout is not open for writing" grep -q 'not open for writing' "$KS_TMP/stderr"
if $have_kvm; then
	report=$KS_TMP/closed-stdout.json
	status=0
	"$KICKSTORM" "${run_args[@]}" --output "$report" >&- 2>"$KS_TMP/stderr" || status=$?
	ks_check "run with stdout closed: the report is written" ks_jq "$report" '.scenarios[0].counts.sent > 0'
	ks_check "... and the lost table makes it exit 1 (got $status)" [ "$status" -eq 1 ]
fi

# ---- FIFOs -------------------------------------------------------------------------
if $have_kvm; then
	# No reader: the run happens, then waits a bounded time for one, then fails.
	fifo=$KS_TMP/no-reader
	mkfifo "$fifo"
	"$KICKSTORM" "${run_args[@]}" --output "$fifo" >"$KS_TMP/stdout" 2>"$KS_TMP/stderr" &
	pid=$!
	ks_wait_pid "$pid" 60
	ks_check "FIFO without a reader: exit 1 after the bounded wait (got $ks_status)" [ "$ks_status" -eq 1 ]
	ks_check "... the run happened first" grep -q '^signal ' "$KS_TMP/stdout"
	ks_check "... and the error says no reader came" grep -q 'no reader opened the FIFO within 10 s' \
		"$KS_TMP/stderr"

	# A reader that is there from the start gets the whole report.
	fifo=$KS_TMP/reader-first
	mkfifo "$fifo"
	cat "$fifo" >"$KS_TMP/from-fifo.json" &
	reader=$!
	"$KICKSTORM" "${run_args[@]}" --output "$fifo" >"$KS_TMP/stdout" 2>"$KS_TMP/stderr" &
	pid=$!
	ks_wait_pid "$pid" 60
	ks_check "FIFO with a reader: exit 0 (got $ks_status)" [ "$ks_status" -eq 0 ]
	ks_wait_pid "$reader" 10
	ks_check "... the reader got the report, not an early EOF" ks_jq "$KS_TMP/from-fifo.json" \
		'.scenarios[0].counts.sent > 0'

	# A reader that comes while kickstorm waits for one.
	fifo=$KS_TMP/reader-late
	mkfifo "$fifo"
	# Not --quiet: the note saying it waits is the cue.
	"$KICKSTORM" run --scenario signal --count 20 --deadline 60000 --output "$fifo" \
		>"$KS_TMP/stdout" 2>"$KS_TMP/late.err" &
	pid=$!
	ks_wait_until 60 grep -q 'waiting up to 10 s for a reader' "$KS_TMP/late.err"
	timeout 30 cat "$fifo" >"$KS_TMP/late.json"
	ks_wait_pid "$pid" 60
	ks_check "FIFO whose reader comes late: exit 0 (got $ks_status)" [ "$ks_status" -eq 0 ]
	ks_check "... the reader got the whole report" ks_jq "$KS_TMP/late.json" '.scenarios[0].counts.sent > 0'
fi

# ---- replacing a file ------------------------------------------------------------
ks_refused_output() {
	local what=$1 text=$2 status=0
	shift 2
	"$@" >"$KS_TMP/stdout" 2>"$KS_TMP/stderr" || status=$?
	ks_check "$what: exit 2 before the run (got $status)" [ "$status" -eq 2 ]
	ks_check "$what: the message says why" grep -q -- "$text" "$KS_TMP/stderr"
	ks_check "$what: nothing ran" bash -c "! grep -q '^signal ' '$KS_TMP/stdout'"
}

protected=$KS_TMP/protected.json
echo '{"kept": true}' >"$protected"
chmod 0444 "$protected"
ks_refused_output "write-protected --output" "write-protected (mode 0444" \
	"$KICKSTORM" "${run_args[@]}" --output "$protected"
ks_check "... the file is untouched" ks_jq "$protected" '.kept'
ks_check "... and still 0444" [ "$(stat -c %a "$protected")" = 444 ]
ks_refused_output "a directory as --output" "it is a directory" \
	"$KICKSTORM" "${run_args[@]}" --output "$KS_TMP"

if $have_kvm; then
	kept=$KS_TMP/kept.json
	echo '{}' >"$kept"
	chmod 0600 "$kept"
	ks_run_status 0 "replacing a 0600 report" "${run_args[@]}" --output "$kept"
	ks_check "... the new report keeps mode 0600" [ "$(stat -c %a "$kept")" = 600 ]
	ks_check "... and is the new report" ks_jq "$kept" '.scenarios[0].counts.sent > 0'

	mkdir "$KS_TMP/real"
	echo '{}' >"$KS_TMP/real/target.json"
	ln -s real/target.json "$KS_TMP/link.json"
	ks_run_status 0 "--output naming a symlink" "${run_args[@]}" --output "$KS_TMP/link.json"
	ks_check "... the link is still a link" [ -L "$KS_TMP/link.json" ]
	ks_check "... and its target holds the report" ks_jq "$KS_TMP/real/target.json" \
		'.scenarios[0].counts.sent > 0'

	long=$KS_TMP/$(printf 'r%.0s' $(seq 250)).json
	ks_run_status 0 "a 255-byte report name" "${run_args[@]}" --output "$long"
	ks_check "... written" ks_jq "$long" '.scenarios[0].counts.sent > 0'
	ks_check "... no temporary file left" bash -c "[ \$(ls -A '$KS_TMP' | grep -c tmp) -eq 0 ]"
fi

# ---- another user's file in a sticky directory -------------------------------------
# The rename that replaces it would fail with EPERM after the whole run:
# refused before. Needs root to set it up and an unprivileged user to run.
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	sticky=$(mktemp -d /tmp/kickstorm-sticky.XXXXXX)
	chmod 1777 "$sticky"
	cp "$KICKSTORM" "$sticky/kickstorm"
	chmod 0755 "$sticky/kickstorm"
	echo '{"owner": "root"}' >"$sticky/root.json"
	chmod 0666 "$sticky/root.json"
	as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all "$@"; }
	ks_refused_output "nobody replacing root's file in a sticky directory" "sticky" \
		as_nobody "$sticky/kickstorm" "${run_args[@]}" --output "$sticky/root.json"
	ks_check "... root's file is untouched" ks_jq "$sticky/root.json" '.owner == "root"'
	# nobody's own files there are fine: the check passes (the run itself may
	# then need /dev/kvm, which nobody may not open: 77).
	status=0
	as_nobody "$sticky/kickstorm" "${run_args[@]}" --output "$sticky/nobody.json" \
		>"$KS_TMP/stdout" 2>"$KS_TMP/stderr" || status=$?
	ks_check "nobody's own new file there passes the check (exit $status)" \
		bash -c "[ $status -eq 0 ] || [ $status -eq 77 ]"
	as_nobody sh -c "echo '{}' >'$sticky/mine.json'; chmod 0444 '$sticky/mine.json'"
	ks_refused_output "nobody's own write-protected file" "write-protected" \
		as_nobody "$sticky/kickstorm" "${run_args[@]}" --output "$sticky/mine.json"
	rm -rf "$sticky"
else
	echo "# not root, or no user nobody or setpriv: the sticky-directory case is not tried"
fi

ks_finish
