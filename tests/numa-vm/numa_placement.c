// SPDX-License-Identifier: MIT
/*
 * numa_placement - where the allocator's memory really is, on a kernel with
 * real NUMA nodes (run it through scripts/numa-vm.sh; on a one-node kernel
 * mbind() to another node is a no-op, so nothing here could fail there):
 *  - hwloc's CPU -> node map is the kernel's;
 *  - a cache's objects for node n (kmem_cache_alloc_node, and plain allocs
 *    on a CPU of n) sit on pages of node n;
 *  - kmalloc_node(size, n) is on node n for every bucket and for page runs;
 *  - alloc_pages() and alloc_pages_nolock() for node n give node n's pages,
 *    from a zone whose arenas are bound to n, behind a lock of its own;
 *  - objects freed on a CPU of another node go back to their own node's
 *    slab (counted as free_remote), not into the freeing CPU's sheaf.
 * Where a page is comes from move_pages() with no target nodes.  Exits 77
 * (ctest's skip) with one line when the kernel has fewer than two nodes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <sched.h>
#include <stdint.h>

#include "check.h"
#include "sheafalloc.h"

#define SKIP_STATUS	77
#define NR_OBJS		200		/* more than a slab and a sheaf of 256 B */
#define NR_REMOTE	64		/* a sheaf of 64 B objects holds 60 */

static const size_t kmalloc_sizes[] = {
	8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192,
	16384, 100000, 1 << 20,		/* page runs above the largest bucket */
};

/* Node of the page holding addr (faulted in first), or -errno. */
static int page_node(const void *addr)
{
	void *page = (void *)((uintptr_t)addr & ~(uintptr_t)(PAGE_SIZE - 1));
	int status = -1;

	*(volatile char *)addr = *(volatile char *)addr;
	if (move_pages(0, 1, &page, NULL, &status, 0))
		return -errno;
	return status;
}

/* Every page of [p, p + len) is on node; one line per range that is not. */
static void expect_on_node(const void *p, size_t len, int node, const char *what, size_t size)
{
	uintptr_t start = (uintptr_t)p, end = start + len, first_off = 0;
	size_t nr_pages = 0, nr_wrong = 0;
	int first_got = 0;

	for (uintptr_t a = start; a < end; a = (a & PAGE_MASK) + PAGE_SIZE) {
		int got = page_node((const void *)a);

		nr_pages++;
		if (got != node && !nr_wrong++) {
			first_off = a - start;
			first_got = got;
		}
	}
	EXPECT_MSG(!nr_wrong, "%s (size %zu) at %p: %zu of %zu pages not on node %d "
		   "(+%lu is on %d)", what, size, p, nr_wrong, nr_pages, node,
		   (unsigned long)first_off,
		   first_got);
}

/* Runs the calling thread on a CPU of node from now on; returns that CPU. */
static int pin_to_node(const struct sb_topology *topo, int node)
{
	cpu_set_t set;

	for (int cpu = 0; cpu < sb_topology_nr_cpus(topo); cpu++) {
		if (sb_topology_cpu_node(topo, cpu) != node)
			continue;
		CPU_ZERO(&set);
		CPU_SET(sb_topology_os_cpu(topo, cpu), &set);
		CHECK(sched_setaffinity(0, sizeof(set), &set) == 0);
		CHECK(sched_getcpu() == sb_topology_os_cpu(topo, cpu));
		return cpu;
	}
	CHECK_MSG(0, "no CPU on node %d", node);
	return -1;
}

static void check_topology(const struct sb_topology *topo, int nr_nodes)
{
	CHECK_MSG(!sb_topology_is_synthetic(topo), "the topology must be this machine's");
	CHECK_EQ(nr_nodes, numa_max_node() + 1);
	for (int cpu = 0; cpu < sb_topology_nr_cpus(topo); cpu++)
		EXPECT_MSG(sb_topology_cpu_node(topo, cpu) ==
			   numa_node_of_cpu(sb_topology_os_cpu(topo, cpu)),
			   "CPU %d: hwloc says node %d, the kernel %d", cpu,
			   sb_topology_cpu_node(topo, cpu),
			   numa_node_of_cpu(sb_topology_os_cpu(topo, cpu)));
}

/* Objects asked for node n, from a CPU of node 0 and from one of n itself. */
static void check_cache_nodes(const struct sb_topology *topo, int nr_nodes)
{
	struct kmem_cache *s = kmem_cache_create("numa_placement", 256, 0, 0);
	void *objs[NR_OBJS];

	CHECK(s);
	for (int node = 0; node < nr_nodes; node++) {
		pin_to_node(topo, 0);
		for (int i = 0; i < NR_OBJS; i++) {
			objs[i] = kmem_cache_alloc_node(s, GFP_KERNEL, node);
			CHECK(objs[i]);
			expect_on_node(objs[i], 256, node, "kmem_cache_alloc_node", 256);
		}
		for (int i = 0; i < NR_OBJS; i++)
			kmem_cache_free(s, objs[i]);
		pin_to_node(topo, node);
		for (int i = 0; i < NR_OBJS; i++) {
			objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
			CHECK(objs[i]);
			expect_on_node(objs[i], 256, node, "local kmem_cache_alloc", 256);
		}
		for (int i = 0; i < NR_OBJS; i++)
			kmem_cache_free(s, objs[i]);
	}
	CHECK_EQ(kmem_cache_destroy(s), 0);
}

