/*
 * bench_alloc_pair: ns per alloc+free pair of 64 B objects, single thread,
 * sheafalloc (kmalloc/kfree, kmem_cache, nolock) next to glibc malloc/free in
 * the same run.  Best of several rounds.  A figure, not a test.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sheafalloc.h"

#define ROUNDS	7
#define N	2000000

static struct kmem_cache *cache;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void pair_kmalloc(void)
{
	kfree(kmalloc(64, GFP_KERNEL));
}

static void pair_cache(void)
{
	kmem_cache_free(cache, kmem_cache_alloc(cache, GFP_KERNEL));
}

static void pair_nolock(void)
{
	kfree_nolock(kmalloc_nolock(64, NUMA_NO_NODE));
}

static void pair_glibc(void)
{
	void *p = malloc(64);

	__asm__ volatile("" : : "r"(p) : "memory");
	free(p);
}

static double best_ns(void (*pair)(void))
{
	double best = 1e30;

	for (int r = 0; r < ROUNDS; r++) {
		uint64_t t0 = now_ns();

		for (int i = 0; i < N; i++)
			pair();
		double ns = (double)(now_ns() - t0) / N;

		if (ns < best)
			best = ns;
	}
	return best;
}

int main(void)
{
	if (sheafalloc_init(NULL))
		return 1;
	cache = kmem_cache_create("pair64", 64, 0, 0);
	printf("pair ns (64 B, best of %d x %d): kmalloc/kfree %.1f  kmem_cache %.1f  "
	       "kmalloc_nolock/kfree_nolock %.1f  glibc malloc/free %.1f\n",
	       ROUNDS, N, best_ns(pair_kmalloc), best_ns(pair_cache), best_ns(pair_nolock),
	       best_ns(pair_glibc));
	kmem_cache_destroy(cache);
	return sheafalloc_exit() ? 1 : 0;
}
