#!/usr/bin/env bash
# plot --report on a copy of the fixture: non-empty PNG and SVG files for the
# plots whose data exists, a note for those skipped, report.md with the
# changelog block and the images; without gnuplot, one line naming the
# Debian package and exit 1 (a missing tool is not bad input).
# Usage: plot_fixture.sh SHEAFBENCH FIXTURE_DIR
set -u
cli=$1 fx=$2
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$fx" "$tmp/r"

if ! command -v gnuplot >/dev/null; then
	echo "SKIP: gnuplot not installed (Debian package gnuplot-nox)"
	exit 0
fi
"$cli" plot "$tmp/r" --report 2>"$tmp/notes" || { bad "plot exited $?"; cat "$tmp/notes" >&2; }
for p in lock-acq_per_s lock-rmw_per_acq lock-acq_bounces_per_acq lock-wait_latency \
	 lock-trylock_fail_rate churn-ops_per_s churn-allocators; do
	for ext in png svg dat; do
		[[ -s "$tmp/r/plots/$p.$ext" ]] || bad "missing or empty plots/$p.$ext"
	done
done
head -c 8 "$tmp/r/plots/lock-acq_per_s.png" | od -An -c | grep -q "P   N   G" || bad "not a PNG"
grep -q "skipped rmw_per_acq in .*runs-churn.csv: no such column" "$tmp/notes" ||
	bad "no note for the plot skipped for lack of data"
grep -q "0 failed" "$tmp/notes" || bad "some gnuplot runs failed: $(cat "$tmp/notes")"
# .dat: medians and bounds of the compare numbers, lo <= median <= hi
awk '!/^#/ && NF > 1 { for (i = 2; i + 2 <= NF; i += 3)
	if ($i != "NaN" && !($(i+1) <= $i && $i <= $(i+2))) { print "bad row: " $0; exit 1 } }' \
	"$tmp/r/plots/lock-acq_per_s.dat" || bad "CI bounds do not bracket the median"

r="$tmp/r/report.md"
[[ -s "$r" ]] || bad "no report.md"
grep -q '^## Machine' "$r" || bad "report: no machine section"
grep -q 'cpu_model: `Intel Xeon Processor (Cascadelake)`' "$r" || bad "report: no cpu model"
grep -q '^### lock: acq_per_s by pattern' "$r" || bad "report: no throughput block"
# the fixture's built-in effect: sb faster than ttl on qspin at 2 and 4 threads only
grep -q '^- lock, acq_per_s, sb/ttl: faster in 2, slower in 0, no difference shown in 4,' "$r" ||
	bad "report: summary of sb/ttl verdicts"
grep -q '^### lock: rmw_per_acq by pattern' "$r" || bad "report: no rmw block"
grep -q '^### lock: acq_bounces_per_acq by pattern' "$r" || bad "report: no bounces block"
grep -q '^!\[lock-acq_per_s\](plots/lock-acq_per_s.png)' "$r" || bad "report: no image"
grep -q 'mcs.*not built in this fixture' "$r" || bad "report: errors.log not listed"
grep -q "^| \`lock:kind=qspin:pattern=sb:threads=4\` | 1 2 3 4 5 6 7 8 9 10 |$" "$r" || bad "report: runs table"
grep -q '^### churn: ops_per_s by allocator' "$r" || bad "report: no allocator block"
ls "$tmp/r" | grep -q 'report.md.tmp' && bad "temporary report file left behind"

# no gnuplot in PATH: one line naming the package, exit 1, nothing written
mkdir "$tmp/nognuplot"
cp -r "$fx" "$tmp/n"
PATH="$tmp/nognuplot" "$cli" plot "$tmp/n" 2>"$tmp/err"
rc=$?
[[ $rc == 1 ]] || bad "without gnuplot: exit $rc, not 1"
[[ $(wc -l <"$tmp/err") == 1 ]] && grep -q "gnuplot-nox" "$tmp/err" ||
	bad "without gnuplot: $(cat "$tmp/err")"
[[ -e "$tmp/n/plots" ]] && bad "without gnuplot: plots/ created anyway"
exit $fail
