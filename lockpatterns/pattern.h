/* pattern.h - the acquisition patterns of design.md section 1, compiled for one
 * pattern per build: SB_PATTERN 0 lock, 1 ttl, 2 sb, 3 tro.
 *
 * For every lock kind K this defines
 *   bool sb_K_acquire(struct sb_K *l, bool nolock, struct sb_lockctx *c);
 *   void sb_K_release(struct sb_K *l, struct sb_lockctx *c);
 * acquire returns false only when nolock is set and the lock was busy.  The pattern
 * is a preprocessor constant, so no acquire contains a run-time pattern dispatch.
 * nolock is tested with __builtin_expect(..., 0), as the kernel marks ALLOC_TRYLOCK
 * unlikely; nolock_attempts is added branch-free so that counting it does not
 * change the branch structure under study.
 *
 *  lock: nolock ? trylock : lock.  The same shape as sb; kept as a separate build
 *        so that lock vs sb is an A/A control that shows the run-to-run noise.
 *  ttl:  trylock; on failure fail if nolock, else lock() (whose fast path issues its
 *        own RMW at once: the second ownership request the seed is about).
 *  sb:   nolock ? trylock : lock, the two branches kept apart.
 *  tro:  trylock; on failure fail if nolock, else the lock's own slow path, told
 *        what the trylock saw (__sb_K_lock_held): qspin's pending/queue path with
 *        that word, ticket's and MCS's lock() (they already wait read-only on
 *        their own ticket or slot), TAS/TTAS/pspin a read-only wait and one RMW.
 *        Never a wait for the whole word to read 0: for a queued lock that is a
 *        wait for the queue to drain that sends every waiter after the line at once.
 * In ttl and tro a failed first trylock makes the acquisition "contended" even if
 * the lock() that follows gets it at once.
 *
 * Include lockpatterns.h, not this file.
 */
#ifndef SB_PATTERN_H
#define SB_PATTERN_H

#ifndef SB_FOR_EACH_LOCK_KIND
#error "include lockpatterns.h, not pattern.h"
#endif
#ifndef SB_PATTERN
#error "SB_PATTERN must be defined (0 lock, 1 ttl, 2 sb, 3 tro): CMake sb_pattern_definitions()"
#endif

#define SB_PATTERN_LOCK	0
#define SB_PATTERN_TTL	1
#define SB_PATTERN_SB	2
#define SB_PATTERN_TRO	3

#ifndef SB_PATTERN_NAME
#if SB_PATTERN == SB_PATTERN_LOCK
#define SB_PATTERN_NAME "lock"
#elif SB_PATTERN == SB_PATTERN_TTL
#define SB_PATTERN_NAME "ttl"
#elif SB_PATTERN == SB_PATTERN_SB
#define SB_PATTERN_NAME "sb"
#elif SB_PATTERN == SB_PATTERN_TRO
#define SB_PATTERN_NAME "tro"
#endif
#endif

#if SB_PATTERN < SB_PATTERN_LOCK || SB_PATTERN > SB_PATTERN_TRO
#error "SB_PATTERN must be 0 (lock), 1 (ttl), 2 (sb) or 3 (tro)"
#endif

static inline const char *sb_pattern_name(void)
{
	return SB_PATTERN_NAME;
}

/* lock and sb: the nolock caller only ever trylocks; the normal caller only locks. */
#define SB_DEFINE_ACQUIRE_SEPARATE(K)						\
static inline bool sb_##K##_acquire(struct sb_##K *l, bool nolock,		\
				    struct sb_lockctx *c)			\
{										\
	c->st->nolock_attempts += nolock;					\
	if (__builtin_expect(nolock, 0)) {					\
		if (!sb_##K##_trylock(l, c))					\
			goto fail;						\
	} else {								\
		sb_##K##_lock(l, c);						\
	}									\
	return true;								\
fail:										\
	c->st->nolock_failures++;						\
	return false;								\
}

/* ttl: the failed trylock is followed at once by lock()'s own RMW. */
#define SB_DEFINE_ACQUIRE_TTL(K)						\
static inline bool sb_##K##_acquire(struct sb_##K *l, bool nolock,		\
				    struct sb_lockctx *c)			\
{										\
	c->st->nolock_attempts += nolock;					\
	if (!sb_##K##_trylock(l, c)) {						\
		if (__builtin_expect(nolock, 0))				\
			goto fail;						\
		__sb_##K##_lock(l, c, true);					\
	}									\
	return true;								\
fail:										\
	c->st->nolock_failures++;						\
	return false;								\
}

/* tro: after a failed trylock, the slow path that knows the lock was held. */
#define SB_DEFINE_ACQUIRE_TRO(K)						\
static inline bool sb_##K##_acquire(struct sb_##K *l, bool nolock,		\
				    struct sb_lockctx *c)			\
{										\
	unsigned long seen;							\
										\
	c->st->nolock_attempts += nolock;					\
	if (!__sb_##K##_trylock(l, c, &seen)) {					\
		if (__builtin_expect(nolock, 0))				\
			goto fail;						\
		__sb_##K##_lock_held(l, c, seen);				\
	}									\
	return true;								\
fail:										\
	c->st->nolock_failures++;						\
	return false;								\
}

#if SB_PATTERN == SB_PATTERN_LOCK || SB_PATTERN == SB_PATTERN_SB
#define SB_DEFINE_ACQUIRE(K) SB_DEFINE_ACQUIRE_SEPARATE(K)
#elif SB_PATTERN == SB_PATTERN_TTL
#define SB_DEFINE_ACQUIRE(K) SB_DEFINE_ACQUIRE_TTL(K)
#else
#define SB_DEFINE_ACQUIRE(K) SB_DEFINE_ACQUIRE_TRO(K)
#endif

#define SB_DEFINE_RELEASE(K)							\
static inline void sb_##K##_release(struct sb_##K *l, struct sb_lockctx *c)	\
{										\
	sb_##K##_unlock(l, c);							\
}

#define SB_DEFINE_PATTERN(K, KIND) SB_DEFINE_ACQUIRE(K) SB_DEFINE_RELEASE(K)

SB_FOR_EACH_LOCK_KIND(SB_DEFINE_PATTERN)

#undef SB_DEFINE_PATTERN

#endif /* SB_PATTERN_H */
