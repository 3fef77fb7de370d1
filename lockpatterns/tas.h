/* tas.h - test-and-set spinlock: every attempt, spinning ones included, is an xchg.
 *
 * The worst case for line bouncing and the reference point for the others: each
 * waiter keeps taking the line for ownership while it spins.
 * Uncontended acquire+release: one xchg (release is a plain store).
 */
#ifndef SB_TAS_H
#define SB_TAS_H

#include "lockstat.h"

#define SB_TAS_UNCONTENDED_RMW 1
#define SB_TAS_TRYLOCK_TEST_READS 0	/* plain loads per trylock */
#define SB_TAS_COUNTS_EXACT 1		/* rmw and contended are observed, not inferred */

struct sb_tas {
	uint32_t word;			/* 0 free, 1 held */
	int last_cpu;			/* CPU of the last acquisition, for bounces */
} __attribute__((aligned(SB_LOCK_ALIGN)));

#define SB_TAS_INITIALIZER { .word = 0, .last_cpu = -1 }

static inline void sb_tas_init(struct sb_tas *l)
{
	*l = (struct sb_tas)SB_TAS_INITIALIZER;
}

/* @contended: the caller's own first attempt (a trylock) already failed. */
static inline void __sb_tas_lock(struct sb_tas *l, struct sb_lockctx *c, bool contended)
{
	for (;;) {
		c->st->rmw++;
		if (__builtin_expect(!sb_lm_xchg(&l->word, 1, __ATOMIC_ACQUIRE), 1))
			break;
		contended = true;
		sb_lm_relax();
	}
	sb_lockstat_acquired(c, &l->last_cpu, contended);
}

static inline void sb_tas_lock(struct sb_tas *l, struct sb_lockctx *c)
{
	__sb_tas_lock(l, c, false);
}

/* Trylock that tells a failing caller the word it saw (for tro's slow path). */
static inline bool __sb_tas_trylock(struct sb_tas *l, struct sb_lockctx *c, unsigned long *seen)
{
	bool ok;

	c->st->rmw++;
	*seen = sb_lm_xchg(&l->word, 1, __ATOMIC_ACQUIRE);
	ok = !*seen;
	sb_lockstat_trylock(c, ok);
	if (ok)
		sb_lockstat_acquired(c, &l->last_cpu, false);
	return ok;
}

static inline bool sb_tas_trylock(struct sb_tas *l, struct sb_lockctx *c)
{
	unsigned long seen;

	return __sb_tas_trylock(l, c, &seen);
}

/*
 * tro: the caller's trylock saw the lock held.  Wait on plain loads, then one
 * xchg; back to reading if someone else got there first.  (TAS's own lock() would
 * xchg at once, which is what tro exists to avoid.)
 */
static inline void __sb_tas_lock_held(struct sb_tas *l, struct sb_lockctx *c, unsigned long seen)
{
	(void)seen;
	for (;;) {
		while (sb_lm_load_spin(&l->word, __ATOMIC_RELAXED))
			sb_lm_relax();
		c->st->rmw++;
		if (!sb_lm_xchg(&l->word, 1, __ATOMIC_ACQUIRE))
			break;
	}
	sb_lockstat_acquired(c, &l->last_cpu, true);
}

static inline void sb_tas_unlock(struct sb_tas *l, struct sb_lockctx *c)
{
	(void)c;			/* a plain store: nothing to count */
	sb_lm_store(&l->word, 0, __ATOMIC_RELEASE);
}

static inline bool sb_tas_is_locked(const struct sb_tas *l)
{
	return sb_lm_load(&l->word, __ATOMIC_RELAXED) != 0;
}

#endif /* SB_TAS_H */
