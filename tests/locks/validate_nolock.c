/* validate_nolock - a nolock acquisition never waits.
 *
 * For every kind, through the build's pattern:
 *  1. while another thread holds the lock, every nolock acquire() returns false at
 *     once (the alarm watchdog turns a spin or a sleep into a failure), takes
 *     nothing, and is counted; once the holder lets go, nolock succeeds;
 *  2. a signal handler that interrupts the holder itself and nolock-acquires the
 *     same lock fails instead of deadlocking, and can still take a second, free
 *     lock of the same kind with the interrupted thread's ctx (for mcs and qspin
 *     that needs a second slot of the same queue node).
 */
#include <signal.h>

#include "locktest.h"

#define NOLOCK_TRIES 1000

struct holder {
	const struct lt_kind *k;
	union lt_lock *lock;
	int held;			/* atomic: holder owns the lock */
	int done;			/* atomic: main has finished probing */
};

static void *holder_main(void *arg)
{
	struct holder *h = arg;
	struct sb_lockstat st = { 0 };
	struct sb_qnode qnode;
	struct sb_lockctx ctx = { .st = &st, .qnode = &qnode, .cpu = 1 };

	sb_qnode_init(&qnode);
	if (!h->k->acquire(h->lock, false, &ctx))
		abort();		/* a normal acquire cannot fail */
	__atomic_store_n(&h->held, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&h->done, __ATOMIC_ACQUIRE))
		lt_sleep_ns(100000);
	h->k->release(h->lock, &ctx);
	sb_qnode_fini(&qnode);
	return NULL;
}

static void check_refused_while_held(const struct lt_kind *k)
{
	union lt_lock lock;
	struct holder h = { .k = k, .lock = &lock };
	struct sb_lockstat st = { 0 };
	struct sb_qnode qnode;
	struct sb_lockctx ctx = { .st = &st, .qnode = &qnode, .cpu = 0 };
	pthread_t tid;
	int granted = 0;

	sb_qnode_init(&qnode);
	k->init(&lock);
	pthread_create(&tid, NULL, holder_main, &h);
	while (!__atomic_load_n(&h.held, __ATOMIC_ACQUIRE))
		lt_sleep_ns(100000);

	for (int i = 0; i < NOLOCK_TRIES; i++)
		granted += k->acquire(&lock, true, &ctx);
	LT_CHECK(granted == 0, "%s: %d nolock acquisitions of a held lock", k->name, granted);
	LT_CHECK(st.nolock_attempts == NOLOCK_TRIES && st.nolock_failures == NOLOCK_TRIES,
		 "%s: nolock attempts %llu failures %llu, want %d", k->name,
		 (unsigned long long)st.nolock_attempts,
		 (unsigned long long)st.nolock_failures, NOLOCK_TRIES);
	LT_CHECK(st.trylock_failures == NOLOCK_TRIES && st.acquisitions == 0,
		 "%s: trylock failures %llu acquisitions %llu", k->name,
		 (unsigned long long)st.trylock_failures, (unsigned long long)st.acquisitions);
	LT_CHECK(k->is_locked(&lock), "%s: is_locked false while held", k->name);

	__atomic_store_n(&h.done, 1, __ATOMIC_RELEASE);
	pthread_join(tid, NULL);
	LT_CHECK(!k->is_locked(&lock), "%s: is_locked true after release", k->name);
	if (k->acquire(&lock, true, &ctx))
		k->release(&lock, &ctx);
	else
		LT_CHECK(false, "%s: nolock acquire of a free lock failed", k->name);
	sb_qnode_fini(&qnode);
}

/* What the signal handler works on: the interrupted thread's held lock and ctx. */
static struct {
	const struct lt_kind *k;
	union lt_lock *held, *free;
	struct sb_lockctx *ctx;
	int own_granted, free_granted;
} in_handler;

static void nolock_handler(int sig)
{
	(void)sig;
	in_handler.own_granted = in_handler.k->acquire(in_handler.held, true, in_handler.ctx);
	in_handler.free_granted = in_handler.k->acquire(in_handler.free, true, in_handler.ctx);
	if (in_handler.free_granted)
		in_handler.k->release(in_handler.free, in_handler.ctx);
}

static void check_handler_on_holder(const struct lt_kind *k)
{
	union lt_lock held, free_lock;
	struct sb_lockstat st = { 0 };
	struct sb_qnode qnode;
	struct sb_lockctx ctx = { .st = &st, .qnode = &qnode, .cpu = 0 };

	sb_qnode_init(&qnode);
	k->init(&held);
	k->init(&free_lock);
	in_handler.k = k;
	in_handler.held = &held;
	in_handler.free = &free_lock;
	in_handler.ctx = &ctx;
	in_handler.own_granted = in_handler.free_granted = -1;

	k->acquire(&held, false, &ctx);
	raise(SIGUSR1);
	k->release(&held, &ctx);

	LT_CHECK(in_handler.own_granted == 0, "%s: handler got the lock its thread holds",
		 k->name);
	LT_CHECK(in_handler.free_granted == 1, "%s: handler could not take a free lock",
		 k->name);
	LT_CHECK(!k->is_locked(&held) && !k->is_locked(&free_lock),
		 "%s: a lock is left held", k->name);
	sb_qnode_fini(&qnode);
}

int main(void)
{
	struct sigaction sa = { .sa_handler = nolock_handler };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	lt_watchdog(30);
	for (int kind = 0; kind < SB_NR_KINDS; kind++) {
		check_refused_while_held(&lt_kinds[kind]);
		check_handler_on_holder(&lt_kinds[kind]);
	}
	return lt_exit_status("validate_nolock");
}
