#!/bin/sh
# bench_real.sh SHEAFBENCH OUTDIR [ROUNDS]: real programs under sheaf, glibc,
# jemalloc, tcmalloc and mimalloc with `sheafbench run`, ROUNDS rounds
# (default 5), the allocator order shuffled in every round (interleaved, so
# drift hits every allocator alike).  Appends every run's csv row to
# OUTDIR/runs.csv (with a round column) and prints per program and allocator
# the median wall time and peak RSS and the ratio to glibc formed within each
# round: median [min, max] over the rounds.
set -eu
sb=$1 out=$2 rounds=${3:-5}
PATH=/usr/bin:/bin:$PATH
mkdir -p "$out/work"
work=$(cd "$out/work" && pwd)

# --- the programs (inputs generated once) ---
cat > "$work/heavy.py" <<'PY'
d = {}
for i in range(300000):
    d[str(i)] = [i] * (i % 10)
s = 0
for k, v in d.items():
    s += len(v) + len(k)
print(s)
PY
awk 'BEGIN { print "begin;"; print "create table t(a integer, b text, c real);";
	for (i = 1; i <= 150000; i++) printf "insert into t values(%d, %cv%d-%d%c, %d.5);\n", i, 39, i % 997, i % 7, 39, i % 13;
	print "create index t_b on t(b);"; print "commit;";
	print "select b, count(*), sum(a) from t group by b order by 2 desc, 1 limit 5;" }' > "$work/load.sql"
src=$(cd "$(dirname "$0")/.." && pwd)
gcc -E -DSB_PATTERN=2 -DSB_PATTERN_NAME='"sb"' -I"$src/alloc" -I"$src/lockpatterns" \
	"$src/alloc/page_alloc.c" > "$work/unit.i"

run_program() {	# name allocator
	case $1 in
	python) PYTHONMALLOC=malloc "$sb" run --allocator "$2" --format csv -- python3 "$work/heavy.py" ;;
	sqlite) "$sb" run --allocator "$2" --format csv -- sh -c "rm -f '$work/db' && sqlite3 '$work/db' < '$work/load.sql'" ;;
	gcc) "$sb" run --allocator "$2" --format csv -- gcc -O2 -c -o "$work/unit.o" "$work/unit.i" ;;
	git) "$sb" run --allocator "$2" --format csv -- sh -c "rm -rf '$work/repo' && mkdir '$work/repo' && cd '$work/repo' && git init -q . && for i in \$(seq 1 400); do seq 1 \$i > f\$i; done && git add . && git -c user.name=a -c user.email=a@b commit -qm x && git log --stat | wc -l" ;;
	esac
}

allocs="sheaf glibc jemalloc tcmalloc mimalloc"
programs="python sqlite gcc git"
: > "$out/runs.csv"
for r in $(seq 1 "$rounds"); do
	order=$(for a in $allocs; do echo "$(od -An -N4 -tu4 /dev/urandom) $a"; done | sort -n | awk '{print $2}')
	for p in $programs; do
		for a in $order; do
			row=$(run_program "$p" "$a" 2>>"$out/errors.log" | awk '/^workload,/ { h = 1; next } h && /^run,/')
			[ -n "$row" ] && echo "$r,$p,$row" >> "$out/runs.csv"
		done
	done
	echo "round $r done: $(date +%T), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done

# --- summary: ratios to glibc within each round ---
awk -F, '
function median(arr, n,   i, j, t) {
	for (i = 2; i <= n; i++) for (j = i; j > 1 && arr[j-1] > arr[j]; j--) { t = arr[j]; arr[j] = arr[j-1]; arr[j-1] = t }
	return n % 2 ? arr[(n+1)/2] : (arr[n/2] + arr[n/2+1]) / 2
}
{ round = $1; prog = $2; alloc = $5; wall[prog, alloc, round] = $8; rss[prog, alloc, round] = $12;
  progs[prog] = 1; allocs[alloc] = 1; rounds[round] = 1 }
END {
	printf "%-7s %-9s %9s %22s %10s %22s\n", "program", "allocator", "wall_s", "wall/glibc med [min,max]", "rss_MiB", "rss/glibc med [min,max]"
	for (p in progs) for (a in allocs) {
		nw = 0; nr = 0; n = 0; lo = 1e9; hi = 0; rlo = 1e9; rhi = 0
		for (r in rounds) {
			if (!((p, a, r) in wall)) continue
			w[++n] = wall[p, a, r]; m[n] = rss[p, a, r] / 1024
			if ((p, "glibc", r) in wall) {
				x = wall[p, a, r] / wall[p, "glibc", r]; wr[++nw] = x; if (x < lo) lo = x; if (x > hi) hi = x
				y = rss[p, a, r] / rss[p, "glibc", r]; rr[++nr] = y; if (y < rlo) rlo = y; if (y > rhi) rhi = y
			}
		}
		if (!n) continue
		printf "%-7s %-9s %9.3f %8.3f [%5.3f,%5.3f] %10.1f %8.3f [%5.3f,%5.3f]\n", p, a, median(w, n),
			median(wr, nw), lo, hi, median(m, n), median(rr, nr), rlo, rhi
	}
}' "$out/runs.csv" | sort
