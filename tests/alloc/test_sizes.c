/*
 * test_sizes: kmalloc size classes for every size 1..8192 and the large path,
 * alignment, ksize, no overlap between live objects, zeroing, bad input.
 */
#include "alloc_test.h"

static const size_t buckets[] = { 8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192 };

static size_t expected_bucket(size_t size)
{
	for (size_t i = 0; i < sizeof(buckets) / sizeof(buckets[0]); i++)
		if (size <= buckets[i])
			return buckets[i];
	return 0;
}

static size_t expected_align(size_t bucket)
{
	size_t a = bucket & -bucket;

	return a < 4096 ? a : 4096;
}

/* Every size 1..8192 live at once, each filled to its ksize; no byte overlaps. */
static void test_all_sizes(void)
{
	static void *p[8193];

	for (size_t size = 1; size <= 8192; size++) {
		size_t b = expected_bucket(size);

		p[size] = kmalloc(size, GFP_KERNEL);
		CHECK(p[size] && p[size] != ZERO_SIZE_PTR);
		CHECK_EQ(ksize(p[size]), b);
		CHECK_EQ(kmalloc_size_roundup(size), b);
		CHECK_EQ(kmem_cache_size(kmalloc_cache_for_size(size)), b);
		CHECK_EQ((uintptr_t)p[size] % expected_align(b), 0);
		memset(p[size], (int)(size & 0xff), b);
	}
	for (size_t size = 1; size <= 8192; size++) {
		const unsigned char *c = p[size];

		for (size_t i = 0; i < ksize(c); i++)
			CHECK_EQ(c[i], size & 0xff);
		kfree(c);
	}
}

static void test_large(void)
{
	size_t sizes[] = { 8193, 12288, 16385, 100000, 1 << 20, KMALLOC_MAX_SIZE };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t order_size = 4096;
		char *p = kmalloc(sizes[i], GFP_KERNEL);

		while (order_size < sizes[i])
			order_size <<= 1;
		CHECK(p);
		CHECK_EQ((uintptr_t)p % 4096, 0);
		CHECK_EQ(ksize(p), order_size);
		CHECK_EQ(kmalloc_size_roundup(sizes[i]), order_size);
		memset(p, 0x5a, sizes[i]);
		kfree(p);
	}
	CHECK(kmalloc(KMALLOC_MAX_SIZE + 1, GFP_KERNEL) == NULL);
	CHECK(kmalloc((size_t)-1, GFP_KERNEL) == NULL);
	CHECK_EQ(kmalloc_size_roundup(KMALLOC_MAX_SIZE + 1), 0);
	CHECK(kmalloc_nolock(8193, NUMA_NO_NODE) == NULL);
}

static void test_zero_and_null(void)
{
	CHECK(kmalloc(0, GFP_KERNEL) == ZERO_SIZE_PTR);
	CHECK_EQ(ksize(ZERO_SIZE_PTR), 0);
	kfree(ZERO_SIZE_PTR);
	kfree(NULL);
	kfree_nolock(NULL);
	CHECK(kmalloc_nolock(0, NUMA_NO_NODE) == NULL);
	CHECK(kmalloc_cache_for_size(0) == NULL);
	CHECK(kmalloc_cache_for_size(8193) == NULL);
}

static void test_kzalloc(void)
{
	for (size_t size = 8; size <= 16384; size *= 2) {
		unsigned char *p = kmalloc(size, GFP_KERNEL);

		memset(p, 0xff, size);
		kfree(p);
		p = kzalloc(size, GFP_KERNEL);
		for (size_t i = 0; i < size; i++)
			CHECK_EQ(p[i], 0);
		kfree(p);
	}
}

static void test_nodes_and_flags(void)
{
	int nodes = page_alloc_nr_nodes();

	for (int n = 0; n < nodes; n++) {
		void *p = kmalloc_node(100, GFP_KERNEL, n);

		CHECK(p);
		CHECK_EQ(page_to_nid(virt_to_page(p)), n);
		kfree(p);
	}
	void *a = kmalloc_flags(50, GFP_KERNEL, SLAB_ALLOC_DEFAULT);
	void *b = kmalloc_flags(50, GFP_KERNEL, SLAB_ALLOC_NOLOCK);
	void *c = kmalloc_nolock(50, NUMA_NO_NODE);

	CHECK(a && b && c);
	CHECK_EQ(ksize(a), 64);
	CHECK_EQ(ksize(b), 64);
	kfree(a);
	kfree_nolock(b);
	kfree(c);
}

static void test_cache_args(void)
{
	struct kmem_cache_args args = { .align = 256, .sheaf_capacity = 7 };
	struct kmem_cache *s;

	CHECK(kmem_cache_create("zero", 0, 0, 0) == NULL);
	CHECK(kmem_cache_create("align3", 64, 3, 0) == NULL);
	CHECK(kmem_cache_create("huge", (1u << 20) + 1, 0, 0) == NULL);
	s = kmem_cache_create_args("aligned", 100, &args, 0);
	CHECK(s);
	for (int i = 0; i < 100; i++) {
		void *p = kmem_cache_alloc(s, GFP_KERNEL);

		CHECK_EQ((uintptr_t)p % 256, 0);
		kmem_cache_free(s, p);
	}
	CHECK_EQ(kmem_cache_destroy(s), 0);
	s = kmem_cache_create("hw", 40, 0, SLAB_HWCACHE_ALIGN);
	void *objs[50];

	CHECK_EQ(kmem_cache_alloc_bulk(s, __GFP_ZERO, 50, objs), 50);
	for (int i = 0; i < 50; i++)
		CHECK_EQ((uintptr_t)objs[i] % 64, 0);
	kmem_cache_free_bulk(s, 50, objs);
	CHECK_EQ(kmem_cache_destroy(s), 0);
	kmem_cache_destroy(NULL);
}

int main(void)
{
	struct sheafalloc_config cfg;
	struct sb_topology *topo;

	alarm(120);	/* hang check only: 30 s were not enough under TSan at load 30 */
	sheafalloc_config_init(&cfg);
	topo = test_init(NULL, &cfg);
	test_all_sizes();
	test_large();
	test_zero_and_null();
	test_kzalloc();
	test_nodes_and_flags();
	test_cache_args();
	test_exit(topo);
	printf("ok\n");
	return 0;
}
