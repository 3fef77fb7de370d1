/* SPDX-License-Identifier: MIT */
/*
 * internal.h - what the files of the allocator share.  Prototypes are grouped
 * under the file that defines them, bottom layer first.  Everything declared
 * after the visibility pragma is hidden: only sheafalloc.h's names leave the
 * library.
 *
 * Layers (the one numbering, also in sheafalloc.h and HACKING.md).  A file of
 * layer N calls only layers below N:
 *   1  topology.c                 CPUs, nodes, current CPU (lib sb_topology)
 *   2  page_alloc.c fail_inject.c zones, per-CPU page lists, failure injection
 *   3  core.c stats.c             sa (config, CPU map), this_cpu(), lock sites,
 *                                 the cache list, counters, slab_bug()
 *   4  slab.c                     slabs, per-node partial lists, slab-level
 *                                 bulk alloc/free, geometry
 *   5  barn.c sheaf.c             per-node barns, per-CPU sheaves
 *      (sheaf_fastpath.h)         their hit paths, inline
 *   6  cache.c (cache_fastpath.h) kmem_cache_*(), the entry points choosing
 *                                 sheaves or slabs
 *   7  kmalloc.c                  buckets, large runs, kmalloc_nolock(),
 *                                 kfree_nolock(), kmalloc_flags()
 *   8  obj_ext.c slabinfo.c       per-slab metadata arrays, slabinfo, and
 *      sheafalloc.c               init/exit of the whole
 *
 * The one designed recursion: slab metadata is kmalloc'ed.  sheaf_alloc()
 * (layer 5) and, for a new slab (layer 4), obj_ext_alloc_for_slab() (layer 8)
 * call kmalloc_flags_ctx() (layer 7) with SLAB_ALLOC_NO_RECURSE: the nested
 * allocation may use the sheaves but never allocates a sheaf or an obj_ext
 * array of its own, so the nesting depth is 1 (test_obj_ext checks it).
 * Metadata is freed by metadata_free() (layer 5; from slab.c's discard_slab()
 * through obj_ext_free_for_slab()), which goes straight to the slab.
 */
#ifndef SB_ALLOC_INTERNAL_H
#define SB_ALLOC_INTERNAL_H

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "sheafalloc.h"

#if defined(__has_include)
#if __has_include(<sys/rseq.h>) && (defined(__x86_64__) || defined(__aarch64__))
#include <sys/rseq.h>
#define SB_HAVE_RSEQ 1
#endif
#endif
#ifndef SB_HAVE_RSEQ
#define SB_HAVE_RSEQ 0
#endif
/*
 * The per-CPU lock claimed by a plain store that commits an rseq critical
 * section (sheaf_fastpath.h): x86-64 only; not under TSan, which cannot see
 * an asm store and would report every hand-over of the lock.
 */
#if SB_HAVE_RSEQ && defined(__x86_64__) && !defined(SB_SANITIZE_TSAN) && !SB_LOCKMEM_TRACE
#define SB_PCS_RSEQ 1
#else
#define SB_PCS_RSEQ 0
#endif

#pragma GCC visibility push(hidden)

/* Debug checks (double free, foreign pointers): on in asan builds and the test library. */
#if !defined(SB_ALLOC_DEBUG) && defined(SB_SANITIZE_ASAN)
#define SB_ALLOC_DEBUG 1
#endif
#ifndef SB_ALLOC_DEBUG
#define SB_ALLOC_DEBUG 0
#endif

#define SB_ALWAYS_INLINE	inline __attribute__((always_inline))
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define SB_CACHELINE	64
#define SB_TLS		__thread __attribute__((tls_model("initial-exec")))

/*
 * The caller of the allocator's entry point (slab_alloc_context.caller_addr).
 * In an always-inline function GCC gives the return address of the function
 * it is inlined into, so the hit paths read it only on a miss and keep no
 * register for it.
 */
#define _RET_IP_	((unsigned long)__builtin_return_address(0))

