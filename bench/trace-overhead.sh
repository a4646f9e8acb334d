#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench/trace-overhead.sh: what `run --trace` costs the kicks it measures.
# For each storm below it runs the same storm untraced and traced, in
# alternating order, --rounds times, and prints each run's p50 and the
# median over rounds of the traced / untraced p50 ratio. Interleaving puts a
# slow spell of the host on both sides alike.
#
#   msi halted      --scenario msi --target-state halted      target <= 1.10
#   signal halted   --scenario signal --target-state halted   target <= 1.10
#   msi running     --scenario msi --target-state running --vcpus 1 (shown, no target)
#
# usage: bench/trace-overhead.sh [--rounds N] [--count N]
#
#   --rounds N  pairs of runs per storm (default 5)
#   --count N   kicks per run (default 1000)
#
# The binary is $KICKSTORM, else ./kickstorm, else kickstorm on the PATH.
# Exit: 0 every target met, 1 one missed or a run failed, 2 bad usage,
# 77 this host cannot run VMs or cannot trace.
set -u
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

rounds=5
count=1000
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) rounds=${2:?--rounds needs a number}; shift ;;
	--count) count=${2:?--count needs a number}; shift ;;
	-h|--help) bench_help "$0"; exit 0 ;;
	*) echo "trace-overhead.sh: unknown argument '$1' (allowed: --rounds N, --count N)" >&2; exit 2 ;;
	esac
	shift
done
case $rounds$count in *[!0-9]*) echo "trace-overhead.sh: --rounds and --count take numbers" >&2; exit 2 ;; esac
[ "$rounds" -ge 1 ] && [ "$count" -ge 1 ] || { echo "trace-overhead.sh: --rounds and --count start at 1" >&2; exit 2; }

bench_kickstorm trace-overhead.sh
tmp=$(mktemp -d /tmp/kickstorm-trace-overhead.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# p50 in ns of one run; empty when it failed. $1: traced or untraced, rest: run options.
p50_of() {
	local mode=$1 out=$tmp/run.json status=0
	shift
	if [ "$mode" = traced ]; then
		"$ks" run "$@" --trace --count "$count" --deadline 60000 --quiet --output "$out" >/dev/null 2>"$tmp/err" ||
			status=$?
	else
		"$ks" run "$@" --count "$count" --deadline 60000 --quiet --output "$out" >/dev/null 2>"$tmp/err" ||
			status=$?
	fi
	[ "$status" -eq 77 ] && { cat "$tmp/err" >&2; exit 77; }
	[ "$status" -eq 0 ] || { echo "run failed (exit $status): $(head -c 300 "$tmp/err")" >&2; return; }
	if [ "$mode" = traced ] && ! jq -e '.host.trace.available' "$out" >/dev/null; then
		echo "trace-overhead.sh: cannot trace here: $(jq -r .host.trace.reason "$out")" >&2
		exit 77
	fi
	jq '.scenarios[0].latency_ns.p50' "$out"
}

median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

failed=0
storm() {
	local name=$1 target=$2
	shift 2
	local ratios=() a b r
	printf '%s\n  %5s %14s %14s %7s\n' "$name" round "untraced p50" "traced p50" ratio
	for ((r = 1; r <= rounds; r++)); do
		if ((r % 2)); then
			a=$(p50_of untraced "$@")
			b=$(p50_of traced "$@")
		else
			b=$(p50_of traced "$@")
			a=$(p50_of untraced "$@")
		fi
		if [ -z "$a" ] || [ -z "$b" ]; then
			failed=1
			continue
		fi
		ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }')")
		printf '  %5d %11.1f us %11.1f us %7s\n' "$r" "$(awk -v v="$a" 'BEGIN { print v / 1000 }')" \
			"$(awk -v v="$b" 'BEGIN { print v / 1000 }')" "${ratios[-1]}"
	done
	[ ${#ratios[@]} -gt 0 ] || return
	r=$(printf '%s\n' "${ratios[@]}" | median)
	if [ -n "$target" ]; then
		if awk -v r="$r" -v t="$target" 'BEGIN { exit !(r <= t) }'; then
			printf '  median ratio %.3f (target <= %s: met)\n\n' "$r" "$target"
		else
			printf '  median ratio %.3f (target <= %s: missed)\n\n' "$r" "$target"
			failed=1
		fi
	else
		printf '  median ratio %.3f\n\n' "$r"
	fi
}

echo "run --trace overhead: $rounds rounds of $count kicks, untraced and traced alternating"
echo
storm "msi halted" 1.10 --scenario msi --target-state halted
storm "signal halted" 1.10 --scenario signal --target-state halted
storm "msi running" "" --scenario msi --target-state running --vcpus 1
exit "$failed"
