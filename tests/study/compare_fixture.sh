#!/usr/bin/env bash
# compare on the fixture results directory (tests/fixtures/results-small, made
# by its make-fixture.py with known effects): the verdicts it was built to
# show, a block no wider than 72 columns, stable output, csv and json forms.
# Usage: compare_fixture.sh SHEAFBENCH FIXTURE_DIR
set -u
cli=$1 fx=$2
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }

out=$("$cli" compare "$fx") || bad "compare exited $?"
again=$("$cli" compare "$fx")
[[ "$out" == "$again" ]] || bad "two runs printed different text (seeds not fixed?)"
awk 'length($0) > 72 { print "line " NR " is " length($0) " columns: " $0; bad = 1 }
     END { exit bad }' <<<"$out" >&2 || bad "block wider than 72 columns"

# "<block> <threads> <sb/ttl mark> <tro/ttl mark>" for the lock throughput block
marks=$(awk '/^churn:/ { exit }
	     /^kind / { kind = $2 }
	     kind && $1 ~ /^[0-9]+$/ && NF == 9 { print kind, $1, $6, $9 }' <<<"$out")
expect() {
	grep -qx -- "$1" <<<"$marks" || bad "expected row '$1' in:"$'\n'"$marks"
}
expect "qspin 1 = ="       # one thread: no contention, no difference
expect "qspin 2 + +"       # sb and tro faster than ttl under contention
expect "qspin 4 + +"
grep -q "^ticket 2 = " <<<"$marks" || bad "ticket 2: sb/ttl should show no difference"
grep -q "^ticket 4 = " <<<"$marks" || bad "ticket 4: sb/ttl should show no difference"
grep -q "^Intel Xeon Processor (Cascadelake) (2 CPUs, kernel 6.1.0-27-amd64,$" <<<"$out" ||
	bad "machine line from meta.json missing"
grep -q "^lock: acq_per_s, 5 reps; cs 50ns, ps 50ns," <<<"$out" || bad "heading missing"
grep -q "^+ faster, - slower, = no difference shown" <<<"$out" || bad "legend missing"

# lower is better: sb issues fewer RMWs per acquisition than ttl on qspin
rmw=$("$cli" compare "$fx" --metric rmw_per_acq) || bad "compare --metric rmw_per_acq exited $?"
grep -q "^+ fewer, - more" <<<"$rmw" || bad "rmw legend should say fewer/more"
awk '/^kind qspin/ { q = 1; next } /^kind / { q = 0 } q && $1 == "4" { print $6 }' <<<"$rmw" |
	grep -qx '+' || bad "qspin 4 threads: sb should issue fewer RMWs than ttl"

# another baseline and another dimension
"$cli" compare "$fx" --baseline sb | grep -q "ttl/sb" || bad "--baseline sb: no ttl/sb column"
alloc=$("$cli" compare "$fx/runs-churn.csv" --by allocator --baseline glibc)
grep -q "sheaf/glibc" <<<"$alloc" || bad "--by allocator: no sheaf/glibc column"
# 3 runs a side: an interval, but no verdict (under SB_MIN_REPS_FOR_VERDICT)
grep -Eq "^ +1  .*\] \?  .*\] \?$" <<<"$alloc" || bad "3 runs: expected '?' marks:"$'\n'"$alloc"

# real runs print sheaf_capacity n/a for the other allocators: that must not
# split them from sheaf's runs (every ratio would be n/a)
tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT
awk -F, -v OFS=, 'NR > 1 && $6 != "sheaf" { $11 = "n/a" } { print }' \
	"$fx/runs-churn.csv" >"$tmp/runs-churn.csv"
na=$("$cli" compare "$tmp/runs-churn.csv" --by allocator --baseline glibc) ||
	bad "--by allocator with n/a sheaf_capacity exited $?"
grep -Eq "^ +2  [0-9.]+ \[.*sheaf|^ +2  .* 1\.[0-9]+ \[[0-9.,]+\] \?$" <<<"$na" ||
	bad "n/a sheaf_capacity split the allocators:"$'\n'"$na"
grep -q "n/a" <<<"$(grep -E '^ +[12]  ' <<<"$na")" && bad "ratios printed as n/a:"$'\n'"$na"

# sheaf at two capacities (0 and default), the others n/a: glibc's runs are the
# baseline of both blocks, not a third block of their own
awk -F, -v OFS=, 'NR == 1 { print; next }
	$6 == "sheaf" { print; $11 = "0"; $2 = $2 ":sheaf-capacity=0"; print; next }
	{ $11 = "n/a"; print }' "$fx/runs-churn.csv" >"$tmp/runs-cap.csv"
cap=$("$cli" compare "$tmp/runs-cap.csv" --by allocator --baseline glibc) ||
	bad "--by allocator with two sheaf capacities exited $?"
[ "$(grep -Ec '^sheaf_capacity (0|default)$' <<<"$cap")" = 2 ] ||
	bad "expected one block per sheaf capacity:"$'\n'"$cap"
grep -q "sheaf_capacity n/a" <<<"$cap" && bad "glibc's runs split off as n/a:"$'\n'"$cap"
grep -q "n/a" <<<"$(grep -E '^ +[12]  ' <<<"$cap")" && bad "ratios printed as n/a:"$'\n'"$cap"

# a batch only sheaf ran: left out with a count, not printed as a row of n/a
awk -F, -v OFS=, 'NR == 1 { print; next } { print }
	$6 == "sheaf" { $9 = "999"; $2 = $2 ":batch=999"; print }' \
	"$tmp/runs-cap.csv" >"$tmp/runs-extra.csv"
extra=$("$cli" compare "$tmp/runs-extra.csv" --by allocator --baseline glibc) ||
	bad "--by allocator with a sheaf-only batch exited $?"
grep -q "batch 999" <<<"$extra" && bad "sheaf-only batch printed:"$'\n'"$extra"
grep -q "^4 configurations without allocator glibc runs not shown$" <<<"$extra" ||
	bad "expected 4 omitted configurations (2 capacities x 2 thread counts):"$'\n'"$extra"

# rows along another parameter: kinds as rows, one block per thread count
rows=$("$cli" compare "$fx/runs.csv" --rows kind) || bad "--rows kind exited $?"
grep -q "^threads 4$" <<<"$rows" && grep -Eq "^ +qspin  .* \+ .* \+$" <<<"$rows" ||
	bad "--rows kind: expected a 'threads 4' block with a qspin row"

csv=$("$cli" compare "$fx" --format csv) || bad "--format csv exited $?"
grep -q "^metric,workload,kind,threads," <<<"$csv" || bad "csv header: $(head -1 <<<"$csv")"
grep -E -q "^acq_per_s,lock,qspin,4,.*,sb,ttl,5,.*,faster(,|$)" <<<"$csv" ||
	bad "csv: no 'faster' row for qspin/4/sb"
json=$("$cli" compare "$fx" --format json) || bad "--format json exited $?"
grep -q '"verdict"' <<<"$json" || bad "json has no verdict"
exit $fail
