/* SPDX-License-Identifier: MIT */
/*
 * cache_fastpath.h - layer 6's entry points, hit path inline.
 *
 * slab_alloc_default() and slab_free() serve kmalloc()/kfree() and
 * kmem_cache_alloc()/kmem_cache_free(): every way out of them that is not a
 * hit is a tail call with arguments in registers (into cache.c), so a hit
 * needs no stack frame, no saved registers and no slab_alloc_context in
 * memory.  slab_alloc_node() is the general form (a node, alloc_flags).
 */
#ifndef SB_CACHE_FASTPATH_H
#define SB_CACHE_FASTPATH_H

#include "sheaf_fastpath.h"

/* Debug checks, allocation tags and zeroing happen in slab_post_alloc(), out of line. */
static SB_ALWAYS_INLINE bool slab_wants_post_alloc(const struct kmem_cache *s, gfp_t gfp)
{
	return SB_ALLOC_DEBUG || (s->flags & SLAB_OBJ_EXT) || (gfp & __GFP_ZERO);
}

/*
 * Normal context, any node, SLAB_ALLOC_DEFAULT: kmalloc() and kmem_cache_alloc().
 * slab_alloc_default_miss() gets pcs locked with an empty main, or NULL with
 * cpu >= 0 after a failed trylock, or cpu < 0 when the sheaves were not tried
 * (also where only sb_current_cpu() knows the CPU: a call here would make
 * every hit save registers).
 */
static SB_ALWAYS_INLINE
void *slab_alloc_default(struct kmem_cache *s, gfp_t gfp, size_t orig_size)
{
	struct slub_percpu_sheaves *pcs;
	struct slab_sheaf *main;
	void *obj;
	int cpu;

	cpu = this_cpu_rseq();
	if (unlikely(cpu < 0 || !s->sheaf_capacity || slab_wants_post_alloc(s, gfp)))
		return slab_alloc_default_miss(s, NULL, -1, gfp, orig_size, _RET_IP_);
	pcs = pcs_trylock(s, cpu);
	if (unlikely(!pcs))
		return slab_alloc_default_miss(s, NULL, cpu, gfp, orig_size, _RET_IP_);
	main = pcs->main;
	if (unlikely(!main->size))
		return slab_alloc_default_miss(s, pcs, cpu, gfp, orig_size, _RET_IP_);
	obj = sheaf_pop(pcs, main);
	pcs_unlock(pcs);
	return deferred_check_ret(obj);
}

/*
 * Local node, sheaves on: the cases the sheaves serve without a question
 * (NO_RECURSE too: it only keeps a miss from allocating a sheaf).
 */
static SB_ALWAYS_INLINE bool slab_alloc_wants_pcs(const struct kmem_cache *s, int node,
						  const struct slab_alloc_context *ctx)
{
	return likely(s->sheaf_capacity) && node == NUMA_NO_NODE;
}

/* Any context, node and alloc_flags. */
static SB_ALWAYS_INLINE
void *slab_alloc_node(struct kmem_cache *s, gfp_t gfp, int node, struct slab_alloc_context *ctx)
{
	void *obj;

	if (unlikely(!slab_alloc_wants_pcs(s, node, ctx)))
		return __slab_alloc_node(s, gfp, node, ctx, false);
	obj = alloc_from_pcs(s, ctx);
	if (unlikely(!obj))
		return __slab_alloc_node(s, gfp, node, ctx, true);
	if (!(ctx->alloc_flags & SLAB_ALLOC_NOLOCK))
		deferred_check();
	if (unlikely(slab_wants_post_alloc(s, gfp)))
		return slab_post_alloc(s, obj, gfp, ctx);
	return obj;
}

/*
 * Normal context.  One node: no object is remote, so no node lookup.
 * slab_free_miss() gets pcs locked with a full main, or NULL after a failed
 * trylock.
 */
static SB_ALWAYS_INLINE void slab_free(struct kmem_cache *s, void *obj)
{
	struct slub_percpu_sheaves *pcs;
	struct slab_sheaf *main;
	int cpu;

	cpu = this_cpu_rseq();
	if (unlikely(cpu < 0 || sa.nr_nodes != 1 || !s->sheaf_capacity)) {
		__slab_free(s, obj, false);
		return;
	}
	pcs = pcs_trylock(s, cpu);
	if (unlikely(!pcs)) {
		slab_free_miss(s, NULL, cpu, obj);
		return;
	}
	main = pcs->main;
	if (unlikely(main->size == main->capacity)) {
		slab_free_miss(s, pcs, cpu, obj);
		return;
	}
	sheaf_push(pcs, main, obj);
	pcs_unlock(pcs);
	deferred_check();
}

#endif /* SB_CACHE_FASTPATH_H */
