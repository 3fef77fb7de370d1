/* SPDX-License-Identifier: MIT */
/*
 * slab.c - layer 4: slabs and the per-node partial lists.
 *
 * A slab is a page run carved into equal objects; its descriptor (struct slab)
 * sits in an array beside mem_map and the head page's ->slab points at it.  Free objects
 * of a slab are chained through their first word.  The pair (freelist, inuse)
 * changes by one double-word compare-and-swap; list membership only under the
 * node's list_lock, which a free takes only when the slab changes lists.
 */
#include <errno.h>
#include <sys/mman.h>

#include "internal.h"

#define BITS_PER_LONG	(8 * sizeof(unsigned long))

/* ---- geometry: the kernel's calculate_order() ---- */

static unsigned int get_order(unsigned long bytes)
{
	unsigned int order = 0;

	while ((PAGE_SIZE << order) < bytes)
		order++;
	return order;
}

static unsigned int fls_u(unsigned int x)
{
	return x ? 32 - (unsigned int)__builtin_clz(x) : 0;
}

/* Smallest order from min_order up to SLAB_MAX_ORDER wasting at most 1/fract. */
static unsigned int calc_slab_order(unsigned int size, unsigned int min_order,
				    unsigned int fract)
{
	unsigned int order;

	for (order = min_order; order <= SLAB_MAX_ORDER; order++) {
		unsigned long slab_size = PAGE_SIZE << order;

		if (slab_size % size <= slab_size / fract)
			break;
	}
	return order;
}

/*
 * Order of a slab of objects of size bytes on nr_cpus CPUs: at least
 * 4 * (fls(nr_cpus) + 1) objects if that fits order 3, the least waste
 * accepted from 1/16 up to 1/2, and the object's own order if nothing fits.
 */
unsigned int calculate_order(unsigned int size, int nr_cpus)
{
	unsigned int min_objects = 4 * (fls_u((unsigned int)(nr_cpus > 1 ? nr_cpus : 1)) + 1);
	unsigned long max_objects = (PAGE_SIZE << SLAB_MAX_ORDER) / size;
	unsigned int min_order, order;

	if (!max_objects)
		max_objects = 1;
	if (min_objects > max_objects)
		min_objects = (unsigned int)max_objects;
	min_order = get_order((unsigned long)min_objects * size);
	for (unsigned int fract = 16; fract > 1; fract /= 2) {
		order = calc_slab_order(size, min_order, fract);
		if (order <= SLAB_MAX_ORDER)
			return order;
	}
	return get_order(size);
}

/* Debug bitmap at the run's end; without debug checks the run is all objects. */
static unsigned int debug_tail_size(unsigned long slab_size, unsigned int size)
{
	unsigned long bits = slab_size / size;

	if (!SB_ALLOC_DEBUG)
		return 0;
	return (unsigned int)((bits + BITS_PER_LONG - 1) / BITS_PER_LONG * sizeof(unsigned long));
}

void slab_geometry(struct kmem_cache *s)
{
	unsigned int order = calculate_order(s->size, sa.nr_cpus);

	for (;; order++) {
		unsigned long slab_size = PAGE_SIZE << order;

		s->debug_tail = debug_tail_size(slab_size, s->size);
		s->objects = (unsigned int)((slab_size - s->debug_tail) / s->size);
		if (s->objects)
			break;		/* debug builds: the bitmap may push one object out */
	}
	s->order = order;
}

/* ---- slab descriptors, one per page frame ---- */

static struct slab *slab_descs;
static size_t slab_descs_len;

