#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench/matrix.sh: the standard matrix. Every scenario `kickstorm list`
# prints x target state (running, halted) x vCPUs (1, 2, 4) x senders
# (1, 2), each cell one `kickstorm run --repeat N` (N repetitions of the
# same scenario + params, which `kickstorm compare` tests for
# significance), merged into one report that `kickstorm compare` takes as
# BASE or NEW.
#
# usage: bench/matrix.sh [--quick] [--runs N] [--out FILE] [--cells DIR]
#                        [--repeat N] [--count N] [--scenarios "a b ..."]
#                        [--dry-run]
#
#   --quick      the CI matrix: mixed and halted targets, 2 vCPUs, 1 sender,
#                --count 1000, --deadline 1000 (see below)
#   --runs N     run the whole matrix N times, one after the other, and pool
#                every run's repetitions in the report (default 1). A
#                reference made so holds the spread between runs, not only
#                within one, and compare judges NEW against all of it.
#   --out FILE   merged report (default: results/matrix.json, or
#                results/matrix-quick.json with --quick, in the source tree)
#   --cells DIR  keep each cell's report there (default: a temporary directory)
#   --repeat N   repetitions per cell (default 5: the fewest for which compare
#                can judge significance)
#   --count N    kicks per sender per repetition
#   --scenarios  run only these (default: every scenario kickstorm lists)
#   --dry-run    print the cells' commands, run nothing
#
# The binary is $KICKSTORM, else ./kickstorm, else kickstorm on the PATH.
# A cell whose run fails keeps its error entries in the merged report
# (compare counts a scenario whose every repetition failed in NEW only as
# a regression, and leaves single failed repetitions out). A cell whose
# params repeat an earlier cell's (a scenario that ignores --senders or
# the target state) is dropped. Exit: 0 the matrix ran (lost requests
# included: they are results), 1 no cell made a report, 2 bad usage,
# 77 this host cannot run VMs.
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
srcdir=$(cd "$here/.." && pwd)

usage_error() {
	echo "matrix.sh: $*" >&2
	exit 2
}

quick=0 runs=1 out= cells= repeat=5 count= only= dry=0
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--runs) runs=${2:?--runs needs a number}; shift ;;
	--out) out=${2:?--out needs a file}; shift ;;
	--cells) cells=${2:?--cells needs a directory}; shift ;;
	--repeat) repeat=${2:?--repeat needs a number}; shift ;;
	--count) count=${2:?--count needs a number}; shift ;;
	--scenarios) only=${2:?--scenarios needs a list}; shift ;;
	--dry-run) dry=1 ;;
	-h|--help) bench_help "$0"; exit 0 ;;
	*) usage_error "unknown argument '$1' (allowed: --quick, --runs, --out, --cells," \
		"--repeat, --count, --scenarios, --dry-run, --help)" ;;
	esac
	shift
done
case $repeat in ''|*[!0-9]*|0) usage_error "--repeat '$repeat' is not allowed (allowed: 1-1000)" ;; esac
case $runs in ''|*[!0-9]*|0) usage_error "--runs '$runs' is not allowed (allowed: 1-100)" ;; esac

if [ "$quick" = 1 ]; then
	# Targets: halted, and mixed in place of running. With 2 vCPUs and a
	# host sender, running means three spinning threads on 2 CPUs, and
	# their stalls (seconds, now and then) are the scheduler's, not KVM's;
	# mixed keeps vCPU 0 running as the target and lets vCPU 1 sleep.
	# --count 1000 makes p99 the 10th-worst sample, not the 2nd.
	# --deadline 1000: CI's lost check is strict, so a request counts as
	# lost when it went undelivered for a second, not when it was slow.
	states="mixed halted" vcpu_counts="2" sender_counts="1" count=${count:-1000}
	extra=(--deadline 1000)
	out=${out:-$srcdir/results/matrix-quick.json}
else
	states="running halted" vcpu_counts="1 2 4" sender_counts="1 2" count=${count:-1000}
	# Overcommitted cells (4 spinning vCPUs, 2 senders, 2 CPUs) run at
	# millisecond latencies: --duration bounds each repetition.
	extra=(--duration 5)
	out=${out:-$srcdir/results/matrix.json}
fi
case $count in ''|*[!0-9]*|0) usage_error "--count '$count' is not allowed (allowed: 1-10^12)" ;; esac

