#!/bin/sh
# real_programs.sh SCENARIO LIB: run a real program (from Debian packages)
# under glibc and with LIB preloaded, and compare what they print.  The
# preloaded run must have gone through the library: its statistics file
# ($SHEAFMALLOC_STATS) gets one "all" row per process that allocated.
# Exit 77 (ctest SKIP) when the program is not installed.
#   python    python3 (PYTHONMALLOC=malloc) building dicts, lists, strings, json
#   sqlite    sqlite3 on a generated database: inserts, an index, aggregates
#   git       git init, add, commit, log and diff on a synthesized repository
#   gcc       gcc -O2 compiling a small C file (cc1 and as run preloaded)
#   pipeline  a shell pipeline that forks and execs (seq, sort, awk, xargs)
set -u
scenario=$1 lib=$2
PATH=/usr/bin:/bin:$PATH	# the Debian packages' programs first (not e.g. a pyenv shim)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

need() {
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 || { echo "SKIP: $p is not installed"; exit 77; }
	done
}

python_run() {
	PYTHONMALLOC=malloc PYTHONHASHSEED=0 python3 - <<'PY'
import json, re
d = {}
for i in range(60000):
    d["k%d" % i] = [i] * (i % 7) + [str(i) * (i % 5)]
s = json.dumps(d, sort_keys=True)
back = json.loads(s)
words = re.findall(r"k\d+", s)
acc = sorted(back.items(), key=lambda kv: (len(kv[1]), kv[0]))[:5]
big = [bytearray(i * 1000) for i in range(200)]
print(len(s), len(words), acc, sum(len(b) for b in big))
PY
}

sqlite_run() {
	rm -f db.sqlite
	awk 'BEGIN { print "begin;"; print "create table t(a integer, b text, c real);";
		for (i = 1; i <= 20000; i++) printf "insert into t values(%d, %cv%d%c, %d.5);\n", i, 39, i % 97, 39, i % 13;
		print "create index t_b on t(b);"; print "commit;";
		print "select b, count(*), sum(a), avg(c) from t group by b order by b limit 20;";
		print "select count(*) from t where b like \x27v1%\x27;";
		print "select group_concat(a) from (select a from t order by c desc, a limit 50);" }' > load.sql
	sqlite3 db.sqlite < load.sql
}

git_run() {
	export HOME=$work GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=a GIT_AUTHOR_EMAIL=a@example.org \
		GIT_COMMITTER_NAME=a GIT_COMMITTER_EMAIL=a@example.org \
		GIT_AUTHOR_DATE='2024-01-01T00:00:00Z' GIT_COMMITTER_DATE='2024-01-01T00:00:00Z'
	rm -rf repo && mkdir repo && cd repo || return 1
	git init -q -b main .
	for i in $(seq 1 150); do seq 1 "$i" > "f$i.txt"; done
	git add . && git commit -q -m first
	for i in $(seq 1 150 | awk 'NR % 3 == 0'); do echo "changed $i" >> "f$i.txt"; done
	git rm -q f1.txt && git add . && git commit -q -m second
	git log --stat --format='%H %s' | head -40
	git diff --stat HEAD~1 | tail -3
	git rev-list --count HEAD
	cd ..
}

gcc_run() {
	cat > prog.c <<'C'
#include <stdio.h>
#include <stdlib.h>
struct node { struct node *next; int v; };
static int sum(struct node *n) { int s = 0; for (; n; n = n->next) s += n->v; return s; }
int main(void) {
	struct node *h = NULL;
	for (int i = 0; i < 1000; i++) { struct node *n = malloc(sizeof(*n)); n->v = i; n->next = h; h = n; }
	printf("%d\n", sum(h));
	return 0;
}
C
	gcc -O2 -S -o prog.s prog.c && gcc -O2 -o prog prog.c && ./prog && sha256sum prog.s | cut -c1-16
}

pipeline_run() {
	seq 1 30000 | sort -r | awk '{ s += $1 % 7 } NR % 5000 == 0 { print NR, s }' | tr ' ' ':'
	seq 1 40 | xargs -n 4 sh -c 'echo $(( $1 + $2 + $3 + $4 ))' sh | sort -n | tail -3
}

case $scenario in
python) need python3 ;;
sqlite) need sqlite3 awk ;;
git) need git seq awk ;;
gcc) need gcc sha256sum ;;
pipeline) need seq sort awk xargs tr ;;
*) echo "real_programs.sh: scenario '$scenario' must be python, sqlite, git, gcc or pipeline"; exit 2 ;;
esac

"${scenario}_run" > glibc.out 2>&1 || { echo "$scenario failed under glibc:"; cat glibc.out; exit 1; }
SHEAFMALLOC_STATS=$work/stats.csv LD_PRELOAD=$lib "${scenario}_run" > sheaf.out 2>&1
status=$?
if [ $status -ne 0 ]; then
	echo "$scenario failed under $lib (status $status):"; cat sheaf.out; exit 1
fi
if ! cmp -s glibc.out sheaf.out; then
	echo "$scenario: output differs between glibc and $lib:"; diff glibc.out sheaf.out | head -20; exit 1
fi
procs=$(grep -c ',all,' stats.csv 2>/dev/null || echo 0)
if [ "$procs" -lt 1 ]; then
	echo "$scenario: no process wrote allocator statistics: the preload did not take"; exit 1
fi
progs=$(awk -F, 'NR > 1 && $5 == "all" { print $3 }' stats.csv | sort -u | tr '\n' ' ')
echo "$scenario: same output under glibc and sheaf; $procs processes on the library: $progs"
if [ "$scenario" = gcc ] && ! echo " $progs" | grep -q ' cc1 '; then
	echo "gcc: cc1 did not run on the library"; exit 1
fi
