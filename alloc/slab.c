/* SPDX-License-Identifier: MIT */
/*
 * slab.c - layer 3: caches, slabs and the per-node partial lists.
 *
 * A slab is a page run carved into equal objects; its header (struct slab) sits
 * at the start of the run and the head page's ->slab points at it.  Free objects
 * of a slab are chained through their first word.  Slab state (freelist, inuse,
 * list membership) is only touched under the node's list_lock.
 */
#include "internal.h"
#include "sheaf_fastpath.h"

#define BITS_PER_LONG	(8 * sizeof(unsigned long))
#define MAX_OBJECT_SIZE	(1u << 20)

static unsigned int round_up_pow2(unsigned int x, unsigned int a)
{
	return (x + a - 1) & ~(a - 1);
}

/* ---- geometry ---- */

static unsigned int slab_hdr_size(unsigned int align, unsigned long max_objects)
{
	size_t hdr = sizeof(struct slab);

	if (SB_ALLOC_DEBUG)
		hdr += (max_objects + BITS_PER_LONG - 1) / BITS_PER_LONG * sizeof(unsigned long);
	return round_up_pow2((unsigned int)hdr, align > SB_CACHELINE ? align : SB_CACHELINE);
}

/* Smallest order that wastes at most 1/8 of the run, else the smallest that fits one. */
static void slab_geometry(struct kmem_cache *s)
{
	unsigned int first_fit = 0;

	for (unsigned int o = 0; o <= MAX_ORDER; o++) {
		unsigned long total = PAGE_SIZE << o;
		unsigned int hdr = slab_hdr_size(s->align, total / s->size);
		unsigned long objs = total > hdr ? (total - hdr) / s->size : 0;

		if (!objs)
			continue;
		if (!first_fit)
			first_fit = o + 1;
		if ((total - objs * s->size) * 8 <= total || o == MAX_ORDER) {
			s->order = o;
			s->slab_hdr = hdr;
			s->objects = (unsigned int)objs;
			return;
		}
	}
	s->order = first_fit - 1;
	s->slab_hdr = slab_hdr_size(s->align, (PAGE_SIZE << s->order) / s->size);
	s->objects = (unsigned int)(((PAGE_SIZE << s->order) - s->slab_hdr) / s->size);
}

static int default_sheaf_capacity(const struct kmem_cache *s, int requested)
{
	if (requested == SHEAF_CAPACITY_DEFAULT)
		requested = sa.sheaf_capacity;
	if (requested != SHEAF_CAPACITY_DEFAULT)
		return requested;
	if (s->size < 256)
		return 60;
	if (s->size < 1024)
		return 26;
	if (s->size < PAGE_SIZE)
		return 12;
	return 4;
}

/* ---- cache creation ---- */

static void cache_init_nodes(struct kmem_cache *s)
{
	for (int n = 0; n < sa.nr_nodes; n++) {
		struct kmem_cache_node *kn = &s->node[n];

		memset(kn, 0, sizeof(*kn));
		slab_lock_init(&kn->list_lock);
		barn_init(&kn->barn);
	}
}

void cache_free_struct(struct kmem_cache *s)
{
	free(s->node);
	free(s);
}

/* The per-CPU sheaves sit at the end, so &s->cpu_sheaves[cpu] needs no load. */
static struct kmem_cache *cache_alloc_struct(void)
{
	size_t len = sizeof(struct kmem_cache) + sizeof(struct slub_percpu_sheaves) * sa.nr_cpus;
	struct kmem_cache *s;

	len = (len + SB_CACHELINE - 1) & ~(size_t)(SB_CACHELINE - 1);
	s = aligned_alloc(SB_CACHELINE, len);
	if (s)
		memset(s, 0, len);
	return s;
}

