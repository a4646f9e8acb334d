#!/bin/bash
# --sweep PARAM=LIST: one entry per point for the scenarios PARAM shapes, a
# row per point in the table, the report's sweep section, compare matching
# point by point; the naive protocol's race as a curve against the window.
. "$(dirname "$0")/../lib.sh"
ks_require_kvm
ks_require_tool jq

balanced='all(.scenarios[]; .counts.sent == .counts.delivered + .counts.late + .counts.coalesced
	+ .counts.lost + .counts.unresolved)'
# The race needs a kick to meet the vCPU thread in its window: when any of
# the run's threads waited 50 ms or more for a CPU over a storm (as
# verdicts.sh reads scheduling.max_waited_ns), the sender's kicks come late
# or the vCPU thread runs late, and where kicks land is the scheduler's call.
# With a busy loop on each CPU the sender waits most of the storm and no
# kick meets a window at all.
calm='all(.scenarios[]; .scheduling.max_waited_ns < 50000000)'

# --- the naive race as a curve (README shows one) ---
# A naive lost request waits out --lost-after in a closed loop: a short one
# keeps the run short. Exit 1 is the verdict for lost requests.
race=$KS_TMP/race.json
status=0
"$KICKSTORM" run --scenario signal --protocol naive --sweep race-window=0,5000,20000 --count 1000 \
	--lost-after 50 --deadline 50 --quiet -o "$race" >"$KS_TMP/race.out" 2>&1 || status=$?
ks_check "naive sweep: exit $status is what its counts call for" ks_jq "$race" \
	"([.scenarios[] | .counts.lost + .kicks.lost] | add > 0) == ($status == 1) and ($status < 2)"
ks_check "naive sweep: three points, one entry each, in the order given" ks_jq "$race" \
	'[.scenarios[] | .params.race_window_ns] == [0, 5000, 20000] and all(.scenarios[]; .params.protocol == "naive")'
ks_check "naive sweep: one outcome per request at every point" ks_jq "$race" "$balanced"
ks_check "naive sweep: a lost request per spent kick, none without" ks_jq "$race" \
	'all(.scenarios[]; .counts.lost <= .kicks.lost and (.kicks.lost == 0 or .counts.lost > 0))'
ks_check "naive sweep: the config records the sweep" ks_jq "$race" \
	'.config.sweep == {"parameter": "race-window", "key": "race_window_ns", "points": [0, 5000, 20000]}
	 and .config.sweep_vcpus == []'
ks_check "naive sweep: the sweep section has the three points with their counts" ks_jq "$race" \
	'.sweep.parameter == "race-window" and (.sweep.scenarios | length) == 1
	 and .sweep.scenarios[0].name == "signal"
	 and ([.sweep.scenarios[0].points[] | .value] == [0, 5000, 20000])
	 and ([.sweep.scenarios[0].points[] | .entries] == [[0], [1], [2]])
	 and ([.sweep.scenarios[0].points[] | .counts.sent] == [.scenarios[] | .counts.sent])
	 and ([.sweep.scenarios[0].points[] | .counts.lost] == [.scenarios[] | .counts.lost])
	 and all(.sweep.scenarios[0].points[]; .lost_fraction == .counts.lost / .counts.sent)'
if ks_jq "$race" "$calm"; then
	ks_check "naive sweep: more requests lost with a 20 us window than with none" ks_jq "$race" \
		'.sweep.scenarios[0].points | .[2].lost_fraction > .[0].lost_fraction'
else
	echo "# a thread waited 50 ms or more for a CPU ($(jq -c '[.scenarios[].scheduling.max_waited_ns]' \
		"$race") ns): the curve's order is not asserted, only its consistency"
fi
ks_check "naive sweep: the table has a row per point" \
	test "$(grep -cE '^ +(0|5000|20000) ' "$KS_TMP/race.out")" -eq 3
ks_check "naive sweep: the sweep table is titled by the parameter" \
	grep -q '^signal vs race_window_ns' "$KS_TMP/race.out"

# The protocols that close the race stay at zero at every point.
for proto in immediate-exit sigmask; do
	f=$KS_TMP/$proto.json
	ks_run_status 0 "$proto sweep: nothing lost at any point" run --scenario signal --protocol "$proto" \
		--sweep race-window=0,20000 --count 500 --quiet -o "$f"
	ks_check "$proto sweep: two points, no lost request or kick at either" ks_jq "$f" \
		"(.scenarios | length) == 2 and $balanced and
		 all(.sweep.scenarios[0].points[]; .counts.lost == 0 and .kicks_lost == 0 and .lost_fraction == 0)"
done

# --- a mixed scenario list: only the shaped ones are swept; repetitions pool ---
mixed=$KS_TMP/mixed.json
ks_run_status 0 "a sweep over signal and floor, repeated" run --scenario signal,floor \
	--sweep gap=0,100000 --repeat 2 --count 100 --quiet -o "$mixed"
