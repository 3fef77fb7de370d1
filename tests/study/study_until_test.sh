#!/bin/sh
# `sheafbench study --until PCT` against the fake worker (sb 10 % faster
# than ttl in every run): rounds are added until the ratio's confidence
# sequence is within +-PCT, each rep run once; the budget stops it early;
# bad values are refused with one line and exit 2.
# Usage: study_until_test.sh SHEAFBENCH
set -u
exe=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SHEAFBENCH_STUDY_TEST_EXE="$here/study_fake_worker.sh" FAKE_WORKER_SLEEP=0
fail() { echo "FAIL: $*" >&2; exit 1; }

printf 'name until\nreps 3\nduration 10ms\nrun lock kind=qspin pattern=ttl,sb threads=2 no-c2c\n' \
	>"$tmp/u.study"
"$exe" study "$tmp/u.study" --out "$tmp/r" --seed 1 --until 3% >/dev/null 2>"$tmp/err" ||
	fail "study --until exited $?: $(cat "$tmp/err")"
grep -q "stopped after [0-9]* rounds (every ratio within the target)" "$tmp/r/until.txt" ||
	fail "until.txt: $(cat "$tmp/r/until.txt")"
rounds=$(sed -n 's/.*stopped after \([0-9]*\) rounds.*/\1/p' "$tmp/r/until.txt")
[ "$rounds" -gt 3 ] && [ "$rounds" -le 40 ] || fail "$rounds rounds"
grep -q "^  lock: sb/ttl: 1.10 \[1.10,1.10\] + (ratio > 1) ($rounds reps)$" "$tmp/r/until.txt" ||
	fail "final interval: $(cat "$tmp/r/until.txt")"
grep -q "^reps *$rounds$" "$tmp/r/study.study" || fail "study.study does not say $rounds reps"
[ "$(($(wc -l <"$tmp/r/runs.csv") - 1))" = $((2 * rounds)) ] || fail "runs.csv: not 2 runs a round"
"$exe" compare "$tmp/r" >/dev/null || fail "compare refused the rounds' runs.csv"
grep -q "^until 3%: round $rounds: 1 of 1 ratios within +-3%$" "$tmp/err" || fail "no status line"

# a budget of 1 ms: the first batch of reps, then stop
"$exe" study "$tmp/u.study" --out "$tmp/b" --until 3% --budget 1ms >/dev/null 2>&1 ||
	fail "study --until --budget exited $?"
grep -q "stopped after 3 rounds (time budget spent)" "$tmp/b/until.txt" ||
	fail "budget: $(cat "$tmp/b/until.txt")"

for bad in "--until 0" "--until 3x" "--until 80%" "--budget 1m" "--until 3% --budget soon"; do
	# shellcheck disable=SC2086
	"$exe" study "$tmp/u.study" --out "$tmp/x" $bad >/dev/null 2>"$tmp/err"
	rc=$?
	[ $rc = 2 ] && [ "$(wc -l <"$tmp/err")" = 1 ] || fail "'$bad': exit $rc, stderr $(cat "$tmp/err")"
	[ -e "$tmp/x" ] && fail "'$bad' wrote $tmp/x"
done
exit 0
