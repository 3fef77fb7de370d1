/* validate_counters - the lock_stat counters add up and mean what they say.
 *
 * For every kind, through the build's pattern:
 *  1. one thread on one CPU: no contention, no bounces, and exactly
 *     SB_<KIND>_UNCONTENDED_RMW atomic RMWs per acquire+release, whether taken by
 *     acquire() (normal or nolock), lock() or trylock(); test_reads and
 *     trylock_attempts exactly as the pattern and the kind's trylock prescribe;
 *  2. one thread switching between two (virtual) CPUs: every acquisition but the
 *     first is a bounce, none is a contended bounce;
 *  3. two threads contending freely: per-thread sums match what the threads saw,
 *     failures never exceed attempts, contended/bounce counts stay consistent;
 *  4. two threads in lock step, one holding while the other acquires: the second
 *     one's acquisitions are contended, and under ttl/tro its trylocks fail.
 * Sections 3 and 4 print rmw and test_reads per acquisition (not asserted).
 */
#include "locktest.h"

#define SOLO_ROUNDS	1000
#define FREE_RUN_NS	200000000L
#define STEP_ROUNDS	20
#define STEP_HOLD_NS	1000000L	/* holder keeps the lock this long per round */

#define U(x) ((unsigned long long)(x))

static bool pattern_trylocks_first(void)
{
	return SB_PATTERN == SB_PATTERN_TTL || SB_PATTERN == SB_PATTERN_TRO;
}

static void check_uncontended(const struct lt_kind *k, const char *how,
			      const struct sb_lockstat *st, uint64_t want_test_reads)
{
	LT_CHECK(st->acquisitions == SOLO_ROUNDS, "%s %s: %llu acquisitions", k->name, how,
		 U(st->acquisitions));
	LT_CHECK(st->contended == 0, "%s %s: %llu contended", k->name, how, U(st->contended));
	LT_CHECK(st->acq_bounces == 0 && st->con_bounces == 0, "%s %s: bounces %llu/%llu",
		 k->name, how, U(st->acq_bounces), U(st->con_bounces));
	LT_CHECK(st->rmw == (uint64_t)SOLO_ROUNDS * k->uncontended_rmw,
		 "%s %s: %llu rmw, want %u per acquire+release", k->name, how, U(st->rmw),
		 k->uncontended_rmw);
	LT_CHECK(st->test_reads == want_test_reads, "%s %s: %llu test_reads, want %llu",
		 k->name, how, U(st->test_reads), U(want_test_reads));
	LT_CHECK(st->trylock_failures == 0 && st->nolock_failures == 0,
		 "%s %s: trylock failures %llu nolock failures %llu", k->name, how,
		 U(st->trylock_failures), U(st->nolock_failures));
}

/* 1: one thread, one CPU, each way of taking the lock. */
static void check_solo(const struct lt_kind *k, int cpu)
{
	uint64_t reads_per_try = k->trylock_test_reads;
	struct sb_qnode qnode;
	union lt_lock lock;

	sb_qnode_init(&qnode);
	for (int how = 0; how < 4; how++) {
		struct sb_lockstat st = { 0 };
		struct sb_lockctx ctx = { .st = &st, .qnode = &qnode, .cpu = cpu };
		static const char *const names[] = { "acquire", "acquire-nolock", "lock",
						     "trylock" };
		uint64_t tries = 0;

		k->init(&lock);
		for (int i = 0; i < SOLO_ROUNDS; i++) {
			switch (how) {
			case 0:
			case 1:
				LT_CHECK(k->acquire(&lock, how == 1, &ctx), "%s: refused", k->name);
				k->release(&lock, &ctx);
				break;
			case 2:
				k->lock(&lock, &ctx);
				k->unlock(&lock, &ctx);
				break;
			default:
				LT_CHECK(k->trylock(&lock, &ctx), "%s: trylock failed", k->name);
				k->unlock(&lock, &ctx);
			}
		}
		if (how == 1 || how == 3 || (how == 0 && pattern_trylocks_first()))
			tries = SOLO_ROUNDS;
		check_uncontended(k, names[how], &st, tries * reads_per_try);
		LT_CHECK(st.trylock_attempts == tries, "%s %s: %llu trylock attempts, want %llu",
			 k->name, names[how], U(st.trylock_attempts), U(tries));
		LT_CHECK(st.nolock_attempts == (how == 1 ? SOLO_ROUNDS : 0u),
			 "%s %s: %llu nolock attempts", k->name, names[how],
			 U(st.nolock_attempts));
	}
	sb_qnode_fini(&qnode);
}

