// SPDX-License-Identifier: MIT
/*
 * Layer 2: the page allocator.  See page_alloc.h for the contexts and the
 * struct page invariants.
 *
 * Address space: page_alloc_init() reserves (PROT_NONE) node_limit_bytes of
 * address space per node in one range, and one mem_map array covering it, so
 * virt_to_page() is arithmetic.  A zone grows by making the next arena of its
 * range readable/writable and binding it to the node; arenas are never given
 * back before page_alloc_exit().
 *
 * Locks: zone->lock is SB_ALLOC_LOCK_KIND taken through the build's pattern
 * (SB_ALLOC_LOCK(acquire)); a pcp list has a lock that is only ever tried, as
 * the kernel's local_trylock: whoever finds it busy (another thread on the
 * same CPU, or a signal handler that interrupted its holder) goes to the zone.
 * Lock order: pcp lock, then zone lock.
 */
#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "page_alloc.h"
#include "topology.h"

#define DEFAULT_ARENA_BYTES	(64UL << 20)
#define DEFAULT_NODE_LIMIT	(1UL << 30)
#define DEFAULT_PCP_BATCH	31
#define DEFAULT_PCP_HIGH	186
#define MAX_ORDER_BYTES		(MAX_ORDER_NR_PAGES * PAGE_SIZE)
#define CACHELINE		64
#define PCP_MAX_ORDERS		4	/* orders 0..3 at most, as the kernel's costly order */
#define NOLOCK_MAX_ORDER	3	/* alloc_pages_nolock(): PAGE_ALLOC_COSTLY_ORDER at most */

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)

enum page_alloc_stat_item {
#define PAGE_ALLOC_STAT_ENUM(name) STAT_##name,
	PAGE_ALLOC_STAT_ITEMS(PAGE_ALLOC_STAT_ENUM)
#undef PAGE_ALLOC_STAT_ENUM
	NR_PAGE_ALLOC_STATS
};

struct zone {
	sb_alloc_lock_t lock;
	struct page free_area[MAX_ORDER + 1];	/* list sentinels, under lock */
	unsigned long nr_free[MAX_ORDER + 1];	/* runs per order, under lock */
	unsigned long pages_free;		/* under lock, read racily */
	unsigned long pages_grown;		/* under lock, read racily */
	struct page *map;			/* first struct page of the zone */
	char *start;				/* first byte of the zone's range */
	int node;
	bool bound;				/* arenas mbind()'ed to the node */
	/* Own line: pushed to without the lock by nolock frees. */
	_Alignas(CACHELINE) struct page *deferred;	/* Treiber stack via page->next */
	unsigned long pages_deferred;		/* atomic */
};

/* The local_trylock of a pcp list: a flag, only ever tried. */
struct pcp_lock {
	int locked;
	int last_cpu;			/* for acq_bounces, as lock_stat counts them */
};

struct per_cpu_pages {
	struct pcp_lock lock;
	unsigned int count;		/* pages on all lists; under lock, read racily */
	struct page *lists[PCP_MAX_ORDERS];	/* per order, LIFO via page->next, under lock */
} __attribute__((aligned(CACHELINE)));

/* Counters of one CPU; plain (relaxed) adds by whoever runs there. */
struct page_pcpu {
	uint64_t stat[NR_PAGE_ALLOC_STATS];
	struct sb_lockstat zone_lock;
	struct sb_lockstat pcp_lock;
} __attribute__((aligned(CACHELINE)));

_Static_assert(sizeof(struct page) == 64, "struct page is one cache line");

static struct page_alloc {
	const struct sb_topology *topo;
	int nr_nodes;
	int nr_cpus;
	size_t arena_pages;
	size_t node_pages;		/* reserved pages per node */
	unsigned int pcp_batch;
	unsigned int pcp_high;
	unsigned int pcp_orders;	/* orders below this go through pcp lists */
	void *reserve;			/* the mapping base lives in */
	size_t reserve_len;
	size_t mem_map_len;
	struct zone *zones;		/* [nr_nodes] */
	struct per_cpu_pages *pcp;	/* [nr_cpus][nr_nodes] */
	struct page_pcpu *pcpu;		/* [nr_cpus] */
} pa;

/* base and mem_map, outside pa so that virt_to_page() can be inline. */
struct page_map page_map;

/*
 * Queue node for zone->lock, separate from any the slab layer holds.  The lock
 * registers it on first queueing; a thread-exit destructor unregisters it.
 */
static __thread struct sb_qnode zone_qnode __attribute__((tls_model("initial-exec")));
static __thread bool zone_qnode_tracked __attribute__((tls_model("initial-exec")));
static pthread_key_t zone_qnode_key;
static pthread_once_t zone_qnode_once = PTHREAD_ONCE_INIT;

