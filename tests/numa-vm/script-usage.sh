#!/bin/sh
# script-usage.sh NUMA_VM_SH: every bad invocation of scripts/numa-vm.sh gives
# exactly one line on stderr naming the option, nothing on stdout, exit 2,
# before anything is installed or booted.
script=$1
fail=0
check() {	# check NEEDLE ARGS...: bad invocation whose one line contains NEEDLE
	needle=$1; shift
	out=$("$script" "$@" 2>/tmp/numa-vm-usage.$$); rc=$?
	err=$(cat /tmp/numa-vm-usage.$$)
	lines=$(printf '%s\n' "$err" | wc -l)
	if [ $rc -ne 2 ] || [ -n "$out" ] || [ "$lines" -ne 1 ] || ! printf '%s' "$err" | grep -q -- "$needle"; then
		echo "FAIL: numa-vm.sh $*: exit $rc, stdout '$out', stderr '$err' (want exit 2, one line with '$needle')"
		fail=1
	fi
}
check --nodes --nodes 9 -- true
check --nodes --nodes two -- true
check --cpus --nodes 2 --cpus 3 -- true
check --mem --mem 100 -- true
check --mem --nodes 4 --mem 130 -- true
check --timeout --timeout 0 -- true
check --timeout --timeout
check --accel --accel xen -- true
check --rw --rw /nonexistent/dir -- true
check --frobnicate --frobnicate -- true
check COMMAND --nodes 2
check COMMAND --nodes 2 --
rm -f /tmp/numa-vm-usage.$$
"$script" --help | grep -q -- '--nodes' || { echo "FAIL: --help does not list --nodes"; fail=1; }
exit $fail