ks_check "signal runs per point and repetition, floor once per repetition" ks_jq "$mixed" \
	'([.scenarios[] | .name] | group_by(.) | map({(.[0]): length}) | add) == {"signal": 4, "floor": 2}'
ks_check "the sweep section pools each point's two repetitions" ks_jq "$mixed" \
	'. as $root | [.sweep.scenarios[] | .name] == ["signal"] and
	 all(.sweep.scenarios[0].points[]; (.entries | length) == 2 and
	     .counts.sent == ([.entries[] as $i | $root.scenarios[$i].counts.sent] | add) and
	     .latency_ns.count == ([.entries[] as $i | $root.scenarios[$i].latency_ns.count] | add))'

# --- --sweep-vcpus is --sweep vcpus= ---
alias=$KS_TMP/alias.json
ks_run_status 0 "--sweep-vcpus sweeps every VM scenario" run --scenario msi --sweep-vcpus 1,3 \
	--count 50 --quiet -o "$alias"
ks_check "--sweep-vcpus: recorded as a vcpus sweep, both ways" ks_jq "$alias" \
	'.config.sweep.parameter == "vcpus" and .config.sweep_vcpus == [1, 3] and
	 [.scenarios[] | .params.vcpus] == [1, 3]'

# --- refusals: exit 2 with one line naming the bad part ---
refused() {
	local what=$1 text=$2
	shift 2
	ks_run_status 2 "$what" "$@" -o "$KS_TMP/refused.json"
	if [ "$(wc -l <"$KS_TMP/stderr")" -eq 1 ] && grep -qF -- "$text" "$KS_TMP/stderr" &&
		[ ! -e "$KS_TMP/refused.json" ]; then
		ks_pass "... one line naming: $text"
	else
		ks_fail "... one line naming: $text; got: $(cat "$KS_TMP/stderr")"
	fi
}
refused "a PARAM that shapes none of the chosen scenarios" "--sweep race-window shapes none of the chosen scenarios (msi)" \
	run --scenario msi --sweep race-window=0,1000
refused "an unknown PARAM" "unknown parameter 'window'" run --sweep window=1,2
refused "a point outside a scenario's vCPU range" "--sweep vcpus point 1 does not suit scenario ipi (allowed: 2-64)" \
	run --scenario ipi --sweep vcpus=1,2
refused "a burst above 1 in a closed loop" "--sweep burst point 4 is not valid" run --sweep burst=1,4
refused "a closed-loop rate with --burst" "--sweep rate point 0 is not valid" run --sweep rate=0,1000 --burst 4
refused "a deadline past --lost-after" "--sweep deadline point 100 is not valid" \
	run --sweep deadline=10,100 --lost-after 50
refused "two sweeps" "a second sweep" run --sweep gap=0,1 --sweep-vcpus 1,2
refused "a repeated point" "'5'" run --sweep race-window=5,5
refused "the swept option given as well" "--burst and --sweep burst=LIST both set burst" \
	run --sweep burst=1 --burst 3
refused "--vcpus beside --sweep-vcpus" "--vcpus and --sweep vcpus=LIST both set vcpus" \
	run --vcpus 2 --sweep-vcpus 1,2

# --- compare matches point by point; a point one report lacks is named as one ---
base=$KS_TMP/base.json
new=$KS_TMP/new.json
ks_run_status 0 "base sweep" run --scenario signal --sweep race-window=0,5000 --count 200 --quiet -o "$base"
ks_run_status 0 "new sweep" run --scenario signal --sweep race-window=0,20000 --count 200 --quiet -o "$new"
status=0
"$KICKSTORM" compare "$base" "$new" --format json >"$KS_TMP/cmp.json" 2>/dev/null || status=$?
ks_check "compare judged the common point (exit $status: 0, or 1 on a regression)" test "$status" -le 1
ks_check "compare matched the point both ran, and only it" ks_jq "$KS_TMP/cmp.json" \
	'.compared == 1 and (.comparisons | length) == 1 and .comparisons[0].params.race_window_ns == 0'
ks_check "the point only BASE ran, and the one only NEW ran, are named as sweep points" ks_jq "$KS_TMP/cmp.json" \
	'(.only_in_base | length) == 1 and .only_in_base[0].params.race_window_ns == 5000
	 and .only_in_base[0].sweep_point_of == "race-window"
	 and (.only_in_new | length) == 1 and .only_in_new[0].params.race_window_ns == 20000
	 and .only_in_new[0].sweep_point_of == "race-window"'
"$KICKSTORM" compare "$base" "$new" >"$KS_TMP/cmp.txt" 2>&1
ks_check "compare's text says which sweep each lone point belongs to" \
	grep -q "a point of NEW's race-window sweep that BASE did not run" "$KS_TMP/cmp.txt"

ks_finish
