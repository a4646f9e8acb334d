#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench/compare-scale.sh: how long `kickstorm compare` takes on a large
# report compared with itself, per output format. The report repeats one
# entry of a real report (tests/data/compare-v1.json: every field compare
# reads, a 20-kick histogram) N times, each with its own seed param, so
# every entry is a scenario of its own: N groups to match.
#
# usage: bench/compare-scale.sh [--scenarios N] [--entry FILE] [--target S]
#
#   --scenarios N  scenarios in the report (default 10000)
#   --entry FILE   take the entry from this report's first scenario instead
#                  (e.g. results/reference-quick.json: a 1000-kick entry with
#                  its full histogram and KVM stats, ten times the bytes)
#   --target S     the time the text comparison must stay under (default 2)
#
# Matching is linear in scenarios (hashes of name + canonical params), so
# the time is mostly jansson parsing both files; it grows with the bytes of
# the report, not with the square of its scenarios as it once did (2000
# scenarios took 3.6 s, 8000 over 120 s). The binary is $KICKSTORM, else
# ./kickstorm, else kickstorm on the PATH. Exit: 0 under the target, 1 over
# it, 2 bad usage.
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
srcdir=$(cd "$here/.." && pwd)
n=10000 entry=$srcdir/tests/data/compare-v1.json target=2

usage_error() {
	echo "compare-scale.sh: $*" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--scenarios) n=${2:?--scenarios needs a number}; shift ;;
	--entry) entry=${2:?--entry needs a report}; shift ;;
	--target) target=${2:?--target needs seconds}; shift ;;
	-h|--help) bench_help "$0"; exit 0 ;;
	*) usage_error "unknown argument '$1' (allowed: --scenarios, --entry, --target, --help)" ;;
	esac
	shift
done
case $n in ''|*[!0-9]*|0) usage_error "--scenarios '$n' is not allowed (allowed: 1-1000000)" ;; esac

bench_kickstorm compare-scale.sh

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kickstorm-scale.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
report=$tmp/report.json
jq -c --argjson n "$n" '.scenarios = [range($n) as $i | .scenarios[0] | .params.seed = $i]' "$entry" >"$report" ||
	usage_error "cannot build the report from $entry"
echo "report: $n scenarios, $(( $(stat -c %s "$report") / 1024 )) KiB ($entry, first entry)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"

status=0
printf '%-10s %10s %8s  %s\n' format seconds exit result
for format in text json markdown junit bmf github; do
	start=$(date +%s.%N)
	rc=0
	"$ks" compare --format "$format" "$report" "$report" >"$tmp/out" 2>"$tmp/err" || rc=$?
	end=$(date +%s.%N)
	secs=$(echo "$end - $start" | bc)
	result=$( [ "$format" = text ] && tail -1 "$tmp/out" || head -c 60 "$tmp/err")
	printf '%-10s %10.2f %8d  %s\n' "$format" "$secs" "$rc" "$result"
	if [ "$format" = text ]; then
		[ "$rc" -eq 0 ] || status=1
		if [ "$(echo "$secs < $target" | bc)" = 1 ]; then
			echo "           text comparison under the ${target} s target"
		else
			echo "           text comparison OVER the ${target} s target"
			status=1
		fi
	fi
done
exit "$status"
