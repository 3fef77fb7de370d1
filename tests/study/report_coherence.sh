#!/usr/bin/env bash
# report on a copy of the fixture with a xfers_per_con_acq column added (ttl
# 3 + rep/100, sb 2 + rep/100, tro 3 + rep/100): the "ttl against sb and tro"
# section starts with it, says ttl makes more transfers than sb by 1.00 and
# sometimes more, sometimes fewer than tro; without the column, no such line.
# Usage: report_coherence.sh SHEAFBENCH FIXTURE_DIR
set -u
cli=$1 fx=$2
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$fx" "$tmp/r"
awk -F, 'BEGIN { OFS = "," }
	NR == 1 { print $0, "xfers_per_con_acq"; next }
	{ print $0, ($5 == "sb" ? 2 : 3) + $3 / 100 }' "$fx/runs.csv" >"$tmp/r/runs.csv"
"$cli" report "$tmp/r" >/dev/null 2>"$tmp/err" || { bad "report exited $?"; cat "$tmp/err" >&2; }
r="$tmp/r/report.md"
first=$(grep -A4 '^## ttl against' "$r" | grep -m1 '^- ')
case $first in *xfers_per_con_acq*) ;; *) bad "first summary line is not transfers: $first";; esac
grep -q 'ttl makes more line transfers per contended acquisition than sb (median ttl minus median sb:.* +1.00' "$r" ||
	bad "no sentence on ttl vs sb transfers"
grep -q 'ttl makes .* line transfers per contended acquisition than tro' "$r" ||
	bad "no sentence on ttl vs tro transfers"
cp -r "$fx" "$tmp/plain"
"$cli" report "$tmp/plain" >/dev/null 2>&1
! grep -q 'line transfers per contended' "$tmp/plain/report.md" || bad "sentence without the column"
exit $fail
