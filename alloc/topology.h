/*
 * topology.h - layer 1: the machine's (or a synthetic) CPU topology.
 *
 * CPUs are numbered densely 0..nr_cpus-1 in hwloc's topology order (the
 * logical index of the PU), so that hyperthread siblings, then cores of one
 * L2/L3, then packages are neighbours.  The OS index is only for pinning.
 * A machine without NUMA objects counts as one node.
 */
#ifndef SB_TOPOLOGY_H
#define SB_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct sb_topology;

/*
 * synthetic == NULL: this machine, or $SHEAFBENCH_TOPOLOGY if it is set;
 * else an hwloc synthetic description like "pack:2 numa:2 core:4 pu:1".
 * Returns NULL and a one-line reason in err on failure.
 */
struct sb_topology *sb_topology_load(const char *synthetic, char *err, size_t errlen);
void sb_topology_free(struct sb_topology *);

int  sb_topology_nr_cpus(const struct sb_topology *);     /* logical CPUs 0..n-1 (dense) */
int  sb_topology_nr_nodes(const struct sb_topology *);
int  sb_topology_nr_packages(const struct sb_topology *);
int  sb_topology_nr_cores(const struct sb_topology *);
int  sb_topology_cpu_node(const struct sb_topology *, int cpu);  /* -1 if cpu out of range */
int  sb_topology_os_cpu(const struct sb_topology *, int cpu);    /* OS index, for pinning */
bool sb_topology_is_synthetic(const struct sb_topology *);

/*
 * Pin orders.  COMPACT fills PUs in topology order (siblings of one core, then
 * the cores of one node/package).  SCATTER spreads first: round-robin across
 * packages, then nodes, then cores, then siblings.
 */
enum sb_pin { SB_PIN_NONE, SB_PIN_COMPACT, SB_PIN_SCATTER, SB_PIN_LIST };

/*
 * Fill cpus[0..n-1] with logical CPUs in the given order, wrapping around when
 * n > nr_cpus (oversubscription).  SB_PIN_NONE fills -1 ("do not pin").
 * Returns n, or -1 for SB_PIN_LIST (the caller owns its list) or n < 0.
 */
int  sb_topology_pin_order(const struct sb_topology *, enum sb_pin, int *cpus, int n);

/* Packages, NUMA nodes, cores, PUs, cache levels and the CPUs sharing each. */
void sb_topology_describe(const struct sb_topology *, FILE *);

/*
 * The current CPU in the topology's numbering.  Tests on a synthetic topology
 * set a thread's virtual CPU; otherwise the OS CPU from sched_getcpu() mapped
 * to its logical number (mod nr_cpus on a synthetic topology).
 * Async-signal-safe: callable from the nmi workload's signal handler.
 */
void sb_set_virtual_cpu(int cpu);     /* -1 clears */
int  sb_current_cpu(const struct sb_topology *);

#endif /* SB_TOPOLOGY_H */
