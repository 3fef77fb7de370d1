/*
 * test_obj_ext: per-object allocation tags of SLAB_OBJ_EXT caches, and the
 * recursion SLAB_ALLOC_NO_RECURSE prevents.  With every kmalloc cache tagged
 * (as memory profiling does), the obj_ext array of a new slab is itself a
 * kmalloc object; if its allocation did not carry NO_RECURSE, a bucket needing
 * a new slab for it would allocate an array of its own, and so on.  A test hook
 * drops the flag to show the nesting (depth >= 2); with it the depth stays 1.
 */
#include "alloc_test.h"
#include "internal.h"

static __attribute__((noinline)) void *tagged_alloc(struct kmem_cache *c)
{
	void *p = kmem_cache_alloc(c, GFP_KERNEL);

	__asm__ volatile("" : : "r"(p) : "memory");	/* no tail call: the tag is in here */
	return p;
}

static void test_tags(void)
{
	struct kmem_cache *c = kmem_cache_create("tagged", 72, 0, SLAB_OBJ_EXT);
	struct kmem_cache *u = kmem_cache_create("untagged", 72, 0, 0);
	void *p = tagged_alloc(c), *q = kmem_cache_alloc(u, GFP_KERNEL);
	uintptr_t tag = obj_ext_alloc_tag(p);

	CHECK(tag > (uintptr_t)tagged_alloc && tag < (uintptr_t)tagged_alloc + 256);
	CHECK_EQ(obj_ext_alloc_tag(q), 0);
	kmem_cache_free(c, p);
	kmem_cache_free(u, q);
	CHECK_EQ(kmem_cache_destroy(c), 0);
	CHECK_EQ(kmem_cache_destroy(u), 0);
}

/* Depth of obj_ext allocations while the first slab of a fresh cache of @size is made. */
static int nesting_for_new_slab(unsigned int size, bool *array_tagged)
{
	struct kmem_cache *c = kmem_cache_create("nest", size, 0, SLAB_OBJ_EXT);
	void *p;
	int depth;

	obj_ext_reset_depth();
	p = kmem_cache_alloc(c, GFP_KERNEL);
	depth = obj_ext_recursion_max_depth();
	/* the array's own slab got an array of its own only if the allocation recursed */
	*array_tagged = obj_ext_alloc_tag(virt_to_slab(p)->obj_exts) != 0;
	kmem_cache_free(c, p);
	CHECK_EQ(kmem_cache_destroy(c), 0);
	return depth;
}

static void test_recursion(void)
{
	bool tagged;
	int depth;

	obj_ext_set_kmalloc_tagging(true);
	/* 504 objects of 8 B: a 4032 B array from a bucket (4 KiB) with no slab yet */
	obj_ext_set_ignore_no_recurse(true);
	depth = nesting_for_new_slab(8, &tagged);
	printf("without SLAB_ALLOC_NO_RECURSE: obj_ext allocation nesting depth %d\n", depth);
	CHECK(depth >= 2);
	CHECK(tagged);
	/* 252 objects of 16 B: a 2016 B array from the 2 KiB bucket, also fresh */
	obj_ext_set_ignore_no_recurse(false);
	depth = nesting_for_new_slab(16, &tagged);
	printf("with SLAB_ALLOC_NO_RECURSE: depth %d\n", depth);
	CHECK_EQ(depth, 1);
	CHECK(!tagged);
	obj_ext_set_kmalloc_tagging(false);
}

int main(void)
{
	struct sheafalloc_config cfg;
	struct sb_topology *topo;

	alarm(30);
	sheafalloc_config_init(&cfg);
	topo = test_init(NULL, &cfg);
	test_tags();
	test_recursion();
	test_exit(topo);
	printf("ok\n");
	return 0;
}
