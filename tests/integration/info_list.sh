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

ks_finish
