/* pspin.h - glibc's pthread_spinlock_t, as a baseline users already have.
 *
 * glibc's code cannot be instrumented, so its counts are inferred from glibc 2.36
 * on x86-64 (read from its disassembly): pthread_spin_lock is `lock decl` then,
 * if that did not take it, pause + plain loads and another `lock decl` per retry;
 * pthread_spin_trylock is one `lock cmpxchg` with no test read; pthread_spin_unlock
 * is a plain store.  So: 1 RMW per lock() (a lower bound when it had to retry,
 * which cannot be seen), 1 per trylock, 0 per unlock.  contended is only known
 * when a pattern's trylock failed first; SB_PSPIN_COUNTS_EXACT says so to reports.
 * x86-64 glibc stores 1 for "free" (decl takes it to 0), generic glibc 0; there is
 * no portable static initializer, so use sb_pspin_init().
 */
#ifndef SB_PSPIN_H
#define SB_PSPIN_H

#include <pthread.h>

#include "lockstat.h"

#define SB_PSPIN_UNCONTENDED_RMW 1
#define SB_PSPIN_TRYLOCK_TEST_READS 0	/* plain loads per trylock */
#define SB_PSPIN_COUNTS_EXACT 0		/* rmw and contended inferred, see above */

struct sb_pspin {
	pthread_spinlock_t sl;
	int unlocked_val;		/* what pthread_spin_init() stored: "free" */
	int last_cpu;
} __attribute__((aligned(SB_LOCK_ALIGN)));

static inline void sb_pspin_init(struct sb_pspin *l)
{
	pthread_spin_init(&l->sl, PTHREAD_PROCESS_PRIVATE);
	l->unlocked_val = __atomic_load_n(&l->sl, __ATOMIC_RELAXED);	/* before any use */
	l->last_cpu = -1;
}

static inline void __sb_pspin_lock(struct sb_pspin *l, struct sb_lockctx *c, bool contended)
{
	c->st->rmw++;			/* inferred: the first `lock decl` */
	pthread_spin_lock(&l->sl);
	sb_lockstat_acquired(c, &l->last_cpu, contended);
}

static inline void sb_pspin_lock(struct sb_pspin *l, struct sb_lockctx *c)
{
	__sb_pspin_lock(l, c, false);
}

/* Reads glibc's word directly: plain load, no RMW. */
static inline bool sb_pspin_is_locked(const struct sb_pspin *l)
{
	return sb_lm_load(&l->sl, __ATOMIC_RELAXED) != l->unlocked_val;
}

/* Trylock that tells a failing caller the lock was seen held (glibc's word is hidden). */
static inline bool __sb_pspin_trylock(struct sb_pspin *l, struct sb_lockctx *c,
				      unsigned long *seen)
{
	bool ok;

	c->st->rmw++;			/* inferred: one `lock cmpxchg` */
	ok = pthread_spin_trylock(&l->sl) == 0;
	sb_lockstat_trylock(c, ok);
	if (ok)
		sb_lockstat_acquired(c, &l->last_cpu, false);
	*seen = !ok;
	return ok;
}

static inline bool sb_pspin_trylock(struct sb_pspin *l, struct sb_lockctx *c)
{
	unsigned long seen;

	return __sb_pspin_trylock(l, c, &seen);
}

/*
 * tro: wait on plain loads of glibc's word, then pthread_spin_lock(), whose own
 * loop also reads before it retries its RMW.
 */
static inline void __sb_pspin_lock_held(struct sb_pspin *l, struct sb_lockctx *c,
					unsigned long seen)
{
	(void)seen;
	while (sb_lm_load_spin(&l->sl, __ATOMIC_RELAXED) != l->unlocked_val)
		sb_lm_relax();
	__sb_pspin_lock(l, c, true);
}

static inline void sb_pspin_unlock(struct sb_pspin *l, struct sb_lockctx *c)
{
	(void)c;			/* a plain store: nothing to count */
	pthread_spin_unlock(&l->sl);
}

#endif /* SB_PSPIN_H */
