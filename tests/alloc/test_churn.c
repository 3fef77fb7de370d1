/*
 * test_churn: 4 threads on virtual CPUs 0, 0, 2, 2 of a synthetic topology
 * ("pack:2 numa:2 core:2 pu:1": CPUs 0-1 are node 0, 2-3 node 1), two threads
 * per CPU so the per-CPU trylock really is contended.  Objects (kmalloc sizes 1..4096, some large ones, and a
 * created cache) are filled with a pattern derived from their address and
 * verified when freed; a quarter are freed by another thread, half of those on
 * the other node.  At the end: nothing allocated, allocs == frees, the cache
 * destroys clean and sheafalloc_exit() finds every page back in the zones.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "alloc_test.h"

#define NR_THREADS	4	/* on 2 cores: as many threads as this machine can overcommit cheaply */
#define RING		128
#define MAILBOX		1024

struct item {
	unsigned char *p;
	size_t size;
	bool from_cache;
};

struct mailbox {
	pthread_mutex_t lock;
	int n;
	struct item items[MAILBOX];
};

static struct mailbox boxes[NR_THREADS];
static struct kmem_cache *cache;
static uint64_t run_ns;

static unsigned char pattern(const void *p, size_t i)
{
	return (unsigned char)((((uintptr_t)p >> 3) * 131) + i);
}

static void fill(struct item *it)
{
	for (size_t i = 0; i < it->size; i++)
		it->p[i] = pattern(it->p, i);
}

