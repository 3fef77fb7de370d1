/*
 * test_signal_storm: every thread gets its own 20 kHz timer signal
 * (timer_create + SIGEV_THREAD_ID) whose handler calls kmalloc_nolock() and
 * kfree_nolock() while the thread itself runs kmalloc()/kfree() churn, so the
 * handler interrupts its own thread anywhere inside the allocator.  A watchdog
 * (alarm) catches a deadlock.  Objects of both sides carry a pattern checked on
 * free.  The handler allocates the size its thread is allocating, and sheaves
 * are small, so the bucket's locks are often held by the interrupted thread and
 * retries and NULL returns happen.  At the end the nolock counters must add up, trylock failures must have
 * happened, and every object and page must be back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "alloc_test.h"

#define NR_THREADS	4
#define HELD		16
#define RING		64
#define TIMER_NS	50000	/* 20 kHz per thread */

static SB_TEST_TLS void *held[HELD];
static SB_TEST_TLS unsigned int held_next;
static SB_TEST_TLS size_t thread_size;	/* the size the thread is allocating now */
static atomic_ulong handler_calls, handler_nulls;
static uint64_t run_ns;

static unsigned char pattern(const void *p)
{
	return (unsigned char)(((uintptr_t)p >> 4) * 151);
}

static void check_pattern(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != pattern(p))
			abort();	/* async-signal-safe report: the test fails */
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The "NMI": allocate one object, free the oldest held one. */
static void storm_handler(int sig)
{
	int saved = errno;
	unsigned char *p = kmalloc_nolock(thread_size, NUMA_NO_NODE);
	void **slot = &held[held_next++ % HELD];

	(void)sig;
	atomic_fetch_add_explicit(&handler_calls, 1, memory_order_relaxed);
	if (*slot) {
		check_pattern(*slot, 8);
		kfree_nolock(*slot);
		*slot = NULL;
	}
	if (p) {
		memset(p, pattern(p), 8);
		*slot = p;
	} else {
		atomic_fetch_add_explicit(&handler_nulls, 1, memory_order_relaxed);
	}
	errno = saved;
}

static timer_t start_timer(void)
{
	struct sigevent sev = { 0 };
	struct itimerspec its = { .it_interval = { 0, TIMER_NS }, .it_value = { 0, TIMER_NS } };
	timer_t t;

	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGRTMIN;
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	CHECK(timer_create(CLOCK_MONOTONIC, &sev, &t) == 0);
	CHECK(timer_settime(t, 0, &its, NULL) == 0);
	return t;
}

static void stop_storm(timer_t t)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	timer_delete(t);
	for (int i = 0; i < HELD; i++) {
		kfree(held[i]);
		held[i] = NULL;
	}
}