struct kmem_cache *cache_create(const char *name, unsigned int size, unsigned int align,
				slab_flags_t flags, int sheaf_capacity, bool is_kmalloc)
{
	struct kmem_cache *s;

	if (!sa.up || !name || !size || size > MAX_OBJECT_SIZE || (align & (align - 1)) ||
	    align > PAGE_SIZE || sheaf_capacity < SHEAF_CAPACITY_DEFAULT ||
	    sheaf_capacity > SHEAF_CAPACITY_MAX)
		return NULL;
	s = cache_alloc_struct();
	if (!s)
		return NULL;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->object_size = size;
	s->align = align < sizeof(void *) ? sizeof(void *) : align;
	if ((flags & SLAB_HWCACHE_ALIGN) && s->align < SB_CACHELINE)
		s->align = SB_CACHELINE;
	s->size = round_up_pow2(size, s->align);
	s->flags = flags;
	s->is_kmalloc = is_kmalloc;
	slab_geometry(s);
	s->sheaf_capacity = default_sheaf_capacity(s, sheaf_capacity);
	s->node = aligned_alloc(SB_CACHELINE, sizeof(*s->node) * sa.nr_nodes);
	if (!s->node) {
		cache_free_struct(s);
		return NULL;
	}
	cache_init_nodes(s);
	return s;
}

/* Every CPU gets an empty main sheaf; the kmalloc caches do this once all exist. */
int cache_alloc_cpu_sheaves(struct kmem_cache *s)
{
	if (!s->sheaf_capacity)
		return 0;
	for (int cpu = 0; cpu < sa.nr_cpus; cpu++) {
		s->cpu_sheaves[cpu].main = sheaf_alloc(s, SLAB_ALLOC_DEFAULT);
		if (!s->cpu_sheaves[cpu].main)
			return -1;
	}
	return 0;
}

/* ---- object <-> slab ---- */

struct slab *virt_to_slab(const void *p)
{
	struct page *head = virt_to_head_page(p);

	return head->slab;
}

unsigned int obj_index(const struct kmem_cache *s, const struct slab *slab, const void *p)
{
	return (unsigned int)(((const char *)p - slab->base) / s->size);
}

/* ---- slab lists (caller holds list_lock) ---- */

static void slab_list_add(struct slab_list *l, struct slab *slab)
{
	slab->prev = NULL;
	slab->next = l->first;
	if (l->first)
		l->first->prev = slab;
	l->first = slab;
}

static void slab_list_del(struct slab_list *l, struct slab *slab)
{
	if (slab->prev)
		slab->prev->next = slab->next;
	else
		l->first = slab->next;
	if (slab->next)
		slab->next->prev = slab->prev;
	slab->next = slab->prev = NULL;
}

static void partial_add(struct kmem_cache_node *kn, struct slab *slab)
{
	slab_list_add(&kn->partial, slab);
	slab->on_partial = true;
	kn->nr_partial++;
}

static void partial_del(struct kmem_cache_node *kn, struct slab *slab)
{
	slab_list_del(&kn->partial, slab);
	slab->on_partial = false;
	kn->nr_partial--;
}

static bool list_lock(struct kmem_cache *s, struct kmem_cache_node *kn, struct lock_site *ls,
		      bool nolock)
{
	lock_site_begin(ls, nolock);
	if (slab_lock_acquire(&kn->list_lock, nolock, &ls->ctx))
		return true;
	lock_site_end(ls, &s->cpu_sheaves[ls->ctx.cpu].list_lock);
	return false;
}

static void list_unlock(struct kmem_cache *s, struct kmem_cache_node *kn, struct lock_site *ls)
{
	slab_lock_release(&kn->list_lock, &ls->ctx);
	lock_site_end(ls, &s->cpu_sheaves[ls->ctx.cpu].list_lock);
}

/* ---- slab creation and destruction ---- */

/*
 * Every page of the run, not just the head: kfree() then finds the cache with
 * one load from the object's struct page, with no compound_head() or slab
 * header in its dependent chain.  Written before the slab's objects are handed
 * out, read only for objects of it.
 */
