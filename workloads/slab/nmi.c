/*
 * nmi: the churn loop with kmalloc/kfree in every thread, while a per-thread
 * timer signal interrupts it --nmi-hz times a second and the handler calls
 * kmalloc_nolock()/kfree_nolock(), as an NMI or a BPF program would in the
 * kernel.  The handler lands anywhere, including inside the allocator with a
 * sheaf or slab lock held by its own thread, so this is where trylock
 * failures, bucket retries and NULL returns really happen.
 *
 * The handler keeps a small ring of the objects it allocated and frees the
 * oldest with kfree_nolock() once the ring is full; it times both calls with
 * rdtsc into its own histogram (the thread's op histogram may be mid-update).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "sheafalloc.h"
#include "slab_workload.h"

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

#define NMI_RING	8	/* handler-held objects per thread */

struct nmi_thread {
	struct slab_thread *t;
	void *ring[NMI_RING];
	unsigned int head, count;
	uint32_t size_idx;
	uint64_t allocs, frees, null, corrupt;
	uint64_t overruns;		/* timer expirations that found the signal pending */
	struct sb_hist lat;
	timer_t timer;
};

static __thread struct nmi_thread *nmi_self;

static void handler_free_oldest(struct nmi_thread *n, double ns_per_tick)
{
	unsigned int tail = (n->head - n->count) & (NMI_RING - 1);
	void *p = n->ring[tail];
	uint64_t t0;

	n->count--;
	if (!slab_stamp_check(p))
		n->corrupt++;
	t0 = sb_rdtsc();
	kfree_nolock(p);
	sb_hist_add(&n->lat, (uint64_t)((sb_rdtsc() - t0) * ns_per_tick));
	n->frees++;
}

static void handler_alloc(struct nmi_thread *n, double ns_per_tick)
{
	uint32_t size = n->t->sizes[n->size_idx++ & (SLAB_SIZE_RING - 1)];
	uint64_t t0 = sb_rdtsc();
	void *p = kmalloc_nolock(size, NUMA_NO_NODE);

	sb_hist_add(&n->lat, (uint64_t)((sb_rdtsc() - t0) * ns_per_tick));
	n->allocs++;
	if (!p) {
		n->null++;
		return;
	}
	slab_stamp(p, size);
	n->ring[n->head++ & (NMI_RING - 1)] = p;
	n->count++;
}

/* Async-signal-safe: only nolock allocator calls, rdtsc and plain stores. */
static void nmi_handler(int sig)
{
	struct nmi_thread *n = nmi_self;
	int saved_errno = errno;

	if (n) {
		double ns_per_tick = n->t->run->ns_per_tick;
		int missed = timer_getoverrun(n->timer);	/* async-signal-safe */

		if (missed > 0)
			n->overruns += missed;
		if (n->count == NMI_RING)
			handler_free_oldest(n, ns_per_tick);
		handler_alloc(n, ns_per_tick);
	}
	errno = saved_errno;
}

static int nmi_setup(struct slab_run *r)
{
	struct nmi_thread *nt = calloc(r->nthreads, sizeof(*nt));
	struct sigaction sa = { .sa_handler = nmi_handler, .sa_flags = SA_RESTART };

	if (!nt)
		slab_die_oom(r->nthreads * sizeof(*nt));
	for (int i = 0; i < r->nthreads; i++) {
		nt[i].t = &r->th[i];
		sb_hist_init(&nt[i].lat);
		r->th[i].wl = &nt[i];
	}
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGRTMIN, &sa, NULL)) {
		perror("sheafbench slab: sigaction");
		return 1;
	}
	r->wl = nt;
	return 0;
}

/* A CLOCK_MONOTONIC timer whose signal goes to this thread only. */
static void nmi_arm(struct nmi_thread *n, long hz)
{
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGRTMIN };
	long period = 1000000000L / hz;
	struct itimerspec its = {
		.it_value = { period / 1000000000L, period % 1000000000L },
		.it_interval = { period / 1000000000L, period % 1000000000L },
	};

	ev.sigev_notify_thread_id = gettid();
	if (timer_create(CLOCK_MONOTONIC, &ev, &n->timer) || timer_settime(n->timer, 0, &its, NULL)) {
		perror("sheafbench slab: nmi timer");
		exit(1);
	}
}

/* After this no handler runs on this thread again: the signal stays blocked. */
static void nmi_disarm(struct nmi_thread *n)
{
	sigset_t set;

	timer_delete(n->timer);
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	nmi_self = NULL;
}

static void nmi_measure(struct slab_thread *t)
{
	struct nmi_thread *n = t->wl;
	long hz = t->run->o->nmi_hz;

	n->size_idx = 0x2a;	/* apart from the loop's own walk through the sizes */
	nmi_self = n;
	if (hz)
		nmi_arm(n, hz);
	slab_churn_loop(t);
	if (hz)
		nmi_disarm(n);
	nmi_self = NULL;
	while (n->count) {
		void *p = n->ring[(n->head - n->count) & (NMI_RING - 1)];

		n->count--;
		slab_free_untimed(t->run, &t->corrupt, p);
	}
}

static void nmi_teardown(struct slab_run *r)
{
	struct nmi_thread *nt = r->wl;

	for (int i = 0; i < r->nthreads; i++) {
		r->nolock_allocs += nt[i].allocs;
		r->nolock_frees += nt[i].frees;
		r->handler_calls += nt[i].allocs + nt[i].frees;
		r->nmi_overruns += nt[i].overruns;
		r->nolock_null += nt[i].null;
		r->corrupt += nt[i].corrupt;
		sb_hist_merge(&r->nolock_lat, &nt[i].lat);
	}
	r->nolock_measured = r->o->nmi_hz > 0;
	free(nt);
}

const struct slab_workload slab_nmi = {
	.name = "nmi",
	.summary = "churn while a per-thread timer signal calls kmalloc_nolock/kfree_nolock",
	.sheaf_only = true,
	.min_threads = 1,
	.setup = nmi_setup,
	.measure = nmi_measure,
	.teardown = nmi_teardown,
};
