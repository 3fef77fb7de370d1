#!/bin/sh
# `cmake --install` gives a prefix from which sheafbench runs with no source
# tree in sight: the workers are found beside it, studies and plot templates
# under PREFIX/share/sheafbench.  A study named by name must come from there.
# usage: install_test.sh CMAKE BUILD_DIR FIXTURE PATTERN...
set -eu
cmake=$1 build=$2 fixture=$3
shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "install_test: $*" >&2; exit 1; }

"$cmake" --install "$build" --prefix "$tmp/p" >"$tmp/install.log" 2>&1 ||
	fail "cmake --install failed: $(tail -3 "$tmp/install.log")"
prefix=$(cd "$tmp/p" && pwd -P)
sb=$prefix/bin/sheafbench
for p in "$@"; do
	[ -x "$prefix/bin/sheafbench-$p" ] || fail "no worker bin/sheafbench-$p"
done
[ -f "$prefix/share/sheafbench/studies/quick.study" ] || fail "no studies installed"
[ -f "$prefix/share/sheafbench/plots/vs_threads.gp" ] || fail "no plot templates installed"

cd /
unset SHEAFBENCH_PLOTS_DIR SHEAFBENCH_STUDY_TEST_EXE
set +e
"$sb" study no-such-study >/dev/null 2>"$tmp/e"; rc=$?
set -e
[ $rc -eq 2 ] || fail "unknown study: exit $rc, not 2"
grep -q "in $prefix/share/sheafbench/studies (allowed: .*quick" "$tmp/e" ||
	fail "unknown study not looked up in the prefix: $(cat "$tmp/e")"
"$sb" plot --help | grep -q "else $prefix/share/sheafbench/plots" ||
	fail "plot templates not taken from the prefix: $("$sb" plot --help | grep Templates)"

# A one-run study, found by name in the prefix, run through the installed workers.
printf 'name inst\nreps 1\nduration 20ms\nseed 1\nrun lock kind=tas pattern=%s threads=1 no-c2c\n' \
	"$1" >"$prefix/share/sheafbench/studies/inst.study"
"$sb" study inst --out "$tmp/r" >/dev/null 2>"$tmp/study.err" ||
	fail "study from the prefix failed: $(cat "$tmp/study.err")"
grep -q "\"study_file\": \"$prefix/share/sheafbench/studies/inst.study\"" "$tmp/r/meta.json" ||
	fail "meta.json does not name the installed study"
[ "$(wc -l <"$tmp/r/runs.csv")" -eq 2 ] || fail "runs.csv: $(cat "$tmp/r/runs.csv")"
cp -r "$fixture" "$tmp/fx"
"$sb" compare "$tmp/fx" >"$tmp/cmp" || fail "compare on the fixture failed"
grep -q "sb/ttl" "$tmp/cmp" || fail "compare printed no ratio: $(head -5 "$tmp/cmp")"
if command -v gnuplot >/dev/null; then
	"$sb" plot "$tmp/fx" 2>"$tmp/plot.err" || fail "plot from the prefix: $(cat "$tmp/plot.err")"
fi
"$sb" report "$tmp/fx" >/dev/null 2>&1 || fail "report from the prefix failed"
[ -s "$tmp/fx/report.md" ] || fail "no report.md"
echo "install_test: ok ($prefix)"
