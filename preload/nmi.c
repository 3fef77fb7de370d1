/* SPDX-License-Identifier: MIT */
/*
 * nmi.c - $SHEAFMALLOC_NMI_HZ=N: every thread of the program gets a timer on
 * its own CPU time (timer_create, SIGEV_THREAD_ID) whose handler calls
 * kmalloc_nolock()/kfree_nolock() wherever the thread happens to be - inside
 * the allocator too - as an NMI or a BPF program would in the kernel.  Each
 * tick allocates one object (sizes 1..4096, log-uniform) and, once the
 * thread's ring of 8 is full, frees the oldest, so the frees are not always
 * of the object just allocated.  The clock is CLOCK_MONOTONIC: thread CPU-time
 * clocks are only checked at the scheduler tick (a few hundred Hz at most).
 * The handler is installed with SA_RESTART; a program that does not retry
 * an interrupted nanosleep/poll may notice the ticks.
 *
 * Threads are armed when they register (first allocation, see thread.c),
 * disarmed at thread exit; a fork child re-arms its one thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#define NMI_RING	8

static long pl_nmi_hz;			/* 0: off */
static int nmi_signo;
static _Atomic uint64_t nmi_calls;	/* handler calls, every thread */
static _Atomic uint64_t nmi_overruns;	/* expirations the kernel merged into a pending signal */

static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static size_t nmi_size(struct pl_thread *t)
{
	uint64_t r = rng_next(&t->rng);
	unsigned int shift = (unsigned int)(r % 12);		/* 1 .. 4096 */

	return ((size_t)1 << shift) + (size_t)((r >> 8) % ((size_t)1 << shift));
}

static void ring_free_oldest(struct pl_thread *t)
{
	unsigned int tail = (t->ring_head - t->ring_count) % NMI_RING;

	kfree_nolock(t->ring[tail]);
	t->ring_count--;
}

/* Async-signal-safe: nolock allocator calls and plain stores to our own TLS. */
static void nmi_handler(int sig, siginfo_t *si, void *uc)
{
	struct pl_thread *t = &pl_self;
	int saved_errno = errno;
	void *p;

	if (t->state != PL_T_LIVE)
		return;
	__atomic_store_n(&t->in_alloc, t->in_alloc + 1, __ATOMIC_RELAXED);
	if (pl_need_fence)
		atomic_thread_fence(memory_order_seq_cst);
	else
		atomic_signal_fence(memory_order_seq_cst);
	if (!atomic_load_explicit(&pl_fork_gate, memory_order_relaxed)) {
		atomic_fetch_add_explicit(&nmi_calls, 1, memory_order_relaxed);
		if (si->si_overrun > 0)
			atomic_fetch_add_explicit(&nmi_overruns, (uint64_t)si->si_overrun,
						  memory_order_relaxed);
		if (t->ring_count == NMI_RING)
			ring_free_oldest(t);
		p = kmalloc_nolock(nmi_size(t), NUMA_NO_NODE);
		if (p) {
			*(volatile char *)p = 1;
			t->ring[t->ring_head++ % NMI_RING] = p;
			t->ring_count++;
		}
	}
	__atomic_store_n(&t->in_alloc, t->in_alloc - 1, __ATOMIC_RELEASE);
	errno = saved_errno;
}

int nmi_setup(void)
{
	const char *v = pl_getenv("SHEAFMALLOC_NMI_HZ");
	struct sigaction sa = { .sa_sigaction = nmi_handler, .sa_flags = SA_SIGINFO | SA_RESTART };
	char *end;

	nmi_signo = SIGRTMAX - 2;
	if (!v || !*v)
		return 0;
	pl_nmi_hz = strtol(v, &end, 10);
	if (*end || pl_nmi_hz < 0 || pl_nmi_hz > 1000000) {
		pl_message("sheafmalloc: SHEAFMALLOC_NMI_HZ: '%s' must be 0..1000000; timer off", v);
		pl_nmi_hz = 0;
	}
	if (!pl_nmi_hz)
		return 0;
	sigfillset(&sa.sa_mask);
	return sigaction(nmi_signo, &sa, NULL);
}

void nmi_thread_start(struct pl_thread *t)
{
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = nmi_signo };
	long period = 1000000000L / (pl_nmi_hz ? pl_nmi_hz : 1);
	struct itimerspec its = {
		.it_interval = { period / 1000000000L, period % 1000000000L },
		.it_value = { period / 1000000000L, period % 1000000000L },
	};

	if (!pl_nmi_hz || t->timer_armed)
		return;
	t->rng = (uint64_t)(uintptr_t)t ^ (uint64_t)syscall(SYS_gettid) << 32;
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &sev, &t->timer))
		return;
	if (timer_settime(t->timer, 0, &its, NULL)) {
		timer_delete(t->timer);
		return;
	}
	t->timer_armed = 1;
}

void nmi_thread_stop(struct pl_thread *t)
{
	sigset_t all, old;

	if (!t->timer_armed)
		return;
	timer_delete(t->timer);
	t->timer_armed = 0;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);	/* a tick already pending must not race the ring */
	thread_unlisted_enter();
	while (t->ring_count)
		ring_free_oldest(t);
	thread_unlisted_leave();
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

uint64_t nmi_calls_total(void)
{
	return atomic_load(&nmi_calls);
}

uint64_t nmi_overruns_total(void)
{
	return atomic_load(&nmi_overruns);
}
