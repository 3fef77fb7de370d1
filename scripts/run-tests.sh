#!/usr/bin/env bash
# The test command: builds every configuration and runs the whole ctest suite in
# each.  Usage: scripts/run-tests.sh [--fast]
#   default : plain (-Wall -Wextra, warnings fail the build), ASan+UBSan, TSan;
#             the plain build's numa-vm label (tests that need real NUMA nodes)
#             also runs in a 2-node and a 4-node QEMU guest (scripts/numa-vm.sh)
#   --fast  : the plain configuration only, guests included
# Build trees: build-test, build-asan, build-tsan beside the source tree.
# A guest that cannot boot here (no QEMU TCG, packages missing and not root)
# is reported as skipped, never counted as passed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

configs=(plain asan tsan)
case "${1:-}" in
	"") ;;
	--fast) configs=(plain) ;;
	-h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "run-tests.sh: '$1' is not an option (allowed: --fast, --help)" >&2; exit 2 ;;
esac

scripts/deps.sh || exit $?

passed=0 failed=0 skipped=0 status=0
ran=()

# Adds the counts of a ctest log ("100% tests passed, 0 tests failed out of 42";
# skipped tests are listed as "(Skipped)").  $2 = guest: a skip is a failure
# there, since the guest has the nodes the tests need.
count_log() {
	local log=$1 where=${2:-} line total nfail nskip
	line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -n 1)
	if [[ -z $line ]]; then
		status=1; failed=$((failed + 1)); return
	fi
	total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
	nfail=$(sed -E 's/.* ([0-9]+) tests failed.*/\1/' <<<"$line")
	nskip=$(grep -c '(Skipped)$' "$log")
	if [[ $where == guest ]]; then
		nfail=$((nfail + nskip))
		[[ $nskip -gt 0 ]] && status=1
	else
		skipped=$((skipped + nskip))
	fi
	passed=$((passed + total - nfail - nskip)); failed=$((failed + nfail))
}

# The numa-vm label of build tree $1 in a guest with $2 nodes.  -j1: the tests
# run a thread per vCPU, and more threads than vCPUs stall FIFO locks for whole
# host time slices under TCG.
vm_ctest() {
	local dir=$1 nodes=$2 log="$1/ctest-numa-vm-$2.log" rc
	echo "== $cfg: ctest -L numa-vm in a $nodes-node guest" >&2
	(cd "$dir" && "$top/scripts/numa-vm.sh" --nodes "$nodes" --timeout 900 -- \
		ctest -L numa-vm --output-on-failure -j1 --timeout 300) 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	ran+=("numa-vm-$nodes")
	if [[ $rc -eq 77 ]]; then
		skipped=$((skipped + 1))
		return
	fi
	[[ $rc -eq 0 ]] || status=1
	count_log "$log" guest
}

for cfg in "${configs[@]}"; do
	case $cfg in
		plain) dir=build-test; args=() ;;
		asan)  dir=build-asan; args=(-DSB_SANITIZE=asan) ;;
		tsan)  dir=build-tsan; args=(-DSB_SANITIZE=tsan) ;;
	esac
	ran+=("$cfg")
	echo "== $cfg: building $dir" >&2
	if ! scripts/build.sh "$dir" "${args[@]}"; then
		status=1; failed=$((failed + 1)); continue
	fi
	echo "== $cfg: ctest" >&2
	log="$dir/ctest.log"
	# numa-vm tests would only skip on this kernel; they run in guests below.
	(cd "$dir" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j2 --timeout 300 -LE numa-vm) 2>&1 | tee "$log"
	[[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
	count_log "$log"
	if [[ $cfg == plain ]]; then
		vm_ctest "$dir" 2
		vm_ctest "$dir" 4
	fi
done
summary="tests (${ran[*]}): $passed passed, $failed failed"
[[ $skipped -gt 0 ]] && summary+=", $skipped skipped"
echo "$summary"
exit $status
