/*
 * test_kernel_shape: the slow paths have the kernel's shape (issue 10), each
 * check failing on the old one.  One virtual CPU of a synthetic topology; a
 * "handler" is a real signal raised from a test hook inside the allocator,
 * so it interrupts its own thread exactly where the hook sits.
 */
#include <pthread.h>
#include <signal.h>

#include "alloc_test.h"
#include "internal.h"
#include "sheaf_fastpath.h"

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

/* ---- a slab free takes list_lock only when the slab changes lists ---- */

static uint64_t list_lock_taken(struct kmem_cache *c)
{
	struct sheafalloc_stats st = stats_of(c);

	return st.list_lock.acquisitions;
}

static void test_remote_free_lockless(void)
{
	struct kmem_cache_args plain = { .sheaf_capacity = 0 };
	struct kmem_cache *c = kmem_cache_create("remote", 64, 0, 0);
	struct kmem_cache *p = kmem_cache_create_args("remote-plain", 64, &plain, 0);
	void *a, *b, *objs[512];
	uint64_t taken;
	unsigned int n;

	CHECK(c && p);
	sb_set_virtual_cpu(0);				/* node 0 */
	CHECK((a = kmem_cache_alloc(c, GFP_KERNEL)));	/* a refill: many objects out */
	CHECK((b = kmem_cache_alloc(c, GFP_KERNEL)));
	sb_set_virtual_cpu(1);				/* node 1: a's slab is remote */
	CHECK_EQ(cpu_to_node(1), 1);
	taken = list_lock_taken(c);
	kmem_cache_free(c, a);
	CHECK_EQ(stats_of(c).free_remote, 1);
	CHECK_MSG(list_lock_taken(c) == taken, "a remote free of a non-last object took list_lock");

	/* No sheaves: fill one slab; the first free moves it full->partial (locked), the next not. */
	sb_set_virtual_cpu(0);
	n = 0;
	do {
		CHECK(n < 512);
		CHECK((objs[n] = kmem_cache_alloc(p, GFP_KERNEL)));
	} while (++n < p->objects);
	sb_set_virtual_cpu(1);
	taken = list_lock_taken(p);
	kmem_cache_free(p, objs[--n]);
	CHECK_EQ(list_lock_taken(p), taken + 1);
	kmem_cache_free(p, objs[--n]);
	CHECK_EQ(list_lock_taken(p), taken + 1);
	while (n)
		kmem_cache_free(p, objs[--n]);
	sb_set_virtual_cpu(0);
	kmem_cache_free(c, b);
	CHECK_EQ(kmem_cache_destroy(c), 0);
	CHECK_EQ(kmem_cache_destroy(p), 0);
}

/* ---- nolock paths ---- */

/* A NOLOCK allocation after a barn miss does not refill: the object comes from a slab. */
static void test_nolock_no_refill(void)
{
	struct kmem_cache *k = kmalloc_cache_for_size(2048);
	struct sheafalloc_stats before = stats_of(k), after;
	void *p;

	sb_set_virtual_cpu(0);
	CHECK_EQ(k->cpu_sheaves[0].main->size, 0);
	CHECK((p = kmalloc_nolock(2000, NUMA_NO_NODE)));
	after = stats_of(k);
	CHECK_EQ(after.barn_take_full_miss, before.barn_take_full_miss + 1);
	CHECK_EQ(after.sheaf_refill, before.sheaf_refill);
	CHECK_EQ(after.alloc_slowpath, before.alloc_slowpath + 1);
	CHECK_EQ(after.nolock_first_bucket, before.nolock_first_bucket + 1);
	kfree_nolock(p);
}

/*
 * list_lock held elsewhere, no partial slab: the lock is not tried for partial
 * slabs, a new slab is made and tried to be listed; that fails, the slab goes
 * back, and the next bucket serves.
 */
static void test_nolock_busy_list_lock(void)
{
	struct kmem_cache *k = kmalloc_cache_for_size(1024);
	struct sheafalloc_stats before = stats_of(k), after;
	struct lock_site ls;
	void *p;

	sb_set_virtual_cpu(0);
	CHECK_EQ(k->node[0].nr_partial, 0);
	lock_site_begin(&ls, false);
	CHECK(slab_lock_acquire(&k->node[0].list_lock, false, &ls.ctx));
	p = kmalloc_nolock(1000, NUMA_NO_NODE);
	slab_lock_release(&k->node[0].list_lock, &ls.ctx);
	after = stats_of(k);
	CHECK(p);
	CHECK_EQ(ksize(p), 2048);
	CHECK_EQ(after.new_slab, before.new_slab + 1);
	CHECK_EQ(after.free_slab, before.free_slab + 1);
	CHECK_EQ(after.list_trylock, before.list_trylock + 1);	/* only to list the new slab */
	CHECK_EQ(after.list_trylock_fail, before.list_trylock_fail + 1);
	CHECK_EQ(after.list_trylock_fail_cross, before.list_trylock_fail_cross + 1);
	CHECK_EQ(after.nolock_retry_success, before.nolock_retry_success + 1);
	kfree_nolock(p);
}

