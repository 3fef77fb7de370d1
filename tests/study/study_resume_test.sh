#!/bin/sh
# Kill a study with SIGKILL after a few runs, leave a partial last line as a
# crash would, resume it: every (variant, rep) must then be in runs.csv
# exactly once.  ctest's TIMEOUT is the watchdog.  usage: study_resume_test.sh SHEAFBENCH fake|real
set -eu
sb=$1
mode=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ "$mode" = fake ]; then
	export SHEAFBENCH_STUDY_TEST_EXE="$here/study_fake_worker.sh"
	export FAKE_WORKER_SLEEP=0.1
	printf 'name resume\nreps 3\nduration 20ms\nseed 5\nrun lock kind=a,b threads=1,2\n' \
		>"$tmp/resume.study"
	expect=12
else
	printf 'name resume\nreps 2\nduration 20ms\nseed 5\n%s\n' \
		'run lock kind=qspin,ticket pattern=ttl,sb threads=1,2 no-c2c' >"$tmp/resume.study"
	expect=16
fi
out="$tmp/out"
rows() { [ -f "$out/runs.csv" ] && echo $(( $(wc -l <"$out/runs.csv") - 1 )) || echo 0; }

"$sb" study "$tmp/resume.study" --out "$out" 2>"$tmp/first.err" >/dev/null &
pid=$!
while [ "$(rows)" -lt 5 ]; do
	kill -0 $pid 2>/dev/null || { echo "study ended before it could be killed" >&2; cat "$tmp/first.err" >&2; exit 1; }
	sleep 0.02
done
kill -KILL $pid
wait $pid 2>/dev/null || true
killed_at=$(rows)
[ "$killed_at" -lt "$expect" ] || { echo "nothing left to resume ($killed_at rows)" >&2; exit 1; }
# a crash in the middle of a write leaves a line without its newline
printf 'resume,lock:kind=a:threads=9,1,lock,sb,a,9' >>"$out/runs.csv"

"$sb" study --resume "$out" 2>"$tmp/resume.err" >/dev/null || { cat "$tmp/resume.err" >&2; exit 1; }
grep -q "dropping a partial last line" "$tmp/resume.err" || { echo "partial line not reported" >&2; exit 1; }
[ "$(rows)" -eq "$expect" ] || { echo "expected $expect rows, got $(rows)" >&2; cat "$out/runs.csv" >&2; exit 1; }
dups=$(tail -n +2 "$out/runs.csv" | cut -d, -f2,3 | sort | uniq -d)
[ -z "$dups" ] || { echo "duplicate (variant,rep): $dups" >&2; exit 1; }
pairs=$(tail -n +2 "$out/runs.csv" | cut -d, -f2,3 | sort -u | wc -l)
[ "$pairs" -eq "$expect" ] || { echo "expected $expect distinct pairs, got $pairs" >&2; exit 1; }
grep -q "threads=9" "$out/runs.csv" && { echo "partial line kept" >&2; exit 1; }
[ ! -s "$out/errors.log" ] || { echo "unexpected errors:" >&2; cat "$out/errors.log" >&2; exit 1; }
echo "study_resume_test $mode: killed after $killed_at of $expect runs, resumed to $expect: ok"
