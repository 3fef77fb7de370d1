#!/bin/sh
# loop_disasm.sh OBJDUMP BINARY... - the disassembly of every measured lock loop
# (lock_loop_<kind>) and of the out-of-line lock slow paths, with addresses
# removed, so two builds can be diffed: the normal build's lock code must not
# change when the lock words' accesses move behind lockpatterns/lockmem.h.
set -eu
objdump=$1; shift
for bin in "$@"; do
	echo "== $(basename "$bin")"
	"$objdump" -d --no-show-raw-insn "$bin" |
	awk '/^[0-9a-f]+ <(lock_loop_[a-z]+|qspin_lock_slowpath)(\.[a-z]+)?>:$/ { on = 1; sub(/^[0-9a-f]+ /, ""); print; next }
	     on && /^$/ { on = 0; print; next }
	     on { sub(/^ *[0-9a-f]+:\t/, ""); gsub(/[0-9a-f]+ </, "<"); sub(/ *#.*$/, ""); print }'
done
