#!/bin/sh
# bad_free.sh BAD_FREE LIB CASE: run `BAD_FREE CASE` with LIB preloaded; it must
# abort with exactly one line on stderr that names the pointer it printed.
set -u
prog=$1 lib=$2 case=$3
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
LD_PRELOAD=$lib "$prog" "$case" >"$out" 2>"$err"
status=$?
# the shell's own "Aborted" note about the child is not the library's line
grep -v '^Aborted' "$err" > "$err.lib"; mv "$err.lib" "$err"
ptr=$(head -n1 "$out")
if [ "$status" -ne 134 ]; then
	echo "bad_free $case: expected an abort (status 134), got $status"; cat "$err"; exit 1
fi
if [ "$status" -eq 0 ]; then
	echo "bad_free $case: the bad free was not caught (exit 0)"; exit 1
fi
if [ -z "$ptr" ] || ! grep -q -- "$ptr" "$err"; then
	echo "bad_free $case: stderr does not name $ptr:"; cat "$err"; exit 1
fi
if [ "$(wc -l <"$err")" -ne 1 ]; then
	echo "bad_free $case: more than one line on stderr:"; cat "$err"; exit 1
fi
echo "bad_free $case: caught: $(cat "$err")"
