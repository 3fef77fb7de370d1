#!/usr/bin/env bash
# Configure and build one configuration.  Usage: scripts/build.sh BUILD_DIR [cmake args...]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$1; shift
cmake -S "$top" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >"$dir.configure.log" 2>&1 ||
	{ cat "$dir.configure.log" >&2; echo "sheafbench: cmake configure failed for $dir" >&2; exit 1; }
cmake --build "$dir" -j"$(nproc)" >"$dir.build.log" 2>&1 ||
	{ tail -n 60 "$dir.build.log" >&2; echo "sheafbench: build failed for $dir (full log: $dir.build.log)" >&2; exit 1; }
if grep -q 'warning:' "$dir.build.log"; then
	grep 'warning:' "$dir.build.log" >&2
	echo "sheafbench: the build of $dir has warnings (above)" >&2
	exit 1
fi
