// SPDX-License-Identifier: MIT
/*
 * The nolock paths: with the zone lock held by another thread,
 * alloc_pages_nolock() returns NULL (and does not wait: the watchdog fires if
 * it does) and free_pages_nolock() defers the run, which the next locked zone
 * operation drains.  Then a signal handler calls the nolock paths while its
 * thread is anywhere inside the normal ones, and two threads contend on the
 * zone lock, one of them nolock: nothing deadlocks, nothing is lost.
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "page_test.h"

#define NODE 0

static int holder_state;	/* 0 start, 1 holding, 2 may release */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void *zone_holder(void *arg)
{
	sb_set_virtual_cpu(1);
	page_alloc_zone_lock_for_test(NODE);
	__atomic_store_n(&holder_state, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&holder_state, __ATOMIC_ACQUIRE) != 2)
		sched_yield();
	page_alloc_zone_unlock_for_test(NODE);
	return NULL;
}

static void test_zone_lock_held(void)
{
	struct page *run = alloc_pages(NODE, 1), *page0 = alloc_pages(NODE, 0), *p;
	struct page_alloc_stats before, after;
	struct page_zone_stats zs;
	pthread_t tid;

	CHECK_MSG(run && page0, "setup allocations");
	page_alloc_drain_all();		/* the pcp list is empty: order 0 needs the zone */
	page_alloc_read_stats(&before);
	CHECK_MSG(pthread_create(&tid, NULL, zone_holder, NULL) == 0, "pthread_create");
	while (__atomic_load_n(&holder_state, __ATOMIC_ACQUIRE) != 1)
		sched_yield();

	for (int i = 0; i < 1000; i++) {
		CHECK_MSG(alloc_pages_nolock(NODE, 1) == NULL, "order-1 nolock alloc under a held zone lock");
		CHECK_MSG(alloc_pages_nolock(NODE, 0) == NULL, "order-0 nolock alloc, empty pcp");
	}
	free_pages_nolock(run, 1);
	page_alloc_read_zone(NODE, &zs);
	CHECK_MSG(zs.pages_deferred == 2, "deferred pages %lu", (unsigned long)zs.pages_deferred);
	free_pages_nolock(page0, 0);	/* the pcp lock is free: kept there */
	page_alloc_read_zone(NODE, &zs);
	CHECK_MSG(zs.pages_pcp == 1, "pcp pages %lu", (unsigned long)zs.pages_pcp);
	page_alloc_read_stats(&after);
	CHECK_MSG(after.nolock_attempts - before.nolock_attempts == 2000 &&
	      after.nolock_failures - before.nolock_failures == 2000, "nolock counters");
	CHECK_MSG(after.deferred_queued - before.deferred_queued == 1, "one deferred free");
	CHECK_MSG(after.deferred_drained == before.deferred_drained, "nothing drained yet");
	/* order 0 tries the zone twice (pcp refill, then the buddy path); order 1 once; the free once */
	CHECK_MSG(after.zone_lock.nolock_failures - before.zone_lock.nolock_failures == 3001,
	      "zone lock site: %lu nolock failures",
	      (unsigned long)(after.zone_lock.nolock_failures - before.zone_lock.nolock_failures));

	__atomic_store_n(&holder_state, 2, __ATOMIC_RELEASE);
	pthread_join(tid, NULL);

	p = alloc_pages(NODE, 2);	/* the next locked zone operation drains */
	CHECK_MSG(p, "normal alloc after release");
	page_alloc_read_stats(&after);
	page_alloc_read_zone(NODE, &zs);
	CHECK_MSG(after.deferred_drained - before.deferred_drained == 1 && zs.pages_deferred == 0,
	      "deferred run drained by the next locked operation");
	__free_pages(p, 2);
	CHECK_MSG(page_alloc_check_all_free(), "all free after the held-lock test");
}

/* --- a signal handler inside the allocator ----------------------------------- */

static int stop_worker;
static unsigned long handler_ok, handler_null;	/* written by the worker's handler only */

static void nolock_handler(int sig)
{
	unsigned int order = (handler_ok + handler_null) % 3;
	struct page *page = alloc_pages_nolock(NUMA_NO_NODE, order);
	void *addr;

	if (!page) {
		handler_null++;
		return;
	}
	addr = page_address(page);
	page_test_fill(addr, order, (uintptr_t)addr);
	if (!page_test_verify(addr, order, (uintptr_t)addr))
		abort();
	free_pages_nolock(page, order);
	handler_ok++;
}

