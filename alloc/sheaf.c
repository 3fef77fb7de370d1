/* SPDX-License-Identifier: MIT */
/*
 * sheaf.c - layer 5: per-CPU sheaves (design.md 2.4).
 *
 * Alloc pops from the CPU's main sheaf; free pushes to it.  Empty main: swap
 * with a non-empty spare, else trade it at the barn for a full one, else refill
 * it from the slabs.  Full main: swap with an empty spare, else trade it at the
 * barn for an empty one, else a fresh sheaf, else flush it to the slabs.
 * The per-CPU lock is only tried; on failure the caller goes to the slabs.
 * Lock order: pcs lock -> barn lock, pcs lock -> list_lock -> zone lock.
 */
#include <sched.h>

#include "internal.h"
#include "sheaf_fastpath.h"

/* ---- sheaf structures: kmalloc'ed, but never through sheaves themselves ---- */

struct slab_sheaf *sheaf_alloc(struct kmem_cache *s, unsigned int alloc_flags)
{
	size_t bytes = sizeof(struct slab_sheaf) + (size_t)s->sheaf_capacity * sizeof(void *);
	struct slab_alloc_context ctx = {
		.caller_addr = (unsigned long)__builtin_return_address(0),
		.orig_size = bytes,
		.alloc_flags = alloc_flags | SLAB_ALLOC_NO_RECURSE,
	};
	struct slab_sheaf *sheaf = kmalloc_flags_ctx(bytes, GFP_KERNEL, NUMA_NO_NODE, &ctx);

	if (!sheaf)
		return NULL;
	sheaf->next = NULL;
	sheaf->size = 0;
	sheaf->capacity = (unsigned int)s->sheaf_capacity;
	stat(s, STAT_sheaf_alloc);
	return sheaf;
}

void sheaf_free(struct kmem_cache *s, struct slab_sheaf *sheaf, bool nolock)
{
	metadata_free(sheaf, nolock);
	stat(s, STAT_sheaf_free);
}

/* ---- other CPUs' sheaves ---- */

/* Normal context, another CPU's sheaves (shrink, destroy, slabinfo): wait for it. */
static struct slub_percpu_sheaves *pcs_lock_cpu(struct kmem_cache *s, int cpu)
{
	struct slub_percpu_sheaves *pcs = &s->cpu_sheaves[cpu];

	while (atomic_exchange_explicit(&pcs->locked, 1, memory_order_acquire))
		sched_yield();
	return pcs;
}

static void swap_main_spare(struct slub_percpu_sheaves *pcs)
{
	struct slab_sheaf *tmp = pcs->main;

	pcs->main = pcs->spare;
	pcs->spare = tmp;
	stat_locked(pcs, STAT_sheaf_swap);
}

static struct node_barn *cpu_barn(struct kmem_cache *s, int cpu)
{
	return &s->node[cpu_to_node(cpu)].barn;
}

/* ---- refill and flush ---- */

/* Caller holds the pcs lock.  Fills sheaf from the cpu's node; false if nothing came. */
static bool pcs_refill(struct kmem_cache *s, struct slab_sheaf *sheaf, int cpu,
		       const struct slab_alloc_context *ctx)
{
	int got = slab_alloc_bulk(s, cpu_to_node(cpu), ctx, sheaf->objects + sheaf->size,
				  (int)(sheaf->capacity - sheaf->size));

	sheaf->size += (unsigned int)got;
	return got > 0;
}

/* Objects of sheaf back to their slabs; nolock may leave some (list_lock busy). */
static void pcs_flush(struct kmem_cache *s, struct slab_sheaf *sheaf, bool nolock)
{
	int done = slab_free_bulk(s, sheaf->objects, (int)sheaf->size, nolock);

	sheaf->size -= (unsigned int)done;
	memmove(sheaf->objects, sheaf->objects + done, sheaf->size * sizeof(void *));
}

/* ---- alloc side ---- */

