#!/bin/bash
# Every kickstorm command line in README.md and in the man page's EXAMPLES
# runs as written (tests/tools/doc_commands.py finds them): no option the
# code no longer takes, no value it refuses. run commands get a small
# --count and a private --output appended (the last value of an option
# wins), so the check takes a minute, not an hour; the report files the
# examples read are made first, in a directory of their own. Exit 1 from
# run (a lost request) or compare (a regression) is a verdict, not a
# parse error, and passes.
. "$(dirname "$0")/../lib.sh"
ks_require_kvm
ks_require_tool jq
ks_require_tool python3

work=$KS_TMP/docs
mkdir -p "$work"
ln -s "$KS_SRCDIR/results" "$work/results"
# The reports the examples read: a real run, under each name they use.
# At the defaults, as README's CI recipe runs, so that its compare has matches.
(cd "$work" && "$KICKSTORM" run --scenario signal,msi --repeat 5 --count 20 --quiet \
	--output new.json >/dev/null 2>&1)
ks_check "made a report for the examples to read" ks_jq "$work/new.json" '.scenarios | length == 10'
for name in base.json kickstorm-report.json a.json b.json; do
	cp "$work/new.json" "$work/$name"
done

ncpus=$(nproc)
ks_check "every code line that runs kickstorm can be read" \
	python3 "$KS_SRCDIR/tests/tools/doc_commands.py" "$KS_SRCDIR/README.md" "$KS_SRCDIR/man/kickstorm.1" \
	-o "$KS_TMP/commands"
ks_check "found the documented commands ($(wc -l <"$KS_TMP/commands"))" [ "$(wc -l <"$KS_TMP/commands")" -ge 30 ]

while IFS=$'\t' read -r where line; do
	eval "args=($line)"
	status=0
	if [ "${args[0]}" = run ]; then
		(cd "$work" && "$KICKSTORM" "${args[@]}" --count 20 --quiet --output "$KS_TMP/doc-run.json") \
			>/dev/null 2>"$KS_TMP/stderr" || status=$?
	else
		(cd "$work" && "$KICKSTORM" "${args[@]}") >/dev/null 2>"$KS_TMP/stderr" || status=$?
	fi
	case "${args[0]}:$status" in
	run:0 | run:1 | compare:0 | compare:1 | [a-z]*:0)
		# run's 1 is a verdict (a naive storm loses requests); compare's a regression.
		ks_pass "$where: kickstorm $line (exit $status)" ;;
	run:2)
		# An example written for a bigger host than this one.
		if grep -q -- '--cpus' "$KS_TMP/stderr" && [[ " ${args[*]} " == *" --cpus "* ]]; then
			ks_pass "$where: kickstorm $line: this host has $ncpus CPUs: $(cat "$KS_TMP/stderr")"
		else
			ks_fail "$where: kickstorm $line: exit 2: $(head -c 300 "$KS_TMP/stderr")"
		fi ;;
	*)
		ks_fail "$where: kickstorm $line: exit $status: $(head -c 300 "$KS_TMP/stderr")" ;;
	esac
done <"$KS_TMP/commands"

ks_finish
