// SPDX-License-Identifier: MIT
/*
 * Failure injection: with arena growth failing at p = 0.1 allocations return
 * NULL (never crash), every page that was handed out comes back, the same
 * seed fails at the same points, and the allocator recovers at p = 0.
 */
#include "page_test.h"

#define ARENA	(4UL << 20)
#define LIMIT	(32UL << 20)
#define MAX_RUNS 8192

struct fill_result {
	unsigned long nulls;
	uint64_t null_hash;		/* which attempts failed, for determinism */
	uint64_t arena_failures;
};

/* Allocate (orders 0 and 8 alternating) until every arena is grown, free all. */
static struct fill_result fill_and_free(double p, uint64_t seed)
{
	struct page_alloc_config cfg = {
		.arena_bytes = ARENA, .node_limit_bytes = LIMIT,
		.fail_probability = p, .fail_seed = seed,
	};
	static struct { void *addr; unsigned int order; } runs[MAX_RUNS];
	struct sb_topology *topo = page_test_start("pack:1 numa:1 core:1 pu:1", &cfg);
	struct fill_result r = { 0 };
	struct page_alloc_stats st;
	unsigned long n = 0;

	sb_set_virtual_cpu(0);
	for (unsigned long i = 0; n < MAX_RUNS; i++) {
		unsigned int order = i % 2 ? 8 : 0;
		void *addr = get_free_pages(0, order);

		page_alloc_read_stats(&st);
		if (!addr) {
			r.nulls++;
			r.null_hash = r.null_hash * 31 + i;
			continue;
		}
		page_test_fill(addr, order, n);
		runs[n].addr = addr;
		runs[n++].order = order;
		if (st.pages_total == LIMIT / PAGE_SIZE && st.pages_free < 256)
			break;
	}
	for (unsigned long i = 0; i < n; i++) {
		CHECK_MSG(page_test_verify(runs[i].addr, runs[i].order, i), "run %lu", i);
		free_pages(runs[i].addr, runs[i].order);
	}
	CHECK_MSG(page_alloc_check_all_free(), "all free (p=%g seed %lu)", p, (unsigned long)seed);
	page_alloc_read_stats(&st);
	CHECK_MSG(st.pages_total == LIMIT / PAGE_SIZE, "all arenas grown");
	CHECK_MSG(st.arena_failures >= r.nulls, "%lu NULLs but %lu arena failures", r.nulls,
	      (unsigned long)st.arena_failures);
	r.arena_failures = st.arena_failures;
	page_test_stop(topo);
	return r;
}

/* p = 1: nothing can be mapped; p = 0 again: the same allocator recovers. */
static void test_recover(void)
{
	struct page_alloc_config cfg = {
		.arena_bytes = ARENA, .node_limit_bytes = LIMIT, .fail_probability = 1,
	};
	struct sb_topology *topo = page_test_start("pack:1 numa:1 core:1 pu:1", &cfg);
	struct page *page;

	sb_set_virtual_cpu(0);
	CHECK_MSG(fail_inject_probability() == 1, "probability reads back");
	for (unsigned int order = 0; order <= MAX_ORDER; order++) {
		CHECK_MSG(alloc_pages(0, order) == NULL, "p=1: order %u", order);
		CHECK_MSG(alloc_pages_nolock(0, order) == NULL, "p=1 nolock: order %u", order);
	}
	fail_inject_set(0, 0);
	page = alloc_pages(0, 0);
	CHECK_MSG(page, "p=0 recovers");
	__free_pages(page, 0);
	CHECK_MSG(page_alloc_check_all_free(), "all free after recovery");
	page_test_stop(topo);
}

int main(void)
{
	unsigned long nulls = 0;
	struct fill_result first, again;

	alarm(120);	/* hang check only: 30 s were not enough under TSan at load 30 */
	for (uint64_t seed = 1; seed <= 8; seed++) {
		struct fill_result r = fill_and_free(0.1, seed);

		nulls += r.nulls;
		if (seed == 1)
			first = r;
	}
	CHECK_MSG(nulls > 0, "p=0.1 produced no NULL over 8 fills");
	again = fill_and_free(0.1, 1);
	CHECK_MSG(again.nulls == first.nulls && again.null_hash == first.null_hash,
	      "same seed, same failures (%lu vs %lu)", again.nulls, first.nulls);
	CHECK_MSG(fill_and_free(0, 1).nulls == 0, "p=0: no NULL");
	test_recover();
	printf("page_fail_inject: ok: %lu NULLs over 8 fills at p=0.1\n", nulls);
	return 0;
}
