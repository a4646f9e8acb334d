#!/bin/bash
# Hosts that cannot run VMs: exit 77 with the reason, and info still works.
. "$(dirname "$0")/../lib.sh"
ks_require_tool jq

if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null; then
	echo "SKIP: needs root and unshare to hide /dev/kvm in a private mount namespace"
	exit 77
fi

# /dev/null bind-mounted over /dev/kvm: opens, but it is not KVM.
hidden() { unshare --mount sh -c 'mount --bind /dev/null /dev/kvm && exec "$@"' sh "$@"; }
# /dev/kvm absent: an empty tmpfs over /dev.
absent() { unshare --mount sh -c 'mount -t tmpfs none /dev && exec "$@"' sh "$@"; }

status=0
hidden "$KICKSTORM" run --count 10 --output "$KS_TMP/r.json" 2>"$KS_TMP/err" || status=$?
ks_check "/dev/kvm that is not KVM: run exits 77" [ "$status" -eq 77 ]
ks_check "... with a one-line reason" grep -q 'cannot run' "$KS_TMP/err"
ks_check "... and writes no report" [ ! -e "$KS_TMP/r.json" ]

status=0
absent "$KICKSTORM" run --count 10 --output "$KS_TMP/r.json" 2>"$KS_TMP/err" || status=$?
ks_check "no /dev/kvm: run exits 77" [ "$status" -eq 77 ]
ks_check "... naming /dev/kvm" grep -q '/dev/kvm' "$KS_TMP/err"

status=0
absent "$KICKSTORM" info --json >"$KS_TMP/info.json" 2>/dev/null || status=$?
ks_check "no /dev/kvm: info still exits 0" [ "$status" -eq 0 ]
ks_check "... and says KVM is unavailable, with the reason" ks_jq "$KS_TMP/info.json" \
	'.kvm.available == false and (.kvm.reason | length) > 0'

if command -v setpriv >/dev/null && [ -e /dev/kvm ]; then
	status=0
	setpriv --reuid=65534 --regid=65534 --clear-groups "$KICKSTORM" run --count 10 \
		--output /tmp/kickstorm-nobody-$$.json 2>"$KS_TMP/err" || status=$?
	ks_check "no permission on /dev/kvm: run exits 77" [ "$status" -eq 77 ]
	ks_check "... saying so" grep -q 'permission' "$KS_TMP/err"
	rm -f /tmp/kickstorm-nobody-$$.json
fi

ks_finish