/*
 * kfree_nolock() from a handler defers a remote object (the kernel: anything
 * its sheaf cannot take), and the interrupted kmalloc() frees it before it
 * returns to its caller.
 */
static void *remote_obj;
static volatile sig_atomic_t defer_seen, defer_drained_in_handler;

static void defer_handler(int sig)
{
	struct sheafalloc_stats before = stats_of(k64), after;

	(void)sig;
	kfree_nolock(remote_obj);
	after = stats_of(k64);
	defer_seen = after.deferred_queued == before.deferred_queued + 1;
	defer_drained_in_handler = after.deferred_drained != before.deferred_drained;
}

static void defer_hook(struct kmem_cache *s)
{
	if (s != k64 && remote_obj && !defer_seen)
		raise(SIGUSR1);
}

static void test_kfree_nolock_defers(void)
{
	struct sheafalloc_stats before;
	void *objs[200];
	int n = 0;

	sb_set_virtual_cpu(1);
	CHECK((remote_obj = kmalloc(64, GFP_KERNEL)));	/* a node-1 object */
	sb_set_virtual_cpu(0);
	before = stats_of(k64);
	signal(SIGUSR1, defer_handler);
	pcs_refill_hook = defer_hook;
	while (!defer_seen && n < 200)
		CHECK((objs[n++] = kmalloc(128, GFP_KERNEL)));	/* a k128 refill raises it */
	pcs_refill_hook = NULL;
	CHECK_MSG(defer_seen, "the handler's kfree_nolock did not defer");
	CHECK_MSG(!defer_drained_in_handler, "the handler drained in nolock context");
	CHECK_MSG(stats_of(k64).deferred_drained == before.deferred_drained + 1,
		  "the interrupted kmalloc returned with the object still deferred");
	CHECK_EQ(stats_of(k64).free_remote, before.free_remote + 1);
	while (n)
		kfree(objs[--n]);
	signal(SIGUSR1, SIG_DFL);
}

/* ---- pcs trylock failures, split by who holds the lock ---- */

static void *reentrant_result;

static void reentrant_handler(int sig)
{
	(void)sig;
	reentrant_result = kmalloc_nolock(64, NUMA_NO_NODE);	/* its own thread holds pcs */
}

static atomic_int holder_state;

static void *pcs_holder(void *arg)
{
	struct slub_percpu_sheaves *pcs;

	(void)arg;
	sb_set_virtual_cpu(0);		/* a thread preempted on CPU 0 while holding its pcs */
	pcs = pcs_trylock(k64, 0);
	atomic_store(&holder_state, pcs ? 1 : -1);
	while (atomic_load(&holder_state) != 2)
		sched_yield();
	pcs_unlock(pcs);
	return NULL;
}

static void test_pcs_fail_split(void)
{
	struct sheafalloc_stats before = stats_of(k64), after;
	struct slub_percpu_sheaves *pcs;
	pthread_t tid;
	void *p;

	sb_set_virtual_cpu(0);
	signal(SIGUSR1, reentrant_handler);
	pcs = pcs_trylock(k64, 0);
	CHECK(pcs);
	raise(SIGUSR1);
	pcs_unlock(pcs);
	signal(SIGUSR1, SIG_DFL);
	CHECK(reentrant_result);
	kfree(reentrant_result);

	CHECK(pthread_create(&tid, NULL, pcs_holder, NULL) == 0);
	while (!atomic_load(&holder_state))
		sched_yield();
	CHECK_EQ(atomic_load(&holder_state), 1);
	CHECK((p = kmalloc(64, GFP_KERNEL)));	/* the slab path: pcs busy */
	atomic_store(&holder_state, 2);
	pthread_join(tid, NULL);
	kfree(p);

	after = stats_of(k64);
	CHECK_EQ(after.pcs_trylock_fail_reentrant, before.pcs_trylock_fail_reentrant + 1);
	CHECK_EQ(after.pcs_trylock_fail_cross, before.pcs_trylock_fail_cross + 1);
	CHECK_EQ(after.pcs_trylock_fail - before.pcs_trylock_fail, 2);
	CHECK_EQ(after.pcs_trylock_fail,
		 after.pcs_trylock_fail_reentrant + after.pcs_trylock_fail_cross);
}

int main(void)
{
	struct sheafalloc_config cfg;
	struct sb_topology *topo;

	alarm(30);
	sheafalloc_config_init(&cfg);
	topo = test_init("pack:2 numa:1 core:1 pu:1", &cfg);	/* 2 nodes, 1 CPU each */
	sb_set_virtual_cpu(0);
	k64 = kmalloc_cache_for_size(64);
	test_refill_unlocked();
	test_remote_free_lockless();
	test_nolock_no_refill();
	test_nolock_busy_list_lock();
	test_kfree_nolock_defers();
	test_pcs_fail_split();
	test_exit(topo);
	printf("ok\n");
	return 0;
}
