#!/bin/bash
# valgrind memcheck on a short run: no invalid accesses, no definite leaks.
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

ks_finish