static void *churn_worker(void *arg)
{
	void *live[32] = { 0 };
	uint64_t rnd = 5;

	sb_set_virtual_cpu(0);
	while (!__atomic_load_n(&stop_worker, __ATOMIC_RELAXED)) {
		unsigned int slot = page_test_rand(&rnd) % 32;
		unsigned int order = slot % 3;

		if (live[slot]) {
			CHECK_MSG(page_test_verify(live[slot], order, slot), "worker run %u", slot);
			free_pages(live[slot], order);
			live[slot] = NULL;
		} else {
			live[slot] = get_free_pages(NUMA_NO_NODE, order);
			CHECK_MSG(live[slot], "worker alloc");
			page_test_fill(live[slot], order, slot);
		}
	}
	for (unsigned int s = 0; s < 32; s++)
		free_pages(live[s], s % 3);
	return NULL;
}

static void test_signal_handler(void)
{
	struct sigaction sa = { .sa_handler = nolock_handler };
	struct page_alloc_stats st;
	uint64_t end = now_ns() + 300000000ULL;
	pthread_t tid;

	sigemptyset(&sa.sa_mask);
	CHECK_MSG(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
	CHECK_MSG(pthread_create(&tid, NULL, churn_worker, NULL) == 0, "pthread_create");
	while (now_ns() < end) {
		pthread_kill(tid, SIGUSR1);
		usleep(20);
	}
	__atomic_store_n(&stop_worker, 1, __ATOMIC_RELAXED);
	pthread_join(tid, NULL);
	CHECK_MSG(handler_ok + handler_null > 0, "the handler ran");
	CHECK_MSG(page_alloc_check_all_free(), "all free after the signal test");
	page_alloc_read_stats(&st);
	CHECK_MSG(st.deferred_queued == st.deferred_drained, "deferred %lu/%lu",
	      (unsigned long)st.deferred_queued, (unsigned long)st.deferred_drained);
	printf("page_nolock: signal handler: %lu allocs, %lu NULL, pcp trylock failures %lu\n",
	       handler_ok, handler_null, (unsigned long)st.pcp_trylock_fails);
}

/* --- contention: a normal and a nolock thread on one zone --------------------- */

struct contender {
	bool nolock;
	unsigned long attempts, failures;
};

static int stop_contenders;

static void *contender_main(void *arg)
{
	struct contender *c = arg;

	sb_set_virtual_cpu(c->nolock);
	while (!__atomic_load_n(&stop_contenders, __ATOMIC_RELAXED)) {
		struct page *page = c->nolock ? alloc_pages_nolock(NODE, 1) : alloc_pages(NODE, 1);

		c->attempts++;
		if (!page) {
			CHECK_MSG(c->nolock, "normal order-1 alloc failed");
			c->failures++;
			continue;
		}
		if (c->nolock)
			free_pages_nolock(page, 1);
		else
			__free_pages(page, 1);
	}
	return NULL;
}

static void test_contention(void)
{
	struct contender c[2] = { { .nolock = false }, { .nolock = true } };
	struct page_alloc_stats before, after;
	pthread_t tid[2];

	page_alloc_read_stats(&before);
	for (int i = 0; i < 2; i++)
		CHECK_MSG(pthread_create(&tid[i], NULL, contender_main, &c[i]) == 0, "pthread_create");
	usleep(300000);
	__atomic_store_n(&stop_contenders, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < 2; i++)
		pthread_join(tid[i], NULL);
	CHECK_MSG(page_alloc_check_all_free(), "all free after contention");
	page_alloc_read_stats(&after);
	CHECK_MSG(after.nolock_failures - before.nolock_failures == c[1].failures, "nolock failures");
	CHECK_MSG(after.deferred_queued == after.deferred_drained, "every deferred free drained");
	printf("page_nolock: contention: nolock %lu/%lu failed (%.3f%%), normal %lu, "
	       "deferred frees %lu\n", c[1].failures, c[1].attempts,
	       c[1].attempts ? 100.0 * c[1].failures / c[1].attempts : 0.0, c[0].attempts,
	       (unsigned long)(after.deferred_queued - before.deferred_queued));
}

int main(void)
{
	struct page_alloc_config cfg = {
		.arena_bytes = 4UL << 20,
		.node_limit_bytes = 16UL << 20,
		.pcp_batch = 4,
		.pcp_high = 8,
		.pcp_orders = 1,	/* order > 0 straight to the zone */
	};
	struct sb_topology *topo;

	alarm(20);	/* a nolock path that waits would hang here */
	topo = page_test_start("pack:1 numa:1 core:2 pu:1", &cfg);
	sb_set_virtual_cpu(0);
	test_zone_lock_held();
	test_signal_handler();
	test_contention();
	page_test_stop(topo);
	printf("page_nolock: ok\n");
	return 0;
}
