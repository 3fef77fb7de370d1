#!/usr/bin/env bash
# The test command: builds every configuration and runs the whole ctest suite in
# each.  Usage: scripts/run-tests.sh [--fast]
#   default : plain (-Wall -Wextra, warnings fail the build), ASan+UBSan, TSan
#   --fast  : the plain configuration only
# Build trees: build-test, build-asan, build-tsan beside the source tree.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

configs=(plain asan tsan)
case "${1:-}" in
	"") ;;
	--fast) configs=(plain) ;;
	-h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "run-tests.sh: '$1' is not an option (allowed: --fast, --help)" >&2; exit 2 ;;
esac

scripts/deps.sh || exit $?

passed=0 failed=0 status=0
for cfg in "${configs[@]}"; do
	case $cfg in
		plain) dir=build-test; args=() ;;
		asan)  dir=build-asan; args=(-DSB_SANITIZE=asan) ;;
		tsan)  dir=build-tsan; args=(-DSB_SANITIZE=tsan) ;;
	esac
	echo "== $cfg: building $dir" >&2
	if ! scripts/build.sh "$dir" "${args[@]}"; then
		status=1; failed=$((failed + 1)); continue
	fi
	echo "== $cfg: ctest" >&2
	log="$dir/ctest.log"
	(cd "$dir" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j2 --timeout 300) 2>&1 | tee "$log"
	[[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
	# "100% tests passed, 0 tests failed out of 42"
	line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -n 1)
	if [[ -n $line ]]; then
		total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
		nfail=$(sed -E 's/.* ([0-9]+) tests failed.*/\1/' <<<"$line")
		passed=$((passed + total - nfail)); failed=$((failed + nfail))
	else
		status=1; failed=$((failed + 1))
	fi
done
echo "tests (${configs[*]}): $passed passed, $failed failed"
exit $status
