/* ttas.h - test-and-test-and-set spinlock: spin on plain loads, xchg only when the
 * word reads free.
 *
 * Waiters share the line while the lock is held; each release still starts a burst
 * of xchgs from every waiter.  trylock tests first too (one test_read), so a failed
 * trylock costs a shared-line read and no RMW.
 * Uncontended acquire+release: one xchg (release is a plain store).
 */
#ifndef SB_TTAS_H
#define SB_TTAS_H

#include "lockstat.h"

#define SB_TTAS_UNCONTENDED_RMW 1
#define SB_TTAS_TRYLOCK_TEST_READS 1	/* plain loads per trylock */
#define SB_TTAS_COUNTS_EXACT 1

struct sb_ttas {
	uint32_t word;			/* 0 free, 1 held */
	int last_cpu;
} __attribute__((aligned(SB_LOCK_ALIGN)));

#define SB_TTAS_INITIALIZER { .word = 0, .last_cpu = -1 }

static inline void sb_ttas_init(struct sb_ttas *l)
{
	*l = (struct sb_ttas)SB_TTAS_INITIALIZER;
}

static inline void __sb_ttas_lock(struct sb_ttas *l, struct sb_lockctx *c, bool contended)
{
	for (;;) {
		if (!sb_lm_load_spin(&l->word, __ATOMIC_RELAXED)) {
			c->st->rmw++;
			if (__builtin_expect(!sb_lm_xchg(&l->word, 1, __ATOMIC_ACQUIRE), 1))
				break;
		}
		contended = true;
		sb_lm_relax();
	}
	sb_lockstat_acquired(c, &l->last_cpu, contended);
}

static inline void sb_ttas_lock(struct sb_ttas *l, struct sb_lockctx *c)
{
	__sb_ttas_lock(l, c, false);
}

/* Trylock that tells a failing caller the word it saw (for tro's slow path). */
static inline bool __sb_ttas_trylock(struct sb_ttas *l, struct sb_lockctx *c, unsigned long *seen)
{
	bool ok = false;

	c->st->test_reads++;
	*seen = sb_lm_load(&l->word, __ATOMIC_RELAXED);
	if (!*seen) {
		c->st->rmw++;
		*seen = sb_lm_xchg(&l->word, 1, __ATOMIC_ACQUIRE);
		ok = !*seen;
	}
	sb_lockstat_trylock(c, ok);
	if (ok)
		sb_lockstat_acquired(c, &l->last_cpu, false);
	return ok;
}

static inline bool sb_ttas_trylock(struct sb_ttas *l, struct sb_lockctx *c)
{
	unsigned long seen;

	return __sb_ttas_trylock(l, c, &seen);
}

/* tro: TTAS's own lock() already waits on plain loads before its one xchg. */
static inline void __sb_ttas_lock_held(struct sb_ttas *l, struct sb_lockctx *c, unsigned long seen)
{
	(void)seen;
	__sb_ttas_lock(l, c, true);
}

static inline void sb_ttas_unlock(struct sb_ttas *l, struct sb_lockctx *c)
{
	(void)c;			/* a plain store: nothing to count */
	sb_lm_store(&l->word, 0, __ATOMIC_RELEASE);
}

static inline bool sb_ttas_is_locked(const struct sb_ttas *l)
{
	return sb_lm_load(&l->word, __ATOMIC_RELAXED) != 0;
}

#endif /* SB_TTAS_H */
