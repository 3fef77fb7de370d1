/*
 * slab_null: the null allocator behind harness_ns_per_op does no allocation.
 * Every call in a thread returns that thread's one scratch block, whatever
 * the size (an allocator cannot hand out one address twice while it is
 * live), the block takes writes of the largest size, threads get different
 * blocks, the heap does not grow, and it works without sheafalloc_init().
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "slab_workload.h"

#define CALLS	10000

static int failures;

#define CHECK(cond) do {							\
	if (!(cond)) {								\
		fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);	\
		failures++;							\
	}									\
} while (0)

/* Returns the block of the calling thread, after checking every call gave it. */
static void *use_null(void)
{
	const struct slab_adapter *a = &slab_null_adapter;
	void *first = a->alloc(8);

	CHECK(first != NULL);
	for (int i = 0; i < CALLS; i++) {
		size_t size = 8 + (size_t)i % SLAB_SIZE_MAX;
		void *p = i & 1 ? a->alloc_nolock(size) : a->alloc(size);

		CHECK(p == first);
		memset(p, i, size);
		if (i & 1)
			a->free_nolock(p);
		else
			a->free(p);
	}
	memset(first, 0xa5, SLAB_SIZE_MAX);
	return first;
}

static void *thread_fn(void *arg)
{
	*(void **)arg = use_null();
	return NULL;
}

int main(void)
{
	struct mallinfo2 before, after;
	pthread_t tid;
	void *mine, *other = NULL;

	alarm(30);
	CHECK(slab_null_adapter.alloc && slab_null_adapter.free);
	CHECK(!slab_null_adapter.has_stats);
	before = mallinfo2();
	mine = use_null();
	after = mallinfo2();
	/* Under a sanitizer mallinfo2 reads zeros: the address checks still hold. */
	CHECK(after.uordblks == before.uordblks);
	CHECK(pthread_create(&tid, NULL, thread_fn, &other) == 0);
	pthread_join(tid, NULL);
	CHECK(other && other != mine);
	if (failures)
		return 1;
	printf("slab_null: %d calls per thread, no allocation\n", CALLS);
	return 0;
}
