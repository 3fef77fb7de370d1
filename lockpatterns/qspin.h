/* qspin.h - a qspinlock-like lock, the kind behind the kernel's spin_lock().
 *
 * One 32-bit word:  bits 0-7 locked byte, bits 8-15 pending byte (only bit 8 used),
 * bits 16-31 tail = (registered node id << 2 | slot), 0 = empty queue.
 *
 *  - fast path: cmpxchg 0 -> LOCKED.
 *  - first waiter: sets PENDING with one `lock bts` (the kernel's x86
 *    queued_fetch_set_pending_acquire()), then spins on plain loads of the locked
 *    byte; it takes the lock with one 16-bit store (locked=1, pending=0), no RMW.
 *    A slow path that finds the word exactly PENDING (a handover in flight)
 *    re-reads it up to SB_QSPIN_PENDING_LOOPS times before queueing, as x86 does.
 *  - everyone else: MCS queue on a slot of the caller's struct sb_qnode; tail is
 *    swapped with a 16-bit xchg; the queue head waits for locked and pending to
 *    clear, then takes the lock with a cmpxchg (queue empties) or a byte store.
 *  - unlock: a byte store of 0 to the locked byte, no RMW.
 *  - trylock reads the word first (one test_read) and fails without an RMW unless
 *    the whole word is 0, as the kernel's queued_spin_trylock() does.
 * Uncontended acquire+release: one cmpxchg.  Contended: cmpxchg + bts for the
 * pending waiter; when queued, cmpxchg (+ bts if it raced for pending) + xchg
 * of the tail (+ cmpxchg to clear the tail if it was last).  A tro caller enters
 * the slow path with the word its trylock saw, without the cmpxchg.
 *
 * Queue slots are only held while waiting, never while holding the lock, so any
 * ctx of the thread can unlock.  Preemption: the kernel's qspinlock runs with
 * preemption disabled; here a thread can be descheduled anywhere.  A preempted
 * holder leaves the pending waiter and the queue head spinning; a pending waiter
 * preempted after the owner left keeps the pending bit set, so the free lock cannot
 * be taken by anyone (fast path and trylock need a zero word); a preempted queued
 * waiter blocks everyone queued behind it (they spin on their own slots until it
 * runs again), and a queue head preempted between seeing locked and pending clear
 * and claiming leaves the lock free but unclaimable (the tail is set).  Correctness is unaffected; with more runnable threads
 * than CPUs handoffs degrade to scheduler-tick speed (the kernel's paravirt hooks
 * exist for the same problem with vCPUs).  Pin and do not oversubscribe to measure.
 *
 * Mixed-size atomics on one word (byte, halfword, word) are what the kernel does;
 * GCC and x86 handle them, and every access to the word is atomic.
 */
#ifndef SB_QSPIN_H
#define SB_QSPIN_H

#include "lockstat.h"

#define SB_QSPIN_UNCONTENDED_RMW 1
#define SB_QSPIN_TRYLOCK_TEST_READS 1	/* plain loads per trylock */
#define SB_QSPIN_COUNTS_EXACT 1

#define SB_QSPIN_LOCKED		1u
#define SB_QSPIN_PENDING	(1u << 8)
#define SB_QSPIN_LOCKED_MASK	0x000000ffu
#define SB_QSPIN_PENDING_MASK	0x0000ff00u
#define SB_QSPIN_LOCKED_PENDING	(SB_QSPIN_LOCKED_MASK | SB_QSPIN_PENDING_MASK)
#define SB_QSPIN_TAIL_SHIFT	16
#define SB_QSPIN_PENDING_LOOPS	(1 << 9) /* re-reads while pending hands over: x86's bound */

union sb_qspin_word {
	uint32_t val;
	struct {
		uint8_t locked;
		uint8_t pending;
		uint16_t tail;
	};
	uint16_t locked_pending;
};

struct sb_qspin {
	union sb_qspin_word w;
	int last_cpu;
} __attribute__((aligned(SB_LOCK_ALIGN)));

#define SB_QSPIN_INITIALIZER { .w = { .val = 0 }, .last_cpu = -1 }