static void check_kmalloc_node(const struct sb_topology *topo, int nr_nodes)
{
	pin_to_node(topo, 0);
	for (size_t i = 0; i < sizeof(kmalloc_sizes) / sizeof(kmalloc_sizes[0]); i++) {
		size_t size = kmalloc_sizes[i];

		for (int node = 0; node < nr_nodes; node++) {
			char *p = kmalloc_node(size, GFP_KERNEL, node);

			CHECK_MSG(p, "kmalloc_node(%zu, %d)", size, node);
			memset(p, 0x5a, size);
			expect_on_node(p, size, node, "kmalloc_node", size);
			kfree(p);
		}
	}
}

static void check_pages(const struct sb_topology *topo, int nr_nodes)
{
	pin_to_node(topo, 0);
	for (int node = 0; node < nr_nodes; node++) {
		for (unsigned int order = 0; order <= 3; order += 3) {
			size_t len = PAGE_SIZE << order;
			struct page_zone_stats zs;
			struct page *page = alloc_pages(node, order);

			CHECK(page && page_to_nid(page) == node);
			expect_on_node(page_address(page), len, node, "alloc_pages", len);
			__free_pages(page, order);
			page = alloc_pages_nolock(node, order);
			CHECK_MSG(page, "alloc_pages_nolock(%d, %u) with no contention", node, order);
			EXPECT(page_to_nid(page) == node);
			expect_on_node(page_address(page), len, node, "alloc_pages_nolock", len);
			free_pages_nolock(page, order);
			page_alloc_read_zone(node, &zs);
			EXPECT_MSG(zs.bound, "node %d's zone arenas are not mbind()'ed", node);
		}
	}
}

/*
 * Zone locks are per node: with node n's zone lock held, alloc_pages_nolock()
 * of an order the per-CPU lists do not serve (main() keeps them to order 0)
 * fails on n and succeeds, on its own node, everywhere else.
 */
static void check_zone_locks(const struct sb_topology *topo, int nr_nodes)
{
	const unsigned int order = 3;	/* nolock's largest; above pcp_orders 1: zone only */

	pin_to_node(topo, 0);
	for (int held = 0; held < nr_nodes; held++) {
		page_alloc_zone_lock_for_test(held);
		for (int node = 0; node < nr_nodes; node++) {
			struct page *page = alloc_pages_nolock(node, order);

			if (node == held) {
				EXPECT_MSG(!page, "alloc_pages_nolock(%d) with its zone locked", node);
			} else {
				EXPECT_MSG(page && page_to_nid(page) == node,
					   "alloc_pages_nolock(%d) with only node %d's zone locked",
					   node, held);
			}
			if (page)
				free_pages_nolock(page, order);
		}
		page_alloc_zone_unlock_for_test(held);
	}
}

/* Node 0's objects freed on a CPU of the last node: all to node 0's slabs. */
static void check_remote_free(const struct sb_topology *topo, int nr_nodes)
{
	struct kmem_cache *s = kmem_cache_create("numa_remote", 64, 0, 0);
	struct sheafalloc_stats before, after;
	struct kmem_cache_info ib, ia;
	void *objs[NR_REMOTE];

	CHECK(s);
	pin_to_node(topo, 0);
	for (int i = 0; i < NR_REMOTE; i++) {
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
		CHECK(objs[i]);
		expect_on_node(objs[i], 64, 0, "object to free remotely", 64);
	}
	pin_to_node(topo, nr_nodes - 1);
	kmem_cache_stats_read(s, &before);
	kmem_cache_info_read(s, &ib);
	for (int i = 0; i < NR_REMOTE; i++)
		kmem_cache_free(s, objs[i]);
	kmem_cache_stats_read(s, &after);
	kmem_cache_info_read(s, &ia);
	EXPECT_MSG(after.free_remote - before.free_remote == NR_REMOTE,
		   "free_remote grew by %llu, want %d",
		   (unsigned long long)(after.free_remote - before.free_remote), NR_REMOTE);
	EXPECT_MSG(after.free_fastpath == before.free_fastpath,
		   "%llu remote frees went into the freeing CPU's sheaf",
		   (unsigned long long)(after.free_fastpath - before.free_fastpath));
	EXPECT(ia.objects_in_sheaves == ib.objects_in_sheaves);
	EXPECT(ib.objects_allocated - ia.objects_allocated == NR_REMOTE);
	CHECK_EQ(kmem_cache_destroy(s), 0);
}

int main(void)
{
	struct sheafalloc_config cfg;
	const struct sb_topology *topo;
	int nr_nodes;

	alarm(120);
	if (numa_available() < 0 || numa_max_node() < 1) {
		printf("numa_placement: skipped: the kernel has one NUMA node "
		       "(run it through scripts/numa-vm.sh)\n");
		return SKIP_STATUS;
	}
	unsetenv("SHEAFBENCH_TOPOLOGY");	/* the real nodes, not a synthetic view */
	sheafalloc_config_init(&cfg);
	cfg.page.pcp_orders = 1;	/* order > 0 straight to the zone: check_zone_locks */
	CHECK(sheafalloc_init(&cfg) == 0);
	topo = sheafalloc_topology();
	nr_nodes = sb_topology_nr_nodes(topo);
	check_topology(topo, nr_nodes);
	check_cache_nodes(topo, nr_nodes);
	check_kmalloc_node(topo, nr_nodes);
	check_pages(topo, nr_nodes);
	check_zone_locks(topo, nr_nodes);
	check_remote_free(topo, nr_nodes);
	CHECK(sheafalloc_exit() == 0);
	printf("numa_placement: %d nodes: %s\n", nr_nodes, check_failures ? "FAILED" : "ok");
	return check_report();
}
