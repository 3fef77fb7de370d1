/*
 * test_pcs_lock: the per-CPU sheaf lock keeps local_trylock's semantics on
 * both ways of claiming it (rseq commit store, or xchg; see
 * sheafalloc_pcs_lock_method()), on this machine's topology:
 *   - the method is the one expected: argv[1] "xchg", or "auto" = rseq where
 *     glibc registered rseq and membarrier has the rseq fence;
 *   - a signal handler interrupting the holder finds it busy (re-entrant
 *     failure), and kmalloc_nolock() still succeeds by failing over;
 *   - another thread on the holder's CPU fails its trylock (cross-thread);
 *   - a holder that migrated keeps it held until it unlocks from the other CPU;
 *   - a remote locker (kmem_cache_shrink) waits for a holder, and shrinking in
 *     a loop while threads on every CPU allocate and free loses no object.
 */
#define _GNU_SOURCE
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/rseq.h>
#include <sys/syscall.h>

#include "alloc_test.h"
#include "internal.h"
#include "sheaf_fastpath.h"

#define STRESS_OPS	200000

static struct kmem_cache *k64;

static struct sheafalloc_stats stats_of(struct kmem_cache *s)
{
	struct sheafalloc_stats st;

	kmem_cache_stats_read(s, &st);
	return st;
}

static void pin_to(int os_cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(os_cpu, &set);
	CHECK(sched_setaffinity(0, sizeof(set), &set) == 0);
	while (sched_getcpu() != os_cpu)
		sched_yield();
}

/* What sheafalloc_init() should have chosen, from what this process has. */
static const char *expected_method(const char *want)
{
	long cmds;

	if (!strcmp(want, "xchg"))
		return "xchg";
#if SB_PCS_RSEQ
	cmds = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	if (__rseq_size >= 8 && sa.cpu_direct && cmds > 0 &&
	    (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ) && !getenv("SHEAFALLOC_PCS_XCHG"))
		return "rseq";
#else
	(void)cmds;
#endif
	return "xchg";
}

/* ---- a handler interrupting the holder ---- */

static volatile sig_atomic_t handler_busy, handler_nolock_ok;

/* k64 is kmalloc-64: kmalloc_nolock(64) tries the lock its thread holds. */
static void holder_handler(int sig)
{
	void *p;

	(void)sig;
	handler_busy = pcs_trylock(k64, this_cpu()) == NULL;
	p = kmalloc_nolock(64, NUMA_NO_NODE);
	handler_nolock_ok = p != NULL;
	kfree_nolock(p);
}

static void test_reentrant(int cpu)
{
	struct sheafalloc_stats before, after;
	struct slub_percpu_sheaves *pcs;

	pin_to(cpu);
	signal(SIGUSR1, holder_handler);
	before = stats_of(k64);
	pcs = pcs_trylock(k64, cpu);
	CHECK(pcs);
	raise(SIGUSR1);
	pcs_unlock(pcs);
	after = stats_of(k64);
	CHECK_MSG(handler_busy, "the handler got the lock its own thread holds");
	CHECK(handler_nolock_ok);
	CHECK(after.pcs_trylock_fail_reentrant > before.pcs_trylock_fail_reentrant);
	/* and the lock is free again for this thread */
	pcs = pcs_trylock(k64, cpu);
	CHECK(pcs);
	pcs_unlock(pcs);
}

/* ---- another thread on the holder's CPU; a migrated holder ---- */

struct other {
	int cpu;
	bool got;
	void *obj;
};

static void *other_thread(void *arg)
{
	struct other *o = arg;
	struct slub_percpu_sheaves *pcs;

	pin_to(o->cpu);
	pcs = pcs_trylock(k64, o->cpu);
	o->got = pcs != NULL;
	if (pcs)
		pcs_unlock(pcs);
	else
		pcs_trylock_failed(k64, o->cpu);	/* as the allocator's callers count it */
	o->obj = kmem_cache_alloc(k64, GFP_KERNEL);	/* fails over to the slab */
	return NULL;
}

static bool other_gets_lock(int cpu, void **obj)
{
	struct other o = { .cpu = cpu };
	pthread_t t;

	CHECK(pthread_create(&t, NULL, other_thread, &o) == 0);
	pthread_join(t, NULL);
	CHECK(o.obj);
	*obj = o.obj;
	return o.got;
}

