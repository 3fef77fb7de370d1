/* SPDX-License-Identifier: MIT */
/*
 * Layer 2: the page allocator (design.md section 2.2).
 *
 * One zone per node of the topology given to page_alloc_init().  A zone is a
 * buddy allocator over page runs of order 0..MAX_ORDER carved from mmap'ed
 * arenas that are bound to the node with mbind(MPOL_BIND) when the node is a
 * real node with memory.  On a synthetic topology node N is bound to the
 * machine's node N if that exists; a synthetic node beyond the machine's nodes
 * is left unbound (the kernel places its pages), and so is an arena whose
 * mbind() fails (page_zone_stats.bound says which).
 * Runs of order < pcp_orders (default: orders 0..3, as the kernel) go through per-CPU page
 * lists (pcp) in front of the zone.
 *
 * Contexts:
 *  - alloc_pages(), __free_pages(), free_pages(): normal context, may spin on
 *    the zone lock (taken through the build's acquisition pattern).
 *  - alloc_pages_nolock(), free_pages_nolock(): never spin, async-signal-safe
 *    (callable from a signal handler that interrupted the allocator).  The
 *    alloc takes order <= 3 only (else NULL, as the kernel's); a busy pcp
 *    list or a pcp refill whose zone trylock fails goes on to the buddy lists
 *    with a second zone trylock, then NULL.  Pages are not zeroed (the
 *    kernel's are).  The free defers the pages on a lock-free per-zone list
 *    that the next locked zone operation drains.
 *
 * The slab layer includes this header (sheafalloc.h re-exports the public
 * part).  Fields of struct page marked "slab" belong to the slab layer while
 * the run is allocated; the page allocator never reads them.
 */
#ifndef SB_PAGE_ALLOC_H
#define SB_PAGE_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lockpatterns.h"

struct sb_topology;

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))
#define MAX_ORDER	10			/* orders 0..MAX_ORDER inclusive */
#define MAX_ORDER_NR_PAGES (1UL << MAX_ORDER)
#define NUMA_NO_NODE	(-1)

/*
 * The lock kind of the allocator's locks is a compile-time choice, so the
 * lock path never dispatches at run time.  SB_ALLOC_LOCK(acquire) expands to
 * sb_qspin_acquire etc.; the slab layer may use the same macros for its
 * list_lock and barn lock so that one -DSB_ALLOC_LOCK_KIND=ticket switches all.
 */
#ifndef SB_ALLOC_LOCK_KIND
#define SB_ALLOC_LOCK_KIND qspin
#endif
#define SB_ALLOC_PASTE_(a, b, c)	a##b##c
#define SB_ALLOC_PASTE(a, b, c)		SB_ALLOC_PASTE_(a, b, c)
#define SB_ALLOC_LOCK(fn)	SB_ALLOC_PASTE(sb_, SB_ALLOC_LOCK_KIND, _##fn)
#define sb_alloc_lock_t		struct SB_ALLOC_PASTE(sb_, SB_ALLOC_LOCK_KIND, )

/* page->flags */
#define PG_buddy	(1U << 0)	/* head of a free run in the buddy lists */
#define PG_head		(1U << 1)	/* head of an allocated run */
#define PG_tail		(1U << 2)	/* tail page of an allocated run of order > 0 */
#define PG_pcp		(1U << 3)	/* on a per-CPU page list */
#define PG_deferred	(1U << 4)	/* on a zone's deferred (nolock) free list */

/*
 * Per-page metadata, one per 4 KiB page of every zone, in one array (mem_map)
 * indexed by the page's offset in the allocator's reserved address range, so
 * virt_to_page() is a subtraction and a shift.
 *
 * Invariants: a free run's head page has PG_buddy and its order and sits on
 * the zone's free_area[order] list; a page on a pcp list or on the deferred
 * list is not PG_buddy; an allocated run's head has PG_head and its order,
 * and each tail page of it has PG_tail and ->head pointing at the head.
 */
struct page {
	struct page *next;		/* free list / pcp list / deferred stack link */
	struct page *prev;		/* free list link (buddy lists only) */
	struct page *head;		/* allocated run: its head page (itself for the head) */
	uint32_t flags;			/* PG_* */
	uint8_t order;			/* order of the run this page heads */
	uint8_t pad_;
	uint16_t node;			/* zone (node) the page belongs to, fixed */
	void *slab;			/* slab: the slab using this run (on its head page; see virt_to_head_page) */
	unsigned long slab_data;	/* slab: free for the slab layer */
	void *slab_cache;		/* slab: the slab's cache, on every page of the run; NULL otherwise */
	unsigned long pad2_;		/* keep the struct at 64 bytes */
};

/* Configuration; a zero field takes its default. */
struct page_alloc_config {
	size_t arena_bytes;		/* growth step per zone, multiple of 4 MiB (default 64 MiB) */
	size_t node_limit_bytes;	/* max backing memory per zone, multiple of arena (default 1 GiB) */
	unsigned int pcp_batch;		/* pages moved per pcp refill/drain (default 31, or
					   pcp_high if that is set lower) */
	unsigned int pcp_high;		/* pcp drains a batch above this many pages (default 186) */
	unsigned int pcp_orders;	/* orders 0..pcp_orders-1 use pcp lists, 1..4 (default 4:
					   0..3 as the kernel does; 1: order 0 only) */
	double fail_probability;	/* fail_inject: arena growth fails with this p (default 0) */
	uint64_t fail_seed;		/* fail_inject: PRNG seed (0: a fixed default) */
};

