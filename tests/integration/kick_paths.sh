#!/bin/bash
# The ways a guest sends an IPI (--ipi-via) and NMI delivery (--delivery) on
# this host's real /dev/kvm: x2APIC and xAPIC sends deliver every request;
# the PV hypercall runs or is refused in one line, as this host decides; an
# NMI storm faster than the guest coalesces requests without losing any;
# a closed-loop ipi reports its round trip beside the one-way latency, and
# no other run claims one.
. "$(dirname "$0")/../lib.sh"
ks_require_kvm
ks_require_tool jq

# A minute of deadline and loss window: a loaded host delays, it does not lose.
common=(--quiet --deadline 60000)

for via in x2apic xapic; do
	for state in halted running; do
		report=$KS_TMP/ipi-$via-$state.json
		ks_run_status 0 "ipi --ipi-via $via, $state target" run --scenario ipi --vcpus 2 \
			--ipi-via "$via" --target-state "$state" --count 200 "${common[@]}" --output "$report"
		ks_check "ipi/$via/$state: all 200 delivered, none lost" ks_jq "$report" \
			'.scenarios[0].counts | .sent == 200 and .delivered == .sent and .lost == 0 and .unresolved == 0'
		# A param only where not the default, so x2APIC runs match older baselines.
		ks_check "ipi/$via/$state: the params, the config and the guests' own APIC mode say $via" ks_jq "$report" \
			".config.ipi_via == \"$via\" and .config.delivery == \"fixed\" and (.scenarios[0] |
			 (.params.ipi_via // \"x2apic\") == \"$via\" and (.params | has(\"delivery\") | not) and
			 .details.apic_modes == [\"$via\", \"$via\"] and .error == null and .kicks.failed == 0)"
	done
done
report=$KS_TMP/ipi-xapic-halted.json
ks_check "ipi/xapic: the ICR's destination sits in ICR high's bits 31:24" ks_jq "$report" \
	'.scenarios[0] | .placement.senders[0].icr == "0x100000000000040" and (.details.kick | test("xAPIC.*MMIO"))'
report=$KS_TMP/ipi-x2apic-halted.json
ks_check "ipi/x2apic: the ICR is the x2APIC MSR's, destination in bits 63:32" ks_jq "$report" \
	'.scenarios[0] | .placement.senders[0].icr == "0x100000040" and .params.kick == "x2APIC ICR write" and
	 (.params | has("ipi_via") | not)'

# PV: this host either runs it or refuses it with one line; each way is checked.
report=$KS_TMP/ipi-pv.json
ks_run_status 0 "ipi --ipi-via pv runs or is refused" run --scenario ipi --vcpus 2 --ipi-via pv \
	--count 200 --deadline 60000 --output "$report"
if ks_jq "$report" '.scenarios[0].error == null'; then
	ks_check "ipi/pv: runs here, all 200 delivered by KVM_HC_SEND_IPI, none lost" ks_jq "$report" \
		'.scenarios[0] | .counts.sent == 200 and .counts.delivered == 200 and .counts.lost == 0 and
		 .params.ipi_via == "pv" and .kicks.failed == 0'
else
	ks_check "ipi/pv: refused here, the report says why and nothing ran" ks_jq "$report" \
		'.scenarios[0] | (.error | startswith("not available on this host: ")) and
		 (.error | test("KVM_HC_SEND_IPI|PV_SEND_IPI")) and .counts.sent == 0 and .completed == false'
	ks_check "ipi/pv: refused in one line on stderr, the same reason in the table" bash -c \
		"[ \$(grep -c 'not available' '$KS_TMP/stderr') -eq 1 ] &&
		 grep -q '^ipi: not available on this host: .*KVM_HC_SEND_IPI' '$KS_TMP/stderr' &&
		 grep -q '^  error: not available on this host: ' '$KS_TMP/stdout'"
fi

# NMIs: KVM keeps at most two pending, so a storm at 200 kHz coalesces.
report=$KS_TMP/msi-nmi.json
ks_run_status 0 "msi --delivery nmi at 200 kHz" run --scenario msi --vcpus 1 --delivery nmi \
	--rate 200000 --count 2000 "${common[@]}" --output "$report"
ks_check "msi/nmi: requests coalesced, none lost, every one accounted for" ks_jq "$report" \
	'.scenarios[0].counts | .sent == 2000 and .coalesced > 0 and .lost == 0 and
	 .sent == .delivered + .late + .coalesced + .unresolved'
ks_check "msi/nmi: the guest took NMIs, not vectored interrupts" ks_jq "$report" \
	'.scenarios[0] | .details.nmis_handled > 0 and .params.delivery == "nmi" and
	 .latency_ns.count == .counts.delivered + .counts.late + .counts.coalesced'
report=$KS_TMP/msi-nmi-closed.json
ks_run_status 0 "msi --delivery nmi, closed loop" run --scenario msi --vcpus 1 --delivery nmi \
	--count 200 "${common[@]}" --output "$report"
ks_check "msi/nmi closed loop: each NMI observed, all delivered" ks_jq "$report" \
	'.scenarios[0] | .counts.delivered == 200 and .counts.lost == 0 and .details.nmis_handled >= 200'
report=$KS_TMP/ipi-nmi.json
ks_run_status 0 "ipi --delivery nmi, all-to-all" run --scenario ipi --vcpus 2 --pattern all-to-all \
	--delivery nmi --count 150 "${common[@]}" --output "$report"
ks_check "ipi/nmi: both senders' NMIs delivered, the ICR's delivery mode is NMI" ks_jq "$report" \
	'.scenarios[0] | .counts.sent == 300 and .counts.delivered == 300 and .counts.lost == 0 and
	 ([.placement.senders[].icr] == ["0xc0400", "0xc0400"])'

# The round trip: closed loop only, and never shorter than the one-way trip it contains.
report=$KS_TMP/ipi-x2apic-halted.json
ks_check "ipi closed loop: a round trip per request, each at least its one-way latency" ks_jq "$report" \
	'.scenarios[0] | .details.round_trip_ns.count == .counts.delivered and
	 .details.round_trip_ns.min >= .latency_ns.min and .details.round_trip_ns.p50 >= .latency_ns.p50 and
	 (.details.round_trip_spans | contains("vmexit"))'
report=$KS_TMP/ipi-open.json
ks_run_status 0 "ipi open loop" run --scenario ipi --vcpus 2 --target-state running --rate 100000 \
	--count 500 "${common[@]}" --output "$report"
ks_check "ipi open loop: no round trip, and the report says why" ks_jq "$report" \
	'.scenarios[0].details | .round_trip_ns == null and (.round_trip_why | contains("open loop"))'
report=$KS_TMP/msi-nmi-closed.json
ks_check "msi: no round trip is claimed" ks_jq "$report" '.scenarios[0].details | has("round_trip_ns") | not'

ks_run_status 0 "irqfd with --delivery" run --scenario irqfd --vcpus 1 --count 20 --delivery nmi \
	"${common[@]}" --output "$KS_TMP/irqfd.json"
ks_check "irqfd: --delivery is named as shaping msi and ipi only" \
	grep -q -- '--delivery does not apply to the chosen scenarios and is ignored (it shapes: msi, ipi)' "$KS_TMP/stderr"
ks_run_status 2 "a bad --ipi-via" run --scenario ipi --ipi-via mmio --output "$KS_TMP/bad.json"
ks_check "a bad --ipi-via: one line naming what is allowed, no report" bash -c \
	"[ \$(wc -l <'$KS_TMP/stderr') -eq 1 ] && grep -q 'allowed: x2apic, xapic, pv' '$KS_TMP/stderr' && [ ! -e '$KS_TMP/bad.json' ]"

ks_finish
