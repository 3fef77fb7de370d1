/* SPDX-License-Identifier: MIT */
/*
 * sheaf_fastpath.h - layer 4's fast paths, inlined into their callers.
 *
 * Alloc pops from the CPU's main sheaf and free pushes to it, under the per-CPU
 * lock that is only ever tried.  These few instructions are all a cache hit
 * costs, so they are static inline here (as mimalloc keeps its fast path in a
 * header); everything else - swap, barn trade, refill, flush - stays out of
 * line in sheaf.c behind pcs_replace_empty_main()/pcs_replace_full_main().
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

#endif /* SB_SHEAF_FASTPATH_H */
