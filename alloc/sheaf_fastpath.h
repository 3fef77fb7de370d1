/* SPDX-License-Identifier: MIT */
/*
 * sheaf_fastpath.h - layer 4's fast paths, inlined into their callers.
 *
 * Alloc pops from the CPU's main sheaf and free pushes to it, under the per-CPU
 * lock that is only ever tried.  These few instructions are all a cache hit
 * costs, so they are static inline here (as mimalloc keeps its fast path in a
 * header); everything else - swap, barn trade, refill, flush - stays out of
 * line in sheaf.c behind pcs_replace_empty_main()/pcs_replace_full_main().
 * So do layer 3's entry points slab_alloc_node() and slab_free(): a hit is
 * decided here, and everything else is one call to __slab_alloc_node() or
 * __slab_free() in slab.c.  A kmalloc()/kfree() hit makes no call at all.
 */
#ifndef SB_SHEAF_FASTPATH_H
#define SB_SHEAF_FASTPATH_H

#include "internal.h"

/* ---- the per-CPU trylock ---- */

static inline struct slub_percpu_sheaves *pcs_trylock(struct kmem_cache *s, int *cpup)
{
	int cpu = this_cpu();
	struct slub_percpu_sheaves *pcs = &s->cpu_sheaves[cpu];

	*cpup = cpu;
	if (unlikely(atomic_load_explicit(&pcs->locked, memory_order_relaxed) ||
		     atomic_exchange_explicit(&pcs->locked, 1, memory_order_acquire))) {
		stat_add(s, cpu, STAT_pcs_trylock_fail, 1);
		return NULL;
	}
	stat_locked(pcs, STAT_pcs_trylock);
	return pcs;
}

static inline void pcs_unlock(struct slub_percpu_sheaves *pcs)
{
	atomic_store_explicit(&pcs->locked, 0, memory_order_release);
}

/* ---- alloc and free fast paths ---- */

/* Always inlined: GCC otherwise keeps them out of line in slab_free(). */
static inline __attribute__((always_inline))
void *alloc_from_pcs(struct kmem_cache *s, const struct slab_alloc_context *ctx)
{
	struct slub_percpu_sheaves *pcs;
	struct slab_sheaf *main;
	void *obj;
	int cpu;

	pcs = pcs_trylock(s, &cpu);
	if (unlikely(!pcs))
		return NULL;
	main = pcs->main;
	if (unlikely(!main->size)) {
		main = pcs_replace_empty_main(s, pcs, cpu, ctx);
		if (!main) {
			pcs_unlock(pcs);
			return NULL;
		}
	}
	obj = main->objects[--main->size];
	stat_locked(pcs, STAT_alloc_fastpath);
	pcs_unlock(pcs);
	return obj;
}

static inline __attribute__((always_inline))
bool free_to_pcs(struct kmem_cache *s, void *obj, bool nolock)
{
	struct slub_percpu_sheaves *pcs;
	struct slab_sheaf *main;
	int cpu;

	pcs = pcs_trylock(s, &cpu);
	if (unlikely(!pcs))
		return false;
	main = pcs->main;
	if (unlikely(main->size == main->capacity)) {
		main = pcs_replace_full_main(s, pcs, cpu, nolock);
		if (!main) {
			pcs_unlock(pcs);
			return false;
		}
	}
	main->objects[main->size++] = obj;
	stat_locked(pcs, STAT_free_fastpath);
	pcs_unlock(pcs);
	return true;
}

/* ---- layer 3's entry points, hit path inline ---- */

/* Local node, sheaves on, may recurse: the cases the sheaves serve without a question. */
static inline bool slab_alloc_wants_pcs(const struct kmem_cache *s, int node,
					const struct slab_alloc_context *ctx)
{
	return likely(s->sheaf_capacity) && node == NUMA_NO_NODE &&
	       !(ctx->alloc_flags & SLAB_ALLOC_NO_RECURSE);
}

static inline bool slab_wants_post_alloc(const struct kmem_cache *s, gfp_t gfp)
{
	return SB_ALLOC_DEBUG || (s->flags & SLAB_OBJ_EXT) || (gfp & __GFP_ZERO);
}

static inline __attribute__((always_inline))
void *slab_alloc_node(struct kmem_cache *s, gfp_t gfp, int node, struct slab_alloc_context *ctx)
{
	void *obj;

	if (unlikely(!slab_alloc_wants_pcs(s, node, ctx)))
		return __slab_alloc_node(s, gfp, node, ctx, false);
	obj = alloc_from_pcs(s, ctx);
	if (unlikely(!obj))
		return __slab_alloc_node(s, gfp, node, ctx, true);
	if (unlikely(slab_wants_post_alloc(s, gfp)))
		return slab_post_alloc(s, obj, gfp, ctx);
	return obj;
}

/* Normal context.  One node: no object is remote, so no node lookup. */
static inline __attribute__((always_inline))
void slab_free(struct kmem_cache *s, void *obj)
{
	if (likely(sa.nr_nodes == 1) && likely(s->sheaf_capacity)) {
		if (likely(free_to_pcs(s, obj, false)))
			return;
		__slab_free(s, obj, true);
		return;
	}
	__slab_free(s, obj, false);
}

#endif /* SB_SHEAF_FASTPATH_H */
