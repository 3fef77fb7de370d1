// SPDX-License-Identifier: MIT
/*
 * Several nodes on a one-node machine, through the synthetic topology
 * "pack:2 numa:2 core:2 pu:1" (4 nodes, 8 CPUs) and virtual CPUs: a local
 * allocation comes from the current CPU's node, an explicit one from the
 * node asked for, and a page freed on a CPU of another node goes back to its
 * own node's zone (via that CPU's list for the page's node), never to the
 * freeing CPU's node.  Arenas of nodes the machine really has are mbind()'ed;
 * synthetic nodes beyond them are not.
 */
#include <numa.h>
#include <numaif.h>

#include "page_test.h"

#define NR_LOCAL 100

static int cpu_on_node(const struct sb_topology *topo, int node)
{
	for (int cpu = 0; cpu < sb_topology_nr_cpus(topo); cpu++)
		if (sb_topology_cpu_node(topo, cpu) == node)
			return cpu;
	return -1;
}

static void zone_snapshot(int nr_nodes, struct page_zone_stats *zs)
{
	for (int node = 0; node < nr_nodes; node++)
		page_alloc_read_zone(node, &zs[node]);
}

/* Node 0's pages freed on a CPU of the last node land in node 0's zone. */
static void test_remote_free(const struct sb_topology *topo, int nr_nodes)
{
	int far = nr_nodes - 1, far_cpu = cpu_on_node(topo, far);
	struct page_zone_stats before[8], after[8];
	void *local[NR_LOCAL], *big;

	sb_set_virtual_cpu(cpu_on_node(topo, 0));
	for (int i = 0; i < NR_LOCAL; i++) {
		local[i] = get_free_pages(NUMA_NO_NODE, 0);
		CHECK_MSG(local[i] && page_to_nid(virt_to_page(local[i])) == 0, "local page %d", i);
	}
	big = get_free_pages(NUMA_NO_NODE, 3);
	CHECK_MSG(big && page_to_nid(virt_to_page(big)) == 0, "local order-3 run");

	sb_set_virtual_cpu(far_cpu);
	zone_snapshot(nr_nodes, before);
	for (int i = 0; i < NR_LOCAL; i++)
		free_pages(local[i], 0);
	free_pages(big, 3);
	zone_snapshot(nr_nodes, after);
	CHECK_MSG(after[0].pages_pcp + after[0].pages_free ==
	      before[0].pages_pcp + before[0].pages_free + NR_LOCAL + 8,
	      "node 0 got its %d pages back", NR_LOCAL + 8);
	CHECK_MSG(after[0].pages_free >= before[0].pages_free + 8, "order-3 run in node 0's zone");
	for (int node = 1; node < nr_nodes; node++)
		CHECK_MSG(after[node].pages_pcp == before[node].pages_pcp &&
		      after[node].pages_free == before[node].pages_free &&
		      after[node].pages_total == before[node].pages_total,
		      "node %d untouched by node 0's frees", node);
	CHECK_MSG(page_alloc_check_all_free(), "all free after remote frees");
}

/* An explicit node wins over the current CPU's node, for every order path. */
static void test_explicit_nodes(int nr_nodes)
{
	sb_set_virtual_cpu(0);
	for (int node = 0; node < nr_nodes; node++) {
		for (unsigned int order = 0; order <= 4; order += 4) {
			struct page *page = alloc_pages(node, order);

			CHECK_MSG(page && page_to_nid(page) == node, "node %d order %u", node, order);
			CHECK_MSG(page_alloc_owns(page_address(page)), "owned");
			__free_pages(page, order);
			/* nolock: order <= 3 only, as the kernel's */
			CHECK_MSG(order <= 3 || !alloc_pages_nolock(node, order), "nolock order %u", order);
			page = alloc_pages_nolock(node, order < 3 ? order : 3);
			CHECK_MSG(page && page_to_nid(page) == node, "nolock node %d order %u", node, order);
			free_pages_nolock(page, order < 3 ? order : 3);
		}
	}
	CHECK_MSG(page_alloc_check_all_free(), "all free after explicit nodes");
}

/* Real nodes with memory are bound (MPOL_BIND on the arena), the others not. */
static void test_binding(int nr_nodes)
{
	for (int node = 0; node < nr_nodes; node++) {
		bool real = numa_available() >= 0 && node <= numa_max_node();
		struct page_zone_stats zs;
		struct page *page = alloc_pages(node, 0);
		int mode = -1;

		CHECK_MSG(page, "alloc on node %d", node);
		page_alloc_read_zone(node, &zs);
		if (!real)
			CHECK_MSG(!zs.bound, "synthetic node %d must not be bound", node);
		CHECK_MSG(get_mempolicy(&mode, NULL, 0, page_address(page), MPOL_F_ADDR) == 0,
		      "get_mempolicy");
		CHECK_MSG(zs.bound ? mode == MPOL_BIND : mode != MPOL_BIND,
		      "node %d: bound %d, policy %d", node, zs.bound, mode);
		printf("page_numa: node %d: %s, %s\n", node, real ? "real" : "synthetic",
		       zs.bound ? "bound" : "not bound");
		__free_pages(page, 0);
	}
}

int main(void)
{
	struct page_alloc_config cfg = {
		.arena_bytes = 4UL << 20,
		.node_limit_bytes = 8UL << 20,
		.pcp_orders = 1,	/* order > 0 straight to the zone */
	};
	struct sb_topology *topo;
	int nr_nodes;

	alarm(20);
	topo = page_test_start("pack:2 numa:2 core:2 pu:1", &cfg);
	nr_nodes = page_alloc_nr_nodes();
	CHECK_MSG(nr_nodes == 4 && nr_nodes <= 8, "4 nodes, got %d", nr_nodes);
	test_remote_free(topo, nr_nodes);
	test_explicit_nodes(nr_nodes);
	test_binding(nr_nodes);
	CHECK_MSG(page_alloc_check_all_free(), "all free at the end");
	page_test_stop(topo);
	printf("page_numa: ok\n");
	return 0;
}