static void set_slab_cache(struct page *page, unsigned int order, struct kmem_cache *s)
{
	for (unsigned long i = 0; i < (1UL << order); i++)
		page[i].slab_cache = s;
}

static struct slab *new_slab(struct kmem_cache *s, int node, const struct slab_alloc_context *ctx)
{
	bool nolock = ctx->alloc_flags & SLAB_ALLOC_NOLOCK;
	struct page *page;
	struct slab *slab;
	char *obj;

	if (unlikely(fail_inject_should_fail()))
		return NULL;
	page = nolock ? alloc_pages_nolock(node, s->order) : alloc_pages(node, s->order);
	if (!page)
		return NULL;
	slab = page_address(page);
	memset(slab, 0, s->slab_hdr);
	slab->cache = s;
	slab->objects = s->objects;
	slab->node = page_to_nid(page);
	slab->base = (char *)slab + s->slab_hdr;
	for (unsigned int i = s->objects; i-- > 0;) {
		obj = slab->base + (size_t)i * s->size;
		*(void **)obj = slab->freelist;
		slab->freelist = obj;
	}
	page->slab = slab;
	set_slab_cache(page, s->order, s);
	if (s->flags & SLAB_OBJ_EXT)
		obj_ext_alloc_for_slab(s, slab, ctx);
	stat(s, STAT_new_slab);
	return slab;
}

static void discard_slab(struct kmem_cache *s, struct slab *slab, bool nolock)
{
	struct page *page = virt_to_page(slab);

	obj_ext_free_for_slab(slab, nolock);
	page->slab = NULL;
	set_slab_cache(page, s->order, NULL);
	if (nolock)
		free_pages_nolock(page, s->order);
	else
		__free_pages(page, s->order);
	stat(s, STAT_free_slab);
}

static void discard_slabs(struct kmem_cache *s, struct slab *list, bool nolock)
{
	while (list) {
		struct slab *next = list->next;

		discard_slab(s, list, nolock);
		list = next;
	}
}

/* ---- allocation from slabs ---- */

/* Caller holds list_lock.  Pops up to max objects off partial slabs. */
static int take_from_partial(struct kmem_cache_node *kn, void **p, int max)
{
	int got = 0;

	while (got < max && kn->partial.first) {
		struct slab *slab = kn->partial.first;

		if (!slab->inuse)
			kn->nr_empty--;
		while (got < max && slab->freelist) {
			p[got++] = slab->freelist;
			slab->freelist = *(void **)slab->freelist;
			slab->inuse++;
		}
		if (!slab->freelist) {
			partial_del(kn, slab);
			slab_list_add(&kn->full, slab);
		}
	}
	kn->inuse += got;
	return got;
}

/* A fresh slab is private until listed: take objects without the lock. */
static int take_from_new(struct slab *slab, void **p, int max)
{
	int got = 0;

	while (got < max && slab->freelist) {
		p[got++] = slab->freelist;
		slab->freelist = *(void **)slab->freelist;
		slab->inuse++;
	}
	return got;
}

static bool list_new_slab(struct kmem_cache *s, struct kmem_cache_node *kn, struct slab *slab,
			  bool nolock)
{
	struct lock_site ls;

	if (!list_lock(s, kn, &ls, nolock))
		return false;
	if (slab->freelist)
		partial_add(kn, slab);
	else
		slab_list_add(&kn->full, slab);
	kn->nr_slabs++;
	kn->inuse += slab->inuse;
	list_unlock(s, kn, &ls);
	return true;
}

/*
 * Up to max objects from node's partial slabs, else from one new slab.  Nolock:
 * trylocks only, and a busy list_lock gives 0 at once (no point making a slab
 * that could not be listed).
 */