static void verify_and_free(struct item *it)
{
	for (size_t i = 0; i < it->size; i++)
		if (it->p[i] != pattern(it->p, i)) {
			fprintf(stderr, "corruption at %p+%zu (size %zu)\n", (void *)it->p, i, it->size);
			abort();
		}
	if (it->from_cache)
		kmem_cache_free(cache, it->p);
	else
		kfree(it->p);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static bool new_item(struct item *it, uint64_t *seed, int tid)
{
	uint64_t r = rnd(seed);

	it->from_cache = (r & 3) == 0;
	if (it->from_cache) {
		it->size = kmem_cache_size(cache);
		/* sometimes on the other node explicitly */
		it->p = (r & 0x30) == 0 ? kmem_cache_alloc_node(cache, GFP_KERNEL, 1 - tid / 2)
					: kmem_cache_alloc(cache, GFP_KERNEL);
	} else {
		it->size = (r >> 8) % 4096 + 1;
		if ((r & 0xff0) == 0)
			it->size = 8192 + (r >> 20) % 12000;
		it->p = kmalloc(it->size, GFP_KERNEL);
	}
	CHECK(it->p);
	fill(it);
	return true;
}

static void mailbox_drain(int tid)
{
	struct mailbox *mb = &boxes[tid];

	pthread_mutex_lock(&mb->lock);
	for (int i = 0; i < mb->n; i++)
		verify_and_free(&mb->items[i]);
	mb->n = 0;
	pthread_mutex_unlock(&mb->lock);
}

/* false if the box is full (the caller frees it itself) */
static bool mailbox_post(int to, struct item *it)
{
	struct mailbox *mb = &boxes[to];
	bool ok;

	pthread_mutex_lock(&mb->lock);
	ok = mb->n < MAILBOX;
	if (ok)
		mb->items[mb->n++] = *it;
	pthread_mutex_unlock(&mb->lock);
	return ok;
}

static void *worker(void *arg)
{
	int tid = (int)(intptr_t)arg;
	uint64_t seed = 0x9e3779b97f4a7c15ull * (tid + 1), end = sb_now_ns_test() + run_ns;
	struct item ring[RING] = { 0 };
	unsigned long ops = 0;

	sb_set_virtual_cpu(tid / 2 * 2);
	for (;;) {
		struct item *it = &ring[ops % RING];

		if (it->p) {
			uint64_t r = rnd(&seed);
			int to = (r & 4) ? (tid ^ 1) : (tid + 2) % NR_THREADS;	/* same CPU / other node */

			if ((r & 3) != 0 || !mailbox_post(to, it))
				verify_and_free(it);
			it->p = NULL;
		}
		new_item(it, &seed, tid);
		if (++ops % 64 == 0) {
			mailbox_drain(tid);
			if (sb_now_ns_test() > end)
				break;
		}
	}
	for (int i = 0; i < RING; i++)
		if (ring[i].p)
			verify_and_free(&ring[i]);
	return (void *)ops;
}

/* The dump names every cache and the counters. */
static void check_slabinfo(void)
{
	char buf[16384] = { 0 };
	FILE *f = tmpfile();

	CHECK(f);
	sheafalloc_print_slabinfo(f);
	rewind(f);
	CHECK(fread(buf, 1, sizeof(buf) - 1, f) > 0);
	fclose(f);
	CHECK(strstr(buf, "\nchurn "));
	CHECK(strstr(buf, "\nkmalloc-64 "));
	CHECK(strstr(buf, "\nkmalloc-8192 "));
	CHECK(strstr(buf, "free_remote"));
	CHECK(strstr(buf, "list_lock"));
}

int main(void)
{
	struct sheafalloc_config cfg;
	struct sb_topology *topo;
	struct sheafalloc_stats st;
	struct kmem_cache_info in;
	pthread_t th[NR_THREADS];
	unsigned long total = 0;

	alarm(60);
	sheafalloc_config_init(&cfg);
	topo = test_init("pack:2 numa:2 core:2 pu:1", &cfg);
	CHECK_EQ(page_alloc_nr_nodes(), 4);	/* 2 packages x 2 nodes, 8 CPUs */
	run_ns = getenv("SB_TEST_SECONDS") ? (uint64_t)(atof(getenv("SB_TEST_SECONDS")) * 1e9)
					   : 1000000000ull;
	cache = kmem_cache_create("churn", 200, 0, 0);
	CHECK(cache);
	for (int i = 0; i < NR_THREADS; i++)
		pthread_mutex_init(&boxes[i].lock, NULL);
	for (int i = 0; i < NR_THREADS; i++)
		CHECK(pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i) == 0);
	for (int i = 0; i < NR_THREADS; i++) {
		void *ops;

		pthread_join(th[i], &ops);
		total += (unsigned long)ops;
	}
	sb_set_virtual_cpu(0);
	for (int i = 0; i < NR_THREADS; i++)
		mailbox_drain(i);

	kmem_cache_info_read(cache, &in);
	CHECK_EQ(in.objects_allocated, 0);
	kmem_cache_stats_read(cache, &st);
	CHECK_EQ(st.alloc_fastpath + st.alloc_slowpath,
		 st.free_fastpath + st.free_slowpath + st.deferred_drained);
	sheafalloc_stats_read(&st);
	CHECK(st.free_remote > 0);
	CHECK(st.alloc_fastpath > st.alloc_slowpath);
	printf("ops %lu, alloc fast %llu slow %llu, free fast %llu slow %llu remote %llu, "
	       "pcs trylock %llu failed %llu, barn take_full %llu miss %llu, refills %llu, flushes %llu\n",
	       total, (unsigned long long)st.alloc_fastpath, (unsigned long long)st.alloc_slowpath,
	       (unsigned long long)st.free_fastpath, (unsigned long long)st.free_slowpath,
	       (unsigned long long)st.free_remote, (unsigned long long)st.pcs_trylock,
	       (unsigned long long)st.pcs_trylock_fail, (unsigned long long)st.barn_take_full,
	       (unsigned long long)st.barn_take_full_miss, (unsigned long long)st.sheaf_refill,
	       (unsigned long long)st.sheaf_flush);
	check_slabinfo();
	CHECK_EQ(kmem_cache_destroy(cache), 0);
	test_exit(topo);
	printf("ok\n");
	return 0;
}
