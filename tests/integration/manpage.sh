#!/bin/bash
# The man page is lint-clean and documents exactly the options the code accepts.
. "$(dirname "$0")/../lib.sh"
ks_require_tool mandoc

man=$KS_SRCDIR/man/kickstorm.1
ks_check "mandoc -Tlint is clean" bash -c "[ -z \"\$(mandoc -Tlint -Wwarning '$man' 2>&1)\" ]"

"$KICKSTORM" run --help >"$KS_TMP/help"
options=$(grep -o -- '--[a-z][a-z-]*' "$KS_TMP/help" | sort -u)
rendered=$(mandoc -Tutf8 "$man" | col -b)
for opt in $options; do
	ks_check "man page documents run $opt" grep -qF -- "$opt" <<<"$rendered"
done
for sub in show plot; do
	for opt in $("$KICKSTORM" $sub --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		ks_check "man page documents $sub $opt" grep -qF -- "$opt" <<<"$rendered"
	done
done
for cmd in run compare info list show plot; do
	if "$KICKSTORM" --help | grep -q "kickstorm $cmd "; then
		ks_check "man page documents the $cmd subcommand" grep -q "kickstorm $cmd" <<<"$rendered"
	fi
done
# Every registered scenario has a subsection of its own under SCENARIOS.
for scenario in $("$KICKSTORM" list | grep '^[a-z]'); do
	ks_check "man page has a section on the $scenario scenario" \
		bash -c "awk '/^\\.Sh SCENARIOS/,/^\\.Sh OUTCOMES/' '$man' | grep -qx '.Ss $scenario'"
done
for status in 0 1 2 77 130 143; do
	ks_check "man page lists exit status $status" grep -qE "^ +$status([[:space:]]|\$)" <<<"$rendered"
done

ks_finish
