/* SPDX-License-Identifier: MIT */
/*
 * kmalloc.c - layer 7: size buckets, the large path, and the nolock entry points.
 *
 * Buckets 8 16 32 64 96 128 192 256 512 1k 2k 4k 8k: sizes up to 192 map through
 * a table (96 and 192 are not powers of two), larger ones by their highest set
 * bit.  Above 8 KiB a request is a page run; the head page remembers its order.
 */
#include <errno.h>

#include "internal.h"
#include "cache_fastpath.h"

#define KMALLOC_LARGE_MAGIC	0x6b6d616c6c6f6300ul	/* "kmalloc\0" | order */
#define KMALLOC_ORDER_MASK	0xfful

struct kmem_cache *kmalloc_caches[KMALLOC_NR_BUCKETS];

/*
 * size_index[] resolved to caches, filled by kmalloc_init(): a small kmalloc
 * then finds its cache with one load instead of two dependent ones, which is
 * about 1.5 ns of a 10 ns kmalloc/kfree pair.
 */
static struct kmem_cache *size_cache[sizeof(size_index)];

/* The bucket for 1 <= size <= KMALLOC_MAX_CACHE_SIZE. */
static inline struct kmem_cache *kmalloc_slab(size_t size)
{
	if (size <= 192)
		return size_cache[(size - 1) / 8];
	/* kmalloc_index() inline for 193..8192 (a call makes every hit save registers) */
	return kmalloc_caches[63 - __builtin_clzl(size - 1)];
}

static unsigned int get_order(size_t size)
{
	unsigned int order = 0;

	while ((PAGE_SIZE << order) < size)
		order++;
	return order;
}

/* ---- large (page run) allocations ---- */

static void *kmalloc_large(size_t size, gfp_t gfp, int node, const struct slab_alloc_context *ctx)
{
	unsigned int order;
	struct page *page;

	if (size > KMALLOC_MAX_SIZE)
		return NULL;
	order = get_order(size);
	page = (ctx->alloc_flags & SLAB_ALLOC_NOLOCK) ? alloc_pages_nolock(node, order)
						      : alloc_pages(node, order);
	if (!page)
		return NULL;
	page->slab = NULL;
	page->slab_cache = NULL;
	page->slab_data = KMALLOC_LARGE_MAGIC | order;
	if (gfp & __GFP_ZERO)
		memset(page_address(page), 0, PAGE_SIZE << order);
	return page_address(page);
}

static unsigned int large_order(struct page *head, const void *p, const char *fn)
{
	if (SB_ALLOC_DEBUG &&
	    ((head->slab_data & ~KMALLOC_ORDER_MASK) != KMALLOC_LARGE_MAGIC ||
	     !(__atomic_load_n(&head->flags, __ATOMIC_RELAXED) & PG_head) || page_address(head) != p))
		slab_bug("%s(%p): double free, or not an allocated object", fn, p);
	return (unsigned int)(head->slab_data & KMALLOC_ORDER_MASK);
}

static void kfree_large(struct page *head, const void *p, bool nolock)
{
	unsigned int order = large_order(head, p, nolock ? "kfree_nolock" : "kfree");

	head->slab_data = 0;
	if (nolock)
		free_pages_nolock(head, order);
	else
		__free_pages(head, order);
}

/* ---- normal path ---- */

/* Inlined into kmalloc() and friends, so a sheaf hit is one function deep. */
static inline __attribute__((always_inline))
void *__kmalloc(size_t size, gfp_t gfp, int node, struct slab_alloc_context *ctx)
{
	/* A node that does not exist means "no preference", for every size. */
	if (unlikely(node != NUMA_NO_NODE && (node < 0 || node >= sa.nr_nodes)))
		node = NUMA_NO_NODE;
	if (unlikely(!size))
		return ZERO_SIZE_PTR;
	if (likely(size <= KMALLOC_MAX_CACHE_SIZE))
		return slab_alloc_node(kmalloc_slab(size), gfp, node, ctx);
	return kmalloc_large(size, gfp, node, ctx);
}

/* The cache of p's slab, or NULL for a large (page run) allocation. */
static struct kmem_cache *kfree_cache(const void *p, const char *fn)
{
	if (SB_ALLOC_DEBUG && !page_alloc_owns(p))
		slab_bug("%s(%p): pointer not from sheafalloc", fn, p);
	return virt_to_page(p)->slab_cache;
}

void *kmalloc_node(size_t size, gfp_t gfp, int node)
{
	struct slab_alloc_context ctx = {
		.caller_addr = _RET_IP_,
		.orig_size = size,
		.alloc_flags = SLAB_ALLOC_DEFAULT,
	};

	return __kmalloc(size, gfp, node, &ctx);
}

