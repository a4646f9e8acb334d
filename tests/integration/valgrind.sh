#!/bin/bash
# valgrind memcheck on a short run, and on show and plot of the fixture
# reports: no invalid accesses, no definite leaks.
. "$(dirname "$0")/../lib.sh"
ks_require_kvm
ks_require_tool valgrind

for target in halted running; do
	status=0
	valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
		"$KICKSTORM" run --scenario signal --count 50 --target-state "$target" --deadline 1000 --quiet \
		--output "$KS_TMP/r.json" >"$KS_TMP/stdout" 2>"$KS_TMP/stderr" || status=$?
	ks_check "memcheck clean on a $target run (exit $status)" [ "$status" -eq 0 ]
	if [ "$status" -ne 0 ]; then
		grep '^==' "$KS_TMP/stderr" | grep -v 'unhandled ioctl\|could cause spurious\|README_MISSING' | head -20
	fi
done

# show and plot read files from anywhere: the v2 fixture has a failed entry, stages and a lost kick column.
data=$KS_SRCDIR/tests/data
for cmd in "show $data/report-v2.json --hist --percentiles 50,99.5 --format markdown" \
	   "plot $data/report-v1.json $data/report-v2.json $data/report-sweep.json -o $KS_TMP/p.svg"; do
	status=0
	# shellcheck disable=SC2086
	valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
		"$KICKSTORM" $cmd >"$KS_TMP/stdout" 2>"$KS_TMP/stderr" || status=$?
	ks_check "memcheck clean on ${cmd%% *} (exit $status)" [ "$status" -eq 0 ]
	[ "$status" -ne 0 ] && grep '^==' "$KS_TMP/stderr" | head -20
done

ks_finish
