/* SPDX-License-Identifier: MIT */
/*
 * cache.c - layer 6: kmem_cache_*() and the entry points that choose between
 * the CPU's sheaves (layer 5) and the slabs (layer 4): creation and
 * destruction of a cache, the out-of-line halves of cache_fastpath.h.
 */
#include "internal.h"
#include "cache_fastpath.h"

/*
 * As the kernel's calculate_sheaf_capacity(): a sheaf is kmalloc'ed, so its
 * capacity grows to fill its bucket (26 -> 28 for 256..1023 B objects).
 */
static int sheaf_capacity_round(int capacity)
{
	size_t hdr = offsetof(struct slab_sheaf, objects);
	size_t bytes = hdr + (size_t)capacity * sizeof(void *);

	if (capacity <= 0 || bytes > KMALLOC_MAX_CACHE_SIZE)
		return capacity;
	return (int)((kmalloc_sizes[kmalloc_index(bytes)] - hdr) / sizeof(void *));
}

static int default_sheaf_capacity(const struct kmem_cache *s, int requested)
{
	if (requested == SHEAF_CAPACITY_DEFAULT)
		requested = sa.sheaf_capacity;
	if (requested == SHEAF_CAPACITY_DEFAULT)
		requested = s->size < 256 ? 60 : s->size < 1024 ? 26 : s->size < PAGE_SIZE ? 12 : 4;
	return sheaf_capacity_round(requested);
}

/* ---- cache creation ---- */

/* The kernel's set_min_partial(s, ilog2(s->size) / 2), clamped to 5..10. */
static unsigned long cache_min_partial(unsigned int size)
{
	unsigned long m = (unsigned long)(31 - __builtin_clz(size)) / 2;

	return m < MIN_PARTIAL ? MIN_PARTIAL : m > MAX_PARTIAL ? MAX_PARTIAL : m;
}

static void cache_init_nodes(struct kmem_cache *s)
{
	for (int n = 0; n < sa.nr_nodes; n++) {
		struct kmem_cache_node *kn = &s->node[n];

		memset(kn, 0, sizeof(*kn));
		slab_lock_init(&kn->list_lock);
		barn_init(&kn->barn);
		sb_lm_site_register(&kn->list_lock, sizeof(kn->list_lock), "list_lock");
		sb_lm_site_register(&kn->barn.lock, sizeof(kn->barn.lock), "barn");
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
	if (!s)
		return NULL;
	memset(s, 0, len);
	for (int cpu = 0; cpu < sa.nr_cpus; cpu++) {
		s->cpu_sheaves[cpu].main = &sheaf_boot;
		sb_lm_site_register(&s->cpu_sheaves[cpu].locked, sizeof(atomic_uintptr_t), "pcs");
	}
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
	s->min_partial = cache_min_partial(s->size);
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
		struct slab_sheaf *sheaf = sheaf_alloc(s, SLAB_ALLOC_DEFAULT);

		if (!sheaf)
			return -1;
		s->cpu_sheaves[cpu].main = sheaf;
	}
	return 0;
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
 * serve it only when it is the local one), sheafless caches, and a failed
 * sheaf attempt (pcs_tried), which goes straight to the slabs.
 */
void *__slab_alloc_node(struct kmem_cache *s, gfp_t gfp, int node, struct slab_alloc_context *ctx,
			bool pcs_tried)
{
	void *obj = NULL;

	if (!pcs_tried && s->sheaf_capacity && (node == NUMA_NO_NODE || node == numa_node_id()))
		obj = alloc_from_pcs(s, ctx);
	if (!obj) {
		obj = slab_alloc_slowpath(s, node, ctx);
		if (!obj) {
			stat(s, STAT_alloc_failed);
			return NULL;
		}
	}
	if (!(ctx->alloc_flags & SLAB_ALLOC_NOLOCK))
		deferred_check();
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
	if (obj) {
		deferred_check();
		return obj;	/* the sheaves were tried only if no post-alloc work is due */
	}
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
		if (free_to_pcs(s, obj, false)) {
			deferred_check();
			return;
		}
	}
	slab_free_bulk(s, &obj, 1, false);
	stat(s, STAT_free_slowpath);
	deferred_check();
}

/* See slab_free(): one node, sheaves on. */
void slab_free_miss(struct kmem_cache *s, struct slub_percpu_sheaves *pcs, int cpu, void *obj)
{
	if (!pcs_free_miss(s, pcs, cpu, obj, false))
		__slab_free(s, obj, true);
	else
		deferred_check();
}

/*
 * Nolock context, the kernel's kfree_nolock(): only the CPU's sheaf, with the
 * barn tried; false for anything else (a remote object, no sheaves, a busy
 * pcs, a full main the barn could not trade): the caller defers it.  A slab
 * free could need list_lock after its CAS, which a nolock caller cannot wait for.
 */
bool slab_free_nolock(struct kmem_cache *s, void *obj)
{
	int local = 0;

	if (unlikely(obj_is_remote(obj, &local))) {
		stat(s, STAT_free_remote);
		return false;
	}
	return s->sheaf_capacity && free_to_pcs(s, obj, true);
}

/* Every barn's sheaves and every CPU's deferred frees back to the slabs (normal context). */
static void drain_barns_and_deferred(struct kmem_cache *s)
{
	for (int n = 0; n < sa.nr_nodes; n++) {
		struct slab_sheaf *sheaf;

		while ((sheaf = barn_pop_any(s, &s->node[n].barn))) {
			slab_free_bulk(s, sheaf->objects, (int)sheaf->size, false);
			sheaf->size = 0;
			sheaf_free(s, sheaf, false);
		}
	}
	for (int cpu = 0; cpu < sa.nr_cpus; cpu++)
		deferred_drain(cpu);
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
	leaked = slab_release_all(s, true);
	stats_retire_cache(s);		/* off the list and into the totals at once */
	cache_free_struct(s);
	return leaked;
}

void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t gfp, int node)
{
	struct slab_alloc_context ctx = {
		.caller_addr = _RET_IP_,
		.orig_size = s->object_size,
		.alloc_flags = SLAB_ALLOC_DEFAULT,
	};

	return slab_alloc_node(s, gfp, node, &ctx);
}

void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	return slab_alloc_default(s, gfp, s->object_size);
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
		.caller_addr = _RET_IP_,
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

/*
 * Every pass can free slabs: flushing sheaves empties slabs that go at once
 * when their node has min_partial partial slabs.  So the count is the cache's
 * free_slab counter across the call (exact when no other thread frees).
 */
unsigned long kmem_cache_shrink(struct kmem_cache *s)
{
	uint64_t before = cache_stat_sum(s, STAT_free_slab);

	pcs_flush_all(s);
	drain_barns_and_deferred(s);
	slab_shrink_node_lists(s);
	return (unsigned long)(cache_stat_sum(s, STAT_free_slab) - before) << s->order;
}

const char *kmem_cache_name(const struct kmem_cache *s)
{
	return s->name;
}

unsigned int kmem_cache_size(const struct kmem_cache *s)
{
	return s->object_size;
}
