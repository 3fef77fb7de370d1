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
	     kind && $1 ~ /^[0-9]+$/ && NF == 9 {
		print kind, $1, substr($6, 1, 1), substr($9, 1, 1) }' <<<"$out")
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
grep -q "^lock: acq_per_s, 10 reps; cs 50ns, ps 50ns," <<<"$out" || bad "heading missing"
grep -q "^+ faster  - slower  =N%: no difference shown" <<<"$out" || bad "legend missing"

# lower is better: sb issues fewer RMWs per acquisition than ttl on qspin
rmw=$("$cli" compare "$fx" --metric rmw_per_acq) || bad "compare --metric rmw_per_acq exited $?"
grep -q "^+ fewer  - more" <<<"$rmw" || bad "rmw legend should say fewer/more"
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
grep -E -q "^acq_per_s,lock,qspin,4,.*,sb,ttl,10,.*,faster(,|$)" <<<"$csv" ||
	bad "csv: no 'faster' row for qspin/4/sb"
json=$("$cli" compare "$fx" --format json) || bad "--format json exited $?"
grep -q '"verdict"' <<<"$json" || bad "json has no verdict"
# issue 12: paired ratios, one corrected family, the detectable change beside '='
grep -q "^paired: every ratio formed within one rep" <<<"$out" || bad "pairing not stated"
grep -q "Benjamini-Hochberg FDR 5% over 12 ratios: 4 marked" <<<"$out" ||
	bad "correction method and family size not stated"
grep -Eq "\] =[0-9.]+%" <<<"$out" || bad "no 'detects' figure beside '='"
grep -Eq "\] =( |$)" <<<"$out" && bad "an '=' without its detectable change"
# a marked interval never prints as touching 1 (outward rounding, more digits)
awk '{ while (match($0, /\[[0-9.]+,[0-9.]+\] [-+]/)) {
		split(substr($0, RSTART + 1, RLENGTH - 4), b, ",")
		if ((substr($0, RSTART + RLENGTH - 1, 1) == "+" && b[1] + 0 <= 1) ||
		    (substr($0, RSTART + RLENGTH - 1, 1) == "-" && b[2] + 0 >= 1)) bad = 1
		$0 = substr($0, RSTART + RLENGTH) } } END { exit bad }' <<<"$out" ||
	bad "a marked interval prints as touching 1"

# 5 reps (the fixture's first five): no exact paired interval reaches 95 %
# ([min, max] is 93.8 %), so no ratio gets a verdict; the old bootstrap
# printed a false 'tro/ttl 1.02 [1.01,1.02] +' at ticket, 1 thread here
awk -F, 'NR == 1 || $3 <= 5' "$fx/runs.csv" >"$tmp/runs5.csv"
five=$("$cli" compare "$tmp/runs5.csv") || bad "5 reps: exit $?"
grep -Eq "\] [-+=]" <<<"$five" && bad "5 reps: a verdict printed:"$'\n'"$five"
grep -q "at most 93.8%; no verdict under 6" <<<"$five" ||
	bad "5 reps: the achievable interval not stated"

# reps that do not pair: unpaired, and said so
awk -F, -v OFS=, 'NR > 1 && $5 == "sb" && $6 == "qspin" && $7 == 2 { $3 = $3 + 100 } { print }' \
	"$fx/runs.csv" >"$tmp/runs-unpaired.csv"
up=$("$cli" compare "$tmp/runs-unpaired.csv") || bad "unpaired: exit $?"
grep -q "kind qspin, threads 2, sb/ttl: unpaired: only 0 of 10 reps in common" <<<"$up" ||
	bad "unpaired cell not named:"$'\n'"$up"

# disturbance columns: counted, verdicts shown with and without the disturbed runs
awk -F, -v OFS=, 'NR == 1 { print $0, "steal_ms", "invol_ctxsw"; next }
	{ s = (NR == 5 || NR == 40) ? 50 : 0.1; print $0, s, 20 }' "$fx/runs.csv" >"$tmp/runs-dist.csv"
dist=$("$cli" compare "$tmp/runs-dist.csv") || bad "disturbance: exit $?"
grep -q "^disturbance: 2 of 180 runs beyond the thresholds (steal > 1% of the run," <<<"$dist" ||
	bad "disturbed runs not counted:"$'\n'"$dist"
grep -q "^Without the 2 disturbed runs:" <<<"$dist" || bad "no verdicts without the disturbed runs"
[ "$(grep -c '^kind qspin' <<<"$dist")" = 2 ] || bad "expected the qspin block twice"
grep -q "^disturbance: not recorded" <<<"$out" || bad "absent disturbance columns not stated"

# two results directories, two machines: one section each, never pooled
mkdir -p "$tmp/m1" "$tmp/m2"
cp "$fx/runs.csv" "$fx/meta.json" "$tmp/m1/"
cp "$fx/runs.csv" "$tmp/m2/"
sed 's/Intel Xeon Processor (Cascadelake)/AMD EPYC 7B13/' "$fx/meta.json" >"$tmp/m2/meta.json"
two=$("$cli" compare "$tmp/m1" "$tmp/m2") || bad "two directories: exit $?"
grep -q "^2 results directories from 2 machines: one section each, runs not pooled" <<<"$two" ||
	bad "two machines not stated"
grep -q "^== $tmp/m2$" <<<"$two" && grep -q "^AMD EPYC 7B13 (2 CPUs" <<<"$two" ||
	bad "no section for the second machine"
[ "$(grep -c '^lock: acq_per_s, 10 reps' <<<"$two")" = 2 ] || bad "sections pooled"
csv2=$("$cli" compare "$tmp/m1" "$tmp/m2" --format csv) || bad "two directories csv: exit $?"
grep -q 'AMD EPYC' <<<"$csv2" && grep -q 'Cascadelake' <<<"$csv2" || bad "csv: machine column"
exit $fail
