/*
 * test_geometry: slab and sheaf geometry are the kernel's.  For every kmalloc
 * bucket on synthetic topologies of 2, 16 and 128 CPUs, the slab order and
 * objects per slab follow mm/slub.c's calculate_order() (written again here
 * from its description: at least 4 * (fls(cpus) + 1) objects if they fit
 * order 3, least waste accepted from 1/16 up to 1/2), with the figures the
 * kernel gives at 16 CPUs checked by hand; sheaf capacities fill their
 * kmalloc bucket (60, 28, 12, 4); min_partial is ilog2(size) / 2 in 5..10.
 */
#include "alloc_test.h"
#include "internal.h"

static unsigned int fls_test(unsigned int x)
{
	unsigned int n = 0;

	while (x) {
		n++;
		x >>= 1;
	}
	return n;
}

static unsigned int order_for(unsigned long bytes)
{
	unsigned int o = 0;

	while ((4096ul << o) < bytes)
		o++;
	return o;
}

static unsigned int kernel_order(unsigned int size, unsigned int cpus)
{
	unsigned int min_objects = 4 * (fls_test(cpus) + 1);
	unsigned long max_objects = (4096ul << 3) / size ? (4096ul << 3) / size : 1;
	unsigned int min_order;

	if (min_objects > max_objects)
		min_objects = (unsigned int)max_objects;
	min_order = order_for((unsigned long)min_objects * size);
	for (unsigned int fract = 16; fract >= 2; fract /= 2)
		for (unsigned int o = min_order; o <= 3; o++)
			if ((4096ul << o) % size <= (4096ul << o) / fract)
				return o;
	return order_for(size);
}

static void check_buckets(unsigned int cpus)
{
	char topo_str[64];
	struct sheafalloc_config cfg;
	struct sb_topology *topo;

	snprintf(topo_str, sizeof(topo_str), "pack:1 numa:1 core:%u pu:1", cpus);
	sheafalloc_config_init(&cfg);
	topo = test_init(topo_str, &cfg);
	CHECK_EQ(sb_topology_nr_cpus(topo), cpus);
	for (size_t size = 8; size <= KMALLOC_MAX_CACHE_SIZE; size = kmalloc_size_roundup(size) + 1) {
		struct kmem_cache *k = kmalloc_cache_for_size(size);
		struct kmem_cache_info in;
		unsigned int order = kernel_order(k->size, cpus);

		kmem_cache_info_read(k, &in);
		EXPECT_MSG(in.slab_order == order, "%u cpus, %s: order %u, kernel %u", cpus,
			   in.name, in.slab_order, order);
		if (!SB_ALLOC_DEBUG)	/* debug builds keep a bitmap at the run's end */
			EXPECT_MSG(in.objs_per_slab == (4096u << order) / k->size,
				   "%u cpus, %s: %u objects, kernel %u", cpus, in.name,
				   in.objs_per_slab, (4096u << order) / k->size);
	}
	if (cpus == 16 && !SB_ALLOC_DEBUG) {	/* the kernel's figures, from the issue */
		EXPECT(kmalloc_cache_for_size(512)->objects == 32);
		EXPECT(kmalloc_cache_for_size(1024)->objects == 32);
		EXPECT(kmalloc_cache_for_size(2048)->objects == 16);
	}
	test_exit(topo);
}

static void check_sheaves(void)
{
	struct sheafalloc_config cfg;
	struct sb_topology *topo;
	static const struct { unsigned int size; int capacity; unsigned long min_partial; } want[] = {
		{ 64, 60, 5 }, { 192, 60, 5 }, { 256, 28, 5 }, { 512, 28, 5 },
		{ 1024, 12, 5 }, { 4096, 4, 6 }, { 8192, 4, 6 },
	};

	sheafalloc_config_init(&cfg);
	topo = test_init("pack:1 numa:1 core:2 pu:1", &cfg);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct kmem_cache *k = kmalloc_cache_for_size(want[i].size);

		EXPECT_MSG(k->sheaf_capacity == want[i].capacity, "%s: capacity %d, want %d",
			   k->name, k->sheaf_capacity, want[i].capacity);
		EXPECT_MSG(k->min_partial == want[i].min_partial, "%s: min_partial %lu, want %lu",
			   k->name, k->min_partial, want[i].min_partial);
	}
	test_exit(topo);
}

int main(void)
{
	alarm(30);
	check_buckets(2);
	check_buckets(16);
	check_buckets(128);
	check_sheaves();
	if (!check_report())
		printf("ok\n");
	return check_report();
}