static inline void sb_qspin_init(struct sb_qspin *l)
{
	*l = (struct sb_qspin)SB_QSPIN_INITIALIZER;
}

static inline uint16_t qspin_encode_tail(const struct sb_qnode *qn, int idx)
{
	return (uint16_t)(qn->id << 2 | (unsigned int)idx);
}

static inline struct sb_qslot *qspin_decode_tail(uint16_t tail)
{
	struct sb_qnode *qn = __atomic_load_n(&sb_qnode_registry[(tail >> 2) - 1],
					      __ATOMIC_ACQUIRE);

	return &qn->slot[tail & 3];
}

/* Returns true if the lock was taken on the way in (the kernel's last trylock). */
static inline bool qspin_queue_trylock(struct sb_qspin *l, struct sb_lockstat *st)
{
	uint32_t val = sb_lm_load(&l->w.val, __ATOMIC_RELAXED);

	if (val)
		return false;
	st->rmw++;
	return sb_lm_cmpxchg(&l->w.val, &val, SB_QSPIN_LOCKED,
			     __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/* Head of the queue: wait for owner and pending waiter to go, then claim. */
static inline void qspin_queue_head_claim(struct sb_qspin *l, struct sb_lockstat *st,
					  struct sb_qslot *node, uint16_t tail)
{
	struct sb_qslot *next;
	uint32_t val;

	while ((val = sb_lm_load_spin(&l->w.val, __ATOMIC_ACQUIRE)) & SB_QSPIN_LOCKED_PENDING)
		sb_lm_relax();
	if ((val >> SB_QSPIN_TAIL_SHIFT) == tail) {
		st->rmw++;
		if (sb_lm_cmpxchg(&l->w.val, &val, SB_QSPIN_LOCKED,
				  __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			return;		/* we were last: queue is empty now */
	}
	/*
	 * Someone queued behind us, or set pending after our load; the latter saw our
	 * tail, undoes pending and queues behind us, so a successor will link itself.
	 * Nobody else writes the locked byte while the queue is non-empty.
	 */
	sb_lm_store(&l->w.locked, SB_QSPIN_LOCKED, __ATOMIC_RELAXED);
	while (!(next = sb_lm_load_spin(&node->next, __ATOMIC_ACQUIRE)))
		sb_lm_relax();
	sb_lm_store(&next->locked, 1, __ATOMIC_RELEASE);
}

static inline void qspin_queue(struct sb_qspin *l, struct sb_lockctx *c)
{
	struct sb_qnode *qn = c->qnode;
	struct sb_qslot *node;
	uint16_t tail, old;
	int idx;

	if (__builtin_expect(!qn->id, 0))
		sb_qnode_register(qn);
	idx = sb_qnode_get_slot(qn, l);
	node = &qn->slot[idx];
	tail = qspin_encode_tail(qn, idx);
	sb_lm_store(&node->next, NULL, __ATOMIC_RELAXED);
	sb_lm_store(&node->locked, 0, __ATOMIC_RELAXED);

	if (qspin_queue_trylock(l, c->st))
		goto out;
	c->st->rmw++;
	/* release: the slot's initialization is visible to the successor that links in */
	old = sb_lm_xchg(&l->w.tail, tail, __ATOMIC_ACQ_REL);
	if (old) {
		sb_lm_store(&qspin_decode_tail(old)->next, node, __ATOMIC_RELEASE);
		while (!sb_lm_load_spin(&node->locked, __ATOMIC_ACQUIRE))
			sb_lm_relax();
	}
	qspin_queue_head_claim(l, c->st, node, tail);
out:
	sb_qnode_put_slot(qn, idx);
}

/*
 * Set PENDING and return the word as it was, as x86's
 * queued_fetch_set_pending_acquire(): one `lock bts` (GCC emits it for a one-bit
 * fetch_or whose result is masked to that bit), the other bits from a plain load.
 * A fetch_or of the whole word would be a load + `lock cmpxchg` retry loop.
 */
static inline uint32_t qspin_fetch_set_pending(struct sb_qspin *l, struct sb_lockstat *st)
{
	uint32_t val;

	st->rmw++;
	val = sb_lm_bts(&l->w.val, SB_QSPIN_PENDING, __ATOMIC_ACQUIRE);
	return val | (sb_lm_load(&l->w.val, __ATOMIC_RELAXED) & ~SB_QSPIN_PENDING_MASK);
}

/* @val: the word as the failed fast-path cmpxchg (or a tro trylock) saw it. */
static __attribute__((noinline, unused)) void qspin_lock_slowpath(struct sb_qspin *l,
								 struct sb_lockctx *c,
								 uint32_t val)
{
	/* a pending waiter is just taking over: give it a moment rather than queue */
	for (int i = 0; val == SB_QSPIN_PENDING && i < SB_QSPIN_PENDING_LOOPS; i++) {
		sb_lm_relax();
		val = sb_lm_load_spin(&l->w.val, __ATOMIC_RELAXED);
	}
	if (val & ~SB_QSPIN_LOCKED_MASK)
		goto queue;

	val = qspin_fetch_set_pending(l, c->st);
	if (val & ~SB_QSPIN_LOCKED_MASK) {
		/* lost the race for pending: undo our bit if we set it, then queue */
		if (!(val & SB_QSPIN_PENDING_MASK))
			sb_lm_store(&l->w.pending, 0, __ATOMIC_RELAXED);
		goto queue;
	}
	/* we are the one pending waiter: spin on plain loads until the owner leaves */
	while (sb_lm_load_spin(&l->w.locked, __ATOMIC_ACQUIRE))
		sb_lm_relax();
	/* locked=1, pending=0 in one store: nobody else writes these two bytes now */
	sb_lm_store(&l->w.locked_pending, (uint16_t)SB_QSPIN_LOCKED, __ATOMIC_RELAXED);
	return;
queue:
	qspin_queue(l, c);
}

static inline void __sb_qspin_lock(struct sb_qspin *l, struct sb_lockctx *c, bool contended)
{
	uint32_t val = 0;

	c->st->rmw++;
	if (__builtin_expect(!sb_lm_cmpxchg(&l->w.val, &val, SB_QSPIN_LOCKED,
					    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED), 0)) {
		contended = true;
		qspin_lock_slowpath(l, c, val);
	}
	sb_lockstat_acquired(c, &l->last_cpu, contended);
}

static inline void sb_qspin_lock(struct sb_qspin *l, struct sb_lockctx *c)
{
	__sb_qspin_lock(l, c, false);
}

/* Trylock that tells a failing caller the word it saw (for tro's slow path). */
static inline bool __sb_qspin_trylock(struct sb_qspin *l, struct sb_lockctx *c,
				      unsigned long *seen)
{
	uint32_t val;
	bool ok = false;

	c->st->test_reads++;
	val = sb_lm_load(&l->w.val, __ATOMIC_RELAXED);
	if (__builtin_expect(val == 0, 1)) {
		c->st->rmw++;
		ok = sb_lm_cmpxchg(&l->w.val, &val, SB_QSPIN_LOCKED,
				   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
	}
	*seen = val;
	sb_lockstat_trylock(c, ok);
	if (ok)
		sb_lockstat_acquired(c, &l->last_cpu, false);
	return ok;
}

static inline bool sb_qspin_trylock(struct sb_qspin *l, struct sb_lockctx *c)
{
	unsigned long seen;

	return __sb_qspin_trylock(l, c, &seen);
}

/* tro: the trylock saw @seen (never 0): straight into the pending/queue path. */
static inline void __sb_qspin_lock_held(struct sb_qspin *l, struct sb_lockctx *c,
					unsigned long seen)
{
	qspin_lock_slowpath(l, c, (uint32_t)seen);
	sb_lockstat_acquired(c, &l->last_cpu, true);
}

static inline void sb_qspin_unlock(struct sb_qspin *l, struct sb_lockctx *c)
{
	(void)c;			/* a plain store: nothing to count */
	sb_lm_store(&l->w.locked, 0, __ATOMIC_RELEASE);
}

/* Held, pending or queued: a trylock would fail (kernel: queued_spin_is_locked). */
static inline bool sb_qspin_is_locked(const struct sb_qspin *l)
{
	return sb_lm_load(&l->w.val, __ATOMIC_RELAXED) != 0;
}

#endif /* SB_QSPIN_H */