#define MAX_OBJECT_SIZE	(1u << 20)
#define PCS_BATCH_MAX	32	/* objects a main-sheaf flush takes per pcs lock hold */
#define MIN_PARTIAL	5	/* the kernel's bounds of s->min_partial */
#define MAX_PARTIAL	10

static inline unsigned int round_up_pow2(unsigned int x, unsigned int a)
{
	return (x + a - 1) & ~(a - 1);
}

/* The lock kind of list_lock and the barn lock: page_alloc.h's compile-time choice. */
typedef sb_alloc_lock_t slab_lock_t;
#define slab_lock_init		SB_ALLOC_LOCK(init)
#define slab_lock_acquire	SB_ALLOC_LOCK(acquire)
#define slab_lock_release	SB_ALLOC_LOCK(release)

/*
 * A sheaf: an array of free objects of one cache.  Owned by one CPU (main or
 * spare, under that CPU's pcs lock) or by a barn (under the barn lock).
 */
struct slab_sheaf {
	struct slab_sheaf *next;	/* barn list link */
	struct kmem_cache *cache;
	unsigned int size;		/* objects[0..size-1] are free objects */
	unsigned int capacity;
	int node;			/* where it was allocated */
	void *objects[];		/* at 32 bytes, as the kernel's: same capacity rounding */
};

/*
 * Per-CPU state of one cache.  The pcs lock is only ever tried (the kernel's
 * local_trylock): a thread preempted on this CPU, or a signal handler that
 * interrupted the holder, makes it fail, and the caller takes the slab path.
 * The lock word holds the holder's thread token, so a failure tells the two
 * apart: re-entrant (the kernel's only case: IRQ/NMI/BPF on the holder's CPU)
 * or cross-thread (preemption, migration: userspace only).
 * Counters: stat[] items bumped under the pcs lock use plain load/store (only the
 * holder writes them); all others use atomic adds.  An item is never bumped both
 * ways (see stat_locked() callers).
 */
struct slub_percpu_sheaves {
	atomic_uintptr_t locked;	/* 0, or the holder's thread token */
	struct slab_sheaf *main;	/* never NULL: &sheaf_boot until a sheaf is installed */
	struct slab_sheaf *spare;	/* NULL, or a sheaf (empty or full) */
	uint64_t stat[NR_SHEAFALLOC_STATS];
	struct sb_lockstat barn_lock;	/* folded with atomic adds */
	struct sb_lockstat list_lock;
} __attribute__((aligned(SB_CACHELINE)));

/* Full and empty sheaves of one cache on one node, bounded lists. */
struct node_barn {
	slab_lock_t lock;
	atomic_uintptr_t holder;	/* thread token while held, for the failure split */
	struct slab_sheaf *full;
	struct slab_sheaf *empty;
	unsigned int nr_full, nr_empty;
};

/*
 * The double word of a slab's (freelist, inuse): cmpxchg16b on x86-64 (built
 * with -mcx16, so __sync_bool_compare_and_swap inlines it), casp/ldxp-stxp on
 * arm64, a plain 8-byte CAS on 32-bit targets.  A 64-bit target without a
 * 16-byte CAS is refused at build time: the alternative, a per-slab spin bit,
 * is what the kernel avoids because an NMI could interrupt its holder.
 */
#if __SIZEOF_POINTER__ == 8 && defined(__GCC_HAVE_SYNC_COMPARE_AND_SWAP_16)
typedef unsigned __int128 slab_dword_t;
#elif __SIZEOF_POINTER__ == 4 && defined(__GCC_HAVE_SYNC_COMPARE_AND_SWAP_8)
typedef unsigned long long slab_dword_t;
#else
#error "sheafalloc needs a double-word compare-and-swap (x86-64: build with -mcx16)"
#endif
union slab_fc {
	struct {
		void *freelist;
		unsigned long inuse;
	};
	slab_dword_t dw;
};