/* 2: lock_stat's acq-bounces, driven by the ctx's (virtual) CPU. */
static void check_bounces(const struct lt_kind *k)
{
	struct sb_lockstat st = { 0 };
	struct sb_qnode qnode;
	struct sb_lockctx ctx = { .st = &st, .qnode = &qnode };
	union lt_lock lock;

	sb_qnode_init(&qnode);
	k->init(&lock);
	for (int i = 0; i < SOLO_ROUNDS; i++) {
		ctx.cpu = i & 1;
		k->acquire(&lock, false, &ctx);
		k->release(&lock, &ctx);
	}
	LT_CHECK(st.acq_bounces == SOLO_ROUNDS - 1, "%s: %llu acq_bounces, want %d", k->name,
		 U(st.acq_bounces), SOLO_ROUNDS - 1);
	LT_CHECK(st.con_bounces == 0, "%s: %llu con_bounces uncontended", k->name,
		 U(st.con_bounces));
	sb_qnode_fini(&qnode);
}

struct duo {
	const struct lt_kind *k;
	union lt_lock lock;
	pthread_barrier_t start;
	int stop;			/* atomic */
	int round_held;			/* atomic: holder's round number holding the lock */
	int round_trying;		/* atomic: acquirer's round number about to acquire */
	uint64_t counter;		/* protected by the lock */
};

struct duo_thread {
	struct duo *d;
	int id;
	pthread_t tid;
	struct sb_lockstat st;
	uint64_t acquired;
};

static void *free_run_main(void *arg)
{
	struct duo_thread *t = arg;
	struct duo *d = t->d;
	struct sb_qnode qnode;
	struct sb_lockctx ctx = { .st = &t->st, .qnode = &qnode, .cpu = t->id };

	sb_qnode_init(&qnode);
	lt_pin_nth(t->id);
	pthread_barrier_wait(&d->start);
	for (long i = 0; !__atomic_load_n(&d->stop, __ATOMIC_RELAXED); i++) {
		if (!d->k->acquire(&d->lock, t->id == 1 && (i % 4 == 0), &ctx))
			continue;
		d->counter++;
		d->k->release(&d->lock, &ctx);
		t->acquired++;
	}
	sb_qnode_fini(&qnode);
	return NULL;
}

/* Round r: thread 0 takes the lock, thread 1 tries while it is held. */
static void *lock_step_main(void *arg)
{
	struct duo_thread *t = arg;
	struct duo *d = t->d;
	struct sb_qnode qnode;
	struct sb_lockctx ctx = { .st = &t->st, .qnode = &qnode, .cpu = t->id };

	sb_qnode_init(&qnode);
	lt_pin_nth(t->id);
	pthread_barrier_wait(&d->start);
	for (int r = 1; r <= STEP_ROUNDS; r++) {
		if (t->id == 0) {
			d->k->acquire(&d->lock, false, &ctx);
			__atomic_store_n(&d->round_held, r, __ATOMIC_RELEASE);
			while (__atomic_load_n(&d->round_trying, __ATOMIC_ACQUIRE) < r)
				sb_lock_relax();
			lt_sleep_ns(STEP_HOLD_NS);
		} else {
			while (__atomic_load_n(&d->round_held, __ATOMIC_ACQUIRE) < r)
				sb_lock_relax();
			__atomic_store_n(&d->round_trying, r, __ATOMIC_RELEASE);
			d->k->acquire(&d->lock, false, &ctx);
		}
		d->counter++;
		d->k->release(&d->lock, &ctx);
		t->acquired++;
		/* the acquirer must not lap the holder into the next round's lock */
		pthread_barrier_wait(&d->start);
	}
	sb_qnode_fini(&qnode);
	return NULL;
}

static void run_duo(struct duo *d, struct duo_thread t[2], void *(*fn)(void *), long run_ns)
{
	pthread_barrier_init(&d->start, NULL, run_ns ? 3 : 2);
	for (int i = 0; i < 2; i++) {
		t[i] = (struct duo_thread){ .d = d, .id = i };
		pthread_create(&t[i].tid, NULL, fn, &t[i]);
	}
	if (run_ns) {
		pthread_barrier_wait(&d->start);
		lt_sleep_ns(run_ns);
		__atomic_store_n(&d->stop, 1, __ATOMIC_RELAXED);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i].tid, NULL);
	pthread_barrier_destroy(&d->start);
}

