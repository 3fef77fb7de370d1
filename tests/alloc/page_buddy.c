// SPDX-License-Identifier: MIT
/*
 * Buddy allocator correctness, one thread: splitting and merging leave the
 * free lists exactly as they started, every page of the zone can be handed
 * out once and only once, and metadata lookups find the run's head.
 */
#include <errno.h>

#include "page_test.h"

#define ARENA	(4UL << 20)		/* one max-order run per arena */
#define LIMIT	(2 * ARENA)
#define NR_PAGES (LIMIT / PAGE_SIZE)

static void expect_free_runs(const unsigned long *want, const char *when)
{
	struct page_zone_stats zs;

	page_alloc_read_zone(0, &zs);
	for (int o = 0; o <= MAX_ORDER; o++)
		CHECK_MSG(zs.nr_free[o] == want[o], "%s: order %d has %lu free runs, want %lu",
		      when, o, (unsigned long)zs.nr_free[o], want[o]);
}

/* An order-1 request splits one max-order run: one free run at each order 1..9. */
static void test_split_and_merge(void)
{
	unsigned long initial[MAX_ORDER + 1] = { [MAX_ORDER] = 2 };
	unsigned long split[MAX_ORDER + 1] = { [MAX_ORDER] = 1 };
	struct page *a, *b;

	/* Grow both arenas first so the initial state is two max-order runs. */
	a = alloc_pages(0, MAX_ORDER);
	b = alloc_pages(0, MAX_ORDER);
	CHECK_MSG(a && b && a != b, "two max-order runs");
	__free_pages(a, MAX_ORDER);
	__free_pages(b, MAX_ORDER);
	expect_free_runs(initial, "after growth");

	a = alloc_pages(0, 1);
	CHECK_MSG(a, "order-1 alloc");
	for (int o = 1; o < MAX_ORDER; o++)
		split[o] = 1;
	expect_free_runs(split, "after one split");
	b = alloc_pages(0, 1);
	CHECK_MSG(b == a + 2, "the second order-1 run is the first one's buddy");
	CHECK_MSG((char *)page_address(b) == (char *)page_address(a) + 2 * PAGE_SIZE,
	      "buddy address");
	__free_pages(a, 1);
	__free_pages(b, 1);
	expect_free_runs(initial, "after merging back");
	CHECK_MSG(page_alloc_check_all_free(), "all free after split/merge");
}

static void test_metadata(void)
{
	struct page *page = alloc_pages(0, 3);
	char *addr;

	CHECK_MSG(page, "order-3 alloc");
	addr = page_address(page);
	CHECK_MSG(virt_to_page(addr) == page, "virt_to_page(page_address(page))");
	CHECK_MSG(virt_to_head_page(addr + 5 * PAGE_SIZE + 17) == page, "tail finds its head");
	CHECK_MSG(page_alloc_owns(addr + 8 * PAGE_SIZE - 1), "owns the last byte");
	CHECK_MSG(!page_alloc_owns(&page), "does not own the stack");
	CHECK_MSG(page_to_nid(page) == 0, "node 0");
	CHECK_MSG(((uintptr_t)addr & (8 * PAGE_SIZE - 1)) == 0, "an order-3 run is 32 KiB aligned");
	free_pages(addr, 3);
}

/* Every page is inside the zone and no page was handed out twice. */
static void check_distinct(void *const *pages, unsigned long n, char *seen)
{
	uintptr_t lo = UINTPTR_MAX;

	for (unsigned long i = 0; i < n; i++) {
		CHECK_MSG(page_alloc_owns(pages[i]), "page %lu owned", i);
		CHECK_MSG(page_test_verify(pages[i], 0, i), "contents of page %lu", i);
		if ((uintptr_t)pages[i] < lo)
			lo = (uintptr_t)pages[i];
	}
	for (unsigned long i = 0; i < n; i++) {
		unsigned long off = ((uintptr_t)pages[i] - lo) / PAGE_SIZE;

		CHECK_MSG(off < NR_PAGES && !seen[off], "page %lu handed out twice", i);
		seen[off] = 1;
	}
}

/* Every order-0 page once: the zone hands out exactly NR_PAGES distinct pages. */
static void test_exhaust_order0(void)
{
	static void *pages[NR_PAGES + 1];
	struct page_alloc_stats st;
	unsigned long n = 0;
	uint64_t rnd = 42;
	char *seen = calloc(NR_PAGES, 1);

	CHECK_MSG(seen, "calloc");
	while (n <= NR_PAGES && (pages[n] = get_free_pages(NUMA_NO_NODE, 0)))
		page_test_fill(pages[n], 0, n), n++;
	CHECK_MSG(n == NR_PAGES, "got %lu pages of %lu", n, NR_PAGES);
	check_distinct(pages, n, seen);
	page_alloc_read_stats(&st);
	CHECK_MSG(st.alloc_failures >= 1, "the allocation past the limit failed");
	/* free in a shuffled order */
	for (unsigned long i = n - 1; i > 0; i--) {
		unsigned long j = page_test_rand(&rnd) % (i + 1);
		void *t = pages[i];

		pages[i] = pages[j];
		pages[j] = t;
	}
	for (unsigned long i = 0; i < n; i++)
		free_pages(pages[i], 0);
	free(seen);
	CHECK_MSG(page_alloc_check_all_free(), "all free after the order-0 exhaust");
}

