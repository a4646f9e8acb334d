#!/bin/bash
# Bad input exits 2 with one line naming the value and what is allowed, and
# writes nothing.
. "$(dirname "$0")/../lib.sh"

out=$KS_TMP/never.json

ks_refused "zero vCPUs" "'0'" run --vcpus 0 --output "$out"
ks_refused "negative vCPUs" "'-1'" run --vcpus -1 --output "$out"
ks_refused "too many vCPUs for the layout" "1-4096" run --vcpus 100000 --output "$out"
ks_refused "garbage count" "'12abc'" run --count 12abc --output "$out"
ks_refused "zero count" "'0'" run --count 0 --output "$out"
ks_refused "zero senders" "1-64" run --senders 0 --output "$out"
ks_refused "negative duration" "'-3'" run --duration -3 --output "$out"
ks_refused "unknown scenario" "'bogus'" run --scenario signal,bogus --output "$out"
ks_refused "unknown protocol" "naive, immediate-exit, sigmask" run --protocol lazy --output "$out"
ks_refused "unknown target state" "running, halted, mixed" run --target-state asleep --output "$out"
ks_refused "unknown pattern" "one-to-one, one-to-all, all-to-all" run --pattern many --output "$out"
ks_refused "unknown placement" "compact, scatter, none" run --placement random --output "$out"
ks_refused "malformed CPU list" "'0-'" run --cpus 0- --output "$out"
ks_refused "reversed CPU range" "'3-1'" run --cpus 3-1 --output "$out"
ks_refused "duplicate CPU" "'0,0'" run --cpus 0,0 --output "$out"
ks_refused "zero deadline" "1-600000 ms" run --deadline 0 --output "$out"
ks_refused "burst without rate" "--burst 4" run --burst 4 --output "$out"
ks_refused "race window out of range" "0-10^9 ns" run --race-window 99999999999 --output "$out"
ks_refused "unknown option" "'--frobnicate'" run --frobnicate --output "$out"
ks_refused "missing option value" "'--count'" run --output "$out" --count
ks_refused "stray argument" "'extra'" run extra --output "$out"
ks_refused "unknown command" "'frob'" frob
ks_refused "unwritable output directory" "/nonexistent-dir/r.json" run --output /nonexistent-dir/r.json

if [ -r /dev/kvm ]; then
	ncpu=$(nproc --all)
	ks_refused "CPU outside the machine" "CPU $((ncpu + 7))" run --cpus "$((ncpu + 7))" --output "$out"
	ks_refused "too few vCPUs for ipi" "allowed: 2-64" run --scenario ipi --vcpus 1 \
		--output "$out"
	kvm_max=$("$KICKSTORM" info --json | jq -r '.kvm.max_vcpus // 0')
	if [ "$kvm_max" -gt 0 ] && [ "$kvm_max" -lt 4096 ]; then
		ks_refused "more vCPUs than KVM allows" "allowed: 1-$kvm_max, KVM_CAP_MAX_VCPUS" run \
			--vcpus $((kvm_max + 1)) --output "$out"
		ks_refused "a sweep point beyond KVM's limit is named" \
			"--sweep vcpus point $((kvm_max + 1)): more vCPUs than this host's KVM allows" \
			run --scenario broadcast --sweep vcpus=1,$((kvm_max + 1)) --output "$out"
	else
		echo "# KVM here allows $kvm_max vCPUs, as many as the layout holds (4096): its own limit is checked above"
	fi
fi

ks_run_status 0 "run --help" run --help
ks_check "run --help lists every option of the man page" grep -q -- '--race-window' "$KS_TMP/stdout"
ks_run_status 0 "--version" --version
ks_check "--version prints the name" grep -q '^kickstorm ' "$KS_TMP/stdout"
ks_run_status 2 "no command" 

ks_finish
