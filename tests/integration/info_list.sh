#!/bin/bash
# kickstorm list and kickstorm info: what a user reads before a run.
. "$(dirname "$0")/../lib.sh"
ks_require_tool jq

ks_run_status 0 "list" list
ks_check "list names the signal scenario" grep -q '^signal$' "$KS_TMP/stdout"
ks_check "list shows the options that shape it" grep -q -- '--protocol' "$KS_TMP/stdout"
ks_run_status 2 "list with a stray argument" list extra

ks_run_status 0 "info" info
ks_check "info reports the APIC virtualization" grep -qi 'apic' "$KS_TMP/stdout"
ks_run_status 0 "info --json" info --json
ks_check "info --json is JSON with host facts" ks_jq "$KS_TMP/stdout" \
	'(.apic_virtualization.can_post_interrupts | type) == "boolean" and (.kvm.available | type) == "boolean"'
if [ -r /dev/kvm ]; then
	ks_check "info --json sees KVM here" ks_jq "$KS_TMP/stdout" '.kvm.available == true'
	ks_check "info --json gives the guest TSC frequency" ks_jq "$KS_TMP/stdout" '.kvm.tsc_khz > 0'
	ks_check "info --json gives the topology and NUMA nodes" ks_jq "$KS_TMP/stdout" \
		'.topology.pus > 0 and (.topology.numa_nodes | length) > 0'
fi
ks_run_status 2 "info with an unknown option" info --bogus

# Labels a reader understands, and the kvm parameters that shape kicks.
ks_run_status 0 "info" info
ks_check "info has no cryptic topology labels" bash -c "! grep -qE '^(pus:|numa nodes\[)' '$KS_TMP/stdout'"
if grep -q '^cpu packages:' "$KS_TMP/stdout"; then
	ks_check "info names hardware threads and NUMA nodes" bash -c \
		"grep -q '^hardware threads: ' '$KS_TMP/stdout' && grep -q '^numa node [0-9]*: *cpus ' '$KS_TMP/stdout'"
fi
for param in halt_poll_ns halt_poll_ns_grow halt_poll_ns_grow_start halt_poll_ns_shrink \
	lapic_timer_advance_ns lapic_timer_advance; do
	file=/sys/module/kvm/parameters/$param
	want=$([ -r "$file" ] && cat "$file" || echo absent)
	ks_check "info shows kvm.$param as '$want'" grep -qE "^  kvm\.$param +$want\$" "$KS_TMP/stdout"
done
ks_run_status 0 "info --json" info --json
ks_check "info --json has a schema_version" ks_jq "$KS_TMP/stdout" '.schema_version == 1'
ks_check "info --json lists the kvm module parameters" ks_jq "$KS_TMP/stdout" \
	'.kvm.module_parameters.kvm | has("halt_poll_ns") and has("halt_poll_ns_grow") and
	 has("halt_poll_ns_grow_start") and has("halt_poll_ns_shrink") and has("lapic_timer_advance_ns")'

# A recorded Intel host with APICv and an older kernel's parameters.
sys=$KS_TMP/sys
mkdir -p "$sys/module/kvm/parameters" "$sys/module/kvm_intel/parameters"
echo 50000 >"$sys/module/kvm/parameters/halt_poll_ns"
echo -1 >"$sys/module/kvm/parameters/lapic_timer_advance_ns"
echo Y >"$sys/module/kvm_intel/parameters/enable_apicv"
KICKSTORM_SYSFS_ROOT=$sys ks_run_status 0 "info on a recorded host" info
ks_check "... shows the recorded halt_poll_ns" grep -qE '^  kvm\.halt_poll_ns +50000$' "$KS_TMP/stdout"
ks_check "... says absent for a parameter that is not there" \
	grep -qE '^  kvm\.halt_poll_ns_shrink +absent$' "$KS_TMP/stdout"
ks_check "... lists kvm_intel's switches" grep -qE '^  kvm_intel\.enable_apicv +Y$' "$KS_TMP/stdout"
KICKSTORM_SYSFS_ROOT=$sys ks_run_status 0 "info --json on a recorded host" info --json
ks_check "... typed values, null where absent" ks_jq "$KS_TMP/stdout" \
	'.kvm.module_parameters.kvm.halt_poll_ns == 50000 and
	 .kvm.module_parameters.kvm.lapic_timer_advance_ns == -1 and
	 .kvm.module_parameters.kvm.halt_poll_ns_grow == null and
	 .kvm.module_parameters.kvm_intel.enable_apicv == true and
	 .apic_virtualization.can_post_interrupts == true'

ks_finish
