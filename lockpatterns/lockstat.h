/* lockstat.h - lock_stat-like counters, the per-acquirer context, queue nodes.
 *
 * Counting rules (every lock kind follows them; see HACKING.md "lockpatterns/"):
 *  - rmw: every atomic read-modify-write issued on the lock's word (xchg, cmpxchg
 *    whether it succeeds or not, fetch_add, fetch_or).  Plain stores and loads are
 *    not RMWs.  The pthread kinds cannot be observed from outside glibc: their counts
 *    are inferred from glibc 2.36's x86-64 code and are a lower bound under contention.
 *  - test_reads: plain loads of the lock word a trylock makes before (or instead of)
 *    its RMW.  A failed trylock that only read the word still pulled the line in
 *    shared state; this is what a report needs to show that `ttl` touched the line
 *    once more than `sb` even where the RMW counts are equal.
 *  - contended: an acquisition whose first attempt did not get the lock (for a
 *    pattern that tried a trylock first, that trylock was the first attempt).
 *  - acq_bounces / con_bounces as Linux lock_stat: an acquisition (a contended one)
 *    on another CPU than the previous acquisition of the same lock.  The lock's
 *    last_cpu is read and written inside the critical section.  Like lock_stat this
 *    writes the lock's line; define SB_LOCKSTAT_BOUNCES 0 to compile that out.
 */
#ifndef SB_LOCKSTAT_H
#define SB_LOCKSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "lockmem.h"

#ifndef SB_LOCKSTAT_BOUNCES
#define SB_LOCKSTAT_BOUNCES 1
#endif

#define SB_LOCK_ALIGN 64		/* every lock owns its cache line */

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "ticket and qspin lay sub-words out for a little-endian word"
#endif

/* One X-macro list of the counters, so sums and reports never miss a field. */
#define SB_LOCKSTAT_FIELDS(X)						\
	X(acquisitions)		/* locks taken (lock, or successful trylock) */ \
	X(contended)		/* ...whose first attempt failed */		\
	X(trylock_attempts)						\
	X(trylock_failures)						\
	X(nolock_attempts)	/* acquire() calls with nolock set */		\
	X(nolock_failures)	/* ...that returned false */			\
	X(rmw)			/* atomic RMWs on the lock word */		\
	X(acq_bounces)		/* acquired on another CPU than last time */	\
	X(con_bounces)		/* the same, contended acquisitions only */	\
	X(test_reads)		/* plain loads of the word by trylock */

/* Owned by one thread or CPU, bumped with plain adds, summed on read. */
struct sb_lockstat {
#define SB_LOCKSTAT_DECLARE(f) uint64_t f;
	SB_LOCKSTAT_FIELDS(SB_LOCKSTAT_DECLARE)
#undef SB_LOCKSTAT_DECLARE
};

static inline void sb_lockstat_add(struct sb_lockstat *sum, const struct sb_lockstat *s)
{
#define SB_LOCKSTAT_ADD(f) sum->f += s->f;
	SB_LOCKSTAT_FIELDS(SB_LOCKSTAT_ADD)
#undef SB_LOCKSTAT_ADD
}

/*
 * Per-CPU counts in userspace are shared: two threads can run on one CPU number
 * (preemption, migration, a signal handler).  Such a site counts one acquisition
 * into a private sb_lockstat and folds it in with relaxed atomic adds; readers use
 * sb_lockstat_read_shared().
 */
static inline void sb_lockstat_fold_shared(struct sb_lockstat *shared, const struct sb_lockstat *s)
{
#define SB_LOCKSTAT_FOLD(f) if (s->f) __atomic_fetch_add(&shared->f, s->f, __ATOMIC_RELAXED);
	SB_LOCKSTAT_FIELDS(SB_LOCKSTAT_FOLD)
#undef SB_LOCKSTAT_FOLD
}

static inline void sb_lockstat_read_shared(struct sb_lockstat *sum, const struct sb_lockstat *shared)
{
#define SB_LOCKSTAT_READ(f) sum->f += __atomic_load_n(&shared->f, __ATOMIC_RELAXED);
	SB_LOCKSTAT_FIELDS(SB_LOCKSTAT_READ)
#undef SB_LOCKSTAT_READ
}

/*
 * Queue nodes for mcs and qspin.  One struct sb_qnode per thread; it carries
 * SB_QNODE_SLOTS queue positions so that a thread may hold (mcs) or wait for
 * (qspin) several queued locks at once - nested locks, or a signal handler's nolock
 * trylock of an mcs lock while the thread holds another - as the kernel keeps
 * four qnodes per CPU for its four contexts.  A slot is claimed by the owning thread
 * only, by writing the lock's address into held[]; a signal handler that interrupts
 * the claim runs to completion before the thread resumes, so the two never share a
 * slot.  Slots are found again by lock address, so release order is free.  The same
 * lock may have two slots at once: a handler's nolock trylock can succeed while the
 * interrupted context is between claiming its slot and swapping the tail, or between
 * releasing the tail and freeing its slot.  Handlers nest, so the innermost context's
 * slot is the one claimed last: claim[] orders the claims and find picks the newest.
 */
#define SB_QNODE_SLOTS 4
#define SB_QNODE_MAX 16383		/* registered nodes: 14 bits of qspin's tail */

struct sb_qslot {
	struct sb_qslot *next;		/* successor in the queue (atomic) */
	int locked;			/* set to 1 by the predecessor at handoff (atomic) */
} __attribute__((aligned(SB_LOCK_ALIGN)));