/* Caller holds the pcs lock and main is empty.  Returns a non-empty main or NULL. */
static struct slab_sheaf *pcs_replace_empty_main(struct kmem_cache *s,
						 struct slub_percpu_sheaves *pcs, int cpu,
						 const struct slab_alloc_context *ctx)
{
	bool nolock = ctx->alloc_flags & SLAB_ALLOC_NOLOCK;
	struct slab_sheaf *full, *spill;

	if (!nolock && unlikely(deferred_pending(s, cpu)))
		deferred_drain(s, cpu);
	if (pcs->spare && pcs->spare->size) {
		swap_main_spare(pcs);
		return pcs->main;
	}
	/* Without a spare, keep our empty main as the spare instead of giving it away. */
	full = barn_take_full(s, cpu_barn(s, cpu), pcs->spare ? pcs->main : NULL, nolock, &spill);
	if (full) {
		stat_locked(pcs, STAT_barn_take_full);
		if (!pcs->spare)
			pcs->spare = pcs->main;
		pcs->main = full;
		if (spill) {
			stat_locked(pcs, STAT_barn_put_empty_fail);
			sheaf_free(s, spill, nolock);
		}
		return full;
	}
	stat_locked(pcs, STAT_barn_take_full_miss);
	if (pcs_refill(s, pcs->main, cpu, ctx)) {
		stat_locked(pcs, STAT_sheaf_refill);
		return pcs->main;
	}
	stat_locked(pcs, STAT_sheaf_refill_fail);
	return NULL;
}

/*
 * A successful trylock that ends in a pop or push is counted only by
 * alloc_fastpath/free_fastpath; pcs_trylock counts the ones that do not, and
 * stats_finish() adds the three.
 */
void *pcs_alloc_miss(struct kmem_cache *s, struct slub_percpu_sheaves *pcs, int cpu,
		     const struct slab_alloc_context *ctx)
{
	struct slab_sheaf *main;
	void *obj = NULL;

	if (!pcs) {
		stat_add(s, cpu, STAT_pcs_trylock_fail, 1);
		return NULL;
	}
	main = pcs_replace_empty_main(s, pcs, cpu, ctx);
	if (main)
		obj = sheaf_pop(pcs, main);
	else
		stat_locked(pcs, STAT_pcs_trylock);
	pcs_unlock(pcs);
	return obj;
}

/* ---- free side ---- */

/* Normal context, barn had no empty sheaf: make one rather than flush. */
static struct slab_sheaf *pcs_new_empty(struct kmem_cache *s, struct slub_percpu_sheaves *pcs,
					int cpu)
{
	struct slab_sheaf *empty = sheaf_alloc(s, SLAB_ALLOC_DEFAULT);

	if (!empty)
		return NULL;
	if (!pcs->spare) {
		pcs->spare = pcs->main;
	} else if (!barn_put_full(s, cpu_barn(s, cpu), pcs->main, false)) {
		stat_locked(pcs, STAT_barn_put_full_fail);
		sheaf_free(s, empty, false);
		return NULL;
	}
	pcs->main = empty;
	return empty;
}

/* Caller holds the pcs lock and main is full.  Returns a main with room, or NULL. */
static struct slab_sheaf *pcs_replace_full_main(struct kmem_cache *s,
						struct slub_percpu_sheaves *pcs, int cpu,
						bool nolock)
{
	struct slab_sheaf *empty;

	if (!nolock && unlikely(deferred_pending(s, cpu)))
		deferred_drain(s, cpu);
	if (pcs->spare && !pcs->spare->size) {
		swap_main_spare(pcs);
		return pcs->main;
	}
	/* Without a spare, our full main becomes the spare; else it goes to the barn. */
	empty = barn_take_empty(s, cpu_barn(s, cpu), pcs->spare ? pcs->main : NULL, nolock);
	if (empty) {
		stat_locked(pcs, STAT_barn_take_empty);
		if (!pcs->spare)
			pcs->spare = pcs->main;
		pcs->main = empty;
		return empty;
	}
	stat_locked(pcs, STAT_barn_take_empty_miss);
	if (!nolock && (empty = pcs_new_empty(s, pcs, cpu)))
		return empty;
	pcs_flush(s, pcs->main, nolock);
	stat_locked(pcs, STAT_sheaf_flush);
	return pcs->main->size < pcs->main->capacity ? pcs->main : NULL;
}

