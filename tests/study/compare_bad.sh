#!/usr/bin/env bash
# compare on damaged input: every case must end with exit 2 and one line on
# stderr naming the file and line (or the option), never a crash or output
# that looks like a result.
# Usage: compare_bad.sh SHEAFBENCH FIXTURE_DIR
set -u
cli=$1 fx=$2
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect_error NAME PATTERN ARGS...: exit 2, one stderr line matching PATTERN, no stdout
expect_error() {
	local name=$1 pattern=$2
	shift 2
	"$cli" "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [[ $rc != 2 ]]; then echo "FAIL $name: exit $rc, not 2" >&2; fail=1; fi
	if [[ $(wc -l <"$tmp/err") != 1 ]] || ! grep -Eq -- "$pattern" "$tmp/err"; then
		echo "FAIL $name: stderr should be one line matching '$pattern':" >&2
		cat "$tmp/err" >&2
		fail=1
	fi
	if [[ -s "$tmp/out" ]]; then echo "FAIL $name: wrote to stdout" >&2; fail=1; fi
}

mkdir "$tmp/d"
cp "$fx/meta.json" "$tmp/d/"
size=$(wc -c <"$fx/runs.csv")
head -c $((size / 2)) "$fx/runs.csv" >"$tmp/d/runs.csv"	# cut mid-row
expect_error truncated "runs.csv:[0-9]+: .*truncated" compare "$tmp/d"

line=$(wc -l <"$fx/runs.csv")
head -n $((line - 1)) "$fx/runs.csv" >"$tmp/d/runs.csv"
tail -n 1 "$fx/runs.csv" | cut -d, -f1-12 >>"$tmp/d/runs.csv"	# a short last row
expect_error short-row "runs.csv:$line: 12 fields, but the header has" compare "$tmp/d"

sed '5s/,compact,/,"compact,/' "$fx/runs.csv" >"$tmp/d/runs.csv"
expect_error open-quote "runs.csv:5: .*(quote|fields)" compare "$tmp/d"

awk -F, -v OFS=, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "acq_per_s") c = i }
		  NR == 7 { $c = "fast" } { print }' "$fx/runs.csv" >"$tmp/d/runs.csv"
expect_error not-a-number "runs.csv:7: column acq_per_s: 'fast' is not a number" compare "$tmp/d"
# damaged data stays fatal when another runs file of the directory is fine
cp "$fx/runs-churn.csv" "$tmp/d/"
expect_error not-a-number-beside-good "runs.csv:7: column acq_per_s: 'fast'" compare "$tmp/d"
rm "$tmp/d/runs-churn.csv"

: >"$tmp/d/runs.csv"
expect_error empty "runs.csv:1: empty file" compare "$tmp/d"

printf 'study,variant,rep,x\nq,v,1,2\n' >"$tmp/d/runs.csv"
expect_error no-workload "lacks the workload and pattern columns" compare "$tmp/d"

expect_error missing-dir "$tmp/nonexistent: No such file" compare "$tmp/nonexistent"
mkdir "$tmp/empty"
expect_error no-runs "no runs.csv" compare "$tmp/empty"
expect_error bad-metric "--metric: 'speed' is not a figure column" compare "$fx" --metric speed
expect_error param-metric "--metric: 'threads' is not a figure column" compare "$fx" --metric threads
expect_error bad-baseline "--baseline: 'fast' is not a value of column pattern" compare "$fx" --baseline fast
expect_error bad-by "--by: 'acq_per_s' is not a parameter column" compare "$fx" --by acq_per_s
expect_error bad-format "format" compare "$fx" --format xml
expect_error bad-option "--frobnicate: is not an option of compare \\(allowed: --metric" compare "$fx" --frobnicate
expect_error five-dirs "'$fx': unexpected argument" compare "$fx" "$fx" "$fx" "$fx" "$fx"
expect_error no-dir "RESULTS_DIR: missing" compare
expect_error missing-value "--metric: needs a value" compare "$fx" --metric
expect_error two-dirs-one-bad "$tmp/nonexistent: No such file" compare "$fx" "$tmp/nonexistent"

# issue 12, input that cannot be trusted (runs.csv: threads is column 7, pin 13,
# acq_per_s found by name; line 5 is lock:kind=qspin:pattern=sb:threads=2 rep 1)
col=$(head -1 "$fx/runs.csv" | tr , '\n' | grep -nx acq_per_s | cut -d: -f1)
cp "$fx/meta.json" "$tmp/d/"
variant=$(sed -n 5p "$fx/runs.csv" | cut -d, -f2)
awk -F, -v OFS=, 'NR == 5 { $7 = 3 } { print }' "$fx/runs.csv" >"$tmp/d/runs.csv"
expect_error param-differs "runs.csv:5: column threads: '3' where the other runs of variant $variant have '2'" \
	compare "$tmp/d"
awk -F, -v OFS=, 'NR == 5 { $13 = "n/a" } { print }' "$fx/runs.csv" >"$tmp/d/runs.csv"
expect_error param-na "runs.csv:5: column pin: 'n/a' where the other runs of variant $variant have 'compact'" \
	compare "$tmp/d"
{ cat "$fx/runs.csv"; sed -n 5p "$fx/runs.csv"; } >"$tmp/d/runs.csv"
last=$(wc -l <"$tmp/d/runs.csv")
expect_error rep-twice "runs.csv:$last: column rep: variant $variant rep 1 appears twice \(also line 5\)" \
	compare "$tmp/d"
awk -F, -v OFS=, -v c="$col" 'NR == 9 { $c = "0x10" } { print }' "$fx/runs.csv" >"$tmp/d/runs.csv"
expect_error hex-number "runs.csv:9: column acq_per_s: '0x10' is not a decimal number" compare "$tmp/d"
awk -F, -v OFS=, 'NR == 9 { $7 = "0x2" } { print }' "$fx/runs.csv" >"$tmp/d/runs.csv"
expect_error hex-param "runs.csv:9: column threads: '0x2' is not a decimal number" compare "$tmp/d"
awk -F, -v OFS=, -v c="$col" 'NR == 9 { $c = "-" $c } { print }' "$fx/runs.csv" >"$tmp/d/runs.csv"
expect_error negative-throughput "runs.csv:9: column acq_per_s: '-[0-9.e+]+' is a negative throughput" \
	compare "$tmp/d"
# the same refusals reach plot and report, which load directories the same way
awk -F, -v OFS=, 'NR == 5 { $7 = 3 } { print }' "$fx/runs.csv" >"$tmp/d/runs.csv"
expect_error report-param-differs "runs.csv:5: column threads: '3'" report "$tmp/d"
exit $fail