/*
 * A slab's descriptor: one per page frame in a slab.c array beside mem_map
 * (the kernel's struct slab overlays struct page), so the run holds objects
 * only and objects per slab are the kernel's.  The head page's ->slab points
 * here.
 */
struct slab {
	struct kmem_cache *cache;
	struct slab *next, *prev;	/* n->partial or n->full, under list_lock */
	union {				/* changed together by one double-word CAS */
		struct {
			void *freelist;		/* in-object freelist */
			unsigned long inuse;	/* objects out of the slab (callers, sheaves) */
		};
		slab_dword_t fc;
	};
	unsigned int objects;
	int node;
	bool on_partial;
	unsigned long *obj_exts;	/* per-object allocation tags, or NULL */
	char *base;			/* first object */
	unsigned long *alloc_map;	/* SB_ALLOC_DEBUG: bit set while a caller holds it
					   (at the end of the run) */
};

struct slab_list {
	struct slab *first;
};

/* Per node: partial/full slabs under list_lock, and the barn. */
struct kmem_cache_node {
	slab_lock_t list_lock;
	atomic_uintptr_t list_holder;	/* thread token while held, for the failure split */
	struct slab_list partial;	/* slabs with free objects (incl. empty ones) */
	struct slab_list full;		/* slabs with no free object */
	unsigned long nr_partial, nr_slabs;
	uint64_t inuse;			/* sum of slab->inuse (atomic adds) */
	struct node_barn barn;
} __attribute__((aligned(SB_CACHELINE)));

struct kmem_cache {
	char name[48];
	unsigned int object_size;	/* as created */
	unsigned int size;		/* slot size */
	unsigned int align;
	unsigned int objects;		/* per slab */
	unsigned int order;
	unsigned int debug_tail;	/* SB_ALLOC_DEBUG: bytes of the bitmap at the run's end */
	int sheaf_capacity;		/* 0: no sheaves */
	unsigned long min_partial;	/* partial slabs a node keeps before freeing empty ones */
	slab_flags_t flags;
	bool is_kmalloc;
	struct kmem_cache_node *node;			/* [nr_nodes] */
	struct kmem_cache *next;	/* global cache list */
	struct slub_percpu_sheaves cpu_sheaves[];	/* [nr_cpus] */
};

/* core.c: layer 3, global state (written by sa_setup() only), thread context */
struct sheafalloc_global {
	const struct sb_topology *topo;
	struct sb_topology *owned_topo;
	int nr_cpus, nr_nodes;
	int sheaf_capacity;
	unsigned int barn_max_full, barn_max_empty;
	int *cpu_of_os;			/* [OS CPU] topology CPU or -1; NULL: use sb_current_cpu() */
	unsigned int nr_os;
	bool cpu_direct;		/* topology CPU == OS CPU, dense: cpu_id indexes directly */
	bool pcs_rseq;			/* pcs lock by rseq commit store, else xchg */
	ptrdiff_t rseq_off;		/* glibc's __rseq_offset, copied next to the flags */
	struct defer_list *defer;	/* [nr_cpus] kfree_nolock's deferred objects */
	bool up;
};
extern struct sheafalloc_global sa;

/*
 * kfree_nolock's deferred objects, any cache, per CPU: the kernel's per-CPU
 * defer_free llist.  Its irq_work runs once the NMI returns; here the thread
 * whose handler deferred an object (defer_pending) drains every list at the
 * end of its next normal allocator call - the one the handler interrupted, if
 * any - and pcs misses on a CPU drain that CPU's list.
 */
struct defer_list {
	void *_Atomic head;		/* lock-free stack through each object's first word */
} __attribute__((aligned(SB_CACHELINE)));
extern SB_TLS bool defer_pending;

/*
 * The current CPU.  On this machine's topology, read the OS CPU from the
 * thread's rseq area (what glibc registers; ~1 ns where glibc 2.36's
 * sched_getcpu() takes ~10 ns in a VM) and map it like sb_current_cpu() does.
 * Synthetic topologies (virtual CPUs) and anything unusual go to
 * sb_current_cpu().  Async-signal-safe either way.
 *
 * this_cpu_rseq() is the rseq read alone, -1 where it cannot tell: for the
 * hit paths, which must not make a call.
 */