static void check_consistent(const struct lt_kind *k, const char *how,
			     const struct duo *d, const struct duo_thread t[2])
{
	uint64_t sum = 0;

	for (int i = 0; i < 2; i++) {
		const struct sb_lockstat *st = &t[i].st;

		sum += st->acquisitions;
		LT_CHECK(st->acquisitions == t[i].acquired, "%s %s thread %d: %llu != %llu",
			 k->name, how, i, U(st->acquisitions), U(t[i].acquired));
		LT_CHECK(st->trylock_failures <= st->trylock_attempts &&
			 st->nolock_failures <= st->nolock_attempts &&
			 st->contended <= st->acquisitions &&
			 st->acq_bounces <= st->acquisitions &&
			 st->con_bounces <= st->acq_bounces &&
			 st->con_bounces <= st->contended,
			 "%s %s thread %d: inconsistent counts", k->name, how, i);
	}
	LT_CHECK(sum == d->counter, "%s %s: %llu acquisitions counted, %llu in the counter",
		 k->name, how, U(sum), U(d->counter));
}

static void print_per_acq(const struct lt_kind *k, const char *how, const struct sb_lockstat *st)
{
	double n = st->acquisitions ? (double)st->acquisitions : 1.0;

	printf("%-7s %-10s acq %8llu contended %5.1f%%  rmw/acq %7.2f  test_reads/acq %5.2f"
	       "  trylock_fail %llu/%llu%s\n", k->name, how, U(st->acquisitions),
	       100.0 * (double)st->contended / n, (double)st->rmw / n,
	       (double)st->test_reads / n, U(st->trylock_failures), U(st->trylock_attempts),
	       k->exact ? "" : "  (inferred)");
}

/* 3: free-running contention; thread 1 is in nolock mode every fourth call. */
static void check_free_run(const struct lt_kind *k)
{
	struct duo d = { .k = k };
	struct duo_thread t[2];
	struct sb_lockstat sum = { 0 };

	k->init(&d.lock);
	run_duo(&d, t, free_run_main, FREE_RUN_NS);
	check_consistent(k, "free-run", &d, t);
	sb_lockstat_add(&sum, &t[0].st);
	sb_lockstat_add(&sum, &t[1].st);
	print_per_acq(k, "free-run", &sum);
}

/* 4: lock step; thread 1 acquires while thread 0 holds, STEP_ROUNDS times. */
static void check_lock_step(const struct lt_kind *k)
{
	struct duo d = { .k = k };
	struct duo_thread t[2];
	const struct sb_lockstat *st = &t[1].st;

	k->init(&d.lock);
	run_duo(&d, t, lock_step_main, 0);
	check_consistent(k, "lock-step", &d, t);
	print_per_acq(k, "lock-step", st);
	/* a waiter preempted until the holder let go may see no contention; most do */
	if (pattern_trylocks_first()) {
		LT_CHECK(st->trylock_failures > 0, "%s: no trylock failed under contention",
			 k->name);
		LT_CHECK(st->contended == st->trylock_failures,
			 "%s: contended %llu != failed first trylocks %llu", k->name,
			 U(st->contended), U(st->trylock_failures));
	}
	if (k->exact || pattern_trylocks_first()) {
		LT_CHECK(st->contended > 0, "%s: no contended acquisition", k->name);
		LT_CHECK(st->con_bounces > 0, "%s: no contended bounce between CPUs 0 and 1",
			 k->name);
	}
}

int main(void)
{
	int cpu = lt_pin_nth(0);

	/*
	 * Re-armed per kind: the lock-step rounds wait on the scheduler, so the
	 * whole run's length follows the load (37 s seen under ctest -j8 at load 38).
	 */
	lt_watchdog(60);
	for (int kind = 0; kind < SB_NR_KINDS; kind++) {
		check_solo(&lt_kinds[kind], cpu < 0 ? 0 : cpu);
		check_bounces(&lt_kinds[kind]);
	}
	for (int kind = 0; kind < SB_NR_KINDS; kind++) {
		lt_watchdog(60);
		check_free_run(&lt_kinds[kind]);
		check_lock_step(&lt_kinds[kind]);
	}
	return lt_exit_status("validate_counters");
}
