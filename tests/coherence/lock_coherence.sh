#!/bin/sh
# lock_coherence.sh WORKER - `lock --coherence` end to end on the real worker:
# one thread moves no line after first touch, two threads get figures, no
# --coherence gives n/a, and bad values are one line and exit 2.
set -u
worker=$1
fails=0
fail() { echo "lock_coherence: $*" >&2; fails=$((fails + 1)); }

# col CSV NAME: the value of column NAME in the one data row
col() {
	printf '%s\n' "$1" | awk -F, -v name="$2" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i }
		NR == 2 && c { print $c }'
}

out=$("$worker" lock --kind tas --threads 1 --iterations 2000 --coherence --no-c2c --format csv) ||
	fail "1 thread: exit $?"
[ "$(col "$out" xfers_per_acq)" = 0 ] || fail "1 thread: xfers_per_acq $(col "$out" xfers_per_acq)"
[ "$(col "$out" hitm_per_acq)" = 0 ] || fail "1 thread: hitm_per_acq $(col "$out" hitm_per_acq)"
[ "$(col "$out" traced_acquisitions)" = 2000 ] ||
	fail "1 thread: traced_acquisitions $(col "$out" traced_acquisitions)"
[ "$(col "$out" coh_protocol)" = mesi ] || fail "1 thread: protocol $(col "$out" coh_protocol)"

out=$("$worker" lock --kind qspin --threads 2 --iterations 2000 --coherence-protocol moesi --no-c2c --format csv) ||
	fail "2 threads: exit $?"
for c in xfers_per_acq rfo_per_acq invals_per_acq coh_exact trace_bytes tsc_skew_ticks; do
	v=$(col "$out" $c)
	case $v in ''|n/a) fail "2 threads: $c is '$v'";; esac
done
[ "$(col "$out" coh_protocol)" = moesi ] || fail "2 threads: protocol $(col "$out" coh_protocol)"

out=$("$worker" lock --kind qspin --threads 1 --iterations 100 --no-c2c --format csv) ||
	fail "no --coherence: exit $?"
[ "$(col "$out" xfers_per_acq)" = n/a ] || fail "no --coherence: xfers_per_acq $(col "$out" xfers_per_acq)"

for bad in "--coherence-protocol mosi" "--kind pspin --coherence"; do
	err=$("$worker" lock $bad --iterations 10 2>&1 >/dev/null)
	st=$?
	[ $st = 2 ] || fail "'$bad': exit $st, want 2"
	[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "'$bad': stderr not one line: $err"
	case $err in *--coherence*) ;; *) fail "'$bad': stderr does not name --coherence: $err";; esac
done

[ $fails = 0 ] && echo "lock_coherence: ok"
exit $((fails != 0))
