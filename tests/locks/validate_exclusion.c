/* validate_exclusion - mutual exclusion of every lock kind through the build's
 * acquisition pattern.
 *
 * Four threads on (up to) two CPUs, one of them acquiring in nolock mode half the
 * time.  Inside the critical section each thread bumps a plain, non-atomic counter
 * and writes then re-reads an owner field; the lock alone must keep both right:
 * the counter must equal the number of successful acquisitions and no thread may
 * ever find another owner.  Runs are time-bounded (~0.2 s per kind) because the
 * FIFO kinds hand off at scheduler speed when threads outnumber CPUs.
 * Built with SB_LOCKMEM_TRACE=1 (locks_exclusion_trace_*), each thread also
 * traces its lock accesses, and for the kinds whose counts are exact the RMWs
 * in its trace must equal its rmw counter (every RMW recorded, once).
 */
#include "locktest.h"

#define NR_THREADS	4
#define RUN_NS		200000000L	/* per kind */
#define MAX_ITERS	2000000		/* per thread, bounds a run on a fast machine */
#define NO_OWNER	-1
#define TRACE_RECS	(1u << 18)	/* per thread, trace build only */

struct shared {
	union lt_lock lock;
	const struct lt_kind *k;
	pthread_barrier_t start;
	int stop;			/* atomic */
	/* protected by lock only, deliberately plain: */
	uint64_t counter;
	int owner;
	uint64_t owner_mismatches;
};

struct worker {
	struct shared *sh;
	int id;
	pthread_t tid;
	struct sb_lockstat st;
	uint64_t acquired;		/* successful acquire() calls */
	uint64_t refused;		/* nolock acquire() calls that returned false */
	uint64_t nolock_calls;
	struct sb_lm_tbuf tbuf;		/* trace build only */
};

/* Even iterations of the nolock thread are normal: it also contends for real. */
static bool wants_nolock(const struct worker *w, long i)
{
	return w->id == NR_THREADS - 1 && (i & 1);
}

static void critical_section(struct shared *sh, int id)
{
	if (sh->owner != NO_OWNER)
		sh->owner_mismatches++;
	sh->owner = id;
	sh->counter++;
	for (int spin = 0; spin < 8; spin++)
		__atomic_signal_fence(__ATOMIC_SEQ_CST);	/* keep the window open */
	if (sh->owner != id)
		sh->owner_mismatches++;
	sh->owner = NO_OWNER;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	struct sb_qnode qnode;
	struct sb_lockctx ctx = { .st = &w->st, .qnode = &qnode, .cpu = w->id % 2 };

	sb_qnode_init(&qnode);
	lt_pin_nth(w->id);
#if SB_LOCKMEM_TRACE
	sb_lm_tbuf_cur = &w->tbuf;
#endif
	pthread_barrier_wait(&sh->start);
	for (long i = 0; i < MAX_ITERS && !__atomic_load_n(&sh->stop, __ATOMIC_RELAXED); i++) {
		bool nolock = wants_nolock(w, i);

		w->nolock_calls += nolock;
		if (!sh->k->acquire(&sh->lock, nolock, &ctx)) {
			w->refused++;
			continue;
		}
		critical_section(sh, w->id);
		sh->k->release(&sh->lock, &ctx);
		w->acquired++;
	}
	sb_qnode_fini(&qnode);
#if SB_LOCKMEM_TRACE
	sb_lm_tbuf_cur = NULL;
#endif
	return NULL;
}

/* Trace build: the RMWs a thread's trace holds equal its rmw counter. */
static void check_trace(const struct lt_kind *k, const struct worker *w)
{
	uint64_t rmw = 0;

	if (!SB_LOCKMEM_TRACE || !k->exact)
		return;
	for (size_t i = 0; i < w->tbuf.n; i++)
		rmw += sb_lm_op_class(w->tbuf.rec[i].op) == 'x';
	if (w->tbuf.dropped)
		LT_CHECK(rmw <= w->st.rmw, "%s thread %d: %llu traced RMWs > %llu counted",
			 k->name, w->id, (unsigned long long)rmw, (unsigned long long)w->st.rmw);
	else
		LT_CHECK(rmw == w->st.rmw, "%s thread %d: %llu traced RMWs, %llu counted",
			 k->name, w->id, (unsigned long long)rmw, (unsigned long long)w->st.rmw);
}

static void check_kind(const struct lt_kind *k)
{
	struct shared sh = { .k = k, .owner = NO_OWNER };
	struct worker w[NR_THREADS];
	struct sb_lockstat sum = { 0 };
	uint64_t acquired = 0, refused = 0, nolock_calls = 0;

	k->init(&sh.lock);
	pthread_barrier_init(&sh.start, NULL, NR_THREADS + 1);
	for (int i = 0; i < NR_THREADS; i++) {
		w[i] = (struct worker){ .sh = &sh, .id = i };
		if (SB_LOCKMEM_TRACE) {
			w[i].tbuf.rec = calloc(TRACE_RECS, sizeof(*w[i].tbuf.rec));
			w[i].tbuf.cap = w[i].tbuf.rec ? TRACE_RECS : 0;
		}
		pthread_create(&w[i].tid, NULL, worker_main, &w[i]);
	}
	pthread_barrier_wait(&sh.start);
	lt_sleep_ns(RUN_NS);
	__atomic_store_n(&sh.stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < NR_THREADS; i++) {
		pthread_join(w[i].tid, NULL);
		acquired += w[i].acquired;
		refused += w[i].refused;
		nolock_calls += w[i].nolock_calls;
		sb_lockstat_add(&sum, &w[i].st);
		check_trace(k, &w[i]);
		free(w[i].tbuf.rec);
		LT_CHECK(w[i].st.acquisitions == w[i].acquired,
			 "%s thread %d: lockstat %llu, counted %llu", k->name, i,
			 (unsigned long long)w[i].st.acquisitions,
			 (unsigned long long)w[i].acquired);
	}
	pthread_barrier_destroy(&sh.start);

	LT_CHECK(sh.owner_mismatches == 0, "%s: %llu owner mismatches", k->name,
		 (unsigned long long)sh.owner_mismatches);
	LT_CHECK(sh.counter == acquired, "%s: counter %llu != %llu acquisitions", k->name,
		 (unsigned long long)sh.counter, (unsigned long long)acquired);
	LT_CHECK(acquired > 0, "%s: no acquisition at all", k->name);
	LT_CHECK(sum.nolock_attempts == nolock_calls, "%s: nolock_attempts %llu != %llu",
		 k->name, (unsigned long long)sum.nolock_attempts,
		 (unsigned long long)nolock_calls);
	LT_CHECK(sum.nolock_failures == refused, "%s: nolock_failures %llu != %llu refused",
		 k->name, (unsigned long long)sum.nolock_failures, (unsigned long long)refused);
	LT_CHECK(!k->is_locked(&sh.lock), "%s: still locked after the run", k->name);
	printf("%-7s acquisitions %8llu  contended %7llu  nolock refused %6llu\n", k->name,
	       (unsigned long long)acquired, (unsigned long long)sum.contended,
	       (unsigned long long)refused);
}

int main(void)
{
	lt_watchdog(60);
	for (int kind = 0; kind < SB_NR_KINDS; kind++)
		check_kind(&lt_kinds[kind]);
	return lt_exit_status("validate_exclusion");
}
