// SPDX-License-Identifier: MIT
/*
 * Four threads on the machine's two cores mix alloc/free of several orders,
 * normal and nolock, and hand runs to each other so that pages are freed on
 * another CPU than the one they came from.  Every run is pattern-filled when
 * allocated and verified before it is freed (a run handed out twice, or
 * written by the allocator while in use, breaks the pattern).  At the end
 * everything is back in the buddy lists.
 *
 * Each thread has its own virtual CPU of a 4-PU synthetic topology: per-CPU
 * counters have one writer each, as their contract says.
 *
 * Four spinning threads on two cores: with a FIFO zone lock (ticket, mcs,
 * qspin's queue) a preempted next-in-line waiter stalls the others for a
 * scheduler slice, so the run is bounded in time as well as in iterations,
 * and main frees what the threads still hold once they are gone.
 */
#include <pthread.h>
#include <time.h>

#include "page_test.h"

#define NR_THREADS	4
#define ITERATIONS	100000
#define LIVE		64
#define RUN_NS		500000000ULL

/* A run travels as one word: its address with the order in the low bits. */
static uintptr_t mailbox[NR_THREADS];
static pthread_barrier_t start;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

struct worker {
	pthread_t tid;
	int id;
	unsigned long allocs, frees, nolock_nulls, nolock_tries;
	uintptr_t live[LIVE];		/* left for main to free, uncontended */
};

static uint64_t run_tag(uintptr_t run)
{
	return run * 0x9e3779b97f4a7c15ULL;
}

static unsigned int run_order(uintptr_t run)
{
	return run & (PAGE_SIZE - 1);
}

static void *run_addr(uintptr_t run)
{
	return (void *)(run & PAGE_MASK);
}

static unsigned int pick_order(uint64_t *rnd)
{
	static const unsigned int orders[] = { 0, 0, 0, 0, 1, 2, 3, 5 };

	return orders[page_test_rand(rnd) % 8];
}

static uintptr_t run_alloc(struct worker *w, uint64_t *rnd)
{
	unsigned int order = pick_order(rnd);
	bool nolock = page_test_rand(rnd) % 8 == 0;
	struct page *page = nolock ? alloc_pages_nolock(NUMA_NO_NODE, order)
				   : alloc_pages(NUMA_NO_NODE, order);
	uintptr_t run;

	w->nolock_tries += nolock;
	if (!page) {
		/* 32 MiB live at most: only a nolock caller may come back empty. */
		CHECK_MSG(nolock, "normal alloc of order %u failed", order);
		w->nolock_nulls++;
		return 0;
	}
	run = (uintptr_t)page_address(page) | order;
	page_test_fill(run_addr(run), order, run_tag(run));
	w->allocs++;
	return run;
}

static void run_free(struct worker *w, uintptr_t run, uint64_t *rnd)
{
	struct page *page = virt_to_page(run_addr(run));

	CHECK_MSG(page_test_verify(run_addr(run), run_order(run), run_tag(run)),
	      "run %p order %u corrupted", run_addr(run), run_order(run));
	if (page_test_rand(rnd) % 8 == 0)
		free_pages_nolock(page, run_order(run));
	else
		__free_pages(page, run_order(run));
	w->frees++;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uintptr_t *live = w->live;
	uint64_t rnd = 0x1234567ULL * (w->id + 1);

	sb_set_virtual_cpu(w->id);
	uint64_t deadline;

	pthread_barrier_wait(&start);
	deadline = now_ns() + RUN_NS;
	for (int i = 0; i < ITERATIONS; i++) {
		unsigned int slot = page_test_rand(&rnd) % LIVE;

		if (now_ns() > deadline)
			break;
		if (i % 16 == 15) {	/* trade a run with another thread */
			unsigned int peer = page_test_rand(&rnd) % NR_THREADS;

			live[slot] = __atomic_exchange_n(&mailbox[peer], live[slot],
							 __ATOMIC_ACQ_REL);
		} else if (live[slot]) {
			run_free(w, live[slot], &rnd);
			live[slot] = 0;
		} else {
			live[slot] = run_alloc(w, &rnd);
		}
	}
	return NULL;
}

int main(void)
{
	struct page_alloc_config cfg = {
		.arena_bytes = 4UL << 20,	/* small arenas: growth under contention */
		.node_limit_bytes = 64UL << 20,
		.pcp_batch = 8,
		.pcp_high = 24,
		.pcp_orders = 4,		/* orders 0..3 on pcp lists, 5 straight to the zone */
	};
	struct worker w[NR_THREADS];
	struct page_alloc_stats st;
	unsigned long allocs = 0, frees = 0, nulls = 0, tries = 0;
	struct sb_topology *topo;
	uint64_t rnd = 99;

	alarm(30);
	topo = page_test_start("pack:1 numa:1 core:4 pu:1", &cfg);
	pthread_barrier_init(&start, NULL, NR_THREADS);
	for (int i = 0; i < NR_THREADS; i++) {
		w[i] = (struct worker){ .id = i };
		CHECK_MSG(pthread_create(&w[i].tid, NULL, worker_main, &w[i]) == 0, "pthread_create");
	}
	for (int i = 0; i < NR_THREADS; i++) {
		pthread_join(w[i].tid, NULL);
		allocs += w[i].allocs;
		frees += w[i].frees;
		nulls += w[i].nolock_nulls;
		tries += w[i].nolock_tries;
	}
	sb_set_virtual_cpu(0);
	for (int i = 0; i < NR_THREADS; i++) {
		struct worker last = { .id = 0 };

		for (int s = 0; s < LIVE; s++)
			if (w[i].live[s])
				run_free(&last, w[i].live[s], &rnd);
		if (mailbox[i])
			run_free(&last, mailbox[i], &rnd);
		frees += last.frees;
	}
	CHECK_MSG(allocs == frees, "%lu runs allocated, %lu freed", allocs, frees);
	CHECK_MSG(page_alloc_check_all_free(), "all pages back in the buddy lists");
	page_alloc_read_stats(&st);
	CHECK_MSG(st.pages_free == st.pages_total, "free %lu of %lu pages",
	      (unsigned long)st.pages_free, (unsigned long)st.pages_total);
	CHECK_MSG(st.nolock_attempts == tries && st.nolock_failures == nulls,
	      "nolock counters %lu/%lu, seen %lu/%lu", (unsigned long)st.nolock_failures,
	      (unsigned long)st.nolock_attempts, nulls, tries);
	CHECK_MSG(st.deferred_queued == st.deferred_drained, "deferred %lu queued, %lu drained",
	      (unsigned long)st.deferred_queued, (unsigned long)st.deferred_drained);
	CHECK_MSG(st.pcp_hits > 0 && st.pcp_refills > 0 && st.pcp_drains > 0, "pcp lists in use");
	printf("page_concurrency: ok: %lu runs, nolock %lu/%lu failed, deferred %lu, "
	       "zone lock %lu acq %lu contended, arenas %lu\n",
	       allocs, nulls, tries, (unsigned long)st.deferred_queued,
	       (unsigned long)st.zone_lock.acquisitions, (unsigned long)st.zone_lock.contended,
	       (unsigned long)st.arena_growths);
	page_test_stop(topo);
	return 0;
}
