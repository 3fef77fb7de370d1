/*
 * test_kfree_predict: kfree() guesses an object's cache from the thread's last
 * free and uses the guess only when it equals the cache loaded from the
 * object's page.  Frees alternating between kmalloc-64, kmalloc-128 and a
 * created cache of the same 64 B size (so the size cannot tell them apart)
 * must each be counted by, and returned to, their own cache: the free counts
 * per cache equal the frees made, and destroying the created cache finds no
 * object missing (a mispredicted free would have left one in kmalloc-64).
 */
#include "alloc_test.h"

#define N	500	/* more than a sheaf and the barn hold: misses on both sides */

static uint64_t frees_counted(struct kmem_cache *s)
{
	struct sheafalloc_stats st;

	kmem_cache_stats_read(s, &st);
	return st.free_fastpath + st.free_slowpath;
}

int main(void)
{
	static void *obj[3][N];
	struct kmem_cache *s[3];
	struct sheafalloc_config cfg;
	struct sb_topology *topo;
	uint64_t before[3];

	alarm(60);
	sheafalloc_config_init(&cfg);
	topo = test_init(NULL, &cfg);
	s[0] = kmalloc_cache_for_size(64);
	s[1] = kmalloc_cache_for_size(128);
	CHECK(s[2] = kmem_cache_create("predict-64", 64, 0, 0));
	CHECK(s[0] != s[2] && s[0] != s[1]);
	for (int i = 0; i < N; i++) {
		CHECK(obj[0][i] = kmalloc(64, GFP_KERNEL));
		CHECK(obj[1][i] = kmalloc(128, GFP_KERNEL));
		CHECK(obj[2][i] = kmem_cache_alloc(s[2], GFP_KERNEL));
	}
	for (int c = 0; c < 3; c++)
		before[c] = frees_counted(s[c]);
	/* a changing guess on every free, then runs of one cache */
	for (int i = 0; i < N / 2; i++)
		for (int c = 0; c < 3; c++)
			kfree(obj[c][i]);
	for (int c = 0; c < 3; c++)
		for (int i = N / 2; i < N; i++)
			kfree(obj[c][i]);
	for (int c = 0; c < 3; c++)
		EXPECT_MSG(frees_counted(s[c]) - before[c] == N, "cache %d: %llu frees counted, %d made",
			   c, (unsigned long long)(frees_counted(s[c]) - before[c]), N);
	EXPECT_MSG(kmem_cache_destroy(s[2]) == 0, "predict-64 destroyed with objects missing");
	test_exit(topo);
	return check_report();
}