/* --- counters ----------------------------------------------------------- */

static void stat_add(int cpu, enum page_alloc_stat_item item, uint64_t n)
{
	uint64_t *c = &pa.pcpu[cpu].stat[item];

	/* Not an RMW: a count lost to a migration or a signal is acceptable. */
	WRITE_ONCE(*c, READ_ONCE(*c) + n);
}

static void stat_inc(int cpu, enum page_alloc_stat_item item)
{
	stat_add(cpu, item, 1);
}

static void lockstat_inc(uint64_t *c)
{
	WRITE_ONCE(*c, READ_ONCE(*c) + 1);
}

/* --- page flags ---------------------------------------------------------- */

/*
 * Flags are read by the merge loop for a buddy that may be changing hands on
 * a pcp list at the same moment; relaxed atomics make that race explicit.
 * Only PG_buddy matters to the merge, and it only changes under zone->lock.
 */
static uint32_t page_flags(const struct page *page)
{
	return READ_ONCE(page->flags);
}

static void set_page_flags(struct page *page, uint32_t flags)
{
	WRITE_ONCE(page->flags, flags);
}

static bool page_is_buddy(const struct page *page, unsigned int order)
{
	return (page_flags(page) & PG_buddy) && page->order == order;
}

static unsigned long zone_page_idx(const struct zone *z, const struct page *page)
{
	return (unsigned long)(page - z->map);
}

static struct zone *page_zone(const struct page *page)
{
	return &pa.zones[page->node];
}

static int this_cpu(void)
{
	return sb_current_cpu(pa.topo);
}

/* --- buddy lists (zone->lock held) --------------------------------------- */

static void free_list_add(struct zone *z, struct page *page, unsigned int order)
{
	struct page *head = &z->free_area[order];

	page->order = order;
	set_page_flags(page, PG_buddy);
	page->next = head->next;
	page->prev = head;
	head->next->prev = page;
	head->next = page;
	WRITE_ONCE(z->nr_free[order], z->nr_free[order] + 1);
}

static void free_list_del(struct zone *z, struct page *page, unsigned int order)
{
	page->prev->next = page->next;
	page->next->prev = page->prev;
	page->next = page->prev = NULL;
	set_page_flags(page, 0);
	WRITE_ONCE(z->nr_free[order], z->nr_free[order] - 1);
}

/* Give a run back, merging with its free buddies as far as they go. */
static void __free_one(struct zone *z, struct page *page, unsigned int order)
{
	unsigned long idx = zone_page_idx(z, page);
	unsigned long pages = 1UL << order;

	while (order < MAX_ORDER) {
		unsigned long buddy_idx = idx ^ (1UL << order);
		struct page *buddy = z->map + buddy_idx;

		if (buddy_idx >= z->pages_grown || !page_is_buddy(buddy, order))
			break;
		free_list_del(z, buddy, order);
		idx &= ~(1UL << order);
		order++;
	}
	free_list_add(z, z->map + idx, order);
	WRITE_ONCE(z->pages_free, z->pages_free + pages);
}

/* Take the first run of at least @order and split it down to @order. */
static struct page *__rmqueue_smallest(struct zone *z, unsigned int order)
{
	unsigned int o;

	for (o = order; o <= MAX_ORDER; o++) {
		struct page *page = z->free_area[o].next;

		if (page == &z->free_area[o])
			continue;
		free_list_del(z, page, o);
		while (o > order) {
			o--;
			free_list_add(z, page + (1UL << o), o);
		}
		WRITE_ONCE(z->pages_free, z->pages_free - (1UL << order));
		return page;
	}
	return NULL;
}

/* --- arenas (zone->lock held) -------------------------------------------- */

static void zone_bind_arena(struct zone *z, char *addr, size_t len)
{
	unsigned long mask[(1024 + 8 * sizeof(long) - 1) / (8 * sizeof(long))] = { 0 };
	unsigned long bits = 8 * sizeof(long);

	mask[z->node / bits] |= 1UL << (z->node % bits);
	/* A failed mbind (no permission, node offline) leaves the arena unbound. */
	if (mbind(addr, len, MPOL_BIND, mask, sizeof(mask) * 8, 0) != 0)
		WRITE_ONCE(z->bound, false);
}

/*
 * Map the next arena of the zone's range.  Syscalls only (mprotect, mbind),
 * no malloc, so a nolock caller holding the zone lock by trylock may grow too.
 */
