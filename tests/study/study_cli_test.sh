#!/bin/sh
# `sheafbench study` end to end against the fake worker (test hook
# SHEAFBENCH_STUDY_TEST_EXE): bad input exits 2 naming FILE:LINE and writes
# nothing; rows land in runs.csv interleaved A B C per rep; a failing run goes
# to errors.log only; a workload this build lacks is skipped; a different
# header gets its own file; --perf-stat adds perf_* columns, n/a without a PMU.
# usage: study_cli_test.sh SHEAFBENCH
set -eu
sb=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SHEAFBENCH_STUDY_TEST_EXE="$here/study_fake_worker.sh"
export FAKE_WORKER_SLEEP=0
fail() { echo "study_cli_test: $*" >&2; exit 1; }

# --- bad input: exit 2, one line naming the place, nothing written
expect_usage() {	# expect_usage PATTERN ARGS...
	pat=$1; shift
	set +e; "$sb" study "$@" >"$tmp/o" 2>"$tmp/e"; rc=$?; set -e
	[ $rc -eq 2 ] || fail "exit $rc, not 2, for: $*"
	grep -q -- "$pat" "$tmp/e" || fail "stderr of '$*' lacks '$pat': $(cat "$tmp/e")"
	[ "$(wc -l <"$tmp/e")" -eq 1 ] || fail "more than one line on stderr for: $*"
}
printf 'name bad\nbogus 1\nrun lock threads=1\n' >"$tmp/bad.study"
expect_usage "bad.study:2: unknown key 'bogus'" "$tmp/bad.study" --out "$tmp/never"
printf 'run lock threads=\n' >"$tmp/empty.study"
expect_usage "empty.study:1: empty matrix" "$tmp/empty.study" --out "$tmp/never"
printf 'run lock kind=a bogus-opt=3\n' >"$tmp/opt.study"
expect_usage "opt.study:1: unknown key 'bogus-opt' for workload 'lock'" "$tmp/opt.study" --out "$tmp/never"
printf 'run lock kind=a\n' >"$tmp/ok.study"
expect_usage "reps" "$tmp/ok.study" --reps 0 --out "$tmp/never"
expect_usage "--frobnicate" "$tmp/ok.study" --frobnicate
expect_usage "no-such-study" no-such-study
[ ! -e "$tmp/never" ] || fail "bad input wrote $tmp/never"

# --- dry run: plan only
"$sb" study "$tmp/ok.study" --dry-run --reps 2 --out "$tmp/never" >"$tmp/plan"
grep -q "1 variants (1 runnable) x 2 reps = 2 runs" "$tmp/plan" || fail "dry-run plan: $(cat "$tmp/plan")"
[ ! -e "$tmp/never" ] || fail "--dry-run wrote $tmp/never"

# --- a real run of the fake worker, seed 0 so the order is A B C per rep
cat >"$tmp/s.study" <<'EOS'
name cli
reps 2
seed 0
run lock kind=a,b,fail threads=1 no-c2c
run nosuch threads=1
run slab workload=churn threads=2
EOS
set +e; "$sb" study "$tmp/s.study" --out "$tmp/r" >"$tmp/o" 2>"$tmp/e"; rc=$?; set -e
[ $rc -eq 1 ] || fail "a study with a failed run exited $rc, not 1"
grep -q "s.study:5: workload 'nosuch' is not available" "$tmp/e" || fail "skip not reported: $(cat "$tmp/e")"
grep -q '^\[8/8\] elapsed 0m0.s eta 0m00s' "$tmp/e" || fail "no progress line: $(cat "$tmp/e")"
head -1 "$tmp/r/runs.csv" | grep -qx 'study,variant,rep,workload,pattern,kind,threads,acq_per_s' ||
	fail "runs.csv header: $(head -1 "$tmp/r/runs.csv")"
order=$(tail -n +2 "$tmp/r/runs.csv" | cut -d, -f2,3 | tr '\n' ' ')
[ "$order" = "lock:kind=a:threads=1:no-c2c,1 lock:kind=b:threads=1:no-c2c,1 lock:kind=a:threads=1:no-c2c,2 lock:kind=b:threads=1:no-c2c,2 " ] ||
	fail "not interleaved: $order"
grep -q 'kind=fail' "$tmp/r/runs.csv" && fail "a failed run was written as data"
[ "$(grep -c 'exit status 3' "$tmp/r/errors.log")" -eq 2 ] || fail "errors.log: $(cat "$tmp/r/errors.log")"
grep -q 'fake failure of kind=fail' "$tmp/r/errors.log" || fail "errors.log lacks the run's stderr"
head -1 "$tmp/r/runs-slab.csv" | grep -qx 'study,variant,rep,workload,pattern,threads,ops_per_s,nolock_failures' ||
	fail "different header not in runs-slab.csv"
[ "$(wc -l <"$tmp/r/runs-slab.csv")" -eq 3 ] || fail "runs-slab.csv rows"
grep -q '"seed": 0' "$tmp/r/meta.json" || fail "meta.json lacks the seed"
grep -q '"pmu_available": ' "$tmp/r/meta.json" || fail "meta.json lacks PMU availability"
grep -q '"skipped_workloads": "nosuch (line 5)"' "$tmp/r/meta.json" || fail "meta.json lacks the skipped workload"
python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$tmp/r/meta.json" 2>/dev/null ||
	{ command -v python3 >/dev/null && fail "meta.json is not valid JSON"; }
[ -s "$tmp/r/study.study" ] && [ -s "$tmp/r/README" ] || fail "study.study or README missing"
expect_usage "already holds a study" "$tmp/s.study" --out "$tmp/r"

# --- perf stat columns (n/a for events perf cannot count here)
if perf stat -x, -e task-clock -o /dev/null true 2>/dev/null; then
	printf 'reps 1\nrun lock kind=a threads=1\n' >"$tmp/p.study"
	"$sb" study "$tmp/p.study" --perf-stat --out "$tmp/p" >/dev/null 2>&1 || fail "--perf-stat study failed"
	hdr=$(head -1 "$tmp/p/runs.csv")
	case $hdr in *,perf_task_clock_ms,*perf_cycles,perf_instructions,*) ;; *) fail "perf columns: $hdr" ;; esac
	row=$(sed -n 2p "$tmp/p/runs.csv")
	col() { echo "$hdr" | tr , '\n' | grep -nx "$1" | cut -d: -f1; }
	tc=$(echo "$row" | cut -d, -f"$(col perf_task_clock_ms)")
	cy=$(echo "$row" | cut -d, -f"$(col perf_cycles)")
	case $tc in n/a|'') fail "perf_task_clock_ms not measured: $row" ;; esac
	if perf stat -x, -e cycles true 2>&1 | grep -q '<not supported>'; then
		[ "$cy" = n/a ] || fail "perf_cycles '$cy' on a machine without PMU"
		grep -q '"perf_stat_why_na": "hardware events' "$tmp/p/meta.json" || fail "no n/a reason in meta.json"
	fi
	ls "$tmp/p/perf/"*-1.csv >/dev/null || fail "raw perf output not kept"
fi
echo "study_cli_test: ok"