/* Counters, per CPU in the allocator, summed by page_alloc_read_stats(). */
#define PAGE_ALLOC_STAT_ITEMS(X)					\
	X(pcp_hits)		/* allocs served by a pcp list, no refill */	\
	X(pcp_refills)		/* pcp refilled with a batch from the zone */	\
	X(pcp_drains)		/* pcp drained a batch to the zone */		\
	X(pcp_frees)		/* frees kept on a pcp list */			\
	X(pcp_trylock_fails)	/* pcp busy: went to the zone directly */	\
	X(zone_allocs)		/* runs taken from the buddy lists */		\
	X(zone_frees)		/* runs given back to the buddy lists */	\
	X(nolock_attempts)	/* alloc_pages_nolock calls */			\
	X(nolock_failures)	/* alloc_pages_nolock returned NULL */		\
	X(nolock_frees)		/* free_pages_nolock calls */			\
	X(deferred_queued)	/* runs pushed on a deferred list */		\
	X(deferred_drained)	/* runs taken off a deferred list into the buddy */ \
	X(alloc_failures)	/* any alloc that returned NULL */		\
	X(arena_growths)	/* arenas mapped */				\
	X(arena_failures)	/* arena growth failed (limit, mmap, injected) */

struct page_alloc_stats {
#define PAGE_ALLOC_STAT_FIELD(name) uint64_t name;
	PAGE_ALLOC_STAT_ITEMS(PAGE_ALLOC_STAT_FIELD)
#undef PAGE_ALLOC_STAT_FIELD
	uint64_t pages_free;		/* in the buddy lists, all zones */
	uint64_t pages_total;		/* backed by arenas, all zones */
	struct sb_lockstat zone_lock;	/* lock site: zone->lock */
	struct sb_lockstat pcp_lock;	/* lock site: per-CPU page list trylock */
};

struct page_zone_stats {
	uint64_t pages_free;		/* in the buddy lists */
	uint64_t pages_pcp;		/* on pcp lists (not counted free) */
	uint64_t pages_deferred;	/* on the deferred list (not counted free) */
	uint64_t pages_total;		/* backed by arenas */
	uint64_t nr_free[MAX_ORDER + 1];	/* free runs per order */
	bool bound;			/* arenas mbind()'ed to the node */
};

/* page_alloc.c: init/exit */
int page_alloc_init(const struct sb_topology *topo, const struct page_alloc_config *cfg);
					/* 0, or -EINVAL (bad config, one line on stderr) / -ENOMEM /
					   -EBUSY (already initialized); topo must outlive exit */
void page_alloc_exit(void);
const struct sb_topology *page_alloc_topology(void);
int page_alloc_nr_nodes(void);

/* page_alloc.c: normal context */
struct page *alloc_pages(int node, unsigned int order);	/* node NUMA_NO_NODE: current CPU's */
void __free_pages(struct page *page, unsigned int order);
void *get_free_pages(int node, unsigned int order);	/* page_address(alloc_pages()) or NULL */
void free_pages(const void *addr, unsigned int order);

/* page_alloc.c: never spin, async-signal-safe */
struct page *alloc_pages_nolock(int node, unsigned int order);
void free_pages_nolock(struct page *page, unsigned int order);

/*
 * page_alloc.c: metadata (valid for any address inside the allocator's arenas).
 * Inline because every kfree() starts with virt_to_page(): a call there costs
 * as much as the arithmetic.  page_map is set once by page_alloc_init().
 */
struct page_map {
	char *base;			/* node 0's range, MAX_ORDER_BYTES aligned */
	struct page *mem_map;		/* one struct page per page of the range */
};
extern struct page_map page_map __attribute__((visibility("hidden")));

static inline struct page *virt_to_page(const void *addr)
{
	return page_map.mem_map + (((uintptr_t)addr - (uintptr_t)page_map.base) >> PAGE_SHIFT);
}
static inline size_t page_to_pfn(const struct page *page)
{
	return (size_t)(page - page_map.mem_map);
}

static inline void *page_address(const struct page *page)
{
	return page_map.base + ((size_t)(page - page_map.mem_map) << PAGE_SHIFT);
}
bool page_alloc_owns(const void *addr);		/* addr inside a grown arena */
size_t page_alloc_nr_pages(void);		/* pages of the reserved range: pfns 0..n-1 */
static inline struct page *compound_head(struct page *page)
{
	return (page->flags & PG_tail) ? page->head : page;
}
static inline struct page *virt_to_head_page(const void *addr)
{
	return compound_head(virt_to_page(addr));
}
static inline int page_to_nid(const struct page *page)
{
	return page->node;
}

/* page_alloc.c: counters, draining, checks (for tests and workloads) */
void page_alloc_read_stats(struct page_alloc_stats *out);
void page_alloc_read_zone(int node, struct page_zone_stats *out);
void page_alloc_read_stats_cpu(int cpu, struct page_alloc_stats *out);
void page_alloc_drain_all(void);	/* all pcp lists and deferred lists to the buddy; normal ctx */
bool page_alloc_check_all_free(void);	/* drains, then every page free and fully merged; reports on stderr */
/* Test hooks: hold/release a zone's lock as a normal-context caller would. */
void page_alloc_zone_lock_for_test(int node);
void page_alloc_zone_unlock_for_test(int node);

/* fail_inject.c: make backing-memory acquisition fail with probability p */
void fail_inject_set(double probability, uint64_t seed);	/* p in [0,1]; resets every thread's PRNG */
double fail_inject_probability(void);
bool fail_inject_should_fail(void);	/* per-thread deterministic PRNG; async-signal-safe */

#endif /* SB_PAGE_ALLOC_H */