static bool zone_grow(struct zone *z, int cpu)
{
	size_t len = pa.arena_pages * PAGE_SIZE;
	char *addr = z->start + z->pages_grown * PAGE_SIZE;
	unsigned long first = z->pages_grown, i;

	if (z->pages_grown + pa.arena_pages > pa.node_pages || fail_inject_should_fail() ||
	    mprotect(addr, len, PROT_READ | PROT_WRITE) != 0) {
		stat_inc(cpu, STAT_arena_failures);
		return false;
	}
	if (z->bound)
		zone_bind_arena(z, addr, len);
	for (i = first; i < first + pa.arena_pages; i++)
		z->map[i].node = (uint16_t)z->node;
	WRITE_ONCE(z->pages_grown, z->pages_grown + pa.arena_pages);
	for (i = first; i < first + pa.arena_pages; i += MAX_ORDER_NR_PAGES)
		__free_one(z, z->map + i, MAX_ORDER);
	stat_inc(cpu, STAT_arena_growths);
	return true;
}

static struct page *__rmqueue(struct zone *z, unsigned int order, int cpu)
{
	struct page *page = __rmqueue_smallest(z, order);

	if (unlikely(!page) && zone_grow(z, cpu))
		page = __rmqueue_smallest(z, order);
	if (page)
		stat_inc(cpu, STAT_zone_allocs);
	return page;
}

/* --- the zone lock and the deferred list --------------------------------- */

