#!/usr/bin/env bash
# The main command: builds sheafbench, shows the machine, runs the quick default
# study (interleaved, with repetitions), draws the plots and writes report.md,
# then prints the changelog block.
# Usage: scripts/run-study.sh [STUDY] [sheafbench study options...]   (default: quick)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
case "${1:-}" in -h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac

scripts/deps.sh
scripts/build.sh build
sb=build/bin/sheafbench

echo "== machine" >&2
"$sb" topo
echo "== core-to-core calibration" >&2
"$sb" c2c --samples 2000

study=${1:-quick}; [[ $# -gt 0 ]] && shift
out="results/$study-$(date +%Y%m%d-%H%M%S)"
echo "== study $study -> $out" >&2
"$sb" study "$study" --out "$out" "$@"
"$sb" plot "$out" --report
echo "== changelog block (also in $out/report.md)" >&2
"$sb" compare "$out"
echo "report: $out/report.md   plots: $out/plots/" >&2
