/* SPDX-License-Identifier: MIT */
/*
 * sheaf_fastpath.h - layer 5's fast paths, inlined into their callers.
 *
 * Alloc pops from the CPU's main sheaf and free pushes to it, under the per-CPU
 * lock that is only ever tried.  These few instructions are all a cache hit
 * costs, so they are static inline here (as mimalloc keeps its fast path in a
 * header); everything else - swap, barn trade, refill, flush - stays out of
 * line in sheaf.c behind pcs_alloc_miss()/pcs_free_miss().  Layer 6's
 * entry points built on them are in cache_fastpath.h.
 */
#ifndef SB_SHEAF_FASTPATH_H
#define SB_SHEAF_FASTPATH_H

#include "internal.h"

/* ---- the per-CPU trylock ---- */

#if SB_PCS_RSEQ
/*
 * The kernel's local_trylock: test the flag, then claim it with a plain
 * store, with nothing able to run on this CPU in between.  Here the test and
 * the store are an rseq critical section whose commit is the store: a
 * preemption, migration or signal before it restarts the section (abort ->
 * try again); after it the lock is held, and a handler or another thread on
 * this CPU finds the token.  The section also checks that the thread is on
 * @cpu, whose lock it is.  Remote lockers fence it with membarrier (sheaf.c).
 * 8-byte load and store of one word: the load is forwarded from the last
 * release's store.  Signature before the abort label: glibc's RSEQ_SIG.
 */
static SB_ALWAYS_INLINE
struct slub_percpu_sheaves *pcs_trylock_rseq(struct kmem_cache *s, int cpu)
{
	struct slub_percpu_sheaves *pcs = &s->cpu_sheaves[cpu];
	ptrdiff_t rs = sa.rseq_off;	/* %fs-relative: the area is thread-local */

again:
	__asm__ goto(
		".pushsection __rseq_cs, \"aw\"\n\t"
		".balign 32\n"
		".Lpcs_cs%=:\n\t"
		".long 0, 0\n\t"
		".quad .Lpcs_start%=, .Lpcs_commit%= - .Lpcs_start%=, .Lpcs_abort%=\n\t"
		".popsection\n\t"
		".pushsection __rseq_failure, \"ax\"\n\t"
		".byte 0x0f, 0xb9, 0x3d\n\t"
		".long 0x53053053\n"
		".Lpcs_abort%=:\n\t"
		"jmp %l[again]\n\t"
		".popsection\n\t"
		"leaq .Lpcs_cs%=(%%rip), %%rax\n\t"
		"movq %%rax, %%fs:%c[cs_off](%[rs])\n"
		".Lpcs_start%=:\n\t"
		"cmpl %[cpu], %%fs:%c[cpu_off](%[rs])\n\t"
		"jne %l[busy]\n\t"
		"cmpq $0, %[lock]\n\t"
		"jne %l[busy]\n\t"
		"movq %%fs:0, %%rax\n\t"		/* this_thread_token() */
		"movq %%rax, %[lock]\n"
		".Lpcs_commit%=:"
		:
		: [rs] "r"(rs), [cpu] "r"(cpu), [lock] "m"(pcs->locked),
		  [cs_off] "i"(offsetof(struct rseq, rseq_cs)),
		  [cpu_off] "i"(offsetof(struct rseq, cpu_id))
		: "rax", "cc", "memory"
		: again, busy);
	return pcs;
busy:
	return NULL;
}
#endif

/*
 * NULL if busy: a thread preempted on this CPU, or a signal handler that
 * interrupted the holder.  Counting is left to the callers (see stats.c): a hit
 * bumps only its fastpath counter.  The rseq claim or the xchg, chosen once at
 * init (sa.pcs_rseq).
 */
static SB_ALWAYS_INLINE
struct slub_percpu_sheaves *pcs_trylock(struct kmem_cache *s, int cpu)
{
	struct slub_percpu_sheaves *pcs = &s->cpu_sheaves[cpu];

#if SB_PCS_RSEQ
	if (likely(sa.pcs_rseq))
		return pcs_trylock_rseq(s, cpu);
#endif
	if (unlikely(sb_lm_load(&pcs->locked, __ATOMIC_RELAXED) ||
		     sb_lm_xchg(&pcs->locked, this_thread_token(), __ATOMIC_ACQUIRE)))
		return NULL;
	return pcs;
}

static SB_ALWAYS_INLINE void pcs_unlock(struct slub_percpu_sheaves *pcs)
{
	sb_lm_store(&pcs->locked, 0, __ATOMIC_RELEASE);
}

/* Under the pcs lock: pop from a main that is not empty, push to one that is not full. */
static SB_ALWAYS_INLINE void *sheaf_pop(struct slub_percpu_sheaves *pcs, struct slab_sheaf *main)
{
	unsigned int n = main->size - 1;
	void *obj = main->objects[n];

	/* the count after the pop: its store may alias main, and size is in hand */
	main->size = n;
	stat_locked(pcs, STAT_alloc_fastpath);
	return obj;
}

static SB_ALWAYS_INLINE void sheaf_push(struct slub_percpu_sheaves *pcs, struct slab_sheaf *main,
					void *obj)
{
	main->objects[main->size++] = obj;
	stat_locked(pcs, STAT_free_fastpath);
}

/* ---- alloc and free fast paths, any context ---- */

static SB_ALWAYS_INLINE
void *alloc_from_pcs(struct kmem_cache *s, const struct slab_alloc_context *ctx)
{
	struct slub_percpu_sheaves *pcs;
	struct slab_sheaf *main;
	void *obj;
	int cpu;

	cpu = this_cpu();
	pcs = pcs_trylock(s, cpu);
	if (unlikely(!pcs))
		return pcs_alloc_miss(s, NULL, cpu, ctx);
	main = pcs->main;
	if (unlikely(!main->size))
		return pcs_alloc_miss(s, pcs, cpu, ctx);
	obj = sheaf_pop(pcs, main);
	pcs_unlock(pcs);
	return obj;
}

static SB_ALWAYS_INLINE
bool free_to_pcs(struct kmem_cache *s, void *obj, bool nolock)
{
	struct slub_percpu_sheaves *pcs;
	struct slab_sheaf *main;
	int cpu;

	cpu = this_cpu();
	pcs = pcs_trylock(s, cpu);
	if (unlikely(!pcs))
		return pcs_free_miss(s, NULL, cpu, obj, nolock);
	main = pcs->main;
	if (unlikely(main->size == main->capacity))
		return pcs_free_miss(s, pcs, cpu, obj, nolock);
	sheaf_push(pcs, main, obj);
	pcs_unlock(pcs);
	return true;
}

#endif /* SB_SHEAF_FASTPATH_H */