/* See pcs_alloc_miss(). */
bool pcs_free_miss(struct kmem_cache *s, struct slub_percpu_sheaves *pcs, int cpu, void *obj,
		   bool nolock)
{
	struct slab_sheaf *main;

	if (!pcs) {
		stat_add(s, cpu, STAT_pcs_trylock_fail, 1);
		return false;
	}
	main = pcs_replace_full_main(s, pcs, cpu, nolock);
	if (main)
		sheaf_push(pcs, main, obj);
	else
		stat_locked(pcs, STAT_pcs_trylock);
	pcs_unlock(pcs);
	return main != NULL;
}

/* ---- whole-cache operations (normal context) ---- */

void pcs_flush_all(struct kmem_cache *s)
{
	if (!s->sheaf_capacity)
		return;
	for (int cpu = 0; cpu < sa.nr_cpus; cpu++) {
		struct slub_percpu_sheaves *pcs = pcs_lock_cpu(s, cpu);

		if (pcs->main)
			pcs_flush(s, pcs->main, false);
		if (pcs->spare)
			pcs_flush(s, pcs->spare, false);
		pcs_unlock(pcs);
	}
}

void pcs_free_sheaves(struct kmem_cache *s)
{
	if (!s->sheaf_capacity)
		return;
	for (int cpu = 0; cpu < sa.nr_cpus; cpu++) {
		struct slub_percpu_sheaves *pcs = pcs_lock_cpu(s, cpu);
		struct slab_sheaf *sheaves[2] = { pcs->main, pcs->spare };

		pcs->main = pcs->spare = NULL;
		pcs_unlock(pcs);
		for (int i = 0; i < 2; i++) {
			if (!sheaves[i])
				continue;
			pcs_flush(s, sheaves[i], false);
			sheaf_free(s, sheaves[i], false);
		}
	}
}

/* Counts sheaves and their objects on every CPU (normal context). */
void pcs_count(struct kmem_cache *s, uint64_t *nr_sheaves, uint64_t *objects)
{
	if (!s->sheaf_capacity)
		return;
	for (int cpu = 0; cpu < sa.nr_cpus; cpu++) {
		struct slub_percpu_sheaves *pcs = pcs_lock_cpu(s, cpu);
		struct slab_sheaf *sheaves[2] = { pcs->main, pcs->spare };

		for (int i = 0; i < 2; i++) {
			if (!sheaves[i] || !sheaves[i]->size)
				continue;
			(*nr_sheaves)++;
			*objects += sheaves[i]->size;
		}
		pcs_unlock(pcs);
	}
}

/* ---- slab metadata (sheaves, obj_ext arrays) ---- */

/* Straight to the slab, never via a sheaf; deferred if nolock and list_lock busy. */
void metadata_free(const void *p, bool nolock)
{
	struct slab *slab = virt_to_slab(p);
	void *obj = (void *)p;

	if (SB_ALLOC_DEBUG)
		slab_debug_on_free(NULL, p, "metadata_free");
	if (slab_free_bulk(slab->cache, &obj, 1, nolock) == 1)
		stat(slab->cache, STAT_free_slowpath);
	else
		deferred_push(slab->cache, obj);
}

/* ---- kfree_nolock's deferred lists ---- */

/* Lock-free push on the current CPU's list (async-signal-safe). */
void deferred_push(struct kmem_cache *s, void *obj)
{
	int cpu = this_cpu();
	void *_Atomic *head = &s->cpu_sheaves[cpu].deferred;
	void *old = atomic_load_explicit(head, memory_order_relaxed);

	do {
		*(void **)obj = old;
	} while (!atomic_compare_exchange_weak_explicit(head, &old, obj, memory_order_release,
							memory_order_relaxed));
	stat_add(s, cpu, STAT_deferred_queued, 1);
}

/* Normal context: frees cpu's deferred objects to their slabs. */
void deferred_drain(struct kmem_cache *s, int cpu)
{
	void *obj = atomic_exchange_explicit(&s->cpu_sheaves[cpu].deferred, NULL,
					     memory_order_acquire);
	uint64_t n = 0;

	while (obj) {
		void *next = *(void **)obj;

		slab_free_bulk(s, &obj, 1, false);
		obj = next;
		n++;
	}
	if (n)
		stat_add(s, cpu, STAT_deferred_drained, n);
}
