#!/bin/bash
# README's CI recipe, run word for word against the reference it names:
# compare must compare its scenarios (signal and msi), never "compare
# nothing" (exit 2). Whether latency regressed depends on how busy the host
# is, so exit 1 is allowed here; on a quiet host the recipe exits 0.
. "$(dirname "$0")/../lib.sh"
ks_require_tool jq
ks_require_kvm

readme=$KS_SRCDIR/README.md
# The first sh block of "## Comparing reports in CI".
sed -n '/^## Comparing reports in CI/,/^## /p' "$readme" | sed -n '/^```sh$/,/^```$/p' | sed '1d;/^```$/,$d' \
	>"$KS_TMP/recipe.sh"
ks_check "README has a two-line recipe: run, then compare" \
	test "$(grep -c '^\./kickstorm run ' "$KS_TMP/recipe.sh")" -eq 1 -a \
	"$(grep -c '^\./kickstorm compare results/' "$KS_TMP/recipe.sh")" -eq 1

# The recipe's own paths: ./kickstorm and results/ of the source tree.
mkdir "$KS_TMP/ci" && cd "$KS_TMP/ci" || exit 1
ln -s "$KICKSTORM" kickstorm
ln -s "$KS_SRCDIR/results" results

run_line=$(grep '^\./kickstorm run ' "$KS_TMP/recipe.sh")
compare_line=$(grep '^\./kickstorm compare ' "$KS_TMP/recipe.sh")
status=0
bash -c "$run_line" >run.out 2>run.err || status=$?
ks_check "the recipe's run made a report (exit $status: 0, or 1 for a lost request)" \
	test "$status" -le 1 -a -s new.json
status=0
bash -c "$compare_line" >compare.out 2>compare.err || status=$?
ks_check "the recipe's compare compared something (exit $status; 2 is compared nothing or bad input): $(head -c 300 compare.err)" \
	test "$status" -le 1
ks_check "its result line says what it compared" grep -Eq '^result: (no regression \([0-9]+ scenarios? compared\)|[0-9]+ regressions?:)' compare.out
status=0
bash -c "$compare_line --format json" >compare.json 2>/dev/null || status=$?
ks_check "both scenarios of the recipe matched the reference" ks_jq compare.json \
	'.compared == 2 and ([.comparisons[].scenario] | sort) == ["msi", "signal"]
	 and ([.comparisons[].repetitions.base] | min) >= 5'

ks_finish
