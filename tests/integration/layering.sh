#!/bin/bash
# src/ keeps the shape docs/ARCHITECTURE.md describes (tests/tools/layering.py).
. "$(dirname "$0")/../lib.sh"
ks_require_tool python3
ks_require_tool gcc

flags=()
for pkg in jansson hwloc; do
	flags+=($(pkg-config --cflags "$pkg" 2>/dev/null))
done
if [ -f "$KS_SRCDIR/autoconfig.h" ]; then
	flags+=(-include "$KS_SRCDIR/autoconfig.h")
elif [ -f "$(dirname "$KICKSTORM")/autoconfig.h" ]; then
	flags+=(-include "$(dirname "$KICKSTORM")/autoconfig.h")
fi
out=$(python3 "$KS_SRCDIR/tests/tools/layering.py" "$KS_SRCDIR" "${flags[@]}")
status=$?
[ -n "$out" ] && printf '#   %s\n' "$out"
ks_check "no include circle, no file over 600 lines, no linux/kvm.h outside KVM code, no scenario named outside src/scenarios" \
	[ "$status" -eq 0 ]

# The check itself can fail: a scenario named in a comparison outside src/scenarios is caught.
mkdir -p "$KS_TMP/tree/src/scenarios"
cp "$KS_SRCDIR"/src/scenarios/*.c "$KS_TMP/tree/src/scenarios/"
printf '#include <string.h>\nint f(const char *n) { return !strcmp(n, "msi"); }\n' >"$KS_TMP/tree/src/bad.c"
ks_check "the check catches a scenario singled out by name" \
	bash -c "! python3 '$KS_SRCDIR/tests/tools/layering.py' '$KS_TMP/tree' >/dev/null"

ks_finish
