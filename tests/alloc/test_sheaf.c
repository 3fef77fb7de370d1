/*
 * test_sheaf: the per-CPU sheaf / barn state machine (design.md 2.4), step by
 * step on one virtual CPU, checked through the counters and kmem_cache_info:
 * refill, new empty sheaf, barn put/take with its limits, flush, swap, the
 * trylock-failure slab paths, no sheaves, and kmalloc_nolock's bucket retry and
 * kfree_nolock's deferred list with the bucket's locks held.
 */
#include "alloc_test.h"
#include "internal.h"

#define CAP 4

static struct kmem_cache *s;
static struct sheafalloc_stats base;

static void snap(void)
{
	kmem_cache_stats_read(s, &base);
}

static struct sheafalloc_stats now(void)
{
	struct sheafalloc_stats st;

	kmem_cache_stats_read(s, &st);
	return st;
}

#define DELTA(field) (now().field - base.field)

static struct kmem_cache_info info(void)
{
	struct kmem_cache_info in;

	kmem_cache_info_read(s, &in);
	return in;
}

static void *objs[64];

static void test_refill(void)
{
	snap();
	for (int i = 0; i < 20; i++)
		CHECK((objs[i] = kmem_cache_alloc(s, GFP_KERNEL)));
	CHECK_EQ(DELTA(alloc_fastpath), 20);
	CHECK_EQ(DELTA(sheaf_refill), 20 / CAP);
	CHECK_EQ(DELTA(barn_take_full_miss), 20 / CAP);
	CHECK_EQ(DELTA(new_slab), 1);
	CHECK_EQ(info().objects_allocated, 20);
}

static void test_free_side(void)
{
	snap();
	for (int i = 0; i < 4; i++)
		kmem_cache_free(s, objs[i]);
	CHECK_EQ(DELTA(free_fastpath), 4);
	/* main full, the refills left an empty spare: swap */
	kmem_cache_free(s, objs[4]);
	CHECK_EQ(DELTA(sheaf_swap), 1);
	/* main and spare full, barn has no empty: a fresh sheaf, the full main to the barn */
	for (int i = 5; i < 9; i++)
		kmem_cache_free(s, objs[i]);
	CHECK_EQ(DELTA(barn_take_empty_miss), 1);
	CHECK_EQ(DELTA(sheaf_alloc), 1);
	CHECK_EQ(info().barn_full, 1);
	for (int i = 9; i < 13; i++)
		kmem_cache_free(s, objs[i]);
	CHECK_EQ(info().barn_full, 2);
	CHECK_EQ(DELTA(sheaf_alloc), 2);
	/*
	 * Barn full list at its limit: the full spare is flushed to the slabs and
	 * becomes the empty main, as the kernel does - no sheaf allocated and freed.
	 */
	for (int i = 13; i < 17; i++)
		kmem_cache_free(s, objs[i]);
	CHECK_EQ(DELTA(barn_put_full_fail), 1);
	CHECK_EQ(DELTA(sheaf_flush), 1);
	CHECK_EQ(DELTA(sheaf_alloc), 2);
	CHECK_EQ(DELTA(sheaf_free), 0);
	for (int i = 17; i < 20; i++)
		kmem_cache_free(s, objs[i]);
	CHECK_EQ(DELTA(free_fastpath), 20);
	struct kmem_cache_info in = info();

	CHECK_EQ(in.barn_full, 2);
	CHECK_EQ(in.barn_empty, 0);
	CHECK_EQ(in.cpu_sheaves, 2);
	CHECK_EQ(in.objects_in_sheaves, 16);
	CHECK_EQ(in.objects_allocated, 0);
}

static void test_alloc_side(void)
{
	snap();
	for (int i = 0; i < 5; i++)
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK_EQ(DELTA(sheaf_swap), 1);		/* main empty, spare full */
	for (int i = 5; i < 9; i++)
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK_EQ(DELTA(barn_take_full), 1);	/* spare empty too: trade at the barn */
	CHECK_EQ(info().barn_empty, 1);
	for (int i = 9; i < 13; i++)
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK_EQ(DELTA(barn_take_full), 2);
	CHECK_EQ(info().barn_full, 0);
	CHECK_EQ(info().barn_empty, 2);
	for (int i = 13; i < 17; i++)
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK_EQ(DELTA(barn_take_full_miss), 1);	/* barn has no full: refill */
	CHECK_EQ(DELTA(sheaf_refill), 1);
	CHECK_EQ(DELTA(alloc_fastpath), 17);
	CHECK_EQ(info().objects_allocated, 17);
	/* free: main fills, swaps with the empty spare, then trades at the barn */
	snap();
	for (int i = 0; i < 17; i++)
		kmem_cache_free(s, objs[i]);
	CHECK(DELTA(sheaf_swap) >= 1);
	CHECK(DELTA(barn_take_empty) >= 1);
	CHECK(info().barn_full <= 2 && info().barn_empty <= 2);
}

static void test_pcs_busy(void)
{
	struct slub_percpu_sheaves *pcs = &s->cpu_sheaves[0];
	void *p;

	snap();
	atomic_store(&pcs->locked, 1);		/* as if preempted holder / interrupted thread */
	p = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(p);
	kmem_cache_free(s, p);
	atomic_store(&pcs->locked, 0);
	CHECK_EQ(DELTA(alloc_slowpath), 1);
	CHECK_EQ(DELTA(free_slowpath), 1);
	CHECK_EQ(DELTA(pcs_trylock_fail), 2);
	CHECK_EQ(DELTA(alloc_fastpath), 0);
}

