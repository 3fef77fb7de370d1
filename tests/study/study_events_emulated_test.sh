#!/bin/sh
# study -e/--events and emulated results, against the fake worker (test hook
# SHEAFBENCH_STUDY_TEST_EXE): an unknown event is refused before any run;
# -e LIST reaches every worker, whose extra columns land in runs.csv; a study
# made with SHEAFBENCH_EMULATED set records it in meta.json, its compare and
# report say its times are emulated, and compare refuses to set it beside a
# native directory (exit 2, one line).
# usage: study_events_emulated_test.sh SHEAFBENCH
set -eu
sb=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SHEAFBENCH_STUDY_TEST_EXE="$here/study_fake_worker.sh"
export FAKE_WORKER_SLEEP=0
unset SHEAFBENCH_EMULATED SHEAFBENCH_VM_NODES
fail() { echo "study_events_emulated_test: $*" >&2; exit 1; }
one_line_exit2() {	# one_line_exit2 WHAT PATTERN CMD...
	what=$1 pat=$2; shift 2
	set +e; "$@" >"$tmp/o" 2>"$tmp/e"; rc=$?; set -e
	[ $rc -eq 2 ] || fail "$what: exit $rc, not 2"
	[ "$(wc -l <"$tmp/e")" -eq 1 ] || fail "$what: not one line on stderr: $(cat "$tmp/e")"
	grep -q -- "$pat" "$tmp/e" || fail "$what: stderr lacks '$pat': $(cat "$tmp/e")"
}

printf 'name ev\nreps 2\nseed 0\nrun lock pattern=ttl,sb kind=a threads=1\n' >"$tmp/s.study"

# --- an unknown event: refused before anything is written
one_line_exit2 "unknown event" "no-such-event" "$sb" study "$tmp/s.study" -e task-clock,no-such-event --out "$tmp/never"
[ ! -e "$tmp/never" ] || fail "an unknown event wrote $tmp/never"
printf 'events no-such-event\nrun lock kind=a\n' >"$tmp/bad.study"
one_line_exit2 "unknown event in a study file" "no-such-event" "$sb" study "$tmp/bad.study" --out "$tmp/never"
[ ! -e "$tmp/never" ] || fail "an unknown event wrote $tmp/never"

# --- -e passes through: every row has the event columns, study.study keeps it
"$sb" study "$tmp/s.study" -e task-clock,context-switches --out "$tmp/ev" >/dev/null 2>"$tmp/e" ||
	fail "study -e failed: $(cat "$tmp/e")"
head -1 "$tmp/ev/runs.csv" |
	grep -qx 'study,variant,rep,workload,pattern,kind,threads,acq_per_s,perf_task_clock_per_op,perf_context_switches_per_op' ||
	fail "runs.csv header lacks the event columns: $(head -1 "$tmp/ev/runs.csv")"
[ "$(tail -n +2 "$tmp/ev/runs.csv" | grep -c ',1,1$')" -eq 4 ] || fail "not every row has the events: $(cat "$tmp/ev/runs.csv")"
ls "$tmp/ev" | grep -q '^runs-' && fail "one header, yet more than one runs file"
grep -q '^events *task-clock,context-switches$' "$tmp/ev/study.study" || fail "study.study lacks the events"
# --resume keeps the events (study.study): the rows it adds have them too
cp -r "$tmp/ev" "$tmp/res"
head -3 "$tmp/ev/runs.csv" >"$tmp/res/runs.csv"
"$sb" study --resume "$tmp/res" >/dev/null 2>&1 || fail "resume of a study made with -e failed"
cmp -s "$tmp/ev/runs.csv" "$tmp/res/runs.csv" || fail "resume wrote other rows: $(cat "$tmp/res/runs.csv")"
one_line_exit2 "resume with -e" "--resume" "$sb" study --resume "$tmp/res" -e task-clock
grep -q '"emulated": null' "$tmp/ev/meta.json" || fail "native meta.json: emulated is not null"
grep -q '"emulated_nodes": null' "$tmp/ev/meta.json" || fail "native meta.json: emulated_nodes is not null"

# --- emulated: meta.json, compare's header and note, report.md
SHEAFBENCH_EMULATED=qemu-tcg SHEAFBENCH_VM_NODES=4 "$sb" study "$tmp/s.study" --out "$tmp/emu" >/dev/null 2>&1 ||
	fail "emulated study failed"
grep -q '"emulated": "qemu-tcg"' "$tmp/emu/meta.json" || fail "meta.json lacks \"emulated\": \"qemu-tcg\""
grep -q '"emulated_nodes": 4' "$tmp/emu/meta.json" || fail "meta.json lacks \"emulated_nodes\": 4"
"$sb" compare "$tmp/emu" >"$tmp/c" 2>/dev/null || fail "compare of the emulated directory failed"
grep -q 'times emulated (qemu-tcg): compare counts only' "$tmp/c" || fail "compare lacks the emulated note: $(cat "$tmp/c")"
grep -q 'emulated qemu-tcg, 4 nodes' "$tmp/c" || fail "the machine line lacks the emulation: $(cat "$tmp/c")"
"$sb" report "$tmp/emu" >/dev/null 2>&1 || fail "report of the emulated directory failed"
grep -q 'times emulated (qemu-tcg): compare counts only' "$tmp/emu/report.md" || fail "report.md lacks the emulated note"
grep -q 'one family' "$tmp/emu/report.md" || fail "report.md does not say its verdicts are one family"

# --- native beside emulated: refused; native beside native: fine
one_line_exit2 "emulated beside native" "emulated (qemu-tcg)" "$sb" compare "$tmp/ev" "$tmp/emu"
one_line_exit2 "native beside emulated" "emulated (qemu-tcg)" "$sb" compare "$tmp/emu" "$tmp/ev"
"$sb" study "$tmp/s.study" --out "$tmp/nat" >/dev/null 2>&1 || fail "second native study failed"
"$sb" compare "$tmp/ev" "$tmp/nat" >"$tmp/c" 2>/dev/null || fail "compare of two native directories failed"
grep -q 'times emulated' "$tmp/c" && fail "a native compare says its times are emulated"
exit 0