int slab_alloc_bulk(struct kmem_cache *s, int node, const struct slab_alloc_context *ctx,
		    void **p, int max)
{
	bool nolock = ctx->alloc_flags & SLAB_ALLOC_NOLOCK;
	struct kmem_cache_node *kn = &s->node[node];
	struct lock_site ls;
	struct slab *slab;
	int got;

	if (!list_lock(s, kn, &ls, nolock))
		return 0;
	got = take_from_partial(kn, p, max);
	list_unlock(s, kn, &ls);
	if (got)
		return got;
	slab = new_slab(s, node, ctx);
	if (!slab)
		return 0;
	got = take_from_new(slab, p, max);
	if (!list_new_slab(s, kn, slab, nolock)) {
		discard_slab(s, slab, nolock);	/* its objects were never handed out */
		return 0;
	}
	return got;
}

/* ---- freeing to slabs ---- */

/* Caller holds kn->list_lock.  Empty slabs beyond MIN_PARTIAL go on *discard. */
static void free_to_slab(struct kmem_cache_node *kn, struct slab *slab, void *obj,
			 struct slab **discard)
{
	bool was_full = !slab->freelist;

	*(void **)obj = slab->freelist;
	slab->freelist = obj;
	slab->inuse--;
	kn->inuse--;
	if (was_full) {
		slab_list_del(&kn->full, slab);
		partial_add(kn, slab);
	}
	if (slab->inuse)
		return;
	if (kn->nr_empty < MIN_PARTIAL) {
		kn->nr_empty++;
		return;
	}
	partial_del(kn, slab);
	kn->nr_slabs--;
	slab->next = *discard;
	*discard = slab;
}

/*
 * Frees p[0..n-1] (objects of s, any node) to their slabs.  Returns how many
 * were freed from the start of p: fewer than n only if nolock and a list_lock
 * was busy.
 */
int slab_free_bulk(struct kmem_cache *s, void **p, int n, bool nolock)
{
	struct kmem_cache_node *kn = NULL;
	struct slab *discard = NULL;
	struct lock_site ls;
	int i;

	for (i = 0; i < n; i++) {
		struct slab *slab = virt_to_slab(p[i]);
		struct kmem_cache_node *want = &s->node[slab->node];

		if (want != kn) {
			if (kn)
				list_unlock(s, kn, &ls);
			kn = NULL;
			if (!list_lock(s, want, &ls, nolock))
				break;
			kn = want;
		}
		free_to_slab(kn, slab, p[i], &discard);
	}
	if (kn)
		list_unlock(s, kn, &ls);
	discard_slabs(s, discard, nolock);
	return i;
}

/* Frees every empty slab of every node (normal context).  Returns pages freed. */
unsigned long slab_shrink_node_lists(struct kmem_cache *s)
{
	unsigned long pages = 0;

	for (int n = 0; n < sa.nr_nodes; n++) {
		struct kmem_cache_node *kn = &s->node[n];
		struct slab *discard = NULL, *slab, *next;
		struct lock_site ls;

		list_lock(s, kn, &ls, false);
		for (slab = kn->partial.first; slab; slab = next) {
			next = slab->next;
			if (slab->inuse)
				continue;
			partial_del(kn, slab);
			kn->nr_slabs--;
			kn->nr_empty--;
			slab->next = discard;
			discard = slab;
			pages += 1ul << s->order;
		}
		list_unlock(s, kn, &ls);
		discard_slabs(s, discard, false);
	}
	return pages;
}

/* ---- debug checks ---- */

static bool alloc_map_test_and_change(struct slab *slab, unsigned int idx, bool set)
{
	unsigned long bit = 1ul << (idx % BITS_PER_LONG);
	unsigned long *word = &slab->alloc_map[idx / BITS_PER_LONG];
	unsigned long old = set ? __atomic_fetch_or(word, bit, __ATOMIC_RELAXED)
				: __atomic_fetch_and(word, ~bit, __ATOMIC_RELAXED);

	return old & bit;
}

