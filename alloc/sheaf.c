/* SPDX-License-Identifier: MIT */
/*
 * sheaf.c - layer 5: per-CPU sheaves (design.md 2.4).
 *
 * Alloc pops from the CPU's main sheaf; free pushes to it.  Empty main: swap
 * with a non-empty spare, else trade it at the barn for a full one, else refill
 * a detached empty sheaf from the slabs.  Full main: swap with an empty spare,
 * else trade it at the barn for an empty one, else flush the spare (barn full)
 * or allocate a sheaf, else flush main to the slabs.  The per-CPU lock is only
 * tried; on failure the caller goes to the slabs.  As in the kernel it is held
 * only to pop, push, swap and install: refills, flushes and sheaf allocation
 * run with it released (detach, unlock, work, trylock again, install).
 * Lock order: pcs lock -> barn lock; list_lock and the zone lock are never
 * taken under the pcs lock.
 */
#include <sched.h>

#include "internal.h"
#include "sheaf_fastpath.h"

#if SB_PCS_RSEQ
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

/* ---- sheaf structures: kmalloc'ed with SLAB_ALLOC_NO_RECURSE ---- */

/*
 * Every CPU's main until its first sheaf is installed (the kernel's
 * bootstrap_sheaf): empty with no room, so both fast paths miss and a
 * NO_RECURSE allocation goes to the slabs while the kmalloc caches make their
 * own sheaves.
 */
struct slab_sheaf sheaf_boot;

struct slab_sheaf *sheaf_alloc(struct kmem_cache *s, unsigned int alloc_flags)
{
	size_t bytes = sizeof(struct slab_sheaf) + (size_t)s->sheaf_capacity * sizeof(void *);
	struct slab_alloc_context ctx = {
		.caller_addr = _RET_IP_,
		.orig_size = bytes,
		.alloc_flags = alloc_flags | SLAB_ALLOC_NO_RECURSE,
	};
	struct slab_sheaf *sheaf = kmalloc_flags_ctx(bytes, GFP_KERNEL, NUMA_NO_NODE, &ctx);

	if (!sheaf)
		return NULL;
	sheaf->next = NULL;
	sheaf->cache = s;
	sheaf->node = numa_node_id();
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

#if SB_PCS_RSEQ
/* Restart every rseq critical section in flight on @cpu (IPI), or abort. */
static void pcs_fence_cpu(int cpu)
{
	if (!syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ,
		     MEMBARRIER_CMD_FLAG_CPU, cpu))
		return;
	/* The registration is per mm: a child of fork() may need its own. */
	if (!syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0) &&
	    !syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ,
		     MEMBARRIER_CMD_FLAG_CPU, cpu))
		return;
	slab_bug("membarrier(PRIVATE_EXPEDITED_RSEQ, cpu %d) failed after registration", cpu);
}

/*
 * With the rseq claim, a section on @cpu that read 0 before our CAS may still
 * commit its store over our token.  The membarrier restarts every section in
 * flight on @cpu; after it, our token still in the word means we hold the
 * lock (later sections read it and fail).  Otherwise a local thread holds it.
 */
static bool pcs_lock_cpu_rseq(struct slub_percpu_sheaves *pcs, int cpu)
{
	uintptr_t token = this_thread_token(), free_word = 0;

	if (!atomic_compare_exchange_strong_explicit(&pcs->locked, &free_word, token,
						     memory_order_acquire, memory_order_relaxed))
		return false;
	pcs_fence_cpu(cpu);
	return atomic_load_explicit(&pcs->locked, memory_order_acquire) == token;
}
#endif

/* Normal context, another CPU's sheaves (shrink, destroy, slabinfo): wait for it. */
static struct slub_percpu_sheaves *pcs_lock_cpu(struct kmem_cache *s, int cpu)
{
	struct slub_percpu_sheaves *pcs = &s->cpu_sheaves[cpu];

#if SB_PCS_RSEQ
	if (sa.pcs_rseq) {
		while (!pcs_lock_cpu_rseq(pcs, cpu))
			sched_yield();
		return pcs;
	}
#endif
	while (sb_lm_xchg(&pcs->locked, this_thread_token(), __ATOMIC_ACQUIRE))
		sched_yield();
	return pcs;
}