static void test_shrink(void)
{
	struct kmem_cache_info in;

	kmem_cache_shrink(s);
	in = info();
	CHECK_EQ(in.cpu_sheaves, 0);
	CHECK_EQ(in.barn_full + in.barn_empty, 0);
	CHECK_EQ(in.objects_in_sheaves, 0);
	CHECK_EQ(in.objects_in_use, 0);
	CHECK_EQ(in.nr_slabs, 0);
}

static void test_no_sheaves(void)
{
	struct kmem_cache_args args = { .sheaf_capacity = 0 };
	struct kmem_cache *plain = kmem_cache_create_args("plain", 48, &args, 0);
	struct sheafalloc_stats st;

	CHECK(plain);
	for (int i = 0; i < 64; i++)
		objs[i] = kmem_cache_alloc(plain, GFP_KERNEL);
	for (int i = 0; i < 64; i++)
		kmem_cache_free(plain, objs[i]);
	kmem_cache_stats_read(plain, &st);
	CHECK_EQ(st.alloc_slowpath, 64);
	CHECK_EQ(st.free_slowpath, 64);
	CHECK_EQ(st.alloc_fastpath + st.free_fastpath + st.sheaf_alloc, 0);
	CHECK_EQ(kmem_cache_destroy(plain), 0);
}

/* Hold a bucket's per-CPU sheaf lock and its node's list_lock, as an interrupted thread would. */
struct held {
	struct kmem_cache *c;
	struct lock_site ls;
};

static void hold(struct held *h, size_t size)
{
	h->c = kmalloc_cache_for_size(size);
	atomic_store(&h->c->cpu_sheaves[0].locked, 1);
	lock_site_begin(&h->ls, false);
	CHECK(slab_lock_acquire(&h->c->node[0].list_lock, false, &h->ls.ctx));
}

static void unhold(struct held *h)
{
	slab_lock_release(&h->c->node[0].list_lock, &h->ls.ctx);
	atomic_store(&h->c->cpu_sheaves[0].locked, 0);
}

static void test_nolock_retry_and_defer(void)
{
	struct kmem_cache *k64 = kmalloc_cache_for_size(64);
	struct sheafalloc_stats st;
	struct held h64, h96;
	void *p, *q = kmalloc(64, GFP_KERNEL);

	hold(&h64, 64);
	p = kmalloc_nolock(64, NUMA_NO_NODE);	/* 64 busy: retried in 96 */
	CHECK(p);
	CHECK_EQ(ksize(p), 96);
	hold(&h96, 96);
	CHECK(kmalloc_nolock(50, NUMA_NO_NODE) == NULL);	/* both busy */
	kfree_nolock(q);			/* 64 busy: deferred */
	unhold(&h96);
	unhold(&h64);
	kmem_cache_stats_read(k64, &st);
	CHECK_EQ(st.nolock_attempts, 2);
	CHECK_EQ(st.nolock_first_bucket, 0);
	CHECK_EQ(st.nolock_retry, 2);
	CHECK_EQ(st.nolock_retry_success, 1);
	CHECK_EQ(st.nolock_null, 1);
	CHECK_EQ(st.deferred_queued, 1);
	CHECK_EQ(st.deferred_drained, 0);
	/* later normal operations on the bucket drain it */
	for (int i = 0; i < 200 && st.deferred_drained == 0; i++) {
		void *r[61];

		for (int j = 0; j < 61; j++)
			r[j] = kmalloc(64, GFP_KERNEL);
		for (int j = 0; j < 61; j++)
			kfree(r[j]);
		kmem_cache_stats_read(k64, &st);
	}
	CHECK_EQ(st.deferred_drained, 1);
	kfree(p);
	p = kmalloc_nolock(64, NUMA_NO_NODE);
	kmem_cache_stats_read(k64, &st);
	CHECK_EQ(st.nolock_first_bucket, 1);
	CHECK_EQ(st.nolock_attempts, st.nolock_first_bucket + st.nolock_retry_success + st.nolock_null);
	kfree_nolock(p);
}

static void test_leak_report(void)
{
	struct kmem_cache *leaky = kmem_cache_create("leaky", 32, 0, 0);

	CHECK(kmem_cache_alloc(leaky, GFP_KERNEL));
	CHECK(kmem_cache_alloc(leaky, GFP_KERNEL));
	fprintf(stderr, "(expected: a report of 2 objects still allocated)\n");
	CHECK_EQ(kmem_cache_destroy(leaky), 2);
}

int main(void)
{
	struct kmem_cache_args args = { .sheaf_capacity = CAP };
	struct sheafalloc_config cfg;
	struct sb_topology *topo;

	alarm(30);
	sheafalloc_config_init(&cfg);
	cfg.barn_max_full = 2;
	cfg.barn_max_empty = 2;
	topo = test_init("pack:1 numa:1 core:2 pu:1", &cfg);	/* virtual CPUs need a synthetic one */
	sb_set_virtual_cpu(0);
	s = kmem_cache_create_args("sm", 64, &args, 0);
	CHECK(s);
	test_refill();
	test_free_side();
	test_alloc_side();
	test_pcs_busy();
	test_shrink();
	test_no_sheaves();
	test_nolock_retry_and_defer();
	CHECK_EQ(kmem_cache_destroy(s), 0);
	test_leak_report();
	test_exit(topo);
	printf("ok\n");
	return 0;
}
