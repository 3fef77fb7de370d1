/*
 * test_fail_inject: with fail_inject_set(0.1) every new slab and every arena
 * growth fails with p = 0.1.  Allocations then return NULL sometimes, never
 * crash, hand out intact memory, leak nothing, and everything works again once
 * injection is off.  Then the zone limit: large allocations until NULL, free,
 * and the same allocations succeed again.
 */
#include "alloc_test.h"

#define LIVE 12000

static void *objs[LIVE];
static size_t sizes[LIVE];

static unsigned char pattern(const void *p)
{
	return (unsigned char)(((uintptr_t)p >> 4) * 151);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Allocates LIVE objects (kmalloc, nolock, cache, some large); returns NULLs. */
static unsigned long fill_all(struct kmem_cache *c, uint64_t seed)
{
	unsigned long nulls = 0;

	for (int i = 0; i < LIVE; i++) {
		uint64_t r = rnd(&seed);

		sizes[i] = r % 2048 + 1;
		switch (r >> 60) {
		case 0:
			sizes[i] = 8192 + (r >> 20) % 40000;
			objs[i] = kmalloc(sizes[i], GFP_KERNEL);
			break;
		case 1: case 2:
			objs[i] = kmalloc_nolock(sizes[i], NUMA_NO_NODE);
			break;
		case 3: case 4: case 5:
			sizes[i] = kmem_cache_size(c);
			objs[i] = kmem_cache_alloc(c, GFP_KERNEL);
			break;
		default:
			objs[i] = kmalloc(sizes[i], GFP_KERNEL);
		}
		if (!objs[i]) {
			nulls++;
			continue;
		}
		memset(objs[i], pattern(objs[i]), sizes[i]);
	}
	return nulls;
}

static void free_all(struct kmem_cache *c)
{
	for (int i = 0; i < LIVE; i++) {
		const unsigned char *p = objs[i];

		if (!p)
			continue;
		for (size_t j = 0; j < sizes[i]; j++)
			CHECK_EQ(p[j], pattern(p));
		if (ksize(p) == kmem_cache_size(c) && sizes[i] == kmem_cache_size(c))
			kmem_cache_free(c, objs[i]);
		else
			kfree(p);
		objs[i] = NULL;
	}
}

static void test_injection(void)
{
	struct kmem_cache *c = kmem_cache_create("inject", 136, 0, 0);
	struct sheafalloc_stats st;
	unsigned long nulls;

	CHECK(c);
	fail_inject_set(0.1, 42);
	nulls = fill_all(c, 1);
	printf("p=0.1: %lu of %d allocations returned NULL\n", nulls, LIVE);
	CHECK(nulls > 0);
	free_all(c);
	kmem_cache_shrink(c);
	fail_inject_set(0.0, 0);
	CHECK_EQ(fill_all(c, 2), 0);		/* recovered */
	free_all(c);
	sheafalloc_stats_read(&st);
	CHECK(st.alloc_failed > 0);
	CHECK_EQ(st.nolock_attempts, st.nolock_first_bucket + st.nolock_retry_success + st.nolock_null);
	CHECK_EQ(kmem_cache_destroy(c), 0);
}

/* The zone limit (64 MiB per node here): NULL when reached, fine after frees. */
static void test_limit(void)
{
	enum { N = 40 };
	void *big[N];
	int got = 0;

	for (int i = 0; i < N; i++) {
		big[i] = kmalloc(4u << 20, GFP_KERNEL);
		got += big[i] != NULL;
	}
	printf("limit: %d of %d 4 MiB allocations succeeded\n", got, N);
	CHECK(got > 0 && got < N);
	for (int i = 0; i < N; i++)
		kfree(big[i]);
	for (int i = 0; i < got; i++) {
		big[i] = kmalloc(4u << 20, GFP_KERNEL);
		CHECK(big[i]);
	}
	for (int i = 0; i < got; i++)
		kfree(big[i]);
}

int main(void)
{
	struct sheafalloc_config cfg;
	struct sb_topology *topo;

	alarm(30);
	sheafalloc_config_init(&cfg);
	cfg.page.arena_bytes = 4u << 20;
	cfg.page.node_limit_bytes = 64u << 20;
	topo = test_init(NULL, &cfg);
	test_injection();
	test_limit();
	test_exit(topo);
	printf("ok\n");
	return 0;
}
