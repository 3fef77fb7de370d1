/* validate_qspin - qspin's slow path issues the kernel's RMWs and no others, and
 * the build's pattern enters it as design.md section 1 says.
 *
 * The main thread holds the lock while other threads are driven into a known
 * state, observed on the lock word itself (no timing):
 *  1. pending: one waiter, word LOCKED -> it sets PENDING with exactly one RMW
 *     (one `lock bts`; the old fetch_or was a cmpxchg retry loop counted once).
 *     lock(): cmpxchg + bts = 2.  Through acquire(): ttl's trylock only reads,
 *     so 2 as well; tro hands the word it saw to the slow path: bts only, 1.
 *  2. queue: a second waiter behind the pending one must queue (tail set) while
 *     the lock is still held.  lock(): cmpxchg + tail xchg + claiming cmpxchg
 *     = 3; tro: 2, and never more than lock()'s slow path.  The old tro waited
 *     for the whole word to read 0 and never queued while the lock was held.
 */
#include "locktest.h"

#define WAIT_LIMIT_NS	30000000000ull	/* state never reached: fail, do not hang */

enum how { VIA_LOCK, VIA_ACQUIRE };

struct waiter {
	struct sb_qspin *lock;
	enum how how;
	struct sb_lockstat st;
	pthread_t tid;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	struct sb_qnode qnode;
	struct sb_lockctx ctx = { .st = &w->st, .qnode = &qnode, .cpu = 1 };

	sb_qnode_init(&qnode);
	if (w->how == VIA_LOCK)
		sb_qspin_lock(w->lock, &ctx);
	else
		LT_CHECK(sb_qspin_acquire(w->lock, false, &ctx), "normal acquire refused");
	sb_qspin_unlock(w->lock, &ctx);
	sb_qnode_fini(&qnode);
	return NULL;
}

/* Wait until (word & mask) != 0; false if it never happens. */
static bool word_reaches(struct sb_qspin *l, uint32_t mask)
{
	uint64_t t0 = lt_now_ns();

	while (!(__atomic_load_n(&l->w.val, __ATOMIC_ACQUIRE) & mask)) {
		if (lt_now_ns() - t0 > WAIT_LIMIT_NS)
			return false;
		lt_sleep_ns(10000);
	}
	return true;
}

static void waiter_start(struct waiter *w, struct sb_qspin *l, enum how how)
{
	*w = (struct waiter){ .lock = l, .how = how };
	if (pthread_create(&w->tid, NULL, waiter_main, w)) {
		perror("pthread_create");
		exit(1);
	}
}

/* Scenario 1 and 2 with the second waiter taking the lock @how; its RMWs out. */
static void run_scenario(enum how how, uint64_t *pending_rmw, uint64_t *queued_rmw)
{
	static struct sb_qspin lock = SB_QSPIN_INITIALIZER;
	struct sb_lockstat st = { 0 };
	struct sb_qnode qnode;
	struct sb_lockctx ctx = { .st = &st, .qnode = &qnode, .cpu = 0 };
	struct waiter pending, queued;
	bool was_pending, was_queued;

	sb_qnode_init(&qnode);
	sb_qspin_init(&lock);
	LT_CHECK(sb_qspin_trylock(&lock, &ctx), "free lock refused");
	waiter_start(&pending, &lock, how);
	was_pending = word_reaches(&lock, SB_QSPIN_PENDING_MASK);
	waiter_start(&queued, &lock, how);
	was_queued = word_reaches(&lock, ~SB_QSPIN_LOCKED_PENDING);
	/* still held: the queued waiter got there without waiting for a free word */
	LT_CHECK(__atomic_load_n(&lock.w.locked, __ATOMIC_RELAXED), "lock left early");
	sb_qspin_unlock(&lock, &ctx);
	pthread_join(pending.tid, NULL);
	pthread_join(queued.tid, NULL);
	LT_CHECK(was_pending, "first waiter never set PENDING");
	LT_CHECK(was_queued, "second waiter never queued while the lock was held");
	LT_CHECK(pending.st.contended == 1 && queued.st.contended == 1,
		 "contended %llu/%llu", (unsigned long long)pending.st.contended,
		 (unsigned long long)queued.st.contended);
	LT_CHECK(lock.w.val == 0, "word 0x%x after everyone left", lock.w.val);
	*pending_rmw = pending.st.rmw;
	*queued_rmw = queued.st.rmw;
	sb_qnode_fini(&qnode);
}

int main(void)
{
	bool tro = SB_PATTERN == SB_PATTERN_TRO;
	uint64_t lock_pending, lock_queued, acq_pending, acq_queued;

	lt_watchdog(90);
	run_scenario(VIA_LOCK, &lock_pending, &lock_queued);
	LT_CHECK(lock_pending == 2, "lock() pending waiter: %llu RMWs, want cmpxchg + bts",
		 (unsigned long long)lock_pending);
	LT_CHECK(lock_queued == 3, "lock() queued waiter: %llu RMWs, want 3",
		 (unsigned long long)lock_queued);

	run_scenario(VIA_ACQUIRE, &acq_pending, &acq_queued);
	LT_CHECK(acq_pending == (tro ? 1u : 2u), "acquire() pending waiter: %llu RMWs, want %u",
		 (unsigned long long)acq_pending, tro ? 1u : 2u);
	LT_CHECK(acq_queued == (tro ? 2u : 3u), "acquire() queued waiter: %llu RMWs, want %u",
		 (unsigned long long)acq_queued, tro ? 2u : 3u);
	LT_CHECK(acq_pending <= lock_pending && acq_queued <= lock_queued,
		 "acquire() issued more RMWs than lock()'s slow path");
	printf("rmw per contended acquisition: lock() pending %llu queued %llu; "
	       "acquire() pending %llu queued %llu\n",
	       (unsigned long long)lock_pending, (unsigned long long)lock_queued,
	       (unsigned long long)acq_pending, (unsigned long long)acq_queued);
	return lt_exit_status("validate_qspin");
}