#if SB_HAVE_RSEQ
static inline __attribute__((always_inline)) const struct rseq *this_rseq(void)
{
	return (const struct rseq *)((char *)__builtin_thread_pointer() + sa.rseq_off);
}
#endif

static inline __attribute__((always_inline)) int this_cpu_rseq(void)
{
#if SB_HAVE_RSEQ
	if (likely(sa.cpu_direct)) {
		/* One step: the id read is the index (negative ids fail the bound). */
		unsigned int os = __atomic_load_n(&this_rseq()->cpu_id, __ATOMIC_RELAXED);

		return likely(os < sa.nr_os) ? (int)os : -1;
	}
	if (sa.cpu_of_os) {
		unsigned int os = __atomic_load_n(&this_rseq()->cpu_id, __ATOMIC_RELAXED);

		if (likely(os < sa.nr_os))
			return sa.cpu_of_os[os];
	}
#endif
	return -1;
}

static inline int this_cpu(void)
{
	int cpu = this_cpu_rseq();

	return likely(cpu >= 0) ? cpu : sb_current_cpu(sa.topo);
}
static inline int cpu_to_node(int cpu)
{
	return sb_topology_cpu_node(sa.topo, cpu);
}
static inline int numa_node_id(void)
{
	return cpu_to_node(this_cpu());
}

/*
 * A lock site acquisition: counts go to a stack sb_lockstat first, folded into
 * the CPU's totals after release (atomic adds: several threads share a CPU).
 * Normal callers queue on their thread's qnode; nolock callers only trylock and
 * need none.
 */
struct lock_site {
	struct sb_lockstat st;
	struct sb_lockctx ctx;
};
struct sb_qnode *thread_qnode(void);	/* NULL in nolock context */

/*
 * A per-thread value, never 0 or 1: the thread pointer (on x86-64 the TCB
 * address, %fs:0), which the rseq trylock can load into the register it
 * stores from.
 */
static SB_ALWAYS_INLINE uintptr_t this_thread_token(void)
{
	return (uintptr_t)__builtin_thread_pointer();
}
void lock_site_begin(struct lock_site *ls, bool nolock);
void lock_site_end(struct lock_site *ls, struct sb_lockstat *total);
/*
 * A failed trylock of a lock whose holder is recorded in *holder: counts it
 * into reentrant (the holder is this thread, interrupted by our handler) or
 * cross (another thread) of s's counters on cpu.
 */
void trylock_fail_split(struct kmem_cache *s, int cpu, const atomic_uintptr_t *holder,
			enum sheafalloc_stat_item reentrant, enum sheafalloc_stat_item cross);

void cache_list_add(struct kmem_cache *s);
void cache_list_del_locked(struct kmem_cache *s);
struct kmem_cache *cache_list_first(void);
void cache_list_lock(void);
void cache_list_unlock(void);

_Noreturn void slab_bug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int sa_setup(const struct sheafalloc_config *cfg);	/* config already checked */
extern const unsigned int kmalloc_sizes[KMALLOC_NR_BUCKETS];
extern const unsigned char size_index[24];	/* bucket of sizes (8i, 8i+8], i < 24 */
unsigned int kmalloc_index(size_t size);	/* KMALLOC_NR_BUCKETS if too big or 0 */
void sa_teardown(void);

/* stats.c: layer 3 */
static inline void stat_add(struct kmem_cache *s, int cpu, enum sheafalloc_stat_item i, uint64_t n)
{
	__atomic_fetch_add(&s->cpu_sheaves[cpu].stat[i], n, __ATOMIC_RELAXED);
}
static inline void stat(struct kmem_cache *s, enum sheafalloc_stat_item i)
{
	stat_add(s, this_cpu(), i, 1);
}
/*
 * Only for items bumped with the pcs lock held, never through stat().  Its
 * load and store, not an atomic add: a hit pays for one of these.
 */
