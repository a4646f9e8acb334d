#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench/ci-compare.sh: CI's performance check. Runs the quick matrix
# (bench/matrix.sh --quick: every scenario x mixed/halted targets, 2 vCPUs,
# 1 sender, 5 repetitions of 1000 kicks) and compares it with the
# reference made on this machine, printing compare's table.
#
# usage: bench/ci-compare.sh [--reference FILE] [--keep FILE] [COMPARE OPTIONS...]
#
#   --reference FILE  default: results/reference-quick.json
#   --keep FILE       also save the (last) new matrix report there
#   anything else goes to kickstorm compare after the thresholds below, so
#   a later --threshold wins.
#
# Thresholds: strict on lost (any growth fails at once), loose on latency.
# The reference pools five quick matrices (25 repetitions a scenario) and
# NEW has 5, so on top of each threshold compare requires the best
# repetition to have grown past it too and p < 0.05 (Mann-Whitney). The
# thresholds sit above the changes seen between quick matrices made on
# this 2-CPU nested host (results/README.md). Even so, other jobs on the
# host can slow down a whole run; so a regression in latency alone is
# confirmed by a second quick matrix, and fails only when the same metric
# of the same scenario regresses again.
#
# The reference (bench/baseline.sh) also holds README's CI recipe, run at
# the default --deadline: those scenarios are not in the quick matrix and
# are listed as only in BASE, which is expected. A scenario the quick
# matrix ran that the reference lacks means the reference is stale.
#
# Exit status: 0 no regression, 1 a regression or a cell of the matrix that
# made no report, 2 bad input or a stale reference (a scenario of the
# matrix with no match in it: a check that compares nothing must not
# pass), 77 the host cannot run VMs.
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
srcdir=$(cd "$here/.." && pwd)
reference=$srcdir/results/reference-quick.json
keep=
compare_args=()
while [ $# -gt 0 ]; do
	case $1 in
	--reference) reference=${2:?--reference needs a file}; shift ;;
	--keep) keep=${2:?--keep needs a file}; shift ;;
	-h|--help) bench_help "$0"; exit 0 ;;
	*) compare_args+=("$1") ;;
	esac
	shift
done

bench_kickstorm ci-compare.sh
[ -r "$reference" ] || { echo "ci-compare.sh: cannot read the reference $reference" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kickstorm-ci.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

thresholds=(--threshold lost=0
	    --threshold p50=100% --threshold p90=200% --threshold p99=3000%
	    --threshold p999=off --threshold max=off --threshold mean=off --threshold coalesced=off)

# Bad options or a broken reference show before a minute of matrix does.
check=0
"$ks" compare "$reference" "$reference" "${thresholds[@]}" "${compare_args[@]}" >/dev/null || check=$?
[ "$check" -le 1 ] || exit "$check"

# attempt N: runs the quick matrix into $tmp/new-N.json, prints the table,
# leaves the JSON comparison in $tmp/cmp-N.json; returns compare's status.
attempt() {
	local new=$tmp/new-$1.json status=0

	"$here/matrix.sh" --quick --out "$new" | tee "$tmp/matrix-$1.log"
	status=${PIPESTATUS[0]}
	if [ "$status" -ne 0 ]; then
		echo "ci-compare.sh: the quick matrix failed (exit $status)" >&2
		exit "$status"
	fi
	# A cell that made no report would otherwise only be missing from NEW.
	if ! grep -q ', 0 without a report,' "$tmp/matrix-$1.log"; then
		echo "ci-compare.sh: a cell of the quick matrix made no report (see above)" >&2
		exit 1
	fi
	[ -n "$keep" ] && cp "$new" "$keep"
	echo
	"$ks" compare "$reference" "$new" "${thresholds[@]}" "${compare_args[@]}" || status=$?
	[ "$status" -le 1 ] || exit "$status"
	"$ks" compare --json "$reference" "$new" "${thresholds[@]}" "${compare_args[@]}" \
		>"$tmp/cmp-$1.json"
	return "$status"
}

# "label metric" of every regression in a JSON comparison.
regressions() {
	jq -r '.regressions[] | "\(.label) \(.metric)"' "$1" | sort -u
}

status=0
attempt 1 || status=$?
unmatched=$(jq -r '.only_in_new | length' "$tmp/cmp-1.json")
if [ "$unmatched" -gt 0 ]; then
	echo "ci-compare.sh: $unmatched scenarios of the quick matrix have no match in $reference:" \
		"the reference is stale; remake it with bench/baseline.sh --out $reference" >&2
	[ "$status" -eq 1 ] || status=2
	exit "$status"
fi
[ "$status" -eq 0 ] && exit 0

if jq -e '[.regressions[].metric] | any(. == "lost" or . == "error")' "$tmp/cmp-1.json" >/dev/null; then
	echo "ci-compare.sh: lost requests or failed scenarios: no second chance" >&2
	exit 1
fi
echo
echo "ci-compare.sh: latency regressed; confirming with a second quick matrix"
attempt 2 || true
confirmed=$(comm -12 <(regressions "$tmp/cmp-1.json") <(regressions "$tmp/cmp-2.json"))
if jq -e '[.regressions[].metric] | any(. == "lost" or . == "error")' "$tmp/cmp-2.json" >/dev/null; then
	echo "ci-compare.sh: the second run lost requests or failed scenarios" >&2
	exit 1
fi
if [ -n "$confirmed" ]; then
	echo "ci-compare.sh: regressed in both runs:"
	sed 's/^/  /' <<<"$confirmed"
	exit 1
fi
echo "ci-compare.sh: no regression repeated in the second run: the first was the host, not the code"
exit 0
