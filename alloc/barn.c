/* SPDX-License-Identifier: MIT */
/*
 * barn.c - layer 5: the per-node barn of full and empty sheaves (design.md 2.4).
 *
 * Each list is bounded (sa.barn_max_full / sa.barn_max_empty).  Every operation
 * takes barn->lock once; nolock callers only try it and treat busy as a miss.
 * nr_full/nr_empty are written under the lock and peeked without it.
 */
#include "internal.h"

void barn_init(struct node_barn *barn)
{
	slab_lock_init(&barn->lock);
	barn->full = barn->empty = NULL;
	barn->nr_full = barn->nr_empty = 0;
}

static bool barn_lock(struct kmem_cache *s, struct node_barn *barn, struct lock_site *ls,
		      bool nolock)
{
	lock_site_begin(ls, nolock);
	if (!slab_lock_acquire(&barn->lock, nolock, &ls->ctx)) {
		trylock_fail_split(s, ls->ctx.cpu, &barn->holder, STAT_barn_trylock_fail_reentrant,
				   STAT_barn_trylock_fail_cross);
		return false;
	}
	atomic_store_explicit(&barn->holder, this_thread_token(), memory_order_relaxed);
	return true;
}

static void barn_unlock(struct kmem_cache *s, struct node_barn *barn, struct lock_site *ls,
			bool locked)
{
	if (locked) {
		atomic_store_explicit(&barn->holder, 0, memory_order_relaxed);
		slab_lock_release(&barn->lock, &ls->ctx);
	}
	lock_site_end(ls, &s->cpu_sheaves[ls->ctx.cpu].barn_lock);
}

static void sheaf_push(struct slab_sheaf **list, unsigned int *nr, struct slab_sheaf *sheaf)
{
	sheaf->next = *list;
	*list = sheaf;
	__atomic_store_n(nr, *nr + 1, __ATOMIC_RELAXED);
}

static struct slab_sheaf *sheaf_pop(struct slab_sheaf **list, unsigned int *nr)
{
	struct slab_sheaf *sheaf = *list;

	if (!sheaf)
		return NULL;
	*list = sheaf->next;
	sheaf->next = NULL;
	__atomic_store_n(nr, *nr - 1, __ATOMIC_RELAXED);
	return sheaf;
}

/* Intentionally racy: skip the lock when the list looked empty. */
static bool barn_peek_empty(const unsigned int *nr)
{
	return !__atomic_load_n(nr, __ATOMIC_RELAXED);
}

/*
 * A full sheaf in exchange for empty (may be NULL).  If the empty list is at its
 * limit, empty comes back in *spill for the caller to free.
 */
struct slab_sheaf *barn_take_full(struct kmem_cache *s, struct node_barn *barn,
				  struct slab_sheaf *empty, bool nolock, struct slab_sheaf **spill)
{
	struct slab_sheaf *full;
	struct lock_site ls;
	bool locked;

	*spill = NULL;
	if (barn_peek_empty(&barn->nr_full))
		return NULL;
	locked = barn_lock(s, barn, &ls, nolock);
	full = locked ? sheaf_pop(&barn->full, &barn->nr_full) : NULL;
	if (full && empty) {
		if (barn->nr_empty < sa.barn_max_empty) {
			sheaf_push(&barn->empty, &barn->nr_empty, empty);
			stat(s, STAT_barn_put);
		} else
			*spill = empty;
	}
	barn_unlock(s, barn, &ls, locked);
	return full;
}

/*
 * An empty sheaf in exchange for full (may be NULL).  With a full sheaf to
 * give, the full list must have room: if it looked at its limit (racy peek,
 * as the kernel's), *full_at_limit is set and nothing is taken.
 */
struct slab_sheaf *barn_take_empty(struct kmem_cache *s, struct node_barn *barn,
				   struct slab_sheaf *full, bool nolock, bool *full_at_limit)
{
	struct slab_sheaf *empty = NULL;
	struct lock_site ls;
	bool locked;

	if (full && __atomic_load_n(&barn->nr_full, __ATOMIC_RELAXED) >= sa.barn_max_full) {
		*full_at_limit = true;
		return NULL;
	}
	if (barn_peek_empty(&barn->nr_empty))
		return NULL;
	locked = barn_lock(s, barn, &ls, nolock);
	if (locked) {
		empty = sheaf_pop(&barn->empty, &barn->nr_empty);
		if (empty && full) {
			sheaf_push(&barn->full, &barn->nr_full, full);
			stat(s, STAT_barn_put);
		}
	}
	barn_unlock(s, barn, &ls, locked);
	return empty;
}

/*
 * Normal context, a sheaf a relocked CPU could not use (a race, or the relock
 * failed): into the barn whatever its limits, as the kernel's
 * barn_put_full_sheaf()/barn_put_empty_sheaf() - rare enough not to matter.
 */
void barn_put_full(struct kmem_cache *s, struct node_barn *barn, struct slab_sheaf *sheaf)
{
	struct lock_site ls;

	barn_lock(s, barn, &ls, false);
	sheaf_push(&barn->full, &barn->nr_full, sheaf);
	stat(s, STAT_barn_put);
	barn_unlock(s, barn, &ls, true);
}

void barn_put_empty(struct kmem_cache *s, struct node_barn *barn, struct slab_sheaf *sheaf)
{
	struct lock_site ls;

	barn_lock(s, barn, &ls, false);
	sheaf_push(&barn->empty, &barn->nr_empty, sheaf);
	stat(s, STAT_barn_put);
	barn_unlock(s, barn, &ls, true);
}

/* Shrink/destroy (normal context, nothing else running on the cache's barn). */
struct slab_sheaf *barn_pop_any(struct kmem_cache *s, struct node_barn *barn)
{
	struct lock_site ls;
	struct slab_sheaf *sheaf;

	barn_lock(s, barn, &ls, false);
	sheaf = sheaf_pop(&barn->full, &barn->nr_full);
	if (!sheaf)
		sheaf = sheaf_pop(&barn->empty, &barn->nr_empty);
	barn_unlock(s, barn, &ls, true);
	return sheaf;
}

/* Counts sheaves and objects in every barn of s (normal context). */
void barn_count(struct kmem_cache *s, uint64_t *nr_full, uint64_t *nr_empty, uint64_t *objects)
{
	for (int n = 0; n < sa.nr_nodes; n++) {
		struct node_barn *barn = &s->node[n].barn;
		struct lock_site ls;

		barn_lock(s, barn, &ls, false);
		*nr_full += barn->nr_full;
		*nr_empty += barn->nr_empty;
		for (struct slab_sheaf *sh = barn->full; sh; sh = sh->next)
			*objects += sh->size;
		barn_unlock(s, barn, &ls, true);
	}
}
