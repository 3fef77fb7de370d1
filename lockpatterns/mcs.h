/* mcs.h - MCS queue lock: the lock word is a pointer to the queue's tail slot;
 * each waiter spins on its own slot, so a handoff moves one line to one waiter.
 *
 * Queue slots come from the caller's per-thread struct sb_qnode (ctx->qnode); an
 * mcs lock keeps its slot from lock to unlock, and unlock finds it by the lock's
 * address, so unlock must be given a ctx with the same qnode as lock.
 * Uncontended acquire+release: xchg on lock, cmpxchg on unlock = 2 RMWs.  A
 * handoff to a queued waiter costs the releaser no RMW and the new owner none.
 * trylock is one cmpxchg of the tail from NULL, with no test read first.
 * Preemption: a waiter preempted while queued blocks everyone behind it, and a
 * releaser that sees a successor mid-enqueue spins until the successor (maybe
 * preempted between its xchg and linking itself) runs again.  With more runnable
 * threads than CPUs expect handoffs at scheduler-tick speed; pin and do not
 * oversubscribe when measuring.
 */
#ifndef SB_MCS_H
#define SB_MCS_H

#include "lockstat.h"

#define SB_MCS_UNCONTENDED_RMW 2
#define SB_MCS_TRYLOCK_TEST_READS 0	/* plain loads per trylock */
#define SB_MCS_COUNTS_EXACT 1

struct sb_mcs {
	struct sb_qslot *tail;		/* last waiter or holder; NULL: free */
	int last_cpu;
} __attribute__((aligned(SB_LOCK_ALIGN)));

#define SB_MCS_INITIALIZER { .tail = NULL, .last_cpu = -1 }

static inline void sb_mcs_init(struct sb_mcs *l)
{
	*l = (struct sb_mcs)SB_MCS_INITIALIZER;
}

static inline struct sb_qslot *mcs_prepare_slot(struct sb_mcs *l, struct sb_lockctx *c, int *idx)
{
	struct sb_qslot *node;

	*idx = sb_qnode_get_slot(c->qnode, l);
	node = &c->qnode->slot[*idx];
	sb_lm_store(&node->next, NULL, __ATOMIC_RELAXED);
	sb_lm_store(&node->locked, 0, __ATOMIC_RELAXED);
	return node;
}

static inline void __sb_mcs_lock(struct sb_mcs *l, struct sb_lockctx *c, bool contended)
{
	struct sb_qslot *node, *prev;
	int idx;

	node = mcs_prepare_slot(l, c, &idx);
	c->st->rmw++;
	/* release: our slot's initialization is visible to whoever links behind us */
	prev = sb_lm_xchg(&l->tail, node, __ATOMIC_ACQ_REL);
	if (__builtin_expect(prev != NULL, 0)) {
		contended = true;
		sb_lm_store(&prev->next, node, __ATOMIC_RELEASE);
		while (!sb_lm_load_spin(&node->locked, __ATOMIC_ACQUIRE))
			sb_lm_relax();
	}
	sb_lockstat_acquired(c, &l->last_cpu, contended);
}

static inline void sb_mcs_lock(struct sb_mcs *l, struct sb_lockctx *c)
{
	__sb_mcs_lock(l, c, false);
}

/* Trylock that tells a failing caller the tail it saw (for tro's slow path). */
static inline bool __sb_mcs_trylock(struct sb_mcs *l, struct sb_lockctx *c, unsigned long *seen)
{
	struct sb_qslot *node, *none = NULL;
	int idx;
	bool ok;

	node = mcs_prepare_slot(l, c, &idx);
	c->st->rmw++;
	ok = sb_lm_cmpxchg(&l->tail, &none, node,
			   __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
	*seen = (unsigned long)none;
	sb_lockstat_trylock(c, ok);
	if (ok)
		sb_lockstat_acquired(c, &l->last_cpu, false);
	else
		sb_qnode_put_slot(c->qnode, idx);
	return ok;
}

static inline bool sb_mcs_trylock(struct sb_mcs *l, struct sb_lockctx *c)
{
	unsigned long seen;

	return __sb_mcs_trylock(l, c, &seen);
}

/* tro: MCS's own lock() queues with one xchg and waits read-only on its own slot. */
static inline void __sb_mcs_lock_held(struct sb_mcs *l, struct sb_lockctx *c, unsigned long seen)
{
	(void)seen;
	__sb_mcs_lock(l, c, true);
}

static inline void sb_mcs_unlock(struct sb_mcs *l, struct sb_lockctx *c)
{
	int idx = sb_qnode_find_slot(c->qnode, l);
	struct sb_qslot *node = &c->qnode->slot[idx];
	struct sb_qslot *next = sb_lm_load(&node->next, __ATOMIC_ACQUIRE);

	if (!next) {
		struct sb_qslot *self = node;

		c->st->rmw++;
		if (sb_lm_cmpxchg(&l->tail, &self, NULL,
				  __ATOMIC_RELEASE, __ATOMIC_RELAXED))
			goto out;
		/* a successor swapped the tail but has not linked itself yet */
		while (!(next = sb_lm_load_spin(&node->next, __ATOMIC_ACQUIRE)))
			sb_lm_relax();
	}
	sb_lm_store(&next->locked, 1, __ATOMIC_RELEASE);
out:
	sb_qnode_put_slot(c->qnode, idx);
}

static inline bool sb_mcs_is_locked(const struct sb_mcs *l)
{
	return sb_lm_load(&l->tail, __ATOMIC_RELAXED) != NULL;
}

#endif /* SB_MCS_H */
