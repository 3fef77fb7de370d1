/* SPDX-License-Identifier: MIT */
/*
 * slab.c - layer 4: slabs and the per-node partial lists.
 *
 * A slab is a page run carved into equal objects; its header (struct slab) sits
 * at the start of the run and the head page's ->slab points at it.  Free objects
 * of a slab are chained through their first word.  Slab state (freelist, inuse,
 * list membership) is only touched under the node's list_lock.
 */
#include "internal.h"

#define BITS_PER_LONG	(8 * sizeof(unsigned long))

/* ---- geometry ---- */

static unsigned int slab_hdr_size(unsigned int align, unsigned long max_objects)
{
	size_t hdr = sizeof(struct slab);

	if (SB_ALLOC_DEBUG)
		hdr += (max_objects + BITS_PER_LONG - 1) / BITS_PER_LONG * sizeof(unsigned long);
	return round_up_pow2((unsigned int)hdr, align > SB_CACHELINE ? align : SB_CACHELINE);
}

/* Smallest order that wastes at most 1/8 of the run, else the smallest that fits one. */
void slab_geometry(struct kmem_cache *s)
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

/* ---- destruction ---- */

/* Frees the obj_ext arrays of all slabs (kmalloc exit: before any cache is released). */
void slab_free_all_obj_exts(struct kmem_cache *s)
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
unsigned long slab_release_all(struct kmem_cache *s, bool report)
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

