#!/bin/bash
# Re-records the event streams test_trace_stages reads (README.md here says
# what they are). Needs root, /dev/kvm, tracefs and a build with libtracefs:
#   autoreconf -fi && ./configure && make && make tests/trace_record
#   tests/data/record.sh [BUILD_DIR]
# The recordings replace the files in this directory; a CPU hog runs on
# CPU 0 for the -hog recording only.
set -euo pipefail
data=$(cd "$(dirname "$0")" && pwd)
build=${1:-$(cd "$data/../.." && pwd)}
rec=$build/tests/trace_record
ks=$build/kickstorm
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ks-record.XXXXXX")
hog=
trap '[ -n "$hog" ] && kill "$hog" 2>/dev/null; rm -rf "$tmp"' EXIT

[ -x "$rec" ] || { echo "record.sh: $rec is not built (make tests/trace_record)" >&2; exit 2; }

# A lost request would be re-kicked and derived twice: a minute's deadline
# rules losses out on a busy host.
common=(--deadline 60000 --quiet)

# record NAME KICKS [kickstorm run options...]: NAME.txt with the events,
# the derived kicks and the run's counts in a comment.
record() {
	local name=$1 kicks=$2 out=$data/trace-$1.txt
	shift 2
	"$rec" --kicks "$kicks" "$tmp/$name.txt" -- "$ks" run "$@" "${common[@]}" \
		--output "$tmp/$name.json" >/dev/null
	{
		echo "# recorded by tests/data/record.sh: kickstorm run $* ${common[*]}"
		jq -r '.scenarios[0] | "# report: sent=\(.counts.sent) delivered=\(.counts.delivered) " +
			"coalesced=\(.counts.coalesced) lost=\(.counts.lost) p50_ns=\(.latency_ns.p50)"' \
			"$tmp/$name.json"
		echo "# kernel: $(uname -r)"
		cat "$tmp/$name.txt"
	} >"$out"
	echo "$out: $(grep -c '^kick ' "$out") kicks, $(grep -cv '^[a-z#]' "$out") events"
}

record msi-halted msi --scenario msi --target-state halted --count 200
record signal-halted signal --scenario signal --target-state halted --count 200
record ipi-halted ipi --scenario ipi --target-state halted --count 200
# One vCPU: a second, spinning one would share the sender's CPU on 2 CPUs.
record msi-running msi --scenario msi --target-state running --vcpus 1 --count 200

# A busy loop named ks-hog on the target vCPU's CPU (vCPU 0 runs on CPU 0).
taskset -c 0 bash -c 'printf ks-hog >/proc/$$/comm; while :; do :; done' &
hog=$!
record msi-halted-hog msi --scenario msi --target-state halted --vcpus 1 --cpus 0,1 --count 100
