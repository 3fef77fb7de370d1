/* ticket.h - FIFO ticket spinlock in one 32-bit word: owner (now serving) in the
 * low half, next ticket in the high half.
 *
 * lock takes a ticket with one fetch_add and spins on plain loads until served;
 * unlock bumps owner with a plain release store, since only the holder writes it.
 * trylock must read the word to know which ticket to claim (one test_read) and
 * fails without an RMW when the lock is held or has waiters.
 * Uncontended acquire+release: one fetch_add.
 * With more runnable threads than CPUs a preempted waiter stalls every later
 * ticket until it runs again (FIFO handoff to a thread that is not on a CPU).
 */
#ifndef SB_TICKET_H
#define SB_TICKET_H

#include "lockstat.h"

#define SB_TICKET_UNCONTENDED_RMW 1
#define SB_TICKET_TRYLOCK_TEST_READS 1	/* plain loads per trylock */
#define SB_TICKET_COUNTS_EXACT 1

#define SB_TICKET_NEXT_ONE (1u << 16)

union sb_ticket_word {
	uint32_t val;
	struct {
		uint16_t owner;		/* ticket being served (offset 0) */
		uint16_t next;		/* next ticket to hand out */
	};
};

struct sb_ticket {
	union sb_ticket_word w;
	int last_cpu;
} __attribute__((aligned(SB_LOCK_ALIGN)));

#define SB_TICKET_INITIALIZER { .w = { .val = 0 }, .last_cpu = -1 }

static inline void sb_ticket_init(struct sb_ticket *l)
{
	*l = (struct sb_ticket)SB_TICKET_INITIALIZER;
}

static inline void __sb_ticket_lock(struct sb_ticket *l, struct sb_lockctx *c, bool contended)
{
	uint32_t old;
	uint16_t me;

	c->st->rmw++;
	old = sb_lm_fetch_add(&l->w.val, SB_TICKET_NEXT_ONE, __ATOMIC_ACQUIRE);
	me = (uint16_t)(old >> 16);
	if (__builtin_expect((uint16_t)old != me, 0)) {
		contended = true;
		while (sb_lm_load_spin(&l->w.owner, __ATOMIC_ACQUIRE) != me)
			sb_lm_relax();
	}
	sb_lockstat_acquired(c, &l->last_cpu, contended);
}

static inline void sb_ticket_lock(struct sb_ticket *l, struct sb_lockctx *c)
{
	__sb_ticket_lock(l, c, false);
}

/* Trylock that tells a failing caller the word it saw (for tro's slow path). */
static inline bool __sb_ticket_trylock(struct sb_ticket *l, struct sb_lockctx *c,
				       unsigned long *seen)
{
	union sb_ticket_word old;
	bool ok = false;

	c->st->test_reads++;
	old.val = sb_lm_load(&l->w.val, __ATOMIC_RELAXED);
	if (old.owner == old.next) {
		c->st->rmw++;
		ok = sb_lm_cmpxchg(&l->w.val, &old.val, old.val + SB_TICKET_NEXT_ONE,
				   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
	}
	*seen = old.val;
	sb_lockstat_trylock(c, ok);
	if (ok)
		sb_lockstat_acquired(c, &l->last_cpu, false);
	return ok;
}

static inline bool sb_ticket_trylock(struct sb_ticket *l, struct sb_lockctx *c)
{
	unsigned long seen;

	return __sb_ticket_trylock(l, c, &seen);
}

/* tro: the ticket lock's own lock() takes a ticket and waits read-only on owner. */
static inline void __sb_ticket_lock_held(struct sb_ticket *l, struct sb_lockctx *c,
					 unsigned long seen)
{
	(void)seen;
	__sb_ticket_lock(l, c, true);
}

static inline void sb_ticket_unlock(struct sb_ticket *l, struct sb_lockctx *c)
{
	/* only the holder writes owner: a plain release store, no RMW */
	uint16_t owner = sb_lm_load(&l->w.owner, __ATOMIC_RELAXED);

	(void)c;
	sb_lm_store(&l->w.owner, (uint16_t)(owner + 1), __ATOMIC_RELEASE);
}

/* Held, or handed out to a waiter: a trylock would fail. */
static inline bool sb_ticket_is_locked(const struct sb_ticket *l)
{
	union sb_ticket_word w = { .val = sb_lm_load(&l->w.val, __ATOMIC_RELAXED) };

	return w.owner != w.next;
}

#endif /* SB_TICKET_H */