void slab_debug_on_alloc(struct kmem_cache *s, void *obj)
{
	struct slab *slab;

	if (!SB_ALLOC_DEBUG)
		return;
	slab = virt_to_slab(obj);
	if (alloc_map_test_and_change(slab, obj_index(s, slab, obj), true))
		slab_bug("%s: object %p handed out twice (allocator corruption)", s->name, obj);
}

/* s NULL: kfree (any cache).  Aborts with one message on a bad pointer. */
void slab_debug_on_free(struct kmem_cache *s, const void *obj, const char *fn)
{
	struct slab *slab;
	size_t off;

	if (!SB_ALLOC_DEBUG)
		return;
	if (!page_alloc_owns(obj))
		slab_bug("%s(%p): pointer not from sheafalloc", fn, obj);
	slab = virt_to_slab(obj);
	if (!slab)
		slab_bug("%s(%p): pointer is not a slab object", fn, obj);
	if (s && slab->cache != s)
		slab_bug("%s(%p): object of cache %s freed to cache %s", fn, obj,
			 slab->cache->name, s->name);
	s = slab->cache;
	off = (size_t)((const char *)obj - slab->base);
	if ((const char *)obj < slab->base || off % s->size || off / s->size >= slab->objects)
		slab_bug("%s(%p): not the start of an object of %s", fn, obj, s->name);
	if (!alloc_map_test_and_change(slab, obj_index(s, slab, obj), false))
		slab_bug("%s(%p): double free, or object of %s never allocated", fn, obj, s->name);
}

/* ---- the slab-level entry points used by kmem_cache_* and kmalloc ---- */

static int resolve_node(int node)
{
	if (node == NUMA_NO_NODE || node < 0 || node >= sa.nr_nodes)
		return numa_node_id();
	return node;
}

static void *slab_alloc_slowpath(struct kmem_cache *s, int node, struct slab_alloc_context *ctx)
{
	void *obj;

	if (slab_alloc_bulk(s, resolve_node(node), ctx, &obj, 1) != 1)
		return NULL;
	stat(s, STAT_alloc_slowpath);
	return obj;
}

/* Debug check, allocation tag and zeroing: what a cache hit skips unless asked for. */
void *slab_post_alloc(struct kmem_cache *s, void *obj, gfp_t gfp,
		      const struct slab_alloc_context *ctx)
{
	if (SB_ALLOC_DEBUG)
		slab_debug_on_alloc(s, obj);
	if (unlikely(s->flags & SLAB_OBJ_EXT))
		obj_ext_tag(s, virt_to_slab(obj), obj, ctx->caller_addr);
	if (unlikely(gfp & __GFP_ZERO))
		memset(obj, 0, s->object_size);
	return obj;
}

/*
 * Everything slab_alloc_node() does not inline: an explicit node (the sheaves
 * serve it only when it is the local one), NO_RECURSE and sheafless caches, and
 * a failed sheaf attempt (pcs_tried), which goes straight to the slabs.
 */
void *__slab_alloc_node(struct kmem_cache *s, gfp_t gfp, int node, struct slab_alloc_context *ctx,
			bool pcs_tried)
{
	void *obj = NULL;

	if (!pcs_tried && s->sheaf_capacity && !(ctx->alloc_flags & SLAB_ALLOC_NO_RECURSE) &&
	    (node == NUMA_NO_NODE || node == numa_node_id()))
		obj = alloc_from_pcs(s, ctx);
	if (!obj) {
		obj = slab_alloc_slowpath(s, node, ctx);
		if (!obj) {
			stat(s, STAT_alloc_failed);
			return NULL;
		}
	}
	return slab_post_alloc(s, obj, gfp, ctx);
}