static void *worker(void *arg)
{
	uint64_t seed = 0x2545f4914f6cdd1dull * ((uintptr_t)arg + 1);
	unsigned char *ring[RING] = { 0 };
	size_t sizes[RING] = { 0 };
	uint64_t end = sb_now_ns_test() + run_ns;
	unsigned long ops = 0;
	timer_t t;

	thread_size = 64;
	t = start_timer();
	while ((ops & 255) || sb_now_ns_test() < end) {
		unsigned int i = ops++ % RING;

		if (ring[i]) {
			check_pattern(ring[i], sizes[i]);
			kfree(ring[i]);
		}
		sizes[i] = rnd(&seed) % 128 + 1;
		thread_size = sizes[i];		/* the handler hits the same bucket */
		ring[i] = kmalloc(sizes[i], GFP_KERNEL);
		CHECK(ring[i]);
		memset(ring[i], pattern(ring[i]), sizes[i]);
	}
	stop_storm(t);
	for (int i = 0; i < RING; i++)
		kfree(ring[i]);
	return (void *)ops;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = storm_handler };
	struct sheafalloc_config cfg;
	struct sheafalloc_stats st;
	struct sb_topology *topo;
	pthread_t th[NR_THREADS];
	unsigned long ops = 0;

	alarm(30);		/* watchdog: a deadlock ends the test with SIGALRM */
	run_ns = getenv("SB_TEST_SECONDS") ? (uint64_t)(atof(getenv("SB_TEST_SECONDS")) * 1e9)
					   : 1500000000ull;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	CHECK(sigaction(SIGRTMIN, &sa, NULL) == 0);
	sheafalloc_config_init(&cfg);
	cfg.sheaf_capacity = 4;		/* frequent refills/flushes: list_lock often held */
	cfg.barn_max_full = cfg.barn_max_empty = 1;
	topo = test_init(NULL, &cfg);
	for (int i = 0; i < NR_THREADS; i++)
		CHECK(pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i) == 0);
	for (int i = 0; i < NR_THREADS; i++) {
		void *n;

		pthread_join(th[i], &n);
		ops += (unsigned long)n;
	}
	sheafalloc_drain_deferred();
	sheafalloc_stats_read(&st);
	printf("thread ops %lu, handler calls %lu (NULL %lu)\n"
	       "nolock: attempts %llu = first bucket %llu + retry success %llu + NULL %llu; retries %llu\n"
	       "pcs trylock %llu failed %llu; list_lock trylock %llu failed %llu; barn trylock %llu failed %llu\n"
	       "kfree_nolock %llu, deferred queued %llu drained %llu\n",
	       ops, atomic_load(&handler_calls), atomic_load(&handler_nulls),
	       (unsigned long long)st.nolock_attempts, (unsigned long long)st.nolock_first_bucket,
	       (unsigned long long)st.nolock_retry_success, (unsigned long long)st.nolock_null,
	       (unsigned long long)st.nolock_retry, (unsigned long long)st.pcs_trylock,
	       (unsigned long long)st.pcs_trylock_fail, (unsigned long long)st.list_trylock,
	       (unsigned long long)st.list_trylock_fail, (unsigned long long)st.barn_trylock,
	       (unsigned long long)st.barn_trylock_fail, (unsigned long long)st.nolock_frees,
	       (unsigned long long)st.deferred_queued, (unsigned long long)st.deferred_drained);
	CHECK(atomic_load(&handler_calls) > 1000);
	CHECK_EQ(st.nolock_attempts, atomic_load(&handler_calls));
	CHECK_EQ(st.nolock_attempts, st.nolock_first_bucket + st.nolock_retry_success + st.nolock_null);
	CHECK_EQ(st.nolock_retry, st.nolock_retry_success + st.nolock_null);
	CHECK_EQ(st.nolock_null, atomic_load(&handler_nulls));
	CHECK_EQ(st.deferred_queued, st.deferred_drained);
	/* who held it: the split of each site's failures adds up to its total */
	CHECK_EQ(st.pcs_trylock_fail, st.pcs_trylock_fail_reentrant + st.pcs_trylock_fail_cross);
	CHECK_EQ(st.barn_lock.nolock_failures,
		 st.barn_trylock_fail_reentrant + st.barn_trylock_fail_cross);
	CHECK_EQ(st.list_lock.nolock_failures,
		 st.list_trylock_fail_reentrant + st.list_trylock_fail_cross);
	printf("pcs failures: re-entrant %llu, cross-thread %llu; list: %llu, %llu; barn: %llu, %llu\n",
	       (unsigned long long)st.pcs_trylock_fail_reentrant,
	       (unsigned long long)st.pcs_trylock_fail_cross,
	       (unsigned long long)st.list_trylock_fail_reentrant,
	       (unsigned long long)st.list_trylock_fail_cross,
	       (unsigned long long)st.barn_trylock_fail_reentrant,
	       (unsigned long long)st.barn_trylock_fail_cross);
#ifndef SB_SANITIZE_TSAN	/* tsan delivers signals only at its own safe points */
	CHECK(st.pcs_trylock_fail > 0);
	CHECK(st.list_trylock_fail > 0);
	CHECK(st.nolock_retry > 0);	/* thousands per run: both locks of a bucket busy */
#endif
	test_exit(topo);
	printf("ok\n");
	return 0;
}
