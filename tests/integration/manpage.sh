#!/bin/bash
# The man page is lint-clean and documents exactly the options the code accepts.
. "$(dirname "$0")/../lib.sh"
ks_require_tool mandoc

man=$KS_SRCDIR/man/kickstorm.1
# Every level down to style. "outdated mandoc.db" lines are about this host's
# man database, not the page.
lint=$(mandoc -Tlint "$man" 2>&1 | grep -v 'mandoc\.db')
ks_check "mandoc -Tlint is clean${lint:+: $lint}" [ -z "$lint" ]

# The installed page names the real data directory, not a make variable.
builddir=$(dirname "$KICKSTORM")
if [ -f "$builddir/Makefile" ] && command -v make >/dev/null; then
	if make -s -C "$builddir" install-man DESTDIR="$KS_TMP/inst" >"$KS_TMP/install.log" 2>&1; then
		installed=$(find "$KS_TMP/inst" -name kickstorm.1 | head -1)
		ks_check "make install-man installs kickstorm.1" [ -n "$installed" ]
		ks_check "the installed page names the schema's directory, not \$(datadir)" \
			bash -c "grep -q '/kickstorm/kickstorm-report.schema.json' '$installed' &&
				! grep -qE '\\\$\\(datadir\\)|@datadir@' '$installed'"
		ks_check "the installed page is lint-clean too" \
			bash -c "[ -z \"\$(mandoc -Tlint '$installed' 2>&1 | grep -v 'mandoc\\.db')\" ]"
	else
		ks_fail "make install-man failed: $(tail -3 "$KS_TMP/install.log")"
	fi
else
	echo "# no build directory next to $KICKSTORM: the installed page is not checked"
fi

"$KICKSTORM" run --help >"$KS_TMP/help"
options=$(grep -o -- '--[a-z][a-z-]*' "$KS_TMP/help" | sort -u)
rendered=$(mandoc -Tutf8 "$man" | col -b)
for opt in $options; do
	ks_check "man page documents run $opt" grep -qF -- "$opt" <<<"$rendered"
done
for opt in -s -n -c -D -o -q -h; do
	ks_check "man page documents run $opt" grep -qE -- "(^| )$opt, --" <<<"$rendered"
done
for sub in show plot; do
	for opt in $("$KICKSTORM" $sub --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		ks_check "man page documents $sub $opt" grep -qF -- "$opt" <<<"$rendered"
	done
done
for cmd in run compare info list show plot help; do
	if "$KICKSTORM" --help | grep -q "kickstorm $cmd "; then
		ks_check "man page documents the $cmd subcommand" grep -q "kickstorm $cmd" <<<"$rendered"
	fi
done
# Every registered scenario has a subsection of its own under SCENARIOS.
for scenario in $("$KICKSTORM" list | grep '^[a-z]'); do
	ks_check "man page has a section on the $scenario scenario" \
		bash -c "awk '/^\\.Sh SCENARIOS/,/^\\.Sh OUTCOMES/' '$man' | grep -qx '.Ss $scenario'"
done
for status in 0 1 2 77 129 130 143; do
	ks_check "man page lists exit status $status" grep -qE "^ +$status([[:space:]]|\$)" <<<"$rendered"
done

ks_finish
