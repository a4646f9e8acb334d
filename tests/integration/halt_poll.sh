#!/bin/bash
# --halt-poll-ns: set per VM with KVM_CAP_HALT_POLL, recorded in every VM
# scenario's params (the kvm module's value when not given), and each
# entry's kvm_stats.halt_poll holds KVM's halt stats per vCPU and the CPU
# the vCPU threads used per request; with polling on, polls are attempted.
. "$(dirname "$0")/../lib.sh"
ks_require_kvm
ks_require_tool jq

cap=$("$KICKSTORM" info --json | jq -r ".kvm.capabilities.HALT_POLL")
module=$(cat /sys/module/kvm/parameters/halt_poll_ns 2>/dev/null || echo null)

if [ "$cap" = 0 ]; then
	ks_run_status 2 "--halt-poll-ns without KVM_CAP_HALT_POLL is refused" \
		run --scenario msi --halt-poll-ns 0 --count 10 -o "$KS_TMP/r.json"
	ks_check "the refusal names the capability" grep -q KVM_CAP_HALT_POLL "$KS_TMP/stderr"
	ks_finish
	exit
fi

# The closed loop's gap keeps kicks close together, so a polling vCPU is
# kicked while it still polls; nothing below depends on how fast it is.
off=$KS_TMP/off.json
on=$KS_TMP/on.json
ks_run_status 0 "msi --halt-poll-ns 0" run --scenario msi --vcpus 1 --gap 20000 --count 500 \
	--halt-poll-ns 0 --quiet -o "$off"
ks_run_status 0 "msi --halt-poll-ns 200000" run --scenario msi --vcpus 1 --gap 20000 --count 500 \
	--halt-poll-ns 200000 --quiet -o "$on"
ks_check "the table has the CPU per request beside the latency" grep -q 'cpu/req us' "$KS_TMP/stdout"
for f in "$off" "$on"; do
	name=$(basename "$f" .json)
	ks_check "$name: every request has one outcome" ks_jq "$f" \
		'.scenarios[0].counts | .sent == .delivered + .late + .coalesced + .lost + .unresolved'
	ks_check "$name: the limit came from the option" ks_jq "$f" \
		'.config.halt_poll_source == "option" and .scenarios[0].kvm_stats.halt_poll.source == "option"'
	ks_check "$name: halt stats per vCPU and in total" ks_jq "$f" \
		'.scenarios[0].kvm_stats.halt_poll | (.per_vcpu | length) == 1 and
		 (.totals | has("halt_attempted_poll") and has("halt_successful_poll") and has("halt_wait_ns")
		  and has("halt_poll_success_ns") and has("halt_poll_fail_ns"))
		 and (.per_vcpu[0].stats.halt_exits == .totals.halt_exits)'
	ks_check "$name: the vCPU threads' CPU per request is a positive number" ks_jq "$f" \
		'.scenarios[0].kvm_stats.halt_poll | .cpu_ns_per_request > 0 and .vcpu_cpu_ns > 0
		 and .requests == 500'
	ks_check "$name: KVM's halt_wait_hist, where it keeps one, counts no more waits than halts" ks_jq "$f" \
		'.scenarios[0].kvm_stats.halt_poll | (.histograms.halt_wait_hist == null) or
		 ([.histograms.halt_wait_hist.buckets[][2]] | add // 0) <= .totals.halt_exits'
done
ks_check "both limits are recorded in params" ks_jq "$off" '.scenarios[0].params.halt_poll_ns == 0'
ks_check "... the other one too" ks_jq "$on" '.scenarios[0].params.halt_poll_ns == 200000'
ks_check "polling off: no poll was attempted" ks_jq "$off" \
	'.scenarios[0].kvm_stats.halt_poll.totals | .halt_attempted_poll == 0 and .halt_successful_poll == 0'
ks_check "polling on: the poll counters moved" ks_jq "$on" \
	'.scenarios[0].kvm_stats.halt_poll.totals.halt_attempted_poll > 0'
# Two limits are two configurations: compare must not pool them.
ks_run_status 2 "compare tells the two limits apart (compared nothing)" compare "$off" "$on"
ks_check "compare names halt_poll_ns as the difference" grep -q 'differs in halt_poll_ns: 0 vs 200000' \
	"$KS_TMP/stdout"

# Without the option: the kvm module's limit, recorded as such.
def=$KS_TMP/default.json
ks_run_status 0 "msi without --halt-poll-ns" run --scenario msi,floor --count 100 --quiet -o "$def"
ks_check "the module's halt_poll_ns is recorded ($module)" ks_jq "$def" \
	".config.halt_poll_ns == $module and .config.halt_poll_source == \"kvm module default\"
	 and .scenarios[0].params.halt_poll_ns == $module"
ks_check "floor runs no VM: no halt_poll_ns in its params" ks_jq "$def" \
	'.scenarios[1].name == "floor" and (.scenarios[1].params | has("halt_poll_ns") | not)'

# A VM option: every VM scenario lists it, floor does not take it.
"$KICKSTORM" list >"$KS_TMP/list"
block() { awk -v n="$1" '/^[a-z]/ { on = ($1 == n) } on' "$KS_TMP/list"; }
for sc in signal msi irqfd ipi broadcast; do
	ks_check "kickstorm list shows --halt-poll-ns under $sc" grep -q -- '--halt-poll-ns' <(block $sc)
done
lacks() { [ -n "$(block "$1")" ] && ! block "$1" | grep -q -- "$2"; }
ks_check "... and not under floor, which runs no VM" lacks floor --halt-poll-ns
ks_run_status 0 "--halt-poll-ns with floor alone is warned about, not refused" \
	run --scenario floor --halt-poll-ns 0 --count 50 --quiet -o "$KS_TMP/floor.json"
ks_check "the warning names the scenarios it shapes" grep -q -- '--halt-poll-ns does not apply.*broadcast' \
	"$KS_TMP/stderr"

# Strict values.
for bad in 4294967296 -1 0x10 ""; do
	ks_run_status 2 "--halt-poll-ns '$bad' is refused" run --halt-poll-ns "$bad" -o "$KS_TMP/bad.json"
	ks_check "... with one line naming it" test "$(wc -l <"$KS_TMP/stderr")" -eq 1
done

ks_finish
