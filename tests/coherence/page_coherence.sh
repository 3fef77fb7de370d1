#!/bin/sh
# page_coherence.sh WORKER - `page --coherence` end to end: one thread moves no
# zone-lock line, two threads give figures and the traced RMWs on the zone
# lock equal its lockstat rmw count, no --coherence gives n/a.
set -u
worker=$1
fails=0
fail() { echo "page_coherence: $*" >&2; fails=$((fails + 1)); }

col() {
	printf '%s\n' "$1" | awk -F, -v name="$2" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i }
		NR == 2 && c { print $c }'
}

out=$("$worker" page --threads 1 --iterations 20000 --coherence --format csv) ||
	fail "1 thread: exit $?"
[ "$(col "$out" xfers_per_op_zone)" = 0 ] || fail "1 thread: xfers_per_op_zone $(col "$out" xfers_per_op_zone)"
[ "$(col "$out" traced_ops)" = "$(col "$out" ops)" ] ||
	fail "1 thread: traced_ops $(col "$out" traced_ops), ops $(col "$out" ops)"

out=$("$worker" page --threads 2 --iterations 20000 --pcp-high 1 --pcp-batch 1 --coherence --format csv) ||
	fail "2 threads: exit $?"
for c in xfers_per_op hitm_per_op rfo_per_op xfers_per_op_zone coh_exact tsc_skew_ticks trace_bytes; do
	v=$(col "$out" $c)
	case $v in ''|n/a) fail "2 threads: $c is '$v'";; esac
done
t=$(col "$out" traced_rmws_zone) l=$(col "$out" lockstat_rmws_zone)
[ -n "$t" ] && [ "$t" != 0 ] && [ "$t" = "$l" ] || fail "2 threads: traced_rmws_zone '$t' != lockstat '$l'"

out=$("$worker" page --threads 1 --iterations 1000 --format csv) || fail "no --coherence: exit $?"
for c in xfers_per_op xfers_per_op_zone trace_bytes; do
	[ "$(col "$out" $c)" = n/a ] || fail "no --coherence: $c is '$(col "$out" $c)'"
done

[ $fails = 0 ] && echo "page_coherence: ok"
exit $((fails != 0))
