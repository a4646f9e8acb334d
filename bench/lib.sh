# SPDX-License-Identifier: MIT
# Shared by the bench/ scripts: source it, then call what you need.

# bench_help SCRIPT: prints the comment block at the top of SCRIPT (its usage).
bench_help() {
	sed -n '4,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$1"
}

# bench_kickstorm NAME: sets ks (and exports KICKSTORM) to $KICKSTORM, else
# ./kickstorm, else the PATH's kickstorm; checks for jq. Exits 2 with
# "NAME: ..." on stderr when either is missing.
bench_kickstorm() {
	if [ -n "${KICKSTORM:-}" ]; then
		ks=$KICKSTORM
	elif [ -x ./kickstorm ]; then
		ks=./kickstorm
	else
		ks=$(command -v kickstorm) || { echo "$1: no kickstorm binary (set KICKSTORM)" >&2; exit 2; }
	fi
	export KICKSTORM=$ks
	command -v jq >/dev/null || { echo "$1: needs jq" >&2; exit 2; }
}
