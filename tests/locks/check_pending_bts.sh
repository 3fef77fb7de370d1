#!/bin/sh
# check_pending_bts.sh OBJDUMP BINARY - qspin sets PENDING with one `lock bts`
# (the kernel's x86 queued_fetch_set_pending_acquire()), not a load + `lock
# cmpxchg` retry loop whose retries the rmw counter would miss.
set -eu
objdump=$1 bin=$2
body=$("$objdump" -d --no-show-raw-insn "$bin" | awk '/<qspin_lock_slowpath>:$/ { on = 1; next } on && /^$/ { exit } on')
if [ -z "$body" ]; then
	echo "check_pending_bts: no qspin_lock_slowpath in $bin" >&2
	exit 1
fi
if ! printf '%s\n' "$body" | grep -Eq 'lock bts[lw]? +\$0x8,'; then
	echo "check_pending_bts: qspin_lock_slowpath sets PENDING without a lock bts" >&2
	exit 1
fi
echo "check_pending_bts: qspin_lock_slowpath sets PENDING with one lock bts: ok"
