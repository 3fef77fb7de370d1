#!/usr/bin/env bash
# Make sure the Debian packages sheafbench builds and runs with are present.
# As root, installs what is missing; otherwise names it and exits 2.
# Usage: scripts/deps.sh [--check]   (--check: never install, just report)
set -euo pipefail

# package -> why it is needed (kept in one list so the message names each one)
SB_PACKAGES=(
	"gcc:C compiler"
	"make:build tool"
	"cmake:build system"
	"pkg-config:finds hwloc"
	"libhwloc-dev:CPU and NUMA topology"
	"hwloc:lstopo for the machine description"
	"libnuma-dev:binding zone memory to nodes"
	"libpfm4-dev:hardware event names"
	"linux-perf:perf stat collection"
	"gnuplot-nox:plots"
	"libjemalloc-dev:comparison allocator"
	"libgoogle-perftools-dev:comparison allocator (tcmalloc)"
	"libmimalloc-dev:comparison allocator"
	"python3:real program for the preload tests"
	"sqlite3:real program for the preload tests"
	"git:real program for the preload tests"
)

missing=()
for entry in "${SB_PACKAGES[@]}"; do
	pkg=${entry%%:*}
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	[[ $status == "install ok installed" ]] || missing+=("$pkg")
done

[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ ${1:-} != --check && $(id -u) -eq 0 ]]; then
	echo "sheafbench: installing missing Debian packages: ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
	exit 0
fi

echo "sheafbench: missing Debian packages: ${missing[*]} (install as root: apt-get install ${missing[*]})" >&2
exit 2