struct sb_qnode {
	struct sb_qslot slot[SB_QNODE_SLOTS];
	const void *held[SB_QNODE_SLOTS];	/* lock using slot i; NULL: free */
	unsigned long claim[SB_QNODE_SLOTS];	/* when slot i was claimed (nr_claims) */
	unsigned long nr_claims;	/* owning thread only; see above for handlers */
	unsigned int id;		/* registry index + 1; 0: not registered */
};

#define SB_QNODE_INITIALIZER { .id = 0 }

/* Per-thread (or per-CPU) acquisition context. */
struct sb_lockctx {
	struct sb_lockstat *st;		/* where this acquirer's counts go */
	struct sb_qnode *qnode;		/* this thread's queue node (mcs, qspin) */
	int cpu;			/* caller's current CPU, for the bounce counts */
};

/* Spin-loop pause: lets the sibling hyperthread run and eases the memory bus. */
static inline void sb_lock_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
#endif
}

/*
 * qspin's tail is a 16-bit index, not a pointer, so nodes are registered in one
 * process-wide table.  It is a weak definition so that every translation unit that
 * includes this header shares the same table (the linker keeps one copy).
 */
__attribute__((weak)) struct sb_qnode *sb_qnode_registry[SB_QNODE_MAX];

static __attribute__((noinline, cold, unused)) void sb_lock_fatal(const char *what)
{
	fprintf(stderr, "sheafbench: lockpatterns: %s\n", what);
	abort();
}

/* Register @qn for qspin tails.  Rare (thread start), so a linear scan is fine. */
static inline void sb_qnode_register(struct sb_qnode *qn)
{
	for (unsigned int i = 0; i < SB_QNODE_MAX; i++) {
		struct sb_qnode *none = NULL;

		if (__atomic_load_n(&sb_qnode_registry[i], __ATOMIC_RELAXED))
			continue;
		if (__atomic_compare_exchange_n(&sb_qnode_registry[i], &none, qn, false,
						__ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
			qn->id = i + 1;
			return;
		}
	}
	sb_lock_fatal("more than SB_QNODE_MAX queue nodes registered (missing sb_qnode_fini?)");
}

/* Initialize a thread's node before its first use; pair with sb_qnode_fini(). */
static inline void sb_qnode_init(struct sb_qnode *qn)
{
	*qn = (struct sb_qnode)SB_QNODE_INITIALIZER;
	sb_qnode_register(qn);
}

/* The node must not be queued or holding an mcs lock. */
static inline void sb_qnode_fini(struct sb_qnode *qn)
{
	if (qn->id)
		__atomic_store_n(&sb_qnode_registry[qn->id - 1], NULL, __ATOMIC_RELEASE);
	qn->id = 0;
}

/* Claim a free slot of the calling thread's node for @lock. */
static inline int sb_qnode_get_slot(struct sb_qnode *qn, const void *lock)
{
	for (int i = 0; i < SB_QNODE_SLOTS; i++) {
		if (!__atomic_load_n(&qn->held[i], __ATOMIC_RELAXED)) {
			/*
			 * Plain increment: a handler that interrupts it frees every
			 * slot it claims before returning, so a lost update never
			 * orders two live slots wrongly.
			 */
			qn->claim[i] = ++qn->nr_claims;
			__atomic_store_n(&qn->held[i], lock, __ATOMIC_RELAXED);
			__atomic_signal_fence(__ATOMIC_SEQ_CST);
			return i;
		}
	}
	sb_lock_fatal("more than SB_QNODE_SLOTS queued locks held by one thread");
	return -1;
}

/* The slot this context took @lock with (mcs unlock): the newest claim for it. */
static inline int sb_qnode_find_slot(struct sb_qnode *qn, const void *lock)
{
	int found = -1;

	for (int i = 0; i < SB_QNODE_SLOTS; i++) {
		if (__atomic_load_n(&qn->held[i], __ATOMIC_RELAXED) != lock)
			continue;
		if (found < 0 || qn->claim[i] > qn->claim[found])
			found = i;
	}
	if (found < 0)
		sb_lock_fatal("unlock of a queued lock this context does not hold");
	return found;
}

static inline void sb_qnode_put_slot(struct sb_qnode *qn, int i)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&qn->held[i], NULL, __ATOMIC_RELAXED);
}

/*
 * Book an acquisition.  Called by the new owner, inside the critical section,
 * which is what makes the plain accesses to *last_cpu race-free.  A lock never
 * acquired before (last_cpu -1) has no previous CPU and counts no bounce.
 */
static inline void sb_lockstat_acquired(struct sb_lockctx *c, int *last_cpu, bool contended)
{
	struct sb_lockstat *st = c->st;

	st->acquisitions++;
	st->contended += contended;
	sb_lm_mark_acquired(last_cpu, contended);
#if SB_LOCKSTAT_BOUNCES
	int prev = *last_cpu;

	sb_lm_note_load(last_cpu);
	if (prev != c->cpu) {
		if (prev >= 0) {
			st->acq_bounces++;
			st->con_bounces += contended;
		}
		*last_cpu = c->cpu;
		sb_lm_note_store(last_cpu);
	}
#else
	(void)last_cpu;
#endif
}

/* Book a trylock's outcome (the acquisition itself goes through sb_lockstat_acquired). */
static inline void sb_lockstat_trylock(struct sb_lockctx *c, bool ok)
{
	c->st->trylock_attempts++;
	c->st->trylock_failures += !ok;
}

#endif /* SB_LOCKSTAT_H */