/* See slab_alloc_default(). */
void *slab_alloc_default_miss(struct kmem_cache *s, struct slub_percpu_sheaves *pcs, int cpu,
			      gfp_t gfp, size_t orig_size, unsigned long caller)
{
	struct slab_alloc_context ctx = {
		.caller_addr = caller,
		.orig_size = orig_size,
		.alloc_flags = SLAB_ALLOC_DEFAULT,
	};
	void *obj;

	if (cpu < 0)
		return __slab_alloc_node(s, gfp, NUMA_NO_NODE, &ctx, false);
	obj = pcs_alloc_miss(s, pcs, cpu, &ctx);
	if (obj)
		return obj;	/* the sheaves were tried only if no post-alloc work is due */
	return __slab_alloc_node(s, gfp, NUMA_NO_NODE, &ctx, true);
}

static bool obj_is_remote(const void *obj, int *local)
{
	if (likely(sa.nr_nodes == 1))
		return false;
	*local = numa_node_id();
	return page_to_nid(virt_to_page(obj)) != *local;
}

/*
 * Normal context, what slab_free() does not inline: remote objects, sheafless
 * caches, and a failed sheaf attempt (pcs_tried).  Debug checks were done by
 * the caller.
 */
void __slab_free(struct kmem_cache *s, void *obj, bool pcs_tried)
{
	int local = 0;

	if (unlikely(obj_is_remote(obj, &local))) {
		stat(s, STAT_free_remote);
	} else if (!pcs_tried && s->sheaf_capacity) {
		if (free_to_pcs(s, obj, false))
			return;
	}
	slab_free_bulk(s, &obj, 1, false);
	stat(s, STAT_free_slowpath);
}

/* See slab_free(): one node, sheaves on. */
void slab_free_miss(struct kmem_cache *s, struct slub_percpu_sheaves *pcs, int cpu, void *obj)
{
	if (!pcs_free_miss(s, pcs, cpu, obj, false))
		__slab_free(s, obj, true);
}

/* Nolock context: false if every path was busy (the caller defers the object). */
bool slab_free_nolock(struct kmem_cache *s, void *obj)
{
	int local = 0;

	if (unlikely(obj_is_remote(obj, &local)))
		stat(s, STAT_free_remote);
	else if (s->sheaf_capacity && free_to_pcs(s, obj, true))
		return true;
	if (slab_free_bulk(s, &obj, 1, true) != 1)
		return false;
	stat(s, STAT_free_slowpath);
	return true;
}

/* ---- destruction ---- */

/* Frees the obj_ext arrays of all slabs (kmalloc exit: before any cache is released). */
void cache_free_obj_exts(struct kmem_cache *s)
{
	for (int n = 0; n < sa.nr_nodes; n++) {
		struct kmem_cache_node *kn = &s->node[n];
		struct slab_list *lists[2] = { &kn->partial, &kn->full };

		for (int l = 0; l < 2; l++)
			for (struct slab *slab = lists[l]->first; slab; slab = slab->next)
				obj_ext_free_for_slab(slab, false);
	}
}

/* Returns every slab's pages (nothing else may use s).  Returns objects still in use. */
unsigned long cache_release_slabs(struct kmem_cache *s, bool report)
{
	unsigned long leaked = 0;

	for (int n = 0; n < sa.nr_nodes; n++) {
		struct kmem_cache_node *kn = &s->node[n];
		struct slab_list *lists[2] = { &kn->partial, &kn->full };

		leaked += kn->inuse;
		for (int l = 0; l < 2; l++) {
			struct slab *slab = lists[l]->first;

			lists[l]->first = NULL;
			discard_slabs(s, slab, false);
		}
		kn->nr_partial = kn->nr_slabs = kn->nr_empty = 0;
		kn->inuse = 0;
	}
	if (leaked && report)
		fprintf(stderr, "sheafalloc: kmem_cache_destroy(%s): %lu objects still allocated\n",
			s->name, leaked);
	return leaked;
}