/* kmalloc(0) and large sizes: out of line, so that kmalloc() needs no frame. */
static __attribute__((noinline))
void *kmalloc_not_bucket(size_t size, gfp_t gfp, unsigned long caller)
{
	struct slab_alloc_context ctx = {
		.caller_addr = caller,
		.orig_size = size,
		.alloc_flags = SLAB_ALLOC_DEFAULT,
	};

	return __kmalloc(size, gfp, NUMA_NO_NODE, &ctx);
}

void *kmalloc(size_t size, gfp_t gfp)
{
	if (likely(size - 1 < KMALLOC_MAX_CACHE_SIZE))	/* 1..KMALLOC_MAX_CACHE_SIZE */
		return slab_alloc_default(kmalloc_slab(size), gfp, size);
	return kmalloc_not_bucket(size, gfp, _RET_IP_);
}

void *kzalloc(size_t size, gfp_t gfp)
{
	struct slab_alloc_context ctx = {
		.caller_addr = _RET_IP_,
		.orig_size = size,
		.alloc_flags = SLAB_ALLOC_DEFAULT,
	};

	return __kmalloc(size, gfp | __GFP_ZERO, NUMA_NO_NODE, &ctx);
}

/*
 * The cache this thread freed to last: a prediction, never trusted.  kfree()
 * finds p's cache by two dependent loads from p (page, then its cache), and p
 * is usually what the last kmalloc() returned, so without a guess every step
 * of the free - the CPU's sheaves, main, its size - waits for that chain.
 * Compared and then used in place of the loaded value, the guess lets the
 * CPU run ahead on a predicted branch while the chain only confirms it.
 */
static SB_TLS struct kmem_cache *kfree_last_cache;

static SB_ALWAYS_INLINE struct kmem_cache *kfree_predict(struct kmem_cache *s)
{
	struct kmem_cache *guess = kfree_last_cache;

	if (likely(s == guess)) {
		__asm__("" : "+r"(guess));	/* use the guess, not s: they are equal */
		return guess;
	}
	kfree_last_cache = s;
	return s;
}

void kfree(const void *p)
{
	struct kmem_cache *s;

	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return;
	s = kfree_cache(p, "kfree");
	if (unlikely(!s)) {
		kfree_large(virt_to_head_page(p), p, false);
		return;
	}
	s = kfree_predict(s);
	if (SB_ALLOC_DEBUG)
		slab_debug_on_free(NULL, p, "kfree");
	slab_free(s, (void *)p);
}

size_t ksize(const void *p)
{
	struct kmem_cache *s;

	if (ZERO_OR_NULL_PTR(p))
		return 0;
	s = kfree_cache(p, "ksize");
	if (s)
		return s->object_size;
	return PAGE_SIZE << large_order(virt_to_head_page(p), p, "ksize");
}

size_t kmalloc_size_roundup(size_t size)
{
	if (!size)
		return 0;
	if (size <= KMALLOC_MAX_CACHE_SIZE)
		return kmalloc_sizes[kmalloc_index(size)];
	if (size > KMALLOC_MAX_SIZE)
		return 0;
	return PAGE_SIZE << get_order(size);
}

struct kmem_cache *kmalloc_cache_for_size(size_t size)
{
	unsigned int i = kmalloc_index(size);

	return i < KMALLOC_NR_BUCKETS ? kmalloc_caches[i] : NULL;
}

/* ---- nolock path (async-signal-safe) ---- */

/*
 * Never spins.  A trylock can fail because this thread was interrupted with the
 * bucket's sheaves or list_lock held, or another CPU holds the list_lock; several
 * buckets are rarely busy at once, so one retry one bucket up (seed
 * simplify-kmalloc-nolock).  Counted in the first bucket's cache:
 * nolock_attempts == nolock_first_bucket + nolock_retry_success + nolock_null.
 */
static void *kmalloc_nolock_ctx(size_t size, gfp_t gfp, int node, struct slab_alloc_context *ctx)
{
	struct kmem_cache *first, *s;
	bool can_retry = true;
	void *obj;

	if (!size || size > KMALLOC_MAX_CACHE_SIZE)
		return NULL;
	ctx->alloc_flags |= SLAB_ALLOC_NOLOCK;
	first = s = kmalloc_caches[kmalloc_index(size)];
	stat(first, STAT_nolock_attempts);
retry:
	obj = slab_alloc_node(s, gfp, node, ctx);
	if (obj) {
		stat(first, can_retry ? STAT_nolock_first_bucket : STAT_nolock_retry_success);
		return obj;
	}
	if (can_retry && s->object_size < KMALLOC_MAX_CACHE_SIZE) {
		stat(first, STAT_nolock_retry);
		size = s->object_size + 1;
		s = kmalloc_caches[kmalloc_index(size)];
		can_retry = false;
		goto retry;
	}
	stat(first, STAT_nolock_null);
	return NULL;
}