/* After page_alloc_init(): reserved, touched only where slabs are. */
int slab_descs_init(void)
{
	slab_descs_len = page_alloc_nr_pages() * sizeof(struct slab);
	slab_descs = mmap(NULL, slab_descs_len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (slab_descs == MAP_FAILED) {
		slab_descs = NULL;
		return -ENOMEM;
	}
	return 0;
}

void slab_descs_exit(void)
{
	if (slab_descs)
		munmap(slab_descs, slab_descs_len);
	slab_descs = NULL;
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

/* nr_partial is written under list_lock and peeked without it (slab_alloc_bulk). */
static void partial_add(struct kmem_cache_node *kn, struct slab *slab)
{
	slab_list_add(&kn->partial, slab);
	slab->on_partial = true;
	__atomic_store_n(&kn->nr_partial, kn->nr_partial + 1, __ATOMIC_RELAXED);
}

static void partial_del(struct kmem_cache_node *kn, struct slab *slab)
{
	slab_list_del(&kn->partial, slab);
	slab->on_partial = false;
	__atomic_store_n(&kn->nr_partial, kn->nr_partial - 1, __ATOMIC_RELAXED);
}

static bool list_lock(struct kmem_cache *s, struct kmem_cache_node *kn, struct lock_site *ls,
		      bool nolock)
{
	lock_site_begin(ls, nolock);
	if (slab_lock_acquire(&kn->list_lock, nolock, &ls->ctx)) {
		atomic_store_explicit(&kn->list_holder, this_thread_token(), memory_order_relaxed);
		return true;
	}
	trylock_fail_split(s, ls->ctx.cpu, &kn->list_holder, STAT_list_trylock_fail_reentrant,
			   STAT_list_trylock_fail_cross);
	lock_site_end(ls, &s->cpu_sheaves[ls->ctx.cpu].list_lock);
	return false;
}

static void list_unlock(struct kmem_cache *s, struct kmem_cache_node *kn, struct lock_site *ls)
{
	atomic_store_explicit(&kn->list_holder, 0, memory_order_relaxed);
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
	slab = &slab_descs[page_to_pfn(page)];
	memset(slab, 0, sizeof(*slab));
	slab->cache = s;
	slab->objects = s->objects;
	slab->node = page_to_nid(page);
	slab->base = page_address(page);
	if (SB_ALLOC_DEBUG) {
		slab->alloc_map = (unsigned long *)(slab->base + (PAGE_SIZE << s->order) - s->debug_tail);
		memset(slab->alloc_map, 0, s->debug_tail);
	}
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
	struct page *page = virt_to_page(slab->base);

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

/* ---- the slab's (freelist, inuse) pair, updated with one double-word CAS ---- */

static void *slab_freelist(const struct slab *slab)
{
	return __atomic_load_n(&slab->freelist, __ATOMIC_ACQUIRE);
}

static unsigned long slab_inuse(const struct slab *slab)
{
	return __atomic_load_n(&slab->inuse, __ATOMIC_RELAXED);
}

/*
 * The kernel's slab_update_freelist() with __CMPXCHG_DOUBLE: both words or
 * neither.  Lockless for frees that move the slab between no lists; allocation
 * uses it too (under list_lock), since those frees may run at the same time.
 */
static bool slab_update_freelist(struct slab *slab, void *old_fl, unsigned long old_inuse,
				 void *new_fl, unsigned long new_inuse)
{
	union slab_fc old = { .freelist = old_fl, .inuse = old_inuse };
	union slab_fc new = { .freelist = new_fl, .inuse = new_inuse };

	return __sync_bool_compare_and_swap(&slab->fc, old.dw, new.dw);
}

/* ---- allocation from slabs ---- */

/*
 * Caller holds list_lock (which only allocation and list moves take), so the
 * chain below the head cannot change: concurrent frees only push on top.
 * Takes up to max objects off slab's freelist.
 */
static int slab_take(struct slab *slab, void **p, int max)
{
	void *head, *fl;
	unsigned long inuse;
	int got;

	do {
		head = fl = slab_freelist(slab);
		inuse = slab_inuse(slab);
		for (got = 0; got < max && fl; got++) {
			p[got] = fl;
			fl = *(void **)fl;
		}
	} while (!slab_update_freelist(slab, head, inuse, fl, inuse + (unsigned long)got));
	return got;
}

/* Caller holds list_lock.  Pops up to max objects off partial slabs. */
static int take_from_partial(struct kmem_cache_node *kn, void **p, int max)
{
	int got = 0;

	while (got < max && kn->partial.first) {
		struct slab *slab = kn->partial.first;

		got += slab_take(slab, p + got, max - got);
		if (!slab_freelist(slab)) {	/* stays NULL: frees of a full slab need list_lock */
			partial_del(kn, slab);
			slab_list_add(&kn->full, slab);
		}
	}
	__atomic_fetch_add(&kn->inuse, (uint64_t)got, __ATOMIC_RELAXED);
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
	__atomic_fetch_add(&kn->inuse, (uint64_t)slab->inuse, __ATOMIC_RELAXED);
	list_unlock(s, kn, &ls);
	return true;
}

/*
 * Up to max objects from node's partial slabs, else from one new slab (the
 * kernel's get_partial_node() then new_slab()).  The list_lock is skipped when
 * the node has no partial slab (racy peek, as the kernel's).  Nolock: a busy
 * list_lock only skips the partial slabs; a new slab still comes from
 * alloc_pages_nolock() and is listed with a trylock, or given back.
 */
int slab_alloc_bulk(struct kmem_cache *s, int node, const struct slab_alloc_context *ctx,
		    void **p, int max)
{
	bool nolock = ctx->alloc_flags & SLAB_ALLOC_NOLOCK;
	struct kmem_cache_node *kn = &s->node[node];
	struct lock_site ls;
	struct slab *slab;
	int got;

	if (__atomic_load_n(&kn->nr_partial, __ATOMIC_RELAXED) && list_lock(s, kn, &ls, nolock)) {
		got = take_from_partial(kn, p, max);
		list_unlock(s, kn, &ls);
		if (got)
			return got;
	}
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

/* ---- freeing to slabs: the kernel's __slab_free() ---- */

/*
 * Frees the chain head..tail (cnt objects of slab, already linked) with one
 * CAS.  list_lock is taken only when the slab changes lists: it was full
 * (goes to partial) or becomes empty (discarded when the node already has
 * min_partial partial slabs).  Nolock callers only trylock it and get false,
 * with nothing changed.  Empty slabs to discard are put on *discard.
 */
static bool slab_free_chain(struct kmem_cache *s, struct slab *slab, void *head, void *tail,
			    unsigned long cnt, bool nolock, struct slab **discard)
{
	struct kmem_cache_node *kn = &s->node[slab->node];
	struct lock_site ls;
	bool locked = false;
	void *prior;
	unsigned long inuse;

	for (;;) {
		prior = slab_freelist(slab);
		inuse = slab_inuse(slab);
		if (!locked && (inuse == cnt || !prior)) {
			if (!list_lock(s, kn, &ls, nolock))
				return false;
			locked = true;
			continue;	/* read again under the lock */
		}
		*(void **)tail = prior;
		if (slab_update_freelist(slab, prior, inuse, head, inuse - cnt))
			break;
	}
	__atomic_fetch_sub(&kn->inuse, (uint64_t)cnt, __ATOMIC_RELAXED);
	if (!locked)
		return true;
	if (inuse == cnt && kn->nr_partial >= s->min_partial) {
		if (prior)
			partial_del(kn, slab);
		else
			slab_list_del(&kn->full, slab);
		kn->nr_slabs--;
		slab->next = *discard;
		*discard = slab;
	} else if (!prior) {
		slab_list_del(&kn->full, slab);
		partial_add(kn, slab);
	}
	list_unlock(s, kn, &ls);
	return true;
}

/*
 * Frees p[0..n-1] (objects of s, any node) to their slabs, a run of objects of
 * one slab with one CAS (as the kernel's detached freelists).  Returns how many
 * were freed from the start of p: fewer than n only if nolock and a needed
 * list_lock was busy.
 */
int slab_free_bulk(struct kmem_cache *s, void **p, int n, bool nolock)
{
	struct slab *discard = NULL;
	int i = 0;

	while (i < n) {
		struct slab *slab = virt_to_slab(p[i]);
		int j = i + 1;

		while (j < n && virt_to_slab(p[j]) == slab) {
			*(void **)p[j - 1] = p[j];
			j++;
		}
		if (!slab_free_chain(s, slab, p[i], p[j - 1], (unsigned long)(j - i), nolock,
				     &discard))
			break;
		i = j;
	}
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
			if (slab_inuse(slab))
				continue;
			partial_del(kn, slab);
			kn->nr_slabs--;
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

		leaked += __atomic_load_n(&kn->inuse, __ATOMIC_RELAXED);
		for (int l = 0; l < 2; l++) {
			struct slab *slab = lists[l]->first;

			lists[l]->first = NULL;
			discard_slabs(s, slab, false);
		}
		kn->nr_partial = kn->nr_slabs = 0;
		__atomic_store_n(&kn->inuse, 0, __ATOMIC_RELAXED);
	}
	if (leaked && report)
		fprintf(stderr, "sheafalloc: kmem_cache_destroy(%s): %lu objects still allocated\n",
			s->name, leaked);
	return leaked;
}

