/*
 * test_qnode_exit: a thread's queue node gives its qspin registry slot back
 * when the thread exits, also when another thread-specific destructor uses
 * the allocator after the node's own destructor has run (a node handed out
 * then must be registered again and released again, not leak its slot).
 */
#include <pthread.h>

#include "alloc_test.h"
#include "internal.h"

#define ROUNDS	50

static pthread_key_t late_key;
static int late_ok;	/* atomic: destructor-phase nodes that were registered */

static unsigned int registry_used(void)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < SB_QNODE_MAX; i++)
		n += __atomic_load_n(&sb_qnode_registry[i], __ATOMIC_ACQUIRE) != NULL;
	return n;
}

/* Created after the allocator's key, so glibc runs it after the node's release. */
static void late_destructor(void *arg)
{
	struct sb_qnode *qn = thread_qnode();

	if (qn->id)
		__atomic_fetch_add(&late_ok, 1, __ATOMIC_RELAXED);
	kfree(kmalloc(64, GFP_KERNEL));
	(void)arg;
}

static void *worker(void *arg)
{
	thread_qnode();			/* the allocator's key exists before late_key is set */
	pthread_setspecific(late_key, arg);
	kfree(kmalloc(64, GFP_KERNEL));
	return NULL;
}

int main(void)
{
	struct sheafalloc_config cfg;
	struct sb_topology *topo;
	unsigned int before;

	alarm(60);
	sheafalloc_config_init(&cfg);
	topo = test_init(NULL, &cfg);
	thread_qnode();			/* creates the allocator's key first */
	CHECK(pthread_key_create(&late_key, late_destructor) == 0);
	before = registry_used();
	for (int i = 0; i < ROUNDS; i++) {
		pthread_t th;

		CHECK(pthread_create(&th, NULL, worker, &late_key) == 0);
		CHECK(pthread_join(th, NULL) == 0);
	}
	EXPECT_MSG(late_ok == ROUNDS, "%d of %d nodes handed out after release were registered",
		   late_ok, ROUNDS);
	EXPECT_MSG(registry_used() == before, "%u registry slots used after %d threads exited, %u before",
		   registry_used(), ROUNDS, before);
	test_exit(topo);
	return check_report();
}
