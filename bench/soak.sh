#!/bin/bash
# Soak: every scenario in turn with 8 vCPUs and 4 senders for SOAK_SECONDS
# (default 600), sampling kickstorm's resident memory as it goes. Prints the
# lost-request total and the memory of the first and last samples; exits 1
# if anything was lost or a run failed. Memory is a figure to read, not a
# pass/fail threshold: a noisy 2-CPU host makes timing thresholds flaky.
#
#   bench/soak.sh [path/to/kickstorm]      SOAK_SECONDS=60 for a short one
set -u
here=$(cd "$(dirname "$0")" && pwd)
kickstorm=${1:-$here/../kickstorm}
total=${SOAK_SECONDS:-600}
out=${SOAK_DIR:-$(mktemp -d /tmp/kickstorm-soak.XXXXXX)}
mkdir -p "$out" || exit 2
scenarios=$("$kickstorm" list | grep '^[a-z]' | grep -v '^floor$' | paste -sd, -)
rounds=3
per_run=$(( total / rounds ))

echo "soak: $total s, scenarios $scenarios, 8 vCPUs, 4 senders, reports in $out"
lost=0
failed=0
for round in $(seq 1 "$rounds"); do
	report=$out/round-$round.json
	"$kickstorm" run --scenario "$scenarios" --vcpus 8 --senders 4 --duration \
		"$(( per_run / $(tr ',' '\n' <<<"$scenarios" | wc -l) ))" --deadline 1000 \
		--quiet --output "$report" >"$out/round-$round.txt" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null)
		[ -n "$rss" ] && echo "$(date +%s) $round $rss" >>"$out/rss.txt"
		sleep 5
	done
	wait "$pid" || failed=$((failed + 1))
	round_lost=$(jq '[.scenarios[].counts.lost] | add // 0' "$report" 2>/dev/null || echo "?")
	echo "round $round: lost $round_lost, exit status recorded in $out/round-$round.txt"
	[ "$round_lost" = "?" ] && failed=$((failed + 1)) || lost=$((lost + round_lost))
done

# Flat memory: each round's peak resident set should match the first one's.
awk '{ if ($3 > peak[$2]) peak[$2] = $3 } END {
	for (r = 1; r in peak; r++) printf "memory: round %d peak %d KiB\n", r, peak[r] }' "$out/rss.txt"
echo "lost requests: $lost, failed runs: $failed"
[ "$lost" -eq 0 ] && [ "$failed" -eq 0 ]
