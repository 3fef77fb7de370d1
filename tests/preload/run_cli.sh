#!/bin/sh
# run_cli.sh SHEAFBENCH: `sheafbench run` options - bad input is one line and
# exit 2; every allocator whose library is installed runs a command and
# reports a csv row (counters only for sheaf).
set -u
sb=$1
fail=0
err=$(mktemp)
trap 'rm -f "$err"' EXIT

bad() {	# expect exit 2 and exactly one line on stderr
	"$sb" run "$@" >/dev/null 2>"$err"
	status=$?
	if [ $status -ne 2 ] || [ "$(wc -l <"$err")" -ne 1 ]; then
		echo "run $*: want exit 2 and one line, got $status:"; cat "$err"; fail=1
	fi
}
bad --allocator nosuch -- true
bad --pattern nosuch -- true
bad --nmi-hz -5 -- true
bad --allocator glibc --nmi-hz 100 -- true
bad --format xml -- true
bad --frobnicate -- true
bad --
bad -- /nonexistent/program

for a in sheaf glibc jemalloc tcmalloc mimalloc; do
	out=$("$sb" run --allocator "$a" --format csv -- sh -c 'ls / >/dev/null' 2>"$err")
	status=$?
	if [ $status -eq 2 ] && grep -q "install the Debian package\|is missing (build target" "$err"; then
		echo "$a: not installed or not built (sanitizer builds), skipped"; continue
	fi
	row=$(echo "$out" | awk -F, '/^workload,/ { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$1 == "run" { print $c["allocator"], $c["processes"], $c["allocs"] }')
	case $a in
	sheaf) echo "$row" | grep -Eq '^sheaf [1-9][0-9]* [1-9]' || { echo "sheaf: bad row '$row'"; fail=1; } ;;
	*) [ "$row" = "$a 0 n/a" ] || { echo "$a: bad row '$row'"; fail=1; } ;;
	esac
done
exit $fail
