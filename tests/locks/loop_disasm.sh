#!/bin/sh
# loop_disasm.sh OBJDUMP BINARY... - the disassembly of every measured lock loop
# (lock_loop_<kind>) and of the out-of-line lock slow paths, with addresses
# and RIP-relative distances replaced by the symbol they reach, so two builds
# can be diffed: the normal build's lock code must not change when the lock
# words' accesses move behind lockpatterns/lockmem.h.  A binary that also holds
# the traced copy (workloads/lock/loop_traced.c) lists each loop twice, the
# normal one first (link order).
set -eu
objdump=$1; shift
for bin in "$@"; do
	echo "== $(basename "$bin")"
	"$objdump" -d --no-show-raw-insn "$bin" |
	awk '/^[0-9a-f]+ <(lock_loop_[a-z]+|qspin_lock_slowpath)(\.[a-z]+)?>:$/ { on = 1; sub(/^[0-9a-f]+ /, ""); print; next }
	     on && /^$/ { on = 0; print; next }
	     on { sub(/^ *[0-9a-f]+:\t/, "")
		  # a RIP-relative operand: keep the symbol it names, not the distance
		  if (match($0, /# [0-9a-f]+ <[^>+]*/)) {
			sym = substr($0, RSTART, RLENGTH); sub(/^# [0-9a-f]+ /, "", sym)
			sub(/ *#.*$/, ""); sub(/-?0x[0-9a-f]+\(%rip\)/, sym ">(%rip)")
		  }
		  gsub(/[0-9a-f]+ </, "<"); sub(/ *#.*$/, ""); print }'
done
