#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench/baseline.sh: makes a baseline (reference report) for `kickstorm
# compare` in one command. It pools --runs N of two parts into one report:
#
#   the quick matrix   bench/matrix.sh --quick: every scenario x mixed and
#                      halted targets, 2 vCPUs, 1 sender, 5 repetitions of
#                      1000 kicks at --deadline 1000 (what bench/ci-compare.sh
#                      runs and compares)
#   README's recipe    kickstorm run --scenario signal,msi --repeat 5 (every
#                      other option at its default: what README's "Comparing
#                      reports in CI" runs and compares)
#
# usage: bench/baseline.sh [--out FILE] [--runs N] [--all] [--dry-run]
#
#   --out FILE  the baseline (default: results/reference-quick.json in the
#               source tree, the reference README and bench/ci-compare.sh use)
#   --runs N    pool N runs of each part (default 5: 25 repetitions per
#               scenario, so compare's significance test has data)
#   --all       also remake results/reference-matrix.json (the full matrix,
#               bench/matrix.sh, once; about 8 minutes more here)
#   --dry-run   print the commands, run nothing
#
# Regenerate every reference after a change to what a scenario measures or
# to its params (a new report schema, a new default), from the build
# directory:   KICKSTORM=./kickstorm /path/to/source/bench/baseline.sh --all
# Takes about 5 minutes without --all on the 2-CPU development host.
#
# The binary is $KICKSTORM, else ./kickstorm, else kickstorm on the PATH.
# Exit: 0 the baseline was written, 1 a part made no report, 2 bad usage,
# 77 this host cannot run VMs.
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
srcdir=$(cd "$here/.." && pwd)

usage_error() {
	echo "baseline.sh: $*" >&2
	exit 2
}

out=$srcdir/results/reference-quick.json runs=5 all=0 dry=0
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=${2:?--out needs a file}; shift ;;
	--runs) runs=${2:?--runs needs a number}; shift ;;
	--all) all=1 ;;
	--dry-run) dry=1 ;;
	-h|--help) bench_help "$0"; exit 0 ;;
	*) usage_error "unknown argument '$1' (allowed: --out, --runs, --all, --dry-run, --help)" ;;
	esac
	shift
done
case $runs in ''|*[!0-9]*|0) usage_error "--runs '$runs' is not allowed (allowed: 1-100)" ;; esac
[ "$runs" -le 100 ] || usage_error "--runs '$runs' is not allowed (allowed: 1-100)"

bench_kickstorm baseline.sh

# README's recipe, word for word but the output file: keep the two in step.
recipe=(run --scenario signal,msi --repeat 5)

if [ "$dry" = 1 ]; then
	echo "$here/matrix.sh --quick --runs $runs --out TMP/quick.json"
	for i in $(seq 1 "$runs"); do echo "$ks ${recipe[*]} --quiet --output TMP/recipe-$i.json"; done
	[ "$all" = 1 ] && echo "$here/matrix.sh --out $srcdir/results/reference-matrix.json"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kickstorm-baseline.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$(dirname "$out")" || exit 2
started=$(date +%s)

status=0
"$here/matrix.sh" --quick --runs "$runs" --out "$tmp/quick.json" || status=$?
[ "$status" -eq 0 ] || { echo "baseline.sh: the quick matrix failed (exit $status)" >&2; exit "$status"; }

parts=("$tmp/quick.json")
for i in $(seq 1 "$runs"); do
	status=0
	"$ks" "${recipe[@]}" --quiet --output "$tmp/recipe-$i.json" >/dev/null 2>"$tmp/recipe-$i.err" || status=$?
	[ "$status" -eq 77 ] && { echo "baseline.sh: this host cannot run VMs: $(head -1 "$tmp/recipe-$i.err")" >&2; exit 77; }
	# 1 only means a request was lost: that is a result, and the report is whole.
	if [ "$status" -gt 1 ] || ! jq -e '.scenarios | length > 0' "$tmp/recipe-$i.json" >/dev/null 2>&1; then
		echo "baseline.sh: kickstorm ${recipe[*]} made no report (exit $status): $(head -1 "$tmp/recipe-$i.err")" >&2
		exit 1
	fi
	echo "recipe run $i of $runs: $(jq -r '[.scenarios[] | "\(.name) lost \(.counts.lost)"] | join(", ")' "$tmp/recipe-$i.json")"
	parts+=("$tmp/recipe-$i.json")
done

# One report, compact JSON, merged as bench/matrix.sh merges its cells: the
# first part's header, every part's entries (each with the params it ran with).
jq -s -c '{schema_version: .[0].schema_version, tool: .[0].tool, host: .[0].host, config: .[0].config,
	started_at: (map(.started_at) | min), finished_at: (map(.finished_at) | max),
	interrupted: (map(.interrupted) | any), scenarios: (map(.scenarios) | add)}' \
	"${parts[@]}" >"$tmp/baseline.json" && mv "$tmp/baseline.json" "$out" || exit 1
echo "baseline: $(jq '.scenarios | length' "$out") entries from $runs quick matrices and $runs recipe runs" \
	"in $(( $(date +%s) - started )) s -> $out"

if [ "$all" = 1 ]; then
	"$here/matrix.sh" --out "$srcdir/results/reference-matrix.json" || exit $?
fi
exit 0