/* Random orders until the zone is full, then free in random order. */
static void test_mixed_orders(void)
{
	struct { void *addr; unsigned int order; } runs[NR_PAGES];
	unsigned long n = 0, pages = 0;
	uint64_t rnd = 7;
	int misses = 0;

	while (misses < 64) {
		unsigned int order = page_test_rand(&rnd) % 5;

		runs[n].addr = get_free_pages(0, order);
		if (!runs[n].addr) {
			misses++;
			continue;
		}
		runs[n].order = order;
		page_test_fill(runs[n].addr, order, n);
		pages += 1UL << order;
		n++;
	}
	CHECK_MSG(pages > NR_PAGES - 16 * 32, "zone nearly full: %lu of %lu pages", pages, NR_PAGES);
	while (n) {
		unsigned long i = page_test_rand(&rnd) % n;

		CHECK_MSG(page_test_verify(runs[i].addr, runs[i].order, i), "contents of run %lu", i);
		free_pages(runs[i].addr, runs[i].order);
		runs[i] = runs[--n];
		/* keep the tag of the moved run equal to its new index */
		if (i < n)
			page_test_fill(runs[i].addr, runs[i].order, i);
	}
	CHECK_MSG(page_alloc_check_all_free(), "all free after mixed orders");
}

/* pcp_orders 4: order 1..3 runs are cached per CPU as order-0 pages are. */
static void test_pcp_orders(void)
{
	struct page_alloc_config cfg = {
		.arena_bytes = ARENA, .node_limit_bytes = LIMIT, .pcp_orders = 4, .pcp_batch = 16,
	};
	struct sb_topology *topo = page_test_start("pack:1 numa:1 core:1 pu:1", &cfg);
	struct page_zone_stats zs;
	struct page_alloc_stats st;
	struct page *run[4], *big;

	sb_set_virtual_cpu(0);
	for (unsigned int order = 0; order < 4; order++) {
		run[order] = alloc_pages(0, order);
		CHECK_MSG(run[order] && compound_head(run[order] + (1U << order) - 1) == run[order],
		      "order %u from the pcp", order);
	}
	page_alloc_read_zone(0, &zs);
	/* each refill took 16 pages' worth of runs of its order, one run of each went out */
	CHECK_MSG(zs.pages_pcp == 4 * 16 - (1 + 2 + 4 + 8), "pcp holds %lu pages",
	      (unsigned long)zs.pages_pcp);
	big = alloc_pages(0, 4);
	CHECK_MSG(big, "order 4");
	__free_pages(big, 4);
	for (unsigned int order = 0; order < 4; order++)
		__free_pages(run[order], order);
	page_alloc_read_stats(&st);
	CHECK_MSG(st.pcp_refills == 4 && st.pcp_frees == 4, "order 4 bypasses the pcp: "
	      "refills %lu, frees %lu", (unsigned long)st.pcp_refills, (unsigned long)st.pcp_frees);
	page_alloc_read_zone(0, &zs);
	CHECK_MSG(zs.pages_pcp == 4 * 16, "pcp holds %lu pages", (unsigned long)zs.pages_pcp);
	page_alloc_drain_all();
	page_alloc_read_zone(0, &zs);
	CHECK_MSG(zs.pages_pcp == 0 && zs.pages_free == zs.pages_total, "drained");
	CHECK_MSG(page_alloc_check_all_free(), "all free after pcp orders");
	page_test_stop(topo);
}

/* Rejected configurations leave the allocator uninitialized (and say why on stderr). */
static void test_bad_config(void)
{
	static const struct page_alloc_config bad[] = {
		{ .arena_bytes = 3UL << 20 },
		{ .arena_bytes = 8UL << 20, .node_limit_bytes = 12UL << 20 },
		{ .pcp_batch = 64, .pcp_high = 32 },
		{ .fail_probability = 1.5 },
		{ .pcp_orders = 5 },
	};
	struct page_alloc_config high_only = { .arena_bytes = ARENA, .pcp_high = 8 };
	char err[256];
	struct sb_topology *topo = sb_topology_load("pack:1 numa:1 core:1 pu:1", err, sizeof(err));

	CHECK_MSG(topo, "topology: %s", err);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_MSG(page_alloc_init(topo, &bad[i]) == -EINVAL, "bad config %zu accepted", i);
	CHECK_MSG(page_alloc_init(topo, &high_only) == 0, "pcp_high alone lowers the default batch");
	page_alloc_exit();
	sb_topology_free(topo);
}

int main(void)
{
	struct page_alloc_config cfg = {
		.arena_bytes = ARENA,
		.node_limit_bytes = LIMIT,
		.pcp_orders = 1,	/* order > 0 straight to the buddy lists */
	};
	struct sb_topology *topo;

	alarm(30);
	topo = page_test_start("pack:1 numa:1 core:2 pu:1", &cfg);
	sb_set_virtual_cpu(0);
	CHECK_MSG(page_alloc_init(topo, &cfg) == -EBUSY, "a second init is refused");
	CHECK_MSG(alloc_pages(0, MAX_ORDER + 1) == NULL, "order above MAX_ORDER");
	CHECK_MSG(alloc_pages(1, 0) == NULL, "node beyond the topology");
	test_split_and_merge();
	test_metadata();
	test_exhaust_order0();
	test_mixed_orders();
	page_test_stop(topo);
	test_pcp_orders();
	test_bad_config();
	printf("page_buddy: ok\n");
	return 0;
}
