/* SPDX-License-Identifier: MIT */
/*
 * internal.h - what the files of libsheafmalloc-<pattern>.so share.  Prototypes
 * are grouped under the file that defines them.  Only the malloc family leaves
 * the library (exports.map); everything here is hidden.
 *
 * Where a request goes:
 *   before the allocator is up, or nested inside it   -> bootstrap.c (bump arena, then mmap)
 *   size or alignment the kmalloc buckets/page runs cannot serve -> large.c (mmap + header)
 *   everything else                                    -> kmalloc()/kfree() of alloc/
 * and free() tells the three apart by address (page_alloc_owns(), the arena's
 * range, then large.c's header).
 */
#ifndef SB_PRELOAD_INTERNAL_H
#define SB_PRELOAD_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sheafalloc.h"

#pragma GCC visibility push(hidden)

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define PL_TLS		__thread __attribute__((tls_model("initial-exec")))
#define PL_MIN_ALIGN	16		/* what glibc's malloc guarantees for sizes >= 16 */

#ifndef SB_PRELOAD_DEBUG
#define SB_PRELOAD_DEBUG 0
#endif

/* ---- init.c: the allocator's life cycle ---- */

enum pl_state { PL_UNINIT, PL_INITING, PL_READY, PL_FAILED };
extern _Atomic int pl_state;
/* Brings the allocator up once (any thread); false while it is being brought up or failed. */
bool pl_ensure_ready(void);
/* One line on stderr and abort: a bug in the caller (double free, foreign pointer). */
_Noreturn void pl_bad_pointer(const char *fn, const void *p, const char *what);
/* getenv() that also works before libc has set up environ. */
const char *pl_getenv(const char *name);
/* write(2) of a formatted line, no stdio (safe inside the allocator). */
void pl_message(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- bootstrap.c: static bump arena for requests the allocator cannot take ---- */

void *bootstrap_alloc(size_t size, size_t align);
bool bootstrap_owns(const void *p);
size_t bootstrap_usable_size(const void *p);

/* ---- large.c: mmap'ed blocks with a header, for sizes and alignments above kmalloc ---- */

void *large_alloc(size_t size, size_t align);
/* true if p is a large block (then freed); false if it is not one of ours */
bool large_free(const void *p);
size_t large_usable_size(const void *p);	/* 0: not a large block */
struct large_stats { uint64_t allocs, frees, bytes_peak; };
void large_stats_read(struct large_stats *out);

/* ---- thread.c: per-thread state, the fork gate, thread exit ---- */

enum pl_thread_state { PL_T_NEW, PL_T_REGISTERING, PL_T_LIVE, PL_T_EXITING };

/* Lives in the thread's static TLS; linked on the registry while LIVE. */
struct pl_thread {
	unsigned int in_alloc;		/* > 0 while inside the allocator (nesting: signal handler) */
	unsigned char state;		/* enum pl_thread_state */
	unsigned char timer_armed;
	timer_t timer;			/* nmi.c's per-thread CPU-time timer */
	uint64_t rng;			/* nmi.c's sizes */
	void *ring[8];			/* nmi.c: objects the handler still holds */
	unsigned int ring_head, ring_count;
	struct pl_thread *next, *prev;	/* registry (under the registry mutex) */
};

extern PL_TLS struct pl_thread pl_self;
extern _Atomic int pl_fork_gate;	/* a fork is waiting for every thread to leave */
extern bool pl_need_fence;		/* no membarrier(): the entry fences itself */

int thread_setup(void);			/* at init: key, atfork, membarrier */
/* NEW -> LIVE (registry, key, timer); false if the thread cannot use kmalloc now. */
bool thread_register(struct pl_thread *t);
void thread_fork_wait(void);		/* the gate is down: wait for the fork to finish */
/* Calls by threads not on the registry (exiting, registering): the fork gate counts them here. */
void thread_unlisted_enter(void);
void thread_unlisted_leave(void);

/*
 * Every call into alloc/ goes between enter and leave, so that fork() can
 * wait until no thread is inside the allocator (and so holds none of its
 * locks).  The forking side uses membarrier() as the other half of the fence.
 */
static inline void pl_enter_live(struct pl_thread *t)
{
	for (;;) {
		__atomic_store_n(&t->in_alloc, t->in_alloc + 1, __ATOMIC_RELAXED);
		if (unlikely(pl_need_fence))
			atomic_thread_fence(memory_order_seq_cst);
		else
			atomic_signal_fence(memory_order_seq_cst);
		if (likely(!atomic_load_explicit(&pl_fork_gate, memory_order_relaxed)))
			return;
		__atomic_store_n(&t->in_alloc, t->in_alloc - 1, __ATOMIC_RELEASE);
		thread_fork_wait();
	}
}

static inline void pl_leave_live(struct pl_thread *t)
{
	__atomic_store_n(&t->in_alloc, t->in_alloc - 1, __ATOMIC_RELEASE);
}

/* ---- nmi.c: the per-thread timer whose handler calls kmalloc_nolock ---- */

int nmi_setup(void);			/* at init: handler, from $SHEAFMALLOC_NMI_HZ */
void nmi_thread_start(struct pl_thread *t);	/* arm this thread's timer */
void nmi_thread_stop(struct pl_thread *t);	/* disarm, free what the handler holds */
uint64_t nmi_calls_total(void);
uint64_t nmi_overruns_total(void);

/* ---- stats.c: counters written at exit when $SHEAFMALLOC_STATS is set ---- */

void stats_setup(void);
void stats_write_at_exit(void);
void stats_fork_child(void);		/* the child counts from the fork on */

#pragma GCC visibility pop

#endif /* SB_PRELOAD_INTERNAL_H */