/* Every barn's sheaves and every CPU's deferred frees back to the slabs (normal context). */
static void drain_barns_and_deferred(struct kmem_cache *s)
{
	for (int n = 0; n < sa.nr_nodes; n++) {
		struct slab_sheaf *sheaf;

		while ((sheaf = barn_pop_any(&s->node[n].barn))) {
			slab_free_bulk(s, sheaf->objects, (int)sheaf->size, false);
			sheaf->size = 0;
			sheaf_free(s, sheaf, false);
		}
	}
	for (int cpu = 0; cpu < sa.nr_cpus; cpu++)
		deferred_drain(s, cpu);
}

/* Sheaves, barns and deferred lists back to the slabs (normal context). */
void cache_empty_sheaves(struct kmem_cache *s)
{
	pcs_free_sheaves(s);
	drain_barns_and_deferred(s);
}

/* ---- public API ---- */

struct kmem_cache *kmem_cache_create_args(const char *name, unsigned int size,
					  const struct kmem_cache_args *args, slab_flags_t flags)
{
	struct kmem_cache_args none = { .align = 0, .sheaf_capacity = SHEAF_CAPACITY_DEFAULT };
	struct kmem_cache *s;

	if (!args)
		args = &none;
	s = cache_create(name, size, args->align, flags, args->sheaf_capacity, false);
	if (!s)
		return NULL;
	if (cache_alloc_cpu_sheaves(s)) {
		pcs_free_sheaves(s);
		cache_free_struct(s);
		return NULL;
	}
	cache_list_add(s);
	return s;
}

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
				     slab_flags_t flags)
{
	struct kmem_cache_args args = { .align = align, .sheaf_capacity = SHEAF_CAPACITY_DEFAULT };

	return kmem_cache_create_args(name, size, &args, flags);
}

unsigned long kmem_cache_destroy(struct kmem_cache *s)
{
	unsigned long leaked;

	if (!s)
		return 0;
	cache_empty_sheaves(s);
	leaked = cache_release_slabs(s, true);
	stats_retire_cache(s);		/* off the list and into the totals at once */
	cache_free_struct(s);
	return leaked;
}

void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t gfp, int node)
{
	struct slab_alloc_context ctx = {
		.caller_addr = (unsigned long)__builtin_return_address(0),
		.orig_size = s->object_size,
		.alloc_flags = SLAB_ALLOC_DEFAULT,
	};

	return slab_alloc_node(s, gfp, node, &ctx);
}

void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	return slab_alloc_default(s, gfp, s->object_size,
				  (unsigned long)__builtin_return_address(0));
}

void kmem_cache_free(struct kmem_cache *s, void *obj)
{
	if (!obj)
		return;
	if (SB_ALLOC_DEBUG)
		slab_debug_on_free(s, obj, "kmem_cache_free");
	slab_free(s, obj);
}

int kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t gfp, size_t n, void **p)
{
	struct slab_alloc_context ctx = {
		.caller_addr = (unsigned long)__builtin_return_address(0),
		.orig_size = s->object_size,
		.alloc_flags = SLAB_ALLOC_DEFAULT,
	};

	for (size_t i = 0; i < n; i++) {
		p[i] = slab_alloc_node(s, gfp, NUMA_NO_NODE, &ctx);
		if (!p[i]) {
			kmem_cache_free_bulk(s, i, p);
			return 0;
		}
	}
	return (int)n;
}

void kmem_cache_free_bulk(struct kmem_cache *s, size_t n, void **p)
{
	for (size_t i = 0; i < n; i++)
		kmem_cache_free(s, p[i]);
}

unsigned long kmem_cache_shrink(struct kmem_cache *s)
{
	pcs_flush_all(s);
	drain_barns_and_deferred(s);
	return slab_shrink_node_lists(s);
}

const char *kmem_cache_name(const struct kmem_cache *s)
{
	return s->name;
}

unsigned int kmem_cache_size(const struct kmem_cache *s)
{
	return s->object_size;
}
