#!/bin/bash
# As many vCPUs as KVM allows (KVM_CAP_MAX_VCPUS, 1024 on many x86 hosts):
# broadcast reaches every one of them, with nothing lost, in memory that
# grows with the count; vCPUs above 255 each take an MSI of their own.
. "$(dirname "$0")/../lib.sh"
ks_require_kvm
ks_require_tool jq

kvm_max=$("$KICKSTORM" info --json | jq -r '.kvm.max_vcpus // 0')
x2apic_api=$("$KICKSTORM" info --json | jq -r '.kvm.capabilities.X2APIC_API // 0')
n=$((kvm_max < 1024 ? kvm_max : 1024))
if [ "$n" -lt 2 ]; then
	echo "SKIP: KVM reports no usable vCPU limit ($kvm_max)"
	exit 77
fi
if [ "$n" -gt 255 ] && [ $((x2apic_api & 3)) -ne 3 ]; then
	echo "# no 32-bit x2APIC IDs here (KVM_CAP_X2APIC_API $x2apic_api): 255 vCPUs at most"
	n=255
fi

# The run in the background, so a hang fails the test instead of stalling it.
report=$KS_TMP/many.json
timer=
[ -x /usr/bin/time ] && timer="/usr/bin/time -f %M -o $KS_TMP/rss"
$timer "$KICKSTORM" run --scenario broadcast --vcpus "$n" --count 50 --quiet -o "$report" \
	>"$KS_TMP/out" 2>"$KS_TMP/err" &
ks_wait_pid $! 600
ks_check "broadcast --vcpus $n --count 50 exits 0 (exit $ks_status): $(head -c 300 "$KS_TMP/err")" \
	test "$ks_status" -eq 0
ks_check "$n vCPUs: ran, nothing lost or unresolved" ks_jq "$report" \
	".scenarios[0] | .error == null and .completed and .params.vcpus == $n and
	 .counts.lost == 0 and .counts.unresolved == 0 and .counts.sent > 0 and
	 .counts.sent == .counts.delivered + .counts.late + .counts.coalesced + .counts.lost + .counts.unresolved"
ks_check "$n vCPUs: every vCPU acknowledged the verification round" ks_jq "$report" \
	".scenarios[0].details.acknowledgement | .verified and (.lost_vcpus | length) == 0 and
	 (.per_vcpu | length) == $n and all(.per_vcpu[]; .entered_after_wake)"
ks_check "$n vCPUs: each has a thread, placed, with its mailbox" ks_jq "$report" \
	".scenarios[0].placement.vcpus | length == $n and (map(.vcpu) | unique | length) == $n"
ks_check "$n vCPUs: halt-poll and KVM stats for each" ks_jq "$report" \
	".scenarios[0].kvm_stats | (.per_vcpu | length) == $n and (.halt_poll.per_vcpu | length) == $n"
if [ -s "$KS_TMP/rss" ]; then
	rss_kib=$(tail -1 "$KS_TMP/rss")
	# 128 KiB of mailbox per vCPU and the rest: a generous bound that a
	# table sized for the ceiling, or a copy per vCPU of something per-VM,
	# would break long before the host ran out.
	ks_check "$n vCPUs: peak RSS ${rss_kib} KiB is below 64 MiB + 1 MiB per vCPU" \
		test "$rss_kib" -lt $((65536 + 1024 * n))
fi

# vCPUs above 255 are reached by MSIs of their own (32-bit x2APIC IDs):
# one request to each vCPU, so a misrouted MSI is a lost request.
if [ "$n" -gt 256 ]; then
	m=$((n < 300 ? n : 300))
	msi=$KS_TMP/msi.json
	ks_run_status 0 "msi one-to-all to $m vCPUs" run --scenario msi --vcpus "$m" --pattern one-to-all \
		--count 5 --lost-after 5000 --quiet -o "$msi"
	ks_check "msi to $m vCPUs: every request delivered to its own vCPU" ks_jq "$msi" \
		".scenarios[0].counts | .lost == 0 and .unresolved == 0 and .sent >= $m and
		 .sent == .delivered + .late + .coalesced"
fi

ks_finish
