/*
 * test_edges: three bugs an outside stress client found (issue 13 item 4).
 *  - sheaf_capacity above SHEAF_CAPACITY_MAX (1021..1024: the sheaf would not
 *    fit the largest bucket) is refused with one line; SHEAF_CAPACITY_MAX works.
 *  - kmem_cache_shrink() returns the pages of every pass, not the last one.
 *  - kmalloc_node() for a node that does not exist serves the local node, at
 *    every size.
 */
#include <errno.h>

#include "alloc_test.h"

static void init_with_capacity(const void *arg)
{
	struct sheafalloc_config cfg;

	sheafalloc_config_init(&cfg);
	cfg.sheaf_capacity = *(const int *)arg;
	if (sheafalloc_init(&cfg) == -EINVAL)
		exit(2);
	sheafalloc_exit();
}

static void test_capacity_bound(void)
{
	static const char *const needles[] = { "sheaf_capacity", "1021", "1020", NULL };
	struct kmem_cache_args args = { .sheaf_capacity = 1024 };
	const int too_big = SHEAF_CAPACITY_MAX + 1;
	struct sheafalloc_config cfg;
	struct sb_topology *topo;
	void *p[3000];

	expect_usage_exit(init_with_capacity, &too_big, needles);
	sheafalloc_config_init(&cfg);
	cfg.sheaf_capacity = SHEAF_CAPACITY_MAX;
	topo = test_init("pack:1 numa:1 core:1 pu:1", &cfg);
	sb_set_virtual_cpu(0);
	CHECK(kmem_cache_create_args("too-big", 64, &args, 0) == NULL);
	for (int i = 0; i < 3000; i++)
		CHECK((p[i] = kmalloc(64, GFP_KERNEL)));
	for (int i = 0; i < 3000; i++)
		kfree(p[i]);
	{
		struct kmem_cache_info in;

		kmem_cache_info_read(kmalloc_cache_for_size(64), &in);
		CHECK_EQ(in.sheaf_capacity, SHEAF_CAPACITY_MAX);
	}
	test_exit(topo);
}

/* 6000 objects of 512 B allocated and freed: shrink returns every slab's pages. */
static void test_shrink_total(void)
{
	static void *p[6000];
	struct kmem_cache_info before, after;
	struct sheafalloc_config cfg;
	struct sb_topology *topo;
	struct kmem_cache *c;
	unsigned long pages;

	sheafalloc_config_init(&cfg);
	topo = test_init("pack:1 numa:1 core:1 pu:1", &cfg);
	sb_set_virtual_cpu(0);
	CHECK((c = kmem_cache_create("shrink", 512, 0, 0)));
	for (int i = 0; i < 6000; i++)
		CHECK((p[i] = kmem_cache_alloc(c, GFP_KERNEL)));
	for (int i = 0; i < 6000; i++)
		kmem_cache_free(c, p[i]);
	kmem_cache_info_read(c, &before);
	CHECK(before.nr_slabs > 1);
	pages = kmem_cache_shrink(c);
	kmem_cache_info_read(c, &after);
	CHECK_EQ(after.nr_slabs, 0);
	CHECK_MSG(pages == before.nr_slabs << before.slab_order,
		  "shrink returned %lu pages, %llu slabs of order %u were freed", pages,
		  (unsigned long long)before.nr_slabs, before.slab_order);
	CHECK_EQ(kmem_cache_destroy(c), 0);
	test_exit(topo);
}

/* One node: node 1 and -5 do not exist; every size comes from node 0. */
static void test_kmalloc_missing_node(void)
{
	static const size_t sizes[] = { 100, 8192, 20000, 1 << 20 };
	struct sheafalloc_config cfg;
	struct sb_topology *topo;

	sheafalloc_config_init(&cfg);
	topo = test_init("pack:1 numa:1 core:1 pu:1", &cfg);
	sb_set_virtual_cpu(0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (int node = -5; node <= 1; node += 6) {
			void *q = kmalloc_node(sizes[i], GFP_KERNEL, node);

			CHECK_MSG(q, "kmalloc_node(%zu, node %d) returned NULL", sizes[i], node);
			CHECK_EQ(page_to_nid(virt_to_page(q)), 0);
			kfree(q);
		}
	}
	test_exit(topo);
}

int main(void)
{
	alarm(30);
	test_capacity_bound();
	test_shrink_total();
	test_kmalloc_missing_node();
	printf("ok\n");
	return 0;
}
