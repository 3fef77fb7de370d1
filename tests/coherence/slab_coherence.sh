#!/bin/sh
# slab_coherence.sh WORKER - `slab --coherence` end to end (the worker runs
# sheafbench-trace-<pattern> beside it): one thread moves (almost) no line per
# op, two threads give per-site figures, the traced RMWs on barn, list_lock and
# zone equal the allocator's lockstat rmw counts, no --coherence gives n/a,
# and bad combinations are one line and exit 2.
set -u
worker=$1
fails=0
fail() { echo "slab_coherence: $*" >&2; fails=$((fails + 1)); }

col() {
	printf '%s\n' "$1" | awk -F, -v name="$2" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i }
		NR == 2 && c { print $c }'
}

out=$("$worker" slab churn --threads 1 --iterations 20000 --coherence --format csv) ||
	fail "1 thread: exit $?"
v=$(col "$out" xfers_per_op)
awk -v v="$v" 'BEGIN { exit !(v != "" && v != "n/a" && v + 0 < 0.001) }' ||
	fail "1 thread: xfers_per_op '$v', want < 0.001"
[ "$(col "$out" xfers_per_op_pcs)" = 0 ] || fail "1 thread: xfers_per_op_pcs $(col "$out" xfers_per_op_pcs)"
[ "$(col "$out" traced_ops)" = 20000 ] || fail "1 thread: traced_ops $(col "$out" traced_ops)"

# Two threads, no signals: every RMW the lock kinds count is in the trace.
out=$("$worker" slab churn --threads 2 --iterations 30000 --batch 200 --coherence --format csv) ||
	fail "2 threads churn: exit $?"
for s in barn list_lock zone; do
	t=$(col "$out" traced_rmws_$s) l=$(col "$out" lockstat_rmws_$s)
	[ -n "$t" ] && [ "$t" = "$l" ] || fail "2 threads churn: traced_rmws_$s '$t' != lockstat '$l'"
done
case $(col "$out" traced_rmws_pcs) in ''|n/a|0) fail "2 threads churn: no pcs RMW traced";; esac

out=$("$worker" slab nmi --threads 2 --duration 200ms --coherence --format csv) ||
	fail "2 threads nmi: exit $?"
for c in xfers_per_op hitm_per_op rfo_per_op xfers_per_op_pcs xfers_per_op_list_lock \
	 rfo_per_op_barn coh_exact coh_ambiguous_pairs tsc_skew_ticks traced_ops_per_s trace_bytes; do
	v=$(col "$out" $c)
	case $v in ''|n/a) fail "2 threads nmi: $c is '$v'";; esac
done

out=$("$worker" slab churn --threads 1 --iterations 1000 --format csv) || fail "no --coherence: exit $?"
for c in xfers_per_op xfers_per_op_list_lock trace_bytes; do
	[ "$(col "$out" $c)" = n/a ] || fail "no --coherence: $c is '$(col "$out" $c)'"
done

err=$("$worker" slab churn --allocator glibc --coherence --iterations 10 2>&1 >/dev/null)
st=$?
[ $st = 2 ] || fail "--allocator glibc --coherence: exit $st, want 2"
[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "--allocator glibc --coherence: stderr not one line: $err"
case $err in *--coherence*) ;; *) fail "stderr does not name --coherence: $err";; esac

[ $fails = 0 ] && echo "slab_coherence: ok"
exit $((fails != 0))
