/* SPDX-License-Identifier: MIT */
/*
 * sheaf_fastpath.h - layer 4's fast paths, inlined into their callers.
 *
 * Alloc pops from the CPU's main sheaf and free pushes to it, under the per-CPU
 * lock that is only ever tried.  These few instructions are all a cache hit
 * costs, so they are static inline here (as mimalloc keeps its fast path in a
 * header); everything else - swap, barn trade, refill, flush - stays out of
 * line in sheaf.c behind pcs_alloc_miss()/pcs_free_miss().
 *
 * So do layer 3's entry points.  slab_alloc_default() and slab_free() serve
 * kmalloc()/kfree() and kmem_cache_alloc()/kmem_cache_free(): every way out of
 * them that is not a hit is a tail call with arguments in registers, so a hit
 * needs no stack frame, no saved registers and no slab_alloc_context in
 * memory.  slab_alloc_node() is the general form (a node, alloc_flags).
 */
#ifndef SB_SHEAF_FASTPATH_H
#define SB_SHEAF_FASTPATH_H

#include "internal.h"

#define SB_ALWAYS_INLINE	inline __attribute__((always_inline))

/* ---- the per-CPU trylock ---- */

/*
 * NULL if busy: a thread preempted on this CPU, or a signal handler that
 * interrupted the holder.  Counting is left to the callers (see stats.c): a hit
 * bumps only its fastpath counter.
 */
static SB_ALWAYS_INLINE
struct slub_percpu_sheaves *pcs_trylock(struct kmem_cache *s, int cpu)
{
	struct slub_percpu_sheaves *pcs = &s->cpu_sheaves[cpu];

	if (unlikely(atomic_load_explicit(&pcs->locked, memory_order_relaxed) ||
		     atomic_exchange_explicit(&pcs->locked, 1, memory_order_acquire)))
		return NULL;
	return pcs;
}

static SB_ALWAYS_INLINE void pcs_unlock(struct slub_percpu_sheaves *pcs)
{
	atomic_store_explicit(&pcs->locked, 0, memory_order_release);
}

/* Under the pcs lock: pop from a main that is not empty, push to one that is not full. */
static SB_ALWAYS_INLINE void *sheaf_pop(struct slub_percpu_sheaves *pcs, struct slab_sheaf *main)
{
	stat_locked(pcs, STAT_alloc_fastpath);
	return main->objects[--main->size];
}

static SB_ALWAYS_INLINE void sheaf_push(struct slub_percpu_sheaves *pcs, struct slab_sheaf *main,
					void *obj)
{
	main->objects[main->size++] = obj;
	stat_locked(pcs, STAT_free_fastpath);
}

/* ---- alloc and free fast paths, any context ---- */

static SB_ALWAYS_INLINE
void *alloc_from_pcs(struct kmem_cache *s, const struct slab_alloc_context *ctx)
{
	struct slub_percpu_sheaves *pcs;
	struct slab_sheaf *main;
	void *obj;
	int cpu;

	cpu = this_cpu();
	pcs = pcs_trylock(s, cpu);
	if (unlikely(!pcs))
		return pcs_alloc_miss(s, NULL, cpu, ctx);
	main = pcs->main;
	if (unlikely(!main->size))
		return pcs_alloc_miss(s, pcs, cpu, ctx);
	obj = sheaf_pop(pcs, main);
	pcs_unlock(pcs);
	return obj;
}

static SB_ALWAYS_INLINE
bool free_to_pcs(struct kmem_cache *s, void *obj, bool nolock)
{
	struct slub_percpu_sheaves *pcs;
	struct slab_sheaf *main;
	int cpu;

	cpu = this_cpu();
	pcs = pcs_trylock(s, cpu);
	if (unlikely(!pcs))
		return pcs_free_miss(s, NULL, cpu, obj, nolock);
	main = pcs->main;
	if (unlikely(main->size == main->capacity))
		return pcs_free_miss(s, pcs, cpu, obj, nolock);
	sheaf_push(pcs, main, obj);
	pcs_unlock(pcs);
	return true;
}

/* ---- layer 3's entry points, hit path inline ---- */

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
void *slab_alloc_default(struct kmem_cache *s, gfp_t gfp, size_t orig_size, unsigned long caller)
{
	struct slub_percpu_sheaves *pcs;
	struct slab_sheaf *main;
	void *obj;
	int cpu;

	cpu = this_cpu_rseq();
	if (unlikely(cpu < 0 || !s->sheaf_capacity || slab_wants_post_alloc(s, gfp)))
		return slab_alloc_default_miss(s, NULL, -1, gfp, orig_size, caller);
	pcs = pcs_trylock(s, cpu);
	if (unlikely(!pcs))
		return slab_alloc_default_miss(s, NULL, cpu, gfp, orig_size, caller);
	main = pcs->main;
	if (unlikely(!main->size))
		return slab_alloc_default_miss(s, pcs, cpu, gfp, orig_size, caller);
	obj = sheaf_pop(pcs, main);
	pcs_unlock(pcs);
	return obj;
}

/* Local node, sheaves on, may recurse: the cases the sheaves serve without a question. */
static SB_ALWAYS_INLINE bool slab_alloc_wants_pcs(const struct kmem_cache *s, int node,
						  const struct slab_alloc_context *ctx)
{
	return likely(s->sheaf_capacity) && node == NUMA_NO_NODE &&
	       !(ctx->alloc_flags & SLAB_ALLOC_NO_RECURSE);
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
}

#endif /* SB_SHEAF_FASTPATH_H */