void pcs_trylock_failed(struct kmem_cache *s, int cpu)
{
	stat_add(s, cpu, STAT_pcs_trylock_fail, 1);
	trylock_fail_split(s, cpu, &s->cpu_sheaves[cpu].locked, STAT_pcs_trylock_fail_reentrant,
			   STAT_pcs_trylock_fail_cross);
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

/* Normal context, no lock held: kfree_nolock's deferred objects of cpu, if any. */
static void deferred_drain_normal(struct kmem_cache *s, int cpu, bool nolock)
{
	if (!nolock && unlikely(deferred_pending(cpu)))
		deferred_drain(cpu);
}

/* ---- refill and flush, with the pcs lock released ---- */

/* Test hook: called with the pcs lock released, just before a refill works. */
void (*pcs_refill_hook)(struct kmem_cache *s);

/* No lock held.  Fills sheaf from the node's slabs; false if nothing came. */
static bool sheaf_refill(struct kmem_cache *s, struct slab_sheaf *sheaf, int node,
			 const struct slab_alloc_context *ctx)
{
	int got;

	if (unlikely(pcs_refill_hook))
		pcs_refill_hook(s);
	got = slab_alloc_bulk(s, node, ctx, sheaf->objects + sheaf->size,
			      (int)(sheaf->capacity - sheaf->size));
	sheaf->size += (unsigned int)got;
	return got > 0;
}

/* No lock held: every object of a detached sheaf back to its slab. */
static void sheaf_flush_unused(struct kmem_cache *s, struct slab_sheaf *sheaf)
{
	if (!sheaf->size)
		return;
	slab_free_bulk(s, sheaf->objects, (int)sheaf->size, false);
	sheaf->size = 0;
	stat(s, STAT_sheaf_flush);
}

/*
 * Normal context: cpu's main sheaf to the slabs in batches, each taken off
 * under the pcs lock and freed after it is released (the kernel's
 * sheaf_flush_main).  cpu < 0: the current CPU, with a trylock; else that
 * CPU's lock, waited for.  False if the trylock failed.
 */
static bool sheaf_flush_main(struct kmem_cache *s, int cpu)
{
	void *batch[PCS_BATCH_MAX];
	struct slub_percpu_sheaves *pcs;
	unsigned int n, left;

	do {
		int this = this_cpu();

		pcs = cpu < 0 ? pcs_trylock(s, this) : pcs_lock_cpu(s, cpu);
		if (!pcs) {
			pcs_trylock_failed(s, this);
			return false;
		}
		n = pcs->main->size < PCS_BATCH_MAX ? pcs->main->size : PCS_BATCH_MAX;
		pcs->main->size -= n;
		memcpy(batch, pcs->main->objects + pcs->main->size, n * sizeof(void *));
		left = pcs->main->size;
		if (cpu < 0)
			stat_locked(pcs, STAT_pcs_trylock);
		pcs_unlock(pcs);
		if (n) {
			slab_free_bulk(s, batch, (int)n, false);
			stat(s, STAT_sheaf_flush);
		}
	} while (left);
	return true;
}

/* ---- alloc side ---- */

/*
 * Caller holds the pcs lock and main is empty: what can be done under it.
 * A non-empty spare becomes main, or the barn trades a full sheaf for it.
 * Returns the new main, or NULL (nothing changed but the counters).
 */
static struct slab_sheaf *pcs_replace_empty_main(struct kmem_cache *s,
						 struct slub_percpu_sheaves *pcs, int cpu,
						 bool nolock, struct slab_sheaf **spill)
{
	struct slab_sheaf *full;

	*spill = NULL;
	if (pcs->spare && pcs->spare->size) {
		swap_main_spare(pcs);
		return pcs->main;
	}
	/* Without a spare, keep our empty main as the spare instead of giving it away. */
	full = barn_take_full(s, cpu_barn(s, cpu), pcs->spare ? pcs->main : NULL, nolock, spill);
	if (!full) {
		stat_locked(pcs, STAT_barn_take_full_miss);
		return NULL;
	}
	stat_locked(pcs, STAT_barn_take_full);
	if (*spill)
		stat_locked(pcs, STAT_barn_put_empty_fail);
	if (!pcs->spare)
		pcs->spare = pcs->main;
	pcs->main = full;
	return full;
}

/*
 * Caller holds the pcs lock of a CPU (maybe not the one the refill started
 * on) and brings a full sheaf: install it as the kernel's
 * __pcs_replace_empty_main does after relocking, then pop one object.
 */
static void *pcs_install_full(struct kmem_cache *s, struct slub_percpu_sheaves *pcs, int cpu,
			      struct slab_sheaf *full)
{
	struct node_barn *barn = cpu_barn(s, cpu);

	if (!pcs->main->size) {
		if (!pcs->spare)
			pcs->spare = pcs->main;
		else
			barn_put_empty(s, barn, pcs->main);
		pcs->main = full;
	} else if (!pcs->spare) {
		pcs->spare = full;
	} else if (!pcs->spare->size) {
		barn_put_empty(s, barn, pcs->spare);
		pcs->spare = full;
	} else {
		barn_put_full(s, barn, full);	/* raced: another refill won */
	}
	return sheaf_pop(pcs, pcs->main);
}

/*
 * The refill half of an alloc miss, normal context, no lock held: fill the
 * detached empty sheaf (a fresh one if NULL), relock the CPU we are on now
 * and install it.  If the relock fails, the caller still gets an object from
 * the sheaf and the rest goes to the barn.
 */
static void *pcs_refill_install(struct kmem_cache *s, struct slab_sheaf *empty, int node,
				const struct slab_alloc_context *ctx)
{
	struct slub_percpu_sheaves *pcs;
	void *obj;
	int cpu;

	if (!empty && !(empty = sheaf_alloc(s, SLAB_ALLOC_DEFAULT)))
		return NULL;
	if (!sheaf_refill(s, empty, node, ctx)) {
		stat(s, STAT_sheaf_refill_fail);
		sheaf_free(s, empty, false);
		return NULL;
	}
	stat(s, STAT_sheaf_refill);
	cpu = this_cpu();
	pcs = pcs_trylock(s, cpu);
	if (pcs) {
		obj = pcs_install_full(s, pcs, cpu, empty);
		pcs_unlock(pcs);
		return obj;
	}
	pcs_trylock_failed(s, cpu);
	/* not popped from a CPU's main sheaf: the caller does not count it either */
	stat_add(s, cpu, STAT_alloc_slowpath, 1);
	obj = empty->objects[--empty->size];
	if (empty->size)
		barn_put_full(s, cpu_barn(s, cpu), empty);
	else
		barn_put_empty(s, cpu_barn(s, cpu), empty);
	return obj;
}

/*
 * A successful trylock that ends in a pop or push is counted only by
 * alloc_fastpath/free_fastpath; pcs_trylock counts the ones that do not, and
 * stats_finish() adds the three.
 *
 * Under the lock only swaps and barn trades happen.  A miss detaches an empty
 * sheaf (the spare, else one from the barn, else none: a fresh one is
 * allocated), unlocks, refills it from the slabs and relocks to install it
 * (the kernel's __pcs_replace_empty_main).  NOLOCK returns NULL after the
 * barn miss: it never refills, and the caller goes to the slabs.
 */
void *pcs_alloc_miss(struct kmem_cache *s, struct slub_percpu_sheaves *pcs, int cpu,
		     const struct slab_alloc_context *ctx)
{
	bool nolock = ctx->alloc_flags & SLAB_ALLOC_NOLOCK;
	struct slab_sheaf *main, *spill, *empty = NULL;
	void *obj;

	if (!pcs) {
		pcs_trylock_failed(s, cpu);
		return NULL;
	}
	main = pcs_replace_empty_main(s, pcs, cpu, nolock, &spill);
	if (main) {
		obj = sheaf_pop(pcs, main);
		pcs_unlock(pcs);
		if (spill)
			sheaf_free(s, spill, nolock);
		deferred_drain_normal(s, cpu, nolock);
		return obj;
	}
	stat_locked(pcs, STAT_pcs_trylock);
	if (!nolock) {
		empty = pcs->spare;
		pcs->spare = NULL;
		if (!empty)
			empty = barn_take_empty(s, cpu_barn(s, cpu), NULL, false, NULL);
	}
	pcs_unlock(pcs);
	/* NO_RECURSE (slab metadata) may refill an empty sheaf but not allocate one. */
	if (nolock || (!empty && (ctx->alloc_flags & SLAB_ALLOC_NO_RECURSE)))
		return NULL;
	deferred_drain_normal(s, cpu, false);
	return pcs_refill_install(s, empty, cpu_to_node(cpu), ctx);
}

/* ---- free side ---- */

/*
 * Caller holds the pcs lock of the CPU it is on now and brings an empty
 * sheaf: install it as the kernel's __pcs_install_empty_sheaf does.  Returns
 * a main with room.
 */
static struct slab_sheaf *pcs_install_empty(struct kmem_cache *s,
					    struct slub_percpu_sheaves *pcs, int cpu,
					    struct slab_sheaf *empty)
{
	struct node_barn *barn = cpu_barn(s, cpu);

	if (likely(!pcs->spare)) {
		pcs->spare = pcs->main;
		pcs->main = empty;
	} else if (pcs->main->size < pcs->main->capacity) {
		barn_put_empty(s, barn, empty);		/* raced: main has room again */
	} else if (pcs->spare->size < pcs->spare->capacity) {
		swap_main_spare(pcs);
		barn_put_empty(s, barn, empty);
	} else {
		barn_put_full(s, barn, pcs->main);
		pcs->main = empty;
	}
	return pcs->main;
}

/*
 * Caller holds the pcs lock and main is full: what can be done under it.  An
 * empty spare becomes main, or the barn gives an empty sheaf (for the full
 * main, which goes to the barn, or becomes the spare if there is none).
 * Returns the new main, or NULL; then *flush is a full spare detached for
 * flushing when the barn's full list is at its limit.
 */
static struct slab_sheaf *pcs_replace_full_main(struct kmem_cache *s,
						struct slub_percpu_sheaves *pcs, int cpu,
						bool nolock, struct slab_sheaf **flush)
{
	struct slab_sheaf *empty;
	bool full_at_limit = false;

	*flush = NULL;
	if (pcs->spare && !pcs->spare->size) {
		swap_main_spare(pcs);
		return pcs->main;
	}
	empty = barn_take_empty(s, cpu_barn(s, cpu), pcs->spare ? pcs->main : NULL, nolock,
				&full_at_limit);
	if (empty) {
		stat_locked(pcs, STAT_barn_take_empty);
		if (!pcs->spare)
			pcs->spare = pcs->main;
		pcs->main = empty;
		return empty;
	}
	stat_locked(pcs, STAT_barn_take_empty_miss);
	if (full_at_limit) {
		stat_locked(pcs, STAT_barn_put_full_fail);
		if (!nolock) {
			*flush = pcs->spare;
			pcs->spare = NULL;
		}
	}
	return NULL;
}

/*
 * The slow half of a free miss, normal context, no lock held: an empty sheaf
 * (the flushed spare, else a fresh one), relock and install it; else flush
 * main in batches and relock.  Returns the locked pcs of the CPU we are on,
 * with room in main, or NULL.
 */
static struct slub_percpu_sheaves *pcs_get_room(struct kmem_cache *s, struct slab_sheaf *empty,
						int *cpup)
{
	struct slub_percpu_sheaves *pcs;
	int cpu;

	if (empty)
		sheaf_flush_unused(s, empty);
	else
		empty = sheaf_alloc(s, SLAB_ALLOC_DEFAULT);
	if (!empty && !sheaf_flush_main(s, -1))
		return NULL;
	*cpup = cpu = this_cpu();
	pcs = pcs_trylock(s, cpu);
	if (!pcs) {
		pcs_trylock_failed(s, cpu);
		if (empty)
			barn_put_empty(s, cpu_barn(s, cpu), empty);
		return NULL;
	}
	if (empty)
		pcs_install_empty(s, pcs, cpu, empty);
	if (pcs->main->size < pcs->main->capacity)
		return pcs;
	stat_locked(pcs, STAT_pcs_trylock);
	pcs_unlock(pcs);
	return NULL;
}

/*
 * See pcs_alloc_miss().  Under the lock only swaps and barn trades; a sheaf
 * is allocated, the spare flushed, or main flushed in batches with it
 * released (the kernel's __pcs_replace_full_main).  NOLOCK never allocates
 * and never flushes: false, and kfree_nolock() defers the object.
 */
bool pcs_free_miss(struct kmem_cache *s, struct slub_percpu_sheaves *pcs, int cpu, void *obj,
		   bool nolock)
{
	struct slab_sheaf *main, *flush;

	if (!pcs) {
		pcs_trylock_failed(s, cpu);
		return false;
	}
	main = pcs_replace_full_main(s, pcs, cpu, nolock, &flush);
	if (main) {
		sheaf_push(pcs, main, obj);
		pcs_unlock(pcs);
		deferred_drain_normal(s, cpu, nolock);
		return true;
	}
	stat_locked(pcs, STAT_pcs_trylock);
	pcs_unlock(pcs);
	if (nolock)
		return false;
	deferred_drain_normal(s, cpu, false);
	pcs = pcs_get_room(s, flush, &cpu);
	if (!pcs)
		return false;
	sheaf_push(pcs, pcs->main, obj);
	pcs_unlock(pcs);
	return true;
}

/* ---- whole-cache operations (normal context) ---- */

/* Every CPU's spare detached and freed, main flushed in batches (the kernel's pcs_flush_all). */
void pcs_flush_all(struct kmem_cache *s)
{
	if (!s->sheaf_capacity)
		return;
	for (int cpu = 0; cpu < sa.nr_cpus; cpu++) {
		struct slub_percpu_sheaves *pcs = pcs_lock_cpu(s, cpu);
		struct slab_sheaf *spare = pcs->spare;

		pcs->spare = NULL;
		pcs_unlock(pcs);
		if (spare) {
			sheaf_flush_unused(s, spare);
			sheaf_free(s, spare, false);
		}
		sheaf_flush_main(s, cpu);
	}
}

void pcs_free_sheaves(struct kmem_cache *s)
{
	if (!s->sheaf_capacity)
		return;
	for (int cpu = 0; cpu < sa.nr_cpus; cpu++) {
		struct slub_percpu_sheaves *pcs = pcs_lock_cpu(s, cpu);
		struct slab_sheaf *sheaves[2] = { pcs->main, pcs->spare };

		pcs->main = &sheaf_boot;
		pcs->spare = NULL;
		pcs_unlock(pcs);
		for (int i = 0; i < 2; i++) {
			if (!sheaves[i] || sheaves[i] == &sheaf_boot)
				continue;
			sheaf_flush_unused(s, sheaves[i]);
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
	/* the cache is read before the free: an emptied slab may be reused at once */
	struct kmem_cache *s = virt_to_slab(p)->cache;
	void *obj = (void *)p;

	if (SB_ALLOC_DEBUG)
		slab_debug_on_free(NULL, p, "metadata_free");
	if (slab_free_bulk(s, &obj, 1, nolock) == 1)
		stat(s, STAT_free_slowpath);
	else
		deferred_push(s, obj);
}

/* ---- kfree_nolock's deferred lists ---- */

/* Lock-free push on the current CPU's list (async-signal-safe). */
void deferred_push(struct kmem_cache *s, void *obj)
{
	int cpu = this_cpu();
	void *_Atomic *head = &sa.defer[cpu].head;
	void *old = sb_lm_load(head, __ATOMIC_RELAXED);

	do {
		*(void **)obj = old;
	} while (!sb_lm_cmpxchg(head, &old, obj, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
	stat_add(s, cpu, STAT_deferred_queued, 1);
	__atomic_store_n(&defer_pending, true, __ATOMIC_RELAXED);
}

/* Normal context: cpu's deferred objects straight to their slabs (the kernel's free_deferred_objects). */
void deferred_drain(int cpu)
{
	void *obj = sb_lm_xchg(&sa.defer[cpu].head, NULL, __ATOMIC_ACQUIRE);

	while (obj) {
		void *next = *(void **)obj;
		struct kmem_cache *s = virt_to_page(obj)->slab_cache;

		slab_free_bulk(s, &obj, 1, false);
		stat(s, STAT_deferred_drained);
		obj = next;
	}
}

void *deferred_drain_all_ret(void *obj)
{
	deferred_drain_all();
	return obj;
}

/* Normal context: every CPU's list, until no handler deferred anything meanwhile. */
void deferred_drain_all(void)
{
	while (__atomic_exchange_n(&defer_pending, false, __ATOMIC_RELAXED)) {
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		for (int cpu = 0; cpu < sa.nr_cpus; cpu++)
			if (deferred_pending(cpu))
				deferred_drain(cpu);
	}
}