static inline void stat_locked(struct slub_percpu_sheaves *pcs, enum sheafalloc_stat_item i)
{
	__atomic_store_n(&pcs->stat[i], __atomic_load_n(&pcs->stat[i], __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
}
void cache_stats_sum(struct kmem_cache *s, struct sheafalloc_stats *out);
uint64_t cache_stat_sum(struct kmem_cache *s, enum sheafalloc_stat_item item);
void stats_retire_cache(struct kmem_cache *s);
void stats_reset_retired(void);

/* slab.c: layer 4 */
#define SLAB_MAX_ORDER	3	/* the kernel's slub_max_order: PAGE_ALLOC_COSTLY_ORDER */
int slab_descs_init(void);
void slab_descs_exit(void);
unsigned int calculate_order(unsigned int size, int nr_cpus);
void slab_geometry(struct kmem_cache *s);
unsigned long slab_release_all(struct kmem_cache *s, bool report);	/* objects still in use */
void slab_free_all_obj_exts(struct kmem_cache *s);
struct slab *virt_to_slab(const void *p);
unsigned int obj_index(const struct kmem_cache *s, const struct slab *slab, const void *p);
int slab_alloc_bulk(struct kmem_cache *s, int node, const struct slab_alloc_context *ctx,
		    void **p, int max);
int slab_free_bulk(struct kmem_cache *s, void **p, int n, bool nolock);
unsigned long slab_shrink_node_lists(struct kmem_cache *s);
void slab_debug_on_alloc(struct kmem_cache *s, void *obj);
void slab_debug_on_free(struct kmem_cache *s, const void *obj, const char *fn);
/* The allocation tag of obj in its slab's obj_ext array, if it has one. */
static inline void obj_ext_tag(struct kmem_cache *s, struct slab *slab, void *obj,
			       unsigned long addr)
{
	if (slab->obj_exts)
		__atomic_store_n(&slab->obj_exts[obj_index(s, slab, obj)], addr, __ATOMIC_RELAXED);
}

/* sheaf.c: layer 5, per-CPU sheaves */
extern struct slab_sheaf sheaf_boot;	/* main of a CPU with no sheaf yet */
struct slab_sheaf *sheaf_alloc(struct kmem_cache *s, unsigned int alloc_flags);
void sheaf_free(struct kmem_cache *s, struct slab_sheaf *sheaf, bool nolock);
/*
 * The non-hit halves of sheaf_fastpath.h's alloc_from_pcs()/free_to_pcs().
 * pcs: locked, with an empty (alloc) or full (free) main, which they try to
 * replace; NULL: the trylock failed.  They count, and leave the lock released.
 * NULL / false: the caller goes to the slabs.
 */
void *pcs_alloc_miss(struct kmem_cache *s, struct slub_percpu_sheaves *pcs, int cpu,
		     const struct slab_alloc_context *ctx);
bool pcs_free_miss(struct kmem_cache *s, struct slub_percpu_sheaves *pcs, int cpu, void *obj,
		   bool nolock);
void pcs_flush_all(struct kmem_cache *s);
void pcs_free_sheaves(struct kmem_cache *s);
void pcs_count(struct kmem_cache *s, uint64_t *nr_sheaves, uint64_t *objects);
void pcs_trylock_failed(struct kmem_cache *s, int cpu);	/* counts it, split by holder */
extern void (*pcs_refill_hook)(struct kmem_cache *s);	/* tests: runs before a refill */
void metadata_free(const void *p, bool nolock);
void deferred_push(struct kmem_cache *s, void *obj);	/* any context */
void deferred_drain(int cpu);				/* normal context */
void deferred_drain_all(void);				/* normal context */
void *deferred_drain_all_ret(void *obj);		/* the same, returns obj */
static inline bool deferred_pending(int cpu)
{
	/* intentionally racy peek: a drain happens later anyway */
	return atomic_load_explicit(&sa.defer[cpu].head, memory_order_relaxed) != NULL;
}
/* Normal context, end of an allocator call: what a handler deferred meanwhile. */
static SB_ALWAYS_INLINE void deferred_check(void)
{
	if (unlikely(__atomic_load_n(&defer_pending, __ATOMIC_RELAXED)))
		deferred_drain_all();
}
/*
 * The same at the end of an alloc hit: a tail call that hands obj back, so the
 * hit path keeps obj in a register across no call and saves none.
 */
static SB_ALWAYS_INLINE void *deferred_check_ret(void *obj)
{
	if (unlikely(__atomic_load_n(&defer_pending, __ATOMIC_RELAXED)))
		return deferred_drain_all_ret(obj);
	return obj;
}

/* barn.c: layer 5, per-node barn */
void barn_init(struct node_barn *barn);
struct slab_sheaf *barn_take_full(struct kmem_cache *s, struct node_barn *barn,
				  struct slab_sheaf *empty, bool nolock, struct slab_sheaf **spill);
struct slab_sheaf *barn_take_empty(struct kmem_cache *s, struct node_barn *barn,
				   struct slab_sheaf *full, bool nolock, bool *full_at_limit);
void barn_put_full(struct kmem_cache *s, struct node_barn *barn, struct slab_sheaf *sheaf);
void barn_put_empty(struct kmem_cache *s, struct node_barn *barn, struct slab_sheaf *sheaf);
struct slab_sheaf *barn_pop_any(struct kmem_cache *s, struct node_barn *barn);	/* shrink/destroy, normal ctx */
void barn_count(struct kmem_cache *s, uint64_t *nr_full, uint64_t *nr_empty, uint64_t *objects);

/* cache.c: layer 6 */
struct kmem_cache *cache_create(const char *name, unsigned int size, unsigned int align,
				slab_flags_t flags, int sheaf_capacity, bool is_kmalloc);
int cache_alloc_cpu_sheaves(struct kmem_cache *s);
void cache_empty_sheaves(struct kmem_cache *s);
void cache_free_struct(struct kmem_cache *s);
/* Out-of-line halves of cache_fastpath.h's slab_alloc_node() and slab_free(). */
void *__slab_alloc_node(struct kmem_cache *s, gfp_t gfp, int node, struct slab_alloc_context *ctx,
			bool pcs_tried);
void *slab_post_alloc(struct kmem_cache *s, void *obj, gfp_t gfp,
		      const struct slab_alloc_context *ctx);
void __slab_free(struct kmem_cache *s, void *obj, bool pcs_tried);
void *slab_alloc_default_miss(struct kmem_cache *s, struct slub_percpu_sheaves *pcs, int cpu,
			      gfp_t gfp, size_t orig_size, unsigned long caller);
void slab_free_miss(struct kmem_cache *s, struct slub_percpu_sheaves *pcs, int cpu, void *obj);
bool slab_free_nolock(struct kmem_cache *s, void *obj);

/* kmalloc.c: layer 7 */
extern struct kmem_cache *kmalloc_caches[KMALLOC_NR_BUCKETS];
int kmalloc_init(void);
unsigned long kmalloc_exit(void);	/* objects still allocated */
void *kmalloc_flags_ctx(size_t size, gfp_t gfp, int node, struct slab_alloc_context *ctx);

/* obj_ext.c: layer 8 */
void obj_ext_alloc_for_slab(struct kmem_cache *s, struct slab *slab,
			    const struct slab_alloc_context *ctx);
void obj_ext_free_for_slab(struct slab *slab, bool nolock);
/* Test hooks: tag kmalloc caches too; ignore NO_RECURSE to show the recursion it prevents. */
void obj_ext_set_kmalloc_tagging(bool on);
void obj_ext_set_ignore_no_recurse(bool on);
void obj_ext_reset_depth(void);

#pragma GCC visibility pop

#endif /* SB_ALLOC_INTERNAL_H */
