/* SPDX-License-Identifier: MIT */
/*
 * thread.c - per-thread state, thread exit and fork.
 *
 * Fork: the allocator's locks are internal to alloc/, so instead of taking
 * them, the prepare handler closes a gate and waits until no thread is inside
 * the allocator; then none of its locks is held and the child can allocate.
 * Threads mark themselves inside with a plain store to their own TLS
 * (pl_enter_live); the forking side makes that store visible with
 * membarrier(PRIVATE_EXPEDITED) after closing the gate, so the fast path
 * needs no fence (Dekker with the fence on one side only).
 *
 * Thread exit: our key is created before the allocator's, so our destructor
 * runs first; from then on the thread only uses the never-spinning paths
 * (kmalloc_nolock/kfree_nolock, else mmap), because the allocator's
 * destructor gives the thread's queue node back.
 */
#define _GNU_SOURCE
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

PL_TLS struct pl_thread pl_self;
_Atomic int pl_fork_gate;
bool pl_need_fence;

static pthread_mutex_t registry_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t fork_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct pl_thread *registry;	/* LIVE threads */
static pthread_key_t thread_key;
static _Atomic long unlisted_inside;	/* calls by threads not on the registry */
static pthread_t fork_owner;		/* the thread running fork(), gate down */

static int membarrier(int cmd)
{
	return (int)syscall(__NR_membarrier, cmd, 0, 0);
}

static void membarrier_setup(void)
{
	pl_need_fence = membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) != 0;
}

static void registry_add(struct pl_thread *t)
{
	t->prev = NULL;
	t->next = registry;
	if (registry)
		registry->prev = t;
	registry = t;
}

static void registry_del(struct pl_thread *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		registry = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->next = t->prev = NULL;
}

static void thread_exit(void *arg)
{
	struct pl_thread *t = arg;

	nmi_thread_stop(t);
	pthread_mutex_lock(&registry_mutex);
	registry_del(t);
	t->state = PL_T_EXITING;
	pthread_mutex_unlock(&registry_mutex);
}

bool thread_register(struct pl_thread *t)
{
	t->state = PL_T_REGISTERING;	/* nested calls (pthread_setspecific) go to bootstrap */
	if (pthread_setspecific(thread_key, t)) {
		t->state = PL_T_NEW;
		return false;
	}
	pthread_mutex_lock(&registry_mutex);
	registry_add(t);
	t->state = PL_T_LIVE;
	pthread_mutex_unlock(&registry_mutex);
	nmi_thread_start(t);
	return true;
}

void thread_fork_wait(void)
{
	if (pthread_equal(fork_owner, pthread_self()) &&
	    atomic_load(&pl_fork_gate))
		return;		/* our own fork: the child side before its handler ran */
	pthread_mutex_lock(&fork_mutex);
	pthread_mutex_unlock(&fork_mutex);
}

void thread_unlisted_enter(void)
{
	for (;;) {
		atomic_fetch_add(&unlisted_inside, 1);	/* a full barrier */
		if (pl_self.in_alloc || !atomic_load(&pl_fork_gate))
			return;
		atomic_fetch_sub(&unlisted_inside, 1);
		thread_fork_wait();
	}
}

void thread_unlisted_leave(void)
{
	atomic_fetch_sub_explicit(&unlisted_inside, 1, memory_order_release);
}

static void wait_until_zero(const unsigned int *word)
{
	while (__atomic_load_n(word, __ATOMIC_ACQUIRE))
		sched_yield();
}

/* Gate down, then wait for every thread to leave the allocator. */
static void fork_prepare(void)
{
	pthread_mutex_lock(&fork_mutex);
	pthread_mutex_lock(&registry_mutex);
	fork_owner = pthread_self();
	atomic_store(&pl_fork_gate, 1);
	if (!pl_need_fence && membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED))
		pl_need_fence = true;	/* cannot happen after a successful registration */
	for (struct pl_thread *t = registry; t; t = t->next)
		if (t != &pl_self)
			wait_until_zero(&t->in_alloc);
	while (atomic_load_explicit(&unlisted_inside, memory_order_acquire))
		sched_yield();
}

static void fork_parent(void)
{
	atomic_store(&pl_fork_gate, 0);
	pthread_mutex_unlock(&registry_mutex);
	pthread_mutex_unlock(&fork_mutex);
}

/* The other threads are gone: only this one stays on the registry. */
static void fork_child(void)
{
	struct pl_thread *t = &pl_self;

	registry = NULL;
	if (t->state == PL_T_LIVE)
		registry_add(t);
	atomic_store(&unlisted_inside, 0);
	atomic_store(&pl_fork_gate, 0);
	pthread_mutex_init(&registry_mutex, NULL);
	pthread_mutex_init(&fork_mutex, NULL);
	membarrier_setup();
	stats_fork_child();
	if (t->state == PL_T_LIVE) {
		t->timer_armed = 0;	/* timers are not inherited */
		nmi_thread_start(t);
	}
}

int thread_setup(void)
{
	if (pthread_key_create(&thread_key, thread_exit))
		return -1;
	membarrier_setup();
	return pthread_atfork(fork_prepare, fork_parent, fork_child) ? -1 : 0;
}
