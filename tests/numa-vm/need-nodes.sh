#!/bin/sh
# need-nodes.sh MIN COMMAND [ARG...]: runs COMMAND on a kernel with at least MIN
# real NUMA nodes, without SHEAFBENCH_TOPOLOGY (the nodes are real there), with
# every argument "{nodes}" replaced by the number of nodes.  Fewer nodes: one
# line and exit 77, ctest's skip (run the label through scripts/numa-vm.sh).
min=$1; shift
nodes=$(ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | wc -l)
if [ "$nodes" -lt "$min" ]; then
	echo "skipped: needs $min NUMA nodes, the kernel has $nodes (run it through scripts/numa-vm.sh)"
	exit 77
fi
unset SHEAFBENCH_TOPOLOGY
for arg; do
	shift
	[ "$arg" = "{nodes}" ] && arg=$nodes
	set -- "$@" "$arg"
done
exec "$@"
