#!/bin/sh
# localize_pattern.sh IN.o OUT.o SUFFIX
# Keeps only the pattern-suffixed public names of a relocatable allocator object
# global (kmalloc_ttl, ...): hidden symbols and every other global definition
# (the page allocator's, the shared lock registry) become local, so two pattern
# builds link into one program, each with its own private layers.
set -e
in=$1 out=$2 suffix=$3
list=$out.localize
nm -g --defined-only "$in" | awk '{print $3}' | grep -v -- "$suffix\$" > "$list" || true
objcopy --localize-hidden --localize-symbols="$list" "$in" "$out"
