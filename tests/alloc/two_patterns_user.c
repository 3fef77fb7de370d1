/*
 * One pattern's half of test_two_patterns: compiled once with SB_PATTERN=1 (ttl)
 * and once with SB_PATTERN=2 (sb); the public names come out as kmalloc_ttl and
 * kmalloc_sb, so both builds of the allocator live in one program.
 */
#include "alloc_test.h"

#if SB_PATTERN == 1
#define TWO_FN(name) name##_ttl
#else
#define TWO_FN(name) name##_sb
#endif

static struct sb_topology *topo;
static void *objs[1000];

void TWO_FN(two_init)(void)
{
	struct sheafalloc_config cfg;

	sheafalloc_config_init(&cfg);
	topo = test_init(NULL, &cfg);
}

/* Allocates 1000 objects and fills them with @byte. */
void TWO_FN(two_alloc)(unsigned char byte)
{
	for (int i = 0; i < 1000; i++) {
		objs[i] = kmalloc((size_t)i + 1, GFP_KERNEL);
		CHECK(objs[i]);
		memset(objs[i], byte, (size_t)i + 1);
	}
}

void *TWO_FN(two_object)(int i)
{
	return objs[i];
}

void TWO_FN(two_free)(unsigned char byte)
{
	for (int i = 0; i < 1000; i++) {
		const unsigned char *p = objs[i];

		for (int j = 0; j <= i; j++)
			CHECK_EQ(p[j], byte);
		kfree(p);
	}
}

void TWO_FN(two_exit)(void)
{
	test_exit(topo);
}