static void test_cross(int cpu, int other_cpu)
{
	struct sheafalloc_stats before, after;
	struct slub_percpu_sheaves *pcs;
	void *obj;

	pin_to(cpu);
	before = stats_of(k64);
	pcs = pcs_trylock(k64, cpu);
	CHECK(pcs);
	CHECK_MSG(!other_gets_lock(cpu, &obj), "a second thread on the CPU got the held lock");
	kmem_cache_free(k64, obj);
	after = stats_of(k64);
	CHECK(after.pcs_trylock_fail_cross > before.pcs_trylock_fail_cross);
	if (other_cpu >= 0) {
		/* migrate while holding it: still held for threads on @cpu */
		pin_to(other_cpu);
		CHECK_MSG(!other_gets_lock(cpu, &obj), "the lock of a migrated holder was free");
		kmem_cache_free(k64, obj);
	}
	pcs_unlock(pcs);	/* from the other CPU, if migrated */
	CHECK_MSG(other_gets_lock(cpu, &obj), "the lock stayed busy after its release");
	kmem_cache_free(k64, obj);
	pin_to(cpu);
}

/* ---- remote lockers ---- */

static atomic_bool shrink_done;

static void *shrink_thread(void *arg)
{
	(void)arg;
	kmem_cache_shrink(k64);
	atomic_store(&shrink_done, true);
	return NULL;
}

static void test_remote_waits(int cpu)
{
	struct slub_percpu_sheaves *pcs;
	pthread_t t;

	pin_to(cpu);
	pcs = pcs_trylock(k64, cpu);
	CHECK(pcs);
	atomic_store(&shrink_done, false);
	CHECK(pthread_create(&t, NULL, shrink_thread, NULL) == 0);
	for (int i = 0; i < 1000; i++)
		sched_yield();
	/* not a timing assumption: it cannot finish while we hold the lock */
	CHECK_MSG(!atomic_load(&shrink_done), "shrink took a CPU's sheaves from their holder");
	pcs_unlock(pcs);
	pthread_join(t, NULL);
	CHECK(atomic_load(&shrink_done));
}

static atomic_bool stress_stop;

static void *stress_worker(void *arg)
{
	void *ring[64] = { 0 };

	pin_to((int)(intptr_t)arg);
	for (int i = 0; i < STRESS_OPS; i++) {
		int k = i & 63;

		if (ring[k]) {
			CHECK(*(uintptr_t *)ring[k] == (uintptr_t)ring[k]);
			kmem_cache_free(k64, ring[k]);
		}
		ring[k] = kmem_cache_alloc(k64, GFP_KERNEL);
		CHECK(ring[k]);
		*(uintptr_t *)ring[k] = (uintptr_t)ring[k];
	}
	for (int k = 0; k < 64; k++)
		kmem_cache_free(k64, ring[k]);
	return NULL;
}

static void *shrink_loop(void *arg)
{
	(void)arg;
	while (!atomic_load(&stress_stop))
		kmem_cache_shrink(k64);
	return NULL;
}

static void test_remote_stress(int nr_cpus)
{
	pthread_t w[2], sh;
	struct kmem_cache_info before, in;

	kmem_cache_info_read(k64, &before);	/* the allocator's own metadata */
	atomic_store(&stress_stop, false);
	CHECK(pthread_create(&sh, NULL, shrink_loop, NULL) == 0);
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&w[i], NULL, stress_worker,
				     (void *)(intptr_t)(i % nr_cpus)) == 0);
	for (int i = 0; i < 2; i++)
		pthread_join(w[i], NULL);
	atomic_store(&stress_stop, true);
	pthread_join(sh, NULL);
	kmem_cache_info_read(k64, &in);
	CHECK_EQ(in.objects_allocated, before.objects_allocated);
}

int main(int argc, char **argv)
{
	struct sheafalloc_config cfg;
	struct sb_topology *topo;
	const char *want = argc > 1 ? argv[1] : "auto";
	int nr;

	alarm(60);
	sheafalloc_config_init(&cfg);
	topo = test_init(NULL, &cfg);
	CHECK_MSG(!strcmp(sheafalloc_pcs_lock_method(), expected_method(want)),
		  "pcs lock method %s, expected %s", sheafalloc_pcs_lock_method(),
		  expected_method(want));
	nr = sb_topology_nr_cpus(topo);
	k64 = kmalloc_cache_for_size(64);
	CHECK(k64);
	if (sa.cpu_direct) {	/* topology CPU == OS CPU: pinning says where we are */
		test_reentrant(0);
		test_cross(0, nr > 1 ? 1 : -1);
		test_remote_waits(0);
	}
	test_remote_stress(sa.cpu_direct ? nr : 1);
	printf("pcs lock %s: re-entrant, cross-thread, migrated and remote cases ok\n",
	       sheafalloc_pcs_lock_method());
	test_exit(topo);
	return 0;
}
