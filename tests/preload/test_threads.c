/*
 * 20,000 threads created and joined, 8 alive at a time, each allocating past
 * its sheaf (so it takes the allocator's spinning lock paths and gets a queue
 * node) and freeing objects another thread allocated.  More threads than
 * SB_QNODE_MAX (16383) queue nodes exist: this only passes if per-thread
 * state is given back at thread exit.  Only 8 at a time: the allocator's
 * locks are FIFO spinlocks (qspin), and with many more spinning threads than
 * CPUs every handoff waits for the next waiter's time slice (64 threads on 2
 * busy vCPUs took minutes under ttl).  The watchdog is re-armed per batch: a
 * hang is a batch that does not finish, while the whole run's length follows
 * the machine's load (2-4 s idle, 60 s seen under ctest -j8 at load 38).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "preload_test.h"

#define NR_THREADS	20000
#define BATCH		8
#define OBJS		200

static void *handoff[BATCH];	/* objects a thread leaves for the next batch's thread */

static void *worker(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	void *objs[OBJS];
	void *prev = __atomic_exchange_n(&handoff[id % BATCH], NULL, __ATOMIC_ACQ_REL);

	for (int i = 0; i < OBJS; i++) {
		objs[i] = malloc(16 + (id + (uintptr_t)i) % 500);
		if (!objs[i])
			return (void *)1;
		*(volatile char *)objs[i] = 1;
	}
	for (int i = 0; i < OBJS - 1; i++)
		free(objs[i]);
	free(prev);
	__atomic_store_n(&handoff[id % BATCH], objs[OBJS - 1], __ATOMIC_RELEASE);
	return NULL;
}

int main(void)
{
	pthread_t t[BATCH];

	preload_require();
	for (int done = 0; done < NR_THREADS; done += BATCH) {
		alarm(60);
		for (int i = 0; i < BATCH; i++)
			CHECK(pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(done + i)) == 0);
		for (int i = 0; i < BATCH; i++) {
			void *ret;

			CHECK(pthread_join(t[i], &ret) == 0);
			CHECK_MSG(ret == NULL, "thread %d: malloc returned NULL", done + i);
		}
	}
	for (int i = 0; i < BATCH; i++)
		free(handoff[i]);
	return check_report();
}
