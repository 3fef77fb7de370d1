/*
 * test_alloc_count: every allocation is counted exactly once, as
 * alloc_fastpath or alloc_slowpath, also when a refill cannot relock its CPU.
 * Two threads share virtual CPU 0 and allocate from a cache whose sheaves hold
 * one object, so nearly every allocation refills a sheaf with the pcs lock
 * dropped and then tries to relock it while the other thread may hold it; the
 * relock-failed branch hands out an object from the refilled sheaf directly.
 * The threads run until the pcs trylock has failed CONTENDED times (the
 * machine's load decides how long that takes), and the counts are compared
 * with the exact number of allocations made.
 */
#include <pthread.h>

#include "alloc_test.h"

#define NR_THREADS	2
#ifdef __SANITIZE_THREAD__
#define MAX_ROUNDS	500	/* TSan: 4000 took over 60 s under load */
#else
#define MAX_ROUNDS	4000
#endif
#define CONTENDED	500000	/* pcs trylock failures to see before stopping */
#define BATCH		64	/* allocated, then freed: misses on both sides */

static struct kmem_cache *cache;
static pthread_barrier_t start;
static int stop;			/* atomic */
static uint64_t allocated;		/* atomic */

static void *worker(void *arg)
{
	void *objs[BATCH];

	sb_set_virtual_cpu(0);
	pthread_barrier_wait(&start);
	for (int r = 0; r < MAX_ROUNDS && !__atomic_load_n(&stop, __ATOMIC_RELAXED); r++) {
		for (int i = 0; i < BATCH; i++)
			CHECK(objs[i] = kmem_cache_alloc(cache, GFP_KERNEL));
		for (int i = 0; i < BATCH; i++)
			kmem_cache_free(cache, objs[i]);
		__atomic_fetch_add(&allocated, BATCH, __ATOMIC_RELAXED);
		if (arg && r % 64 == 0) {
			struct sheafalloc_stats st;

			kmem_cache_stats_read(cache, &st);
			if (st.pcs_trylock_fail >= CONTENDED)
				__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

int main(void)
{
	struct kmem_cache_args args = { .sheaf_capacity = 1 };
	struct sheafalloc_config cfg;
	struct sb_topology *topo;
	struct sheafalloc_stats st;
	pthread_t th[NR_THREADS];

	alarm(120);
	sheafalloc_config_init(&cfg);
	topo = test_init("pack:1 numa:1 core:2 pu:1", &cfg);
	cache = kmem_cache_create_args("count", 64, &args, 0);
	CHECK(cache);
	pthread_barrier_init(&start, NULL, NR_THREADS);
	for (int i = 0; i < NR_THREADS; i++)
		CHECK(pthread_create(&th[i], NULL, worker, (void *)(intptr_t)(i == 0)) == 0);
	for (int i = 0; i < NR_THREADS; i++)
		CHECK(pthread_join(th[i], NULL) == 0);
	kmem_cache_stats_read(cache, &st);
	printf("allocated %llu, alloc fast %llu slow %llu, free fast %llu slow %llu, pcs trylock failed %llu\n",
	       (unsigned long long)allocated,
	       (unsigned long long)st.alloc_fastpath, (unsigned long long)st.alloc_slowpath,
	       (unsigned long long)st.free_fastpath, (unsigned long long)st.free_slowpath,
	       (unsigned long long)st.pcs_trylock_fail);
	CHECK_EQ(st.alloc_fastpath + st.alloc_slowpath, allocated);
	CHECK_EQ(st.free_fastpath + st.free_slowpath + st.deferred_drained,
		 allocated);
	CHECK_EQ(kmem_cache_destroy(cache), 0);
	test_exit(topo);
	printf("ok\n");
	return 0;
}