bench_kickstorm matrix.sh

# Scenario names are the lines of `kickstorm list` that start at column 0.
all=$("$ks" list | grep -E '^[^[:space:]]' | cut -d' ' -f1) || usage_error "'$ks list' failed"
scenarios=${only:-$all}
for s in $scenarios; do
	printf '%s\n' $all | grep -qx -- "$s" || usage_error "unknown scenario '$s' (allowed: $(echo $all))"
done

if [ -z "$cells" ]; then
	cells=$(mktemp -d "${TMPDIR:-/tmp}/kickstorm-matrix.XXXXXX")
	trap 'rm -rf "$cells"' EXIT
fi
mkdir -p "$cells" "$(dirname "$out")" || exit 2

ncells=0 failed=0 dropped=0

# run_cell DIR SCENARIO STATE VCPUS SENDERS: one `kickstorm run` into DIR.
run_cell() {
	local dir=$1 s=$2 state=$3 v=$4 n=$5 status=0 key summary err
	local cell=$dir/$s-$state-v$v-s$n.json
	local cmd=("$ks" run --quiet --scenario "$s" --target-state "$state" --vcpus "$v"
		   --senders "$n" --count "$count" --repeat "$repeat" "${extra[@]}" --output "$cell")

	if [ "$dry" = 1 ]; then
		echo "${cmd[*]}"
		return
	fi
	"${cmd[@]}" >/dev/null 2>"$cell.err" || status=$?
	if [ "$status" -eq 77 ]; then
		echo "matrix.sh: this host cannot run VMs: $(head -1 "$cell.err")" >&2
		exit 77
	fi
	if ! [ -s "$cell" ] || ! jq -e '.scenarios | length > 0' "$cell" >/dev/null 2>&1; then
		echo "cell $s $state vcpus=$v senders=$n: no report (exit $status): $(head -1 "$cell.err")" >&2
		failed=$((failed + 1))
		rm -f "$cell"
		return
	fi
	key=$(jq -cS '.scenarios[0] | [.name, .params]' "$cell")
	if printf '%s\n' "$seen" | grep -qxF -- "$key"; then
		dropped=$((dropped + 1))
		rm -f "$cell"
		return
	fi
	seen=$seen$'\n'$key
	ncells=$((ncells + 1))
	summary=$(jq -r '[.scenarios[] | select(.error == null)] as $ok |
		"\($ok | length)/\(.scenarios | length) ok, lost \([.scenarios[].counts.lost] | add),"
		+ " p50 \([$ok[].latency_ns.p50 // empty] | sort | .[length / 2 | floor] // "-") ns"' "$cell")
	echo "cell $s $state vcpus=$v senders=$n: $summary (exit $status)"
	err=$(jq -r 'first(.scenarios[].error // empty)' "$cell")
	[ -n "$err" ] && echo "  error: $err"
}

started=$(date +%s)
for run in $(seq 1 "$runs"); do
	dir=$cells/run$run
	mkdir -p "$dir" || exit 2
	seen=
	[ "$runs" -gt 1 ] && [ "$dry" = 0 ] && echo "run $run of $runs"
	for s in $scenarios; do
		for state in $states; do
			for v in $vcpu_counts; do
				for n in $sender_counts; do
					run_cell "$dir" "$s" "$state" "$v" "$n"
				done
			done
		done
	done
done
[ "$dry" = 1 ] && exit 0

if [ "$ncells" -eq 0 ]; then
	echo "matrix.sh: no cell produced a report" >&2
	exit 1
fi
# One report, compact JSON: the first cell's header (its "config" is that cell's; each
# entry's params say how it was run), every cell's entries.
files=()
for f in "$cells"/run*/*.json; do files+=("$f"); done
tmp=$out.tmp.$$
jq -s -c '{schema_version: .[0].schema_version, tool: .[0].tool, host: .[0].host, config: .[0].config,
	started_at: (map(.started_at) | min), finished_at: (map(.finished_at) | max),
	interrupted: (map(.interrupted) | any), scenarios: (map(.scenarios) | add)}' \
	"${files[@]}" >"$tmp" && mv "$tmp" "$out" || { rm -f "$tmp"; exit 1; }
echo "matrix: $ncells cells x $repeat repetitions in $(( $(date +%s) - started )) s," \
	"$failed without a report, $dropped duplicates dropped -> $out"
