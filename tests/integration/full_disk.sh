#!/bin/bash
# An output path on a full file system: the write fails loudly, no truncated
# JSON is left, and the measurements are still printed.
. "$(dirname "$0")/../lib.sh"
ks_require_kvm

if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null; then
	echo "SKIP: needs root and unshare to mount a tiny file system"
	exit 77
fi

dir=$KS_TMP/tiny
mkdir -p "$dir"
status=0
# 8 KiB holds the probe file but not a report with kvm stats and bins.
unshare --mount sh -c 'mount -t tmpfs -o size=8k tiny "$1" && exec "$2" run --scenario signal \
	--count 200 --quiet --output "$1/r.json"; ' sh "$dir" "$KICKSTORM" \
	>"$KS_TMP/stdout" 2>"$KS_TMP/stderr" || status=$?
ks_check "full file system: exit 1 (got $status)" [ "$status" -eq 1 ]
ks_check "... the error names the file system problem" grep -q 'No space left on device' "$KS_TMP/stderr"
ks_check "... the table was still printed" grep -q '^signal ' "$KS_TMP/stdout"
ks_check "... no report or temporary file on the real disk" bash -c "[ -z \"\$(ls -A '$dir')\" ]"

status=0
"$KICKSTORM" run --scenario signal --count 100 --quiet --output /dev/full \
	>"$KS_TMP/stdout" 2>"$KS_TMP/stderr" || status=$?
ks_check "/dev/full: exit 1 (got $status)" [ "$status" -eq 1 ]
ks_check "/dev/full is still a device afterwards" [ -c /dev/full ]

ks_finish