void *kmalloc_nolock(size_t size, int node)
{
	struct slab_alloc_context ctx = {
		.caller_addr = _RET_IP_,
		.orig_size = size,
		.alloc_flags = SLAB_ALLOC_NOLOCK,
	};

	return kmalloc_nolock_ctx(size, GFP_KERNEL, node, &ctx);
}

void kfree_nolock(const void *p)
{
	struct kmem_cache *s;

	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return;
	s = kfree_cache(p, "kfree_nolock");
	if (unlikely(!s)) {
		kfree_large(virt_to_head_page(p), p, true);
		return;
	}
	if (SB_ALLOC_DEBUG)
		slab_debug_on_free(NULL, p, "kfree_nolock");
	stat(s, STAT_nolock_frees);
	if (!slab_free_nolock(s, (void *)p))
		deferred_push(s, (void *)p);
}

/*
 * The designed recursion enters here: sheaf.c (layer 5) and obj_ext.c (layer
 * 8) allocate slab metadata with SLAB_ALLOC_NO_RECURSE, which sends it
 * straight to a slab with no sheaf and no obj_ext array of its own.
 */
void *kmalloc_flags_ctx(size_t size, gfp_t gfp, int node, struct slab_alloc_context *ctx)
{
	if (ctx->alloc_flags & SLAB_ALLOC_NOLOCK)
		return kmalloc_nolock_ctx(size, gfp, node, ctx);
	return __kmalloc(size, gfp, node, ctx);
}

void *kmalloc_flags(size_t size, gfp_t gfp, unsigned int alloc_flags)
{
	struct slab_alloc_context ctx = {
		.caller_addr = _RET_IP_,
		.orig_size = size,
		.alloc_flags = alloc_flags,
	};

	return kmalloc_flags_ctx(size, gfp, NUMA_NO_NODE, &ctx);
}

/* Normal context: every CPU's deferred list. */
void sheafalloc_drain_deferred(void)
{
	for (int cpu = 0; cpu < sa.nr_cpus; cpu++)
		deferred_drain(cpu);
}

/* ---- init / exit ---- */

/*
 * Objects are aligned to the largest power of two dividing the bucket size (up
 * to a page).  It costs nothing: the slab header already takes one object's room.
 */
static unsigned int kmalloc_natural_align(unsigned int size)
{
	unsigned int a = size & -size;

	return a < PAGE_SIZE ? a : PAGE_SIZE;
}

int kmalloc_init(void)
{
	char name[32];

	for (int i = 0; i < KMALLOC_NR_BUCKETS; i++) {
		snprintf(name, sizeof(name), "kmalloc-%u", kmalloc_sizes[i]);
		kmalloc_caches[i] = cache_create(name, kmalloc_sizes[i],
						 kmalloc_natural_align(kmalloc_sizes[i]), 0,
						 SHEAF_CAPACITY_DEFAULT, true);
		if (!kmalloc_caches[i])
			goto fail;
	}
	for (unsigned int i = 0; i < sizeof(size_index); i++)
		size_cache[i] = kmalloc_caches[size_index[i]];
	/* Sheaves are kmalloc'ed: only now that every bucket exists. */
	for (int i = 0; i < KMALLOC_NR_BUCKETS; i++)
		if (cache_alloc_cpu_sheaves(kmalloc_caches[i]))
			goto fail;
	for (int i = KMALLOC_NR_BUCKETS; i-- > 0;)
		cache_list_add(kmalloc_caches[i]);
	return 0;
fail:
	kmalloc_exit();
	return -ENOMEM;
}

/*
 * The kmalloc caches hold each other's metadata (sheaves, obj_ext arrays), so
 * they go in phases: all sheaves, then all obj_ext arrays, then all slabs.
 */
unsigned long kmalloc_exit(void)
{
	unsigned long leaked = 0;

	for (int i = 0; i < KMALLOC_NR_BUCKETS; i++) {
		if (!kmalloc_caches[i])
			continue;
		cache_empty_sheaves(kmalloc_caches[i]);
	}
	for (int i = 0; i < KMALLOC_NR_BUCKETS; i++)
		if (kmalloc_caches[i])
			slab_free_all_obj_exts(kmalloc_caches[i]);
	for (int i = 0; i < KMALLOC_NR_BUCKETS; i++) {
		if (!kmalloc_caches[i])
			continue;
		leaked += slab_release_all(kmalloc_caches[i], true);
		stats_retire_cache(kmalloc_caches[i]);
		cache_free_struct(kmalloc_caches[i]);
		kmalloc_caches[i] = NULL;
	}
	memset(size_cache, 0, sizeof(size_cache));
	return leaked;
}
