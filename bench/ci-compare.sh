#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench/ci-compare.sh: CI's performance check. Runs the quick matrix
# (bench/matrix.sh --quick: every scenario x mixed/halted targets, 2 vCPUs,
# 1 sender, 5 repetitions of 1000 kicks) and compares it with the
# reference made on this machine, printing compare's table. The exit
# status is compare's: 0 no regression, 1 a regression, 2 bad input; 77
# when the host cannot run VMs.
#
# usage: bench/ci-compare.sh [--reference FILE] [--keep FILE] [COMPARE OPTIONS...]
#
#   --reference FILE  default: results/reference-quick.json
#   --keep FILE       also save the new matrix report there
#   anything else goes to kickstorm compare after the thresholds below, so
#   a later --threshold wins.
#
# Thresholds: strict on lost (any growth fails), loose on latency. The
# reference pools five quick matrices (25 repetitions a scenario), NEW has
# 5, so compare requires p < 0.05 (Mann-Whitney) on top of each threshold;
# the thresholds sit above the largest changes seen when one of five quick
# matrices made on this 2-CPU nested host was compared with the other four
# (results/README.md): p50 +263%, p90 +391%, p99 +2663%.
set -u

here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "$here/.." && pwd)
reference=$srcdir/results/reference-quick.json
keep=
compare_args=()
while [ $# -gt 0 ]; do
	case $1 in
	--reference) reference=${2:?--reference needs a file}; shift ;;
	--keep) keep=${2:?--keep needs a file}; shift ;;
	-h|--help) sed -n '4,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) compare_args+=("$1") ;;
	esac
	shift
done

if [ -n "${KICKSTORM:-}" ]; then
	ks=$KICKSTORM
elif [ -x ./kickstorm ]; then
	ks=./kickstorm
else
	ks=$(command -v kickstorm) || { echo "ci-compare.sh: no kickstorm binary (set KICKSTORM)" >&2; exit 2; }
fi
export KICKSTORM=$ks
[ -r "$reference" ] || { echo "ci-compare.sh: cannot read the reference $reference" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kickstorm-ci.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
new=${keep:-$tmp/new.json}

status=0
"$here/matrix.sh" --quick --out "$new" || status=$?
if [ "$status" -ne 0 ]; then
	echo "ci-compare.sh: the quick matrix failed (exit $status)" >&2
	exit "$status"
fi

echo
"$ks" compare "$reference" "$new" \
	--threshold lost=0 \
	--threshold p50=300% --threshold p90=500% --threshold p99=3000% \
	--threshold p999=off --threshold max=off --threshold mean=off --threshold coalesced=off \
	"${compare_args[@]}"
