/*
 * test_kernel_shape: the slow paths have the kernel's shape (issue 10), each
 * check failing on the old one.  One virtual CPU of a synthetic topology; a
 * "handler" is a real signal raised from a test hook inside the allocator,
 * so it interrupts its own thread exactly where the hook sits.
 */
#include <signal.h>

#include "alloc_test.h"
#include "internal.h"

static struct kmem_cache *k64;

static struct sheafalloc_stats stats_of(struct kmem_cache *s)
{
	struct sheafalloc_stats st;

	kmem_cache_stats_read(s, &st);
	return st;
}

/* ---- a handler interrupting a refill does not find the pcs lock held ---- */

static volatile sig_atomic_t refill_seen, refill_pcs_locked, refill_nolock_ok;

static void refill_handler(int sig)
{
	struct sheafalloc_stats before = stats_of(k64), after;
	void *p;

	(void)sig;
	refill_seen++;
	refill_pcs_locked = atomic_load(&k64->cpu_sheaves[0].locked) != 0;
	p = kmalloc_nolock(64, NUMA_NO_NODE);
	after = stats_of(k64);
	refill_nolock_ok = p && after.nolock_first_bucket == before.nolock_first_bucket + 1;
	kfree_nolock(p);
}

static void refill_hook(struct kmem_cache *s)
{
	if (s == k64)
		raise(SIGUSR1);
}

static void test_refill_unlocked(void)
{
	void *objs[200];
	int n = 0;

	signal(SIGUSR1, refill_handler);
	pcs_refill_hook = refill_hook;
	while (!refill_seen && n < 200)
		CHECK((objs[n++] = kmalloc(64, GFP_KERNEL)));
	pcs_refill_hook = NULL;
	CHECK_MSG(refill_seen, "no refill in %d allocations", n);
	CHECK_MSG(!refill_pcs_locked, "the handler found the pcs lock held during a refill");
	CHECK_MSG(refill_nolock_ok, "kmalloc_nolock in the handler did not succeed first time");
	while (n)
		kfree(objs[--n]);
	signal(SIGUSR1, SIG_DFL);
}

int main(void)
{
	struct sheafalloc_config cfg;
	struct sb_topology *topo;

	alarm(30);
	sheafalloc_config_init(&cfg);
	topo = test_init("pack:1 numa:1 core:1 pu:1", &cfg);
	sb_set_virtual_cpu(0);
	k64 = kmalloc_cache_for_size(64);
	test_refill_unlocked();
	test_exit(topo);
	printf("ok\n");
	return 0;
}
