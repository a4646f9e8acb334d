#!/bin/bash
# kickstorm plot: SVG that xmllint accepts and rsvg-convert renders to a
# picture that is not blank, for fixture reports, two reports overlaid, a
# sweep (its curve), stage bars, and a real short run; atomic writes and
# one-line refusals.
. "$(dirname "$0")/../lib.sh"
ks_require_tool xmllint
ks_require_tool rsvg-convert
ks_require_tool python3

data=$KS_SRCDIR/tests/data
v1=$data/report-v1.json
v2=$data/report-v2.json
sweep=$data/report-sweep.json

# rendered SVG WHAT: well-formed, and rendered to a PNG with real content.
rendered() {
	local svg=$1 what=$2 png=${1%.svg}.png info
	ks_check "$what: xmllint --noout is clean" bash -c "[ -z \"\$(xmllint --noout '$svg' 2>&1)\" ]"
	if ! rsvg-convert "$svg" -o "$png" 2>"$KS_TMP/rsvg.err"; then
		ks_fail "$what: rsvg-convert failed: $(head -c 300 "$KS_TMP/rsvg.err")"
		return
	fi
	info=$(python3 "$KS_SRCDIR/tests/png_colours.py" "$png")
	# Lines, text and antialiasing give hundreds of colours; a blank page gives 1.
	ks_check "$what: the PNG is not blank ($info: width height colours)" \
		test "$(cut -d' ' -f3 <<<"$info")" -gt 50 -a "$(stat -c %s "$png")" -gt 10000
}

count() { grep -o "$1" "$2" | wc -l; }

ks_run_status 0 "plot a v1 report" plot "$v1" -o "$KS_TMP/v1.svg"
rendered "$KS_TMP/v1.svg" v1
ks_check "v1: one spectrum line per scenario (4)" test "$(count 'class="spectrum"' "$KS_TMP/v1.svg")" -eq 4
ks_check "v1: the title names the CPU and kernel" \
	grep -q "kickstorm: $(jq -r .host.cpu.model "$v1")" "$KS_TMP/v1.svg"
ks_check "v1: the x axis runs to 99.99" grep -q '>99.99</text>' "$KS_TMP/v1.svg"
ks_check "v1: latency ticks carry units" grep -qE '>[0-9.]+ (ns|µs|ms)</text>' "$KS_TMP/v1.svg"
ks_check "v1: no sweep panel without a sweep" bash -c "! grep -q 'class=\"sweep' '$KS_TMP/v1.svg'"

ks_run_status 0 "BASE and NEW overlaid" plot "$v1" "$v2" -o "$KS_TMP/both.svg"
rendered "$KS_TMP/both.svg" overlay
ks_check "overlay: a line per scenario per report (4 + 4)" \
	test "$(count 'class="spectrum"' "$KS_TMP/both.svg")" -eq 8
ks_check "overlay: the legend names both reports" \
	bash -c "grep -q '>report-v1.json: signal' '$KS_TMP/both.svg' && grep -q '>report-v2.json: signal' '$KS_TMP/both.svg'"
ks_check "overlay: the second report's lines are dashed" grep -q 'class="spectrum".*stroke-dasharray' "$KS_TMP/both.svg"

ks_run_status 0 "plot a sweep report" plot "$sweep" -o "$KS_TMP/sweep.svg"
rendered "$KS_TMP/sweep.svg" sweep
ks_check "sweep: a p50 curve through the 4 vCPU counts" \
	grep -qE 'class="sweep p50"[^>]* points="[0-9.]+,[0-9.]+( [0-9.]+,[0-9.]+){3}"' "$KS_TMP/sweep.svg"
ks_check "sweep: a p99 curve and a lost-fraction curve" \
	bash -c "grep -q 'class=\"sweep p99\"' '$KS_TMP/sweep.svg' && grep -q 'class=\"sweep lost\"' '$KS_TMP/sweep.svg'"
ks_check "sweep: the x axis is the swept parameter" grep -q '>vcpus (log scale)</text>' "$KS_TMP/sweep.svg"

ks_check "stages: the v2 fixture's trace.stages are drawn" \
	bash -c "grep -q '>Where the time goes: report-v2.json: signal' '$KS_TMP/both.svg' && grep -q '>KVM_RUN returns</text>' '$KS_TMP/both.svg'"

ks_run_status 0 "--scenario msi" plot "$v2" --scenario msi -o "$KS_TMP/msi.svg"
ks_check "--scenario: only msi's line" test "$(count 'class="spectrum"' "$KS_TMP/msi.svg")" -eq 1
ks_run_status 0 "-o - writes to stdout" plot "$v1" -o -
ks_check "-o -: the SVG is on stdout" grep -q '^<svg ' "$KS_TMP/stdout"

# --- refusals and atomic writes ---
echo "an older picture" >"$KS_TMP/keep.svg"
ks_run_status 2 "a bad report among several" plot "$v1" "$KS_TMP/nope.json" -o "$KS_TMP/keep.svg"
ks_check "a failed plot leaves the old file alone" grep -qx 'an older picture' "$KS_TMP/keep.svg"
ks_check "and no temporary file behind" bash -c "! ls '$KS_TMP' | grep -q '\.tmp\.'"
ks_run_status 2 "an output directory that does not exist" plot "$v1" -o "$KS_TMP/no/such/dir.svg"
ks_check "-o: one line naming the path" \
	bash -c "[ \$(wc -l <'$KS_TMP/stderr') -eq 1 ] && grep -q 'no/such/dir.svg' '$KS_TMP/stderr'"
ks_run_status 2 "no -o" plot "$v1"
ks_run_status 2 "no report" plot -o "$KS_TMP/x.svg"
ks_run_status 2 "--scenario no report has" plot "$v1" --scenario ipi -o "$KS_TMP/x.svg"
ks_check "no picture from a refused plot" test ! -e "$KS_TMP/x.svg"
ks_run_status 0 "plot --help" plot --help
ks_check "--help is the usage" grep -q '^usage: kickstorm plot REPORT... -o FILE.svg' "$KS_TMP/stdout"

# --- a real short run with a sweep ---
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	report=$KS_TMP/real.json
	status=0
	"$KICKSTORM" run --quiet --scenario signal,broadcast --sweep-vcpus 1,2,3 --count 100 \
		--deadline 1000 --output "$report" >"$KS_TMP/run.out" 2>"$KS_TMP/run.err" || status=$?
	if [ "$status" -le 1 ] && [ -s "$report" ]; then
		ks_run_status 0 "plot a real run" plot "$report" -o "$KS_TMP/real.svg"
		rendered "$KS_TMP/real.svg" "real run"
		ks_check "real run: the broadcast sweep is a curve over 3 counts" \
			grep -qE 'class="sweep p50"[^>]* points="[0-9.]+,[0-9.]+( [0-9.]+,[0-9.]+){2}"' "$KS_TMP/real.svg"
		# --sweep-vcpus is --sweep vcpus=: it sweeps signal as well as broadcast.
		ks_check "real run: spectrum lines for each count of signal and of broadcast" \
			test "$(count 'class="spectrum"' "$KS_TMP/real.svg")" -eq 6
		ks_check "real run: a sweep curve for each of the two scenarios" \
			test "$(grep -cE 'class="sweep p50"' "$KS_TMP/real.svg")" -eq 2
	else
		ks_fail "kickstorm run made no report (exit $status): $(head -c 400 "$KS_TMP/run.err")"
	fi
else
	echo "# no /dev/kvm: the real-run checks are skipped"
fi

ks_finish