static void deferred_push(struct zone *z, struct page *page, unsigned int order, int cpu)
{
	struct page *first = sb_lm_load(&z->deferred, __ATOMIC_RELAXED);

	page->order = order;
	set_page_flags(page, PG_deferred);
	/* Counted before it is visible, so the drainer's subtraction never underflows. */
	__atomic_fetch_add(&z->pages_deferred, 1UL << order, __ATOMIC_RELAXED);
	/*
	 * Lock-free push.  No ABA: nobody pops single entries; the lock holder
	 * takes the whole list with one exchange.
	 */
	do {
		page->next = first;
	} while (!sb_lm_cmpxchg(&z->deferred, &first, page, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
	stat_inc(cpu, STAT_deferred_queued);
}

/* zone->lock held.  Intentionally racy peek first: the list is mostly empty. */
static void zone_drain_deferred(struct zone *z, int cpu)
{
	struct page *page;

	if (likely(!sb_lm_load(&z->deferred, __ATOMIC_RELAXED)))
		return;
	page = sb_lm_xchg(&z->deferred, NULL, __ATOMIC_ACQUIRE);
	while (page) {
		struct page *next = page->next;
		unsigned int order = page->order;

		__atomic_fetch_sub(&z->pages_deferred, 1UL << order, __ATOMIC_RELAXED);
		__free_one(z, page, order);
		stat_inc(cpu, STAT_zone_frees);
		stat_inc(cpu, STAT_deferred_drained);
		page = next;
	}
}

static void zone_qnode_exit(void *qnode)
{
	sb_qnode_fini(qnode);
}

static void zone_qnode_key_create(void)
{
	if (pthread_key_create(&zone_qnode_key, zone_qnode_exit))
		zone_qnode_key = (pthread_key_t)-1;
}

/* Normal context only (pthread_setspecific is not async-signal-safe). */
static void zone_qnode_track(void)
{
	if (zone_qnode_key != (pthread_key_t)-1)
		pthread_setspecific(zone_qnode_key, &zone_qnode);
	zone_qnode_tracked = true;
}

static struct sb_lockctx zone_lockctx(int cpu)
{
	return (struct sb_lockctx){
		.st = &pa.pcpu[cpu].zone_lock,
		.qnode = &zone_qnode,
		.cpu = cpu,
	};
}

/*
 * The lock path counts into a private sb_lockstat, folded into the CPU's shared
 * one afterwards: another thread may be counting on the same CPU number.
 */
static bool zone_lock_acquire(struct zone *z, bool nolock, struct sb_lockctx *ctx)
{
	struct sb_lockstat *shared = ctx->st, st = { 0 };
	bool locked;

	ctx->st = &st;
	locked = SB_ALLOC_LOCK(acquire)(&z->lock, nolock, ctx);
	ctx->st = shared;
	sb_lockstat_fold_shared(shared, &st);
	return locked;
}

static void zone_unlock(struct zone *z, struct sb_lockctx *ctx)
{
	struct sb_lockstat *shared = ctx->st, st = { 0 };

	ctx->st = &st;
	SB_ALLOC_LOCK(release)(&z->lock, ctx);
	ctx->st = shared;
	sb_lockstat_fold_shared(shared, &st);
}

/* Takes zone->lock (only tries when nolock) and drains the deferred frees. */
static bool zone_lock(struct zone *z, bool nolock, struct sb_lockctx *ctx)
{
	if (unlikely(!zone_qnode_tracked) && !nolock)
		zone_qnode_track();
	if (!zone_lock_acquire(z, nolock, ctx))
		return false;
	zone_drain_deferred(z, ctx->cpu);
	return true;
}

static struct page *rmqueue_zone(struct zone *z, unsigned int order, bool nolock, int cpu)
{
	struct sb_lockctx ctx = zone_lockctx(cpu);
	struct page *page;

	if (!zone_lock(z, nolock, &ctx))
		return NULL;
	page = __rmqueue(z, order, cpu);
	zone_unlock(z, &ctx);
	return page;
}

static void free_to_zone(struct zone *z, struct page *page, unsigned int order,
			 bool nolock, int cpu)
{
	struct sb_lockctx ctx = zone_lockctx(cpu);

	if (!zone_lock(z, nolock, &ctx)) {
		deferred_push(z, page, order, cpu);
		return;
	}
	__free_one(z, page, order);
	stat_inc(cpu, STAT_zone_frees);
	zone_unlock(z, &ctx);
}

/* --- per-CPU page lists --------------------------------------------------- */

static struct per_cpu_pages *pcp_of(int cpu, int node)
{
	return &pa.pcp[(size_t)cpu * pa.nr_nodes + node];
}

static bool pcp_trylock(struct per_cpu_pages *pcp, int cpu)
{
	struct sb_lockstat *st = &pa.pcpu[cpu].pcp_lock;
	int unlocked = 0;

	lockstat_inc(&st->trylock_attempts);
	lockstat_inc(&st->test_reads);
	if (READ_ONCE(pcp->lock.locked))
		goto busy;
	lockstat_inc(&st->rmw);
	if (!__atomic_compare_exchange_n(&pcp->lock.locked, &unlocked, 1, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		goto busy;
	lockstat_inc(&st->acquisitions);
	if (pcp->lock.last_cpu != cpu) {
		if (pcp->lock.last_cpu >= 0)
			lockstat_inc(&st->acq_bounces);
		pcp->lock.last_cpu = cpu;
	}
	return true;
busy:
	lockstat_inc(&st->trylock_failures);
	return false;
}

static void pcp_unlock(struct per_cpu_pages *pcp)
{
	__atomic_store_n(&pcp->lock.locked, 0, __ATOMIC_RELEASE);
}

static void pcp_push(struct per_cpu_pages *pcp, struct page *page, unsigned int order)
{
	page->order = order;
	set_page_flags(page, PG_pcp);
	page->next = pcp->lists[order];
	pcp->lists[order] = page;
	WRITE_ONCE(pcp->count, pcp->count + (1U << order));
}

static struct page *pcp_pop(struct per_cpu_pages *pcp, unsigned int order)
{
	struct page *page = pcp->lists[order];

	pcp->lists[order] = page->next;
	WRITE_ONCE(pcp->count, pcp->count - (1U << order));
	return page;
}

/* pcp lock held.  Moves about a batch of pages, as runs of @order, from the zone. */
static bool pcp_refill(struct zone *z, struct per_cpu_pages *pcp, unsigned int order,
		       bool nolock, int cpu)
{
	struct sb_lockctx ctx = zone_lockctx(cpu);
	unsigned int runs = pa.pcp_batch >> order, i;

	if (!zone_lock(z, nolock, &ctx))
		return false;
	for (i = 0; i < (runs ? runs : 1); i++) {
		struct page *page = __rmqueue(z, order, cpu);

		if (!page)
			break;
		pcp_push(pcp, page, order);
	}
	zone_unlock(z, &ctx);
	if (i)
		stat_inc(cpu, STAT_pcp_refills);
	return i > 0;
}

/*
 * pcp lock held.  Gives at least @n pages (or all) back to the zone, lowest
 * orders first; false if the zone lock was busy.
 */
static bool pcp_drain(struct zone *z, struct per_cpu_pages *pcp, unsigned int n,
		      bool nolock, int cpu)
{
	struct sb_lockctx ctx = zone_lockctx(cpu);
	unsigned int freed = 0;

	if (!zone_lock(z, nolock, &ctx))
		return false;
	for (unsigned int o = 0; o < PCP_MAX_ORDERS && freed < n; o++) {
		while (freed < n && pcp->lists[o]) {
			__free_one(z, pcp_pop(pcp, o), o);
			stat_inc(cpu, STAT_zone_frees);
			freed += 1U << o;
		}
	}
	zone_unlock(z, &ctx);
	stat_inc(cpu, STAT_pcp_drains);
	return true;
}

enum pcp_result { PCP_OK, PCP_BUSY, PCP_EMPTY };

static enum pcp_result rmqueue_pcp(struct zone *z, unsigned int order, int cpu, bool nolock,
				   struct page **out)
{
	struct per_cpu_pages *pcp = pcp_of(cpu, z->node);

	if (unlikely(!pcp_trylock(pcp, cpu))) {
		stat_inc(cpu, STAT_pcp_trylock_fails);
		return PCP_BUSY;
	}
	if (likely(pcp->lists[order])) {
		stat_inc(cpu, STAT_pcp_hits);
	} else if (!pcp_refill(z, pcp, order, nolock, cpu)) {
		pcp_unlock(pcp);
		return PCP_EMPTY;
	}
	*out = pcp_pop(pcp, order);
	pcp_unlock(pcp);
	return PCP_OK;
}

static bool free_to_pcp(struct zone *z, struct page *page, unsigned int order, bool nolock,
			int cpu)
{
	struct per_cpu_pages *pcp = pcp_of(cpu, z->node);

	if (unlikely(!pcp_trylock(pcp, cpu))) {
		stat_inc(cpu, STAT_pcp_trylock_fails);
		return false;
	}
	pcp_push(pcp, page, order);
	stat_inc(cpu, STAT_pcp_frees);
	/* A nolock caller that finds the zone busy leaves the list above high. */
	if (unlikely(pcp->count > pa.pcp_high))
		pcp_drain(z, pcp, pa.pcp_batch, nolock, cpu);
	pcp_unlock(pcp);
	return true;
}

/* --- alloc and free -------------------------------------------------------- */

static void prep_new_page(struct page *page, unsigned int order)
{
	unsigned long i;

	page->order = order;
	page->head = page;
	page->slab = NULL;
	set_page_flags(page, PG_head);
	for (i = 1; i < (1UL << order); i++) {
		page[i].head = page;
		set_page_flags(page + i, PG_tail);
	}
}

static _Noreturn void bad_page(const struct page *page, unsigned int order, const char *why)
{
	fprintf(stderr, "page_alloc: bad page %p (addr %p) order %u flags %#x page order %u: %s\n",
		(const void *)page, page_address(page), order, page_flags(page),
		page->order, why);
	abort();
}

static struct page *__alloc_pages(int node, unsigned int order, bool nolock)
{
	int cpu = this_cpu();
	struct page *page = NULL;
	struct zone *z;

	if (nolock)
		stat_inc(cpu, STAT_nolock_attempts);
	if (node == NUMA_NO_NODE)
		node = sb_topology_cpu_node(pa.topo, cpu);
	if (unlikely(order > MAX_ORDER || node < 0 || node >= pa.nr_nodes))
		goto fail;
	if (nolock && order > NOLOCK_MAX_ORDER)
		goto fail;
	z = &pa.zones[node];
	/* As the kernel's rmqueue(): the pcp list, else the buddy lists (a second zone trylock). */
	if (order < pa.pcp_orders && rmqueue_pcp(z, order, cpu, nolock, &page) == PCP_OK)
		goto out;
	page = rmqueue_zone(z, order, nolock, cpu);
out:
	if (likely(page)) {
		prep_new_page(page, order);
		return page;
	}
fail:
	stat_inc(cpu, STAT_alloc_failures);
	if (nolock)
		stat_inc(cpu, STAT_nolock_failures);
	return NULL;
}

static void __free_pages_ctx(struct page *page, unsigned int order, bool nolock)
{
	int cpu = this_cpu();
	struct zone *z;

	if (unlikely(!(page_flags(page) & PG_head) || page->order != order))
		bad_page(page, order, "not the head of an allocated run of this order");
	if (nolock)
		stat_inc(cpu, STAT_nolock_frees);
	z = page_zone(page);
	set_page_flags(page, 0);
	/* The page goes back to its own node's zone, whichever CPU frees it. */
	if (order < pa.pcp_orders && free_to_pcp(z, page, order, nolock, cpu))
		return;
	free_to_zone(z, page, order, nolock, cpu);
}

size_t page_alloc_nr_pages(void)
{
	return pa.node_pages * (size_t)pa.nr_nodes;
}

struct page *alloc_pages(int node, unsigned int order)
{
	return __alloc_pages(node, order, false);
}

struct page *alloc_pages_nolock(int node, unsigned int order)
{
	return __alloc_pages(node, order, true);
}

void __free_pages(struct page *page, unsigned int order)
{
	__free_pages_ctx(page, order, false);
}

void free_pages_nolock(struct page *page, unsigned int order)
{
	__free_pages_ctx(page, order, true);
}

void *get_free_pages(int node, unsigned int order)
{
	struct page *page = alloc_pages(node, order);

	return page ? page_address(page) : NULL;
}

void free_pages(const void *addr, unsigned int order)
{
	if (addr)
		__free_pages(virt_to_page(addr), order);
}

/* --- metadata ---------------------------------------------------------------- */

bool page_alloc_owns(const void *addr)
{
	uintptr_t off = (uintptr_t)addr - (uintptr_t)page_map.base;
	size_t pfn = off >> PAGE_SHIFT;
	size_t node;

	if (!page_map.base || (uintptr_t)addr < (uintptr_t)page_map.base ||
	    pfn >= pa.node_pages * pa.nr_nodes)
		return false;
	node = pfn / pa.node_pages;
	return pfn - node * pa.node_pages < READ_ONCE(pa.zones[node].pages_grown);
}

const struct sb_topology *page_alloc_topology(void)
{
	return pa.topo;
}

int page_alloc_nr_nodes(void)
{
	return pa.nr_nodes;
}

/* --- init and exit ------------------------------------------------------------- */

static int config_error(const char *field, size_t value, const char *allowed)
{
	fprintf(stderr, "page_alloc: %s: '%zu' must be %s\n", field, value, allowed);
	return -EINVAL;
}

static int config_resolve(const struct page_alloc_config *cfg, struct page_alloc_config *out)
{
	*out = cfg ? *cfg : (struct page_alloc_config){ 0 };
	if (!out->arena_bytes)
		out->arena_bytes = DEFAULT_ARENA_BYTES;
	if (!out->node_limit_bytes)
		out->node_limit_bytes = out->arena_bytes > DEFAULT_NODE_LIMIT ?
					out->arena_bytes : DEFAULT_NODE_LIMIT;
	if (!out->pcp_batch)	/* a default batch never exceeds a high the caller set */
		out->pcp_batch = out->pcp_high && out->pcp_high < DEFAULT_PCP_BATCH ?
				 out->pcp_high : DEFAULT_PCP_BATCH;
	if (!out->pcp_high)
		out->pcp_high = out->pcp_batch > DEFAULT_PCP_HIGH ?
				out->pcp_batch : DEFAULT_PCP_HIGH;
	if (out->arena_bytes % MAX_ORDER_BYTES)
		return config_error("arena_bytes", out->arena_bytes, "a multiple of 4 MiB");
	if (out->node_limit_bytes % out->arena_bytes)
		return config_error("node_limit_bytes", out->node_limit_bytes,
				    "a multiple of arena_bytes");
	if (!out->pcp_orders)
		out->pcp_orders = PCP_MAX_ORDERS;	/* the kernel's: orders 0..3 */
	if (out->pcp_orders > PCP_MAX_ORDERS)
		return config_error("pcp_orders", out->pcp_orders, "1 to 4 (orders 0..3)");
	if (out->pcp_high < out->pcp_batch)
		return config_error("pcp_high", out->pcp_high, "at least pcp_batch");
	if (!(out->fail_probability >= 0 && out->fail_probability <= 1)) {
		fprintf(stderr, "page_alloc: fail_probability: '%g' must be in [0, 1]\n",
			out->fail_probability);
		return -EINVAL;
	}
	return 0;
}

static bool node_has_memory(int node)
{
	long long free_bytes;

	if (numa_available() < 0 || node > numa_max_node() || node >= 1024)
		return false;
	return numa_node_size64(node, &free_bytes) > 0;
}

static void zone_init(struct zone *z, int node)
{
	unsigned int o;

	memset(z, 0, sizeof(*z));
	SB_ALLOC_LOCK(init)(&z->lock);
	sb_lm_site_register(&z->lock, sizeof(z->lock), "zone");
	sb_lm_site_register(&z->deferred, sizeof(z->deferred), "zone_defer");
	for (o = 0; o <= MAX_ORDER; o++)
		z->free_area[o].next = z->free_area[o].prev = &z->free_area[o];
	z->node = node;
	z->map = page_map.mem_map + (size_t)node * pa.node_pages;
	z->start = page_map.base + (size_t)node * pa.node_pages * PAGE_SIZE;
	z->bound = node_has_memory(node);
}

static int reserve_ranges(size_t data_len, size_t map_len)
{
	pa.reserve_len = data_len + MAX_ORDER_BYTES;
	pa.reserve = mmap(NULL, pa.reserve_len, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (pa.reserve == MAP_FAILED)
		return -ENOMEM;
	/* Aligned so a max-order run is also aligned in the address space (THP). */
	page_map.base = (char *)(((uintptr_t)pa.reserve + MAX_ORDER_BYTES - 1) &
				 ~(uintptr_t)(MAX_ORDER_BYTES - 1));
	pa.mem_map_len = map_len;
	page_map.mem_map = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (page_map.mem_map == MAP_FAILED) {
		page_map.mem_map = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int alloc_percpu(void)
{
	size_t nr_pcp = (size_t)pa.nr_cpus * pa.nr_nodes;

	if (posix_memalign((void **)&pa.zones, CACHELINE, sizeof(*pa.zones) * pa.nr_nodes) ||
	    posix_memalign((void **)&pa.pcp, CACHELINE, sizeof(*pa.pcp) * nr_pcp) ||
	    posix_memalign((void **)&pa.pcpu, CACHELINE, sizeof(*pa.pcpu) * pa.nr_cpus))
		return -ENOMEM;
	memset(pa.pcp, 0, sizeof(*pa.pcp) * nr_pcp);
	memset(pa.pcpu, 0, sizeof(*pa.pcpu) * pa.nr_cpus);
	for (size_t i = 0; i < nr_pcp; i++)
		pa.pcp[i].lock.last_cpu = -1;
	return 0;
}

int page_alloc_init(const struct sb_topology *topo, const struct page_alloc_config *cfg)
{
	struct page_alloc_config c;
	int err, node;

	if (pa.topo)
		return -EBUSY;
	pthread_once(&zone_qnode_once, zone_qnode_key_create);
	if (!topo || config_resolve(cfg, &c) ||
	    sb_topology_nr_nodes(topo) < 1 || sb_topology_nr_nodes(topo) > UINT16_MAX)
		return -EINVAL;
	pa.topo = topo;
	pa.nr_nodes = sb_topology_nr_nodes(topo);
	pa.nr_cpus = sb_topology_nr_cpus(topo);
	pa.arena_pages = c.arena_bytes / PAGE_SIZE;
	pa.node_pages = c.node_limit_bytes / PAGE_SIZE;
	pa.pcp_batch = c.pcp_batch;
	pa.pcp_high = c.pcp_high;
	pa.pcp_orders = c.pcp_orders;
	err = reserve_ranges(c.node_limit_bytes * pa.nr_nodes,
			     pa.node_pages * pa.nr_nodes * sizeof(struct page));
	if (!err)
		err = alloc_percpu();
	if (err) {
		page_alloc_exit();
		return err;
	}
	for (node = 0; node < pa.nr_nodes; node++)
		zone_init(&pa.zones[node], node);
	fail_inject_set(c.fail_probability, c.fail_seed);
	return 0;
}

void page_alloc_exit(void)
{
	if (pa.reserve && pa.reserve != MAP_FAILED)
		munmap(pa.reserve, pa.reserve_len);
	if (page_map.mem_map)
		munmap(page_map.mem_map, pa.mem_map_len);
	free(pa.zones);
	free(pa.pcp);
	free(pa.pcpu);
	memset(&pa, 0, sizeof(pa));
	memset(&page_map, 0, sizeof(page_map));
}

/* --- counters, draining, checks ---------------------------------------------- */

void page_alloc_read_stats(struct page_alloc_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (int cpu = 0; cpu < pa.nr_cpus; cpu++) {
		const struct page_pcpu *p = &pa.pcpu[cpu];
#define PAGE_ALLOC_STAT_SUM(name) out->name += READ_ONCE(p->stat[STAT_##name]);
		PAGE_ALLOC_STAT_ITEMS(PAGE_ALLOC_STAT_SUM)
#undef PAGE_ALLOC_STAT_SUM
		sb_lockstat_read_shared(&out->zone_lock, &p->zone_lock);
		sb_lockstat_read_shared(&out->pcp_lock, &p->pcp_lock);
	}
	for (int node = 0; node < pa.nr_nodes; node++) {
		out->pages_free += READ_ONCE(pa.zones[node].pages_free);
		out->pages_total += READ_ONCE(pa.zones[node].pages_grown);
	}
}

/* Adds one CPU's counters and lock sites to out (nodes' page figures untouched). */
void page_alloc_read_stats_cpu(int cpu, struct page_alloc_stats *out)
{
	const struct page_pcpu *p;

	if (cpu < 0 || cpu >= pa.nr_cpus)
		return;
	p = &pa.pcpu[cpu];
#define PAGE_ALLOC_STAT_ADD(name) out->name += READ_ONCE(p->stat[STAT_##name]);
	PAGE_ALLOC_STAT_ITEMS(PAGE_ALLOC_STAT_ADD)
#undef PAGE_ALLOC_STAT_ADD
	sb_lockstat_read_shared(&out->zone_lock, &p->zone_lock);
	sb_lockstat_read_shared(&out->pcp_lock, &p->pcp_lock);
}

void page_alloc_read_zone(int node, struct page_zone_stats *out)
{
	struct zone *z;

	memset(out, 0, sizeof(*out));
	if (node < 0 || node >= pa.nr_nodes)
		return;
	z = &pa.zones[node];
	out->pages_free = READ_ONCE(z->pages_free);
	out->pages_total = READ_ONCE(z->pages_grown);
	out->pages_deferred = __atomic_load_n(&z->pages_deferred, __ATOMIC_RELAXED);
	out->bound = READ_ONCE(z->bound);
	for (int cpu = 0; cpu < pa.nr_cpus; cpu++)
		out->pages_pcp += READ_ONCE(pcp_of(cpu, node)->count);
	for (int o = 0; o <= MAX_ORDER; o++)
		out->nr_free[o] = READ_ONCE(z->nr_free[o]);
}

/* Normal context: waits for a busy pcp lock, which is held only briefly. */
void page_alloc_drain_all(void)
{
	int cpu = this_cpu();

	for (int c = 0; c < pa.nr_cpus; c++) {
		for (int node = 0; node < pa.nr_nodes; node++) {
			struct per_cpu_pages *pcp = pcp_of(c, node);

			while (!pcp_trylock(pcp, cpu))
				sched_yield();
			if (pcp->count)
				pcp_drain(&pa.zones[node], pcp, pcp->count, false, cpu);
			pcp_unlock(pcp);
		}
	}
	for (int node = 0; node < pa.nr_nodes; node++) {
		struct sb_lockctx ctx = zone_lockctx(cpu);

		zone_lock(&pa.zones[node], false, &ctx);	/* drains deferred */
		zone_unlock(&pa.zones[node], &ctx);
	}
}

/* zone->lock held.  Marks the pages of every free run; counts problems. */
static unsigned long check_free_lists(struct zone *z, unsigned char *seen)
{
	unsigned long bad = 0, total = 0;

	for (unsigned int o = 0; o <= MAX_ORDER; o++) {
		unsigned long runs = 0;

		for (struct page *p = z->free_area[o].next; p != &z->free_area[o]; p = p->next) {
			unsigned long idx = zone_page_idx(z, p), i;
			unsigned long buddy = idx ^ (1UL << o);

			runs++;
			if (!page_is_buddy(p, o) || idx & ((1UL << o) - 1) ||
			    idx + (1UL << o) > z->pages_grown) {
				fprintf(stderr, "page_alloc: node %d: bad free run at %lu order %u\n",
					z->node, idx, o);
				bad++;
				continue;
			}
			if (o < MAX_ORDER && buddy < z->pages_grown && page_is_buddy(z->map + buddy, o)) {
				fprintf(stderr, "page_alloc: node %d: runs %lu and %lu order %u not merged\n",
					z->node, idx, buddy, o);
				bad++;
			}
			for (i = idx; i < idx + (1UL << o); i++)
				bad += seen[i]++ != 0;
			total += 1UL << o;
		}
		if (runs != z->nr_free[o]) {
			fprintf(stderr, "page_alloc: node %d: order %u has %lu runs, nr_free says %lu\n",
				z->node, o, runs, z->nr_free[o]);
			bad++;
		}
	}
	if (total != z->pages_grown || total != z->pages_free) {
		fprintf(stderr, "page_alloc: node %d: %lu pages in free lists, %lu free, %lu total\n",
			z->node, total, z->pages_free, z->pages_grown);
		bad++;
	}
	return bad;
}

bool page_alloc_check_all_free(void)
{
	int cpu = this_cpu();
	unsigned long bad = 0;

	page_alloc_drain_all();
	for (int node = 0; node < pa.nr_nodes; node++) {
		struct zone *z = &pa.zones[node];
		struct sb_lockctx ctx = zone_lockctx(cpu);
		unsigned char *seen;

		zone_lock(z, false, &ctx);
		seen = calloc(z->pages_grown + 1, 1);
		if (!seen) {
			zone_unlock(z, &ctx);
			fprintf(stderr, "page_alloc: check: out of memory\n");
			return false;
		}
		bad += check_free_lists(z, seen);
		zone_unlock(z, &ctx);
		free(seen);
	}
	return bad == 0;
}

void page_alloc_zone_lock_for_test(int node)
{
	struct sb_lockctx ctx = zone_lockctx(this_cpu());

	if (!zone_qnode_tracked)
		zone_qnode_track();
	zone_lock_acquire(&pa.zones[node], false, &ctx);
}

void page_alloc_zone_unlock_for_test(int node)
{
	struct sb_lockctx ctx = zone_lockctx(this_cpu());

	zone_unlock(&pa.zones[node], &ctx);
}
