/* pmutex.h - glibc's pthread_mutex_t (default type): a sleeping lock, as
 * PREEMPT_RT turns spinlocks into.
 *
 * Counts are inferred from glibc 2.36 on x86-64 (read from its disassembly):
 * pthread_mutex_lock is one `lock cmpxchg` 0->1 when free, else __lll_lock_wait's
 * `xchg` 2 + futex wait per round; pthread_mutex_trylock reads the word first and
 * returns EBUSY without an RMW if it is non-zero, else one `lock cmpxchg`;
 * pthread_mutex_unlock is one `xchg` 0 (+ futex wake if there were waiters).
 * So: 1 RMW per lock() (a lower bound when it slept), 1 per unlock, trylock one
 * test_read plus 1 RMW when it succeeds.  contended is only known when a
 * pattern's trylock failed first.
 */
#ifndef SB_PMUTEX_H
#define SB_PMUTEX_H

#include <pthread.h>

#include "lockstat.h"

#define SB_PMUTEX_UNCONTENDED_RMW 2
#define SB_PMUTEX_TRYLOCK_TEST_READS 1	/* plain loads per trylock */
#define SB_PMUTEX_COUNTS_EXACT 0	/* rmw and contended inferred, see above */

struct sb_pmutex {
	pthread_mutex_t m;
	int last_cpu;
} __attribute__((aligned(SB_LOCK_ALIGN)));

#define SB_PMUTEX_INITIALIZER { .m = PTHREAD_MUTEX_INITIALIZER, .last_cpu = -1 }

static inline void sb_pmutex_init(struct sb_pmutex *l)
{
	pthread_mutex_init(&l->m, NULL);
	l->last_cpu = -1;
}

static inline void __sb_pmutex_lock(struct sb_pmutex *l, struct sb_lockctx *c, bool contended)
{
	c->st->rmw++;			/* inferred: the first `lock cmpxchg` */
	pthread_mutex_lock(&l->m);
	sb_lockstat_acquired(c, &l->last_cpu, contended);
}

static inline void sb_pmutex_lock(struct sb_pmutex *l, struct sb_lockctx *c)
{
	__sb_pmutex_lock(l, c, false);
}

/* glibc's word is __data.__lock: 0 free, 1 held, 2 held with sleepers. */
static inline bool sb_pmutex_is_locked(const struct sb_pmutex *l)
{
	return sb_lm_load(&l->m.__data.__lock, __ATOMIC_RELAXED) != 0;
}

/* Trylock that tells a failing caller the lock was seen held (glibc's word is hidden). */
static inline bool __sb_pmutex_trylock(struct sb_pmutex *l, struct sb_lockctx *c,
				       unsigned long *seen)
{
	bool ok;

	/*
	 * inferred: glibc tests the word and issues its cmpxchg only if it read free.
	 * Counted from the result, to add no access of our own: a cmpxchg that lost a
	 * race after the test goes uncounted (lower bound).
	 */
	c->st->test_reads++;
	ok = pthread_mutex_trylock(&l->m) == 0;
	c->st->rmw += ok;
	sb_lockstat_trylock(c, ok);
	if (ok)
		sb_lockstat_acquired(c, &l->last_cpu, false);
	*seen = !ok;
	return ok;
}

static inline bool sb_pmutex_trylock(struct sb_pmutex *l, struct sb_lockctx *c)
{
	unsigned long seen;

	return __sb_pmutex_trylock(l, c, &seen);
}

/* tro: a sleeping lock's slow path is glibc's lock(): it sleeps, it does not spin. */
static inline void __sb_pmutex_lock_held(struct sb_pmutex *l, struct sb_lockctx *c,
					 unsigned long seen)
{
	(void)seen;
	__sb_pmutex_lock(l, c, true);
}

static inline void sb_pmutex_unlock(struct sb_pmutex *l, struct sb_lockctx *c)
{
	c->st->rmw++;			/* inferred: the `xchg` 0 */
	pthread_mutex_unlock(&l->m);
}

#endif /* SB_PMUTEX_H */
