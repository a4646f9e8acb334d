#!/bin/bash
# The timer scenario on this host's real /dev/kvm: every vCPU's TSC-deadline
# timer fires every deadline it armed, halted or running, closed loop or on
# a schedule; each firing is one request in the ledger with a latency, and
# the report names the kvm module's timer-advance setting.
. "$(dirname "$0")/../lib.sh"
ks_require_kvm
ks_require_tool jq

# A minute of deadline, and so of loss window: a loaded host delays a
# firing, it does not lose one, and a firing never observed still fails.
common=(--quiet --deadline 60000)

# What this kernel calls the advance and what it is set to, as the report must say.
advance_param=null advance_value=null
for p in lapic_timer_advance lapic_timer_advance_ns; do
	f=/sys/module/kvm/parameters/$p
	if [ -r "$f" ]; then
		advance_param="\"kvm.$p\""
		case $(cat "$f") in
		Y) advance_value=true ;; N) advance_value=false ;; *) advance_value=$(cat "$f") ;;
		esac
		break
	fi
done

for state in halted running; do
	report=$KS_TMP/timer-$state.json
	ks_run_status 0 "timer, $state vCPUs, 500 deadlines each" run --scenario timer --vcpus 2 \
		--target-state "$state" --count 500 "${common[@]}" --output "$report"
	# Only a KVM that offers no TSC-deadline mode at all refuses, and then says which answers said no.
	if grep -q 'timer: not available on this host' "$KS_TMP/stderr"; then
		if grep -q 'KVM_CAP_TSC_DEADLINE_TIMER' "$KS_TMP/stderr"; then
			echo "SKIP: $(grep -m1 'not available' "$KS_TMP/stderr")"
			exit 77
		fi
		ks_fail "timer/$state: refused without naming KVM's answers: $(head -1 "$KS_TMP/stderr")"
		continue
	fi
	ks_check "timer/$state: every deadline fired and was delivered, none lost" ks_jq "$report" \
		'.scenarios[0].counts | .sent == 1000 and .delivered == .sent and .lost == 0 and .coalesced == 0 and .unresolved == 0'
	ks_check "timer/$state: one latency per firing, deadline to handler, p50 above 0" ks_jq "$report" \
		'.scenarios[0] | .latency_ns.count == .counts.delivered and .latency_ns.p50 > 0 and
		 .ledger.bogus_observations == 0 and .details.events_out_of_order == 0'
	# KVM waits out its timer advance in the host: the guest never sees a deadline early.
	ks_check "timer/$state: no handler ran before its deadline" ks_jq "$report" \
		'.scenarios[0].ledger.observed_before_kick == 0'
	ks_check "timer/$state: both vCPUs armed their own 500" ks_jq "$report" \
		'[.scenarios[0].details.per_vcpu[].deadlines] == [500, 500]'
	ks_check "timer/$state: the report names the timer advance ($advance_param = $advance_value)" ks_jq "$report" \
		".scenarios[0] | .details.lapic_timer_advance.parameter == $advance_param and
		 .details.lapic_timer_advance.value == $advance_value and .params.lapic_timer_advance == $advance_value"
	ks_check "timer/$state: the span is kvm-unit-tests' tscdeadline_latency, and says where TSC-deadline came from" \
		ks_jq "$report" '.scenarios[0] | (.measures.latency | contains("tscdeadline_latency")) and
		 (.details.tsc_deadline_from | test("KVM_GET_SUPPORTED_CPUID|KVM_CAP_TSC_DEADLINE_TIMER"))'
	ks_check "timer/$state: KVM stats moved and the run completed" ks_jq "$report" \
		'.scenarios[0] | .kvm_stats.totals.exits > 0 and .completed == true and .error == null'
done

# Open loop: deadlines 1 ms apart on a schedule that never slips.
report=$KS_TMP/timer-open.json
ks_run_status 0 "timer open loop at 1 kHz, mixed vCPUs" run --scenario timer --vcpus 2 \
	--target-state mixed --rate 1000 --count 300 "${common[@]}" --output "$report"
ks_check "timer open loop: all 600 served, none lost, each with a latency" ks_jq "$report" \
	'.scenarios[0] | .counts.sent == 600 and .counts.lost == 0 and .counts.unresolved == 0 and
	 .counts.delivered + .counts.late == 600 and .latency_ns.count == 600 and .params.rate_hz == 1000'

# --duration ends it on time; what was armed still resolves.
report=$KS_TMP/timer-duration.json
ks_run_status 0 "timer bounded by --duration" run --scenario timer --vcpus 1 --rate 2000 \
	--duration 0.5 "${common[@]}" --output "$report"
ks_check "timer --duration: deadlines were armed, and every one has an outcome" ks_jq "$report" \
	'.scenarios[0].counts | .sent > 0 and .lost == 0 and .sent == .delivered + .late + .coalesced + .unresolved'

# Options that shape other scenarios only are named, not silently taken.
ks_run_status 0 "timer with --senders and --ipi-via" run --scenario timer --vcpus 1 --count 20 \
	--senders 2 --ipi-via xapic "${common[@]}" --output "$KS_TMP/timer-warn.json"
ks_check "timer: --senders is named as not applying" \
	grep -q -- '--senders does not apply to the chosen scenarios' "$KS_TMP/stderr"
ks_check "timer: --ipi-via is named as shaping ipi only" \
	grep -q -- '--ipi-via does not apply to the chosen scenarios and is ignored (it shapes: ipi)' "$KS_TMP/stderr"

# No host thread sends timer or ipi requests: as many vCPUs as CPUs is not
# overcommitted, and the report does not say it was.
if [ "$(nproc)" -ge 2 ]; then
	ks_run_status 0 "timer and ipi, 2 vCPUs on 2 CPUs" run --scenario timer,ipi --vcpus 2 --cpus 0,1 \
		--count 50 "${common[@]}" --output "$KS_TMP/fit.json"
	ks_check "... neither plan is overcommitted, and no note says so" ks_jq "$KS_TMP/fit.json" \
		'[.scenarios[] | .placement.overcommit == false and
		  ((.scheduling.note // "") | test("overcommitted") | not)] | all'
fi

ks_run_status 0 "list" list
ks_check "list shows timer with its span and options" bash -c \
	"sed -n '/^timer\$/,/^\$/p' '$KS_TMP/stdout' | grep -q tscdeadline_latency &&
	 sed -n '/^timer\$/,/^\$/p' '$KS_TMP/stdout' | grep -q -- '--rate'"

ks_finish
