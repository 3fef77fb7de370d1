/* SPDX-License-Identifier: MIT */
/*
 * sheafalloc.h - the one public header of the allocator (lib sballoc_<pattern>).
 *
 * A userspace SLUB with per-CPU sheaves and a per-node barn (design.md section 2).
 * Layers (numbered as in internal.h, which lists the files):
 *   layer 1  topology                topology.h (lib sb_topology)
 *   layer 2  page allocator          alloc_pages() & co, re-exported from page_alloc.h
 *   layer 3  shared state, counters  sheafalloc_stats_read()
 *   layer 4  slabs                   (inside every slow path)
 *   layer 5  per-CPU sheaves, barn   (inside kmem_cache_alloc/free)
 *   layer 6  caches                  kmem_cache_*()
 *   layer 7  kmalloc, alloc_flags    kmalloc(), kmalloc_nolock(), kfree_nolock(),
 *                                    kmalloc_flags(), struct slab_alloc_context
 *   layer 8  obj_ext, slabinfo, init obj_ext_*(), sheafalloc_print_slabinfo(),
 *                                    sheafalloc_init()/exit()
 *
 * Every library is built once per acquisition pattern.  The public names are
 * suffixed with the pattern (kmalloc -> kmalloc_ttl) by the macros below, so
 * that two builds can be linked into one program; callers just write kmalloc().
 *
 * Contexts: everything may be called from any thread in normal context, after
 * sheafalloc_init() and before sheafalloc_exit().  kmalloc_nolock() and
 * kfree_nolock() (and alloc_pages_nolock()/free_pages_nolock()) never spin,
 * sleep or call malloc, and are async-signal-safe: a signal handler may call
 * them while its own thread is anywhere inside the allocator.
 */
#ifndef SHEAFALLOC_H
#define SHEAFALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "page_alloc.h"
#include "topology.h"

/* ---- pattern suffix of the public names ------------------------------ */

#ifndef SB_PATTERN
#error "sheafalloc.h needs SB_PATTERN (CMake: sb_pattern_definitions(target pattern))"
#endif
#if SB_PATTERN == 0
#define SB_PSYM(name) name##_lock
#elif SB_PATTERN == 1
#define SB_PSYM(name) name##_ttl
#elif SB_PATTERN == 2
#define SB_PSYM(name) name##_sb
#elif SB_PATTERN == 3
#define SB_PSYM(name) name##_tro
#else
#error "SB_PATTERN must be 0 (lock), 1 (ttl), 2 (sb) or 3 (tro)"
#endif
#define SB_ALLOC_API __attribute__((visibility("default")))

#define sheafalloc_config_init	SB_PSYM(sheafalloc_config_init)
#define sheafalloc_init		SB_PSYM(sheafalloc_init)
#define sheafalloc_exit		SB_PSYM(sheafalloc_exit)
#define sheafalloc_topology	SB_PSYM(sheafalloc_topology)
#define sheafalloc_pcs_lock_method SB_PSYM(sheafalloc_pcs_lock_method)
#define kmem_cache_create	SB_PSYM(kmem_cache_create)
#define kmem_cache_create_args	SB_PSYM(kmem_cache_create_args)
#define kmem_cache_destroy	SB_PSYM(kmem_cache_destroy)
#define kmem_cache_alloc	SB_PSYM(kmem_cache_alloc)
#define kmem_cache_alloc_node	SB_PSYM(kmem_cache_alloc_node)
#define kmem_cache_free		SB_PSYM(kmem_cache_free)
#define kmem_cache_alloc_bulk	SB_PSYM(kmem_cache_alloc_bulk)
#define kmem_cache_free_bulk	SB_PSYM(kmem_cache_free_bulk)
#define kmem_cache_shrink	SB_PSYM(kmem_cache_shrink)
#define kmem_cache_name		SB_PSYM(kmem_cache_name)
#define kmem_cache_size		SB_PSYM(kmem_cache_size)
#define kmem_cache_info_read	SB_PSYM(kmem_cache_info_read)
#define kmem_cache_stats_read	SB_PSYM(kmem_cache_stats_read)
#define kmalloc			SB_PSYM(kmalloc)
#define kmalloc_node		SB_PSYM(kmalloc_node)
#define kzalloc			SB_PSYM(kzalloc)
#define kfree			SB_PSYM(kfree)
#define ksize			SB_PSYM(ksize)
#define kmalloc_nolock		SB_PSYM(kmalloc_nolock)
#define kfree_nolock		SB_PSYM(kfree_nolock)
#define kmalloc_flags		SB_PSYM(kmalloc_flags)
#define kmalloc_size_roundup	SB_PSYM(kmalloc_size_roundup)
#define kmalloc_cache_for_size	SB_PSYM(kmalloc_cache_for_size)
#define sheafalloc_stats_read	SB_PSYM(sheafalloc_stats_read)
#define sheafalloc_stat_names	SB_PSYM(sheafalloc_stat_names)
#define sheafalloc_print_slabinfo SB_PSYM(sheafalloc_print_slabinfo)
#define sheafalloc_drain_deferred SB_PSYM(sheafalloc_drain_deferred)
#define obj_ext_recursion_max_depth SB_PSYM(obj_ext_recursion_max_depth)
#define obj_ext_alloc_tag	SB_PSYM(obj_ext_alloc_tag)
#define sheafalloc_nr_nodes	SB_PSYM(sheafalloc_nr_nodes)
#define sheafalloc_stats_read_node SB_PSYM(sheafalloc_stats_read_node)
#define kmem_cache_node_slab_pages SB_PSYM(kmem_cache_node_slab_pages)

/* ---- init / exit ------------------------------------------------------ */

/*
 * By object size: 60 <256 B, 26 <1 KiB, 12 <4 KiB, else 4, each rounded up to
 * fill the sheaf's kmalloc bucket (60, 28, 12, 4), as the kernel's.  Any
 * capacity is rounded up so; the largest is the one whose sheaf fits the 8 KiB
 * bucket.
 */
#define SHEAF_CAPACITY_DEFAULT	(-1)
#define SHEAF_CAPACITY_MAX	1020
#define BARN_LIMIT_DEFAULT	10	/* full and empty sheaves kept per barn */

struct sheafalloc_config {
	struct sb_topology *topo;	/* NULL: sb_topology_load(NULL) (this machine or
					   $SHEAFBENCH_TOPOLOGY); else caller's, outlives exit */
	int sheaf_capacity;		/* SHEAF_CAPACITY_DEFAULT, 0 = no sheaves (every op goes
					   to the slabs), or 1..SHEAF_CAPACITY_MAX for all caches */
	int barn_max_full;		/* full sheaves a barn keeps (default 10) */
	int barn_max_empty;		/* empty sheaves a barn keeps (default 10) */
	struct page_alloc_config page;	/* layer 2 (zero fields take defaults) */
};

/* Fill *cfg with the defaults (use it, then change fields). */
SB_ALLOC_API void sheafalloc_config_init(struct sheafalloc_config *cfg);
/* cfg NULL: defaults.  0, or -EINVAL (bad config, reason on stderr) / -ENOMEM / -EBUSY (twice). */
SB_ALLOC_API int sheafalloc_init(const struct sheafalloc_config *cfg);
/*
 * Destroys the kmalloc caches and the page allocator; caller's caches must be
 * destroyed first.  0 if every kmalloc object had been freed and every page came
 * back to the zones; -1 otherwise (what is missing is reported on stderr).
 */
SB_ALLOC_API int sheafalloc_exit(void);
SB_ALLOC_API const struct sb_topology *sheafalloc_topology(void);
/*
 * How the per-CPU sheaf lock is claimed, chosen once by sheafalloc_init():
 * "rseq" (a plain store committing a restartable sequence; remote lockers use
 * membarrier) where glibc registered rseq, the topology is this machine's
 * with dense CPU ids and membarrier has the rseq fence; "xchg" otherwise
 * (valgrind, GLIBC_TUNABLES=glibc.pthread.rseq=0, old kernels, TSan builds,
 * or SHEAFALLOC_PCS_XCHG set in the environment).  Same semantics either way.
 */
SB_ALLOC_API const char *sheafalloc_pcs_lock_method(void);

/* ---- request flags (gfp) and internal alloc_flags ---------------------- */

typedef unsigned int gfp_t;
#define GFP_KERNEL	0u		/* normal context: may spin on locks */
#define __GFP_ZERO	0x1u		/* zero the object */
#define __GFP_NOWARN	0x2u		/* accepted, no effect (no warnings printed anyway) */

/*
 * alloc_flags (design.md 2.6, seed slab-alloc-flags-rfc): what the allocator must
 * or must not do, separate from what the caller asked for in gfp.
 */
#define SLAB_ALLOC_DEFAULT	0u
#define SLAB_ALLOC_NOLOCK	0x1u	/* never spin on a lock anywhere down the path (not
					   "trylock and retry": failing is the expected outcome) */
#define SLAB_ALLOC_NEW_SLAB	0x2u	/* the allocation is for a slab being created */
#define SLAB_ALLOC_NO_RECURSE	0x4u	/* slab metadata (obj_ext array, sheaf): no nested
					   metadata allocation (no obj_ext array, no new sheaf) */

/* Passed down the slow path instead of an argument list. */
struct slab_alloc_context {
	unsigned long caller_addr;	/* return address of the public entry point */
	unsigned long orig_size;	/* size the caller asked for */
	unsigned int alloc_flags;	/* SLAB_ALLOC_* */
};

/*
 * Failure injection: fail_inject_set(p, seed) (page_alloc.h) makes backing-memory
 * growth fail with probability p, and also every new slab (the kernel's failslab).
 */

/* ---- caches (layers 4-6) ---------------------------------------------- */

typedef unsigned int slab_flags_t;
#define SLAB_HWCACHE_ALIGN	0x1u	/* align objects to 64 bytes */
#define SLAB_OBJ_EXT		0x2u	/* keep a per-object allocation tag (caller address) */
#define SLAB_NO_MERGE		0x4u	/* accepted, no effect (caches are never merged) */

struct kmem_cache;

struct kmem_cache_args {
	unsigned int align;		/* 0: sizeof(void *) */
	int sheaf_capacity;		/* SHEAF_CAPACITY_DEFAULT (the config's), 0 = no sheaves,
					   or 1..SHEAF_CAPACITY_MAX */
};

/* size 1 .. 1 MiB; align 0 or a power of two <= 4096; NULL on bad arguments or no memory. */
SB_ALLOC_API struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
						  unsigned int align, slab_flags_t flags);
SB_ALLOC_API struct kmem_cache *kmem_cache_create_args(const char *name, unsigned int size,
						       const struct kmem_cache_args *args,
						       slab_flags_t flags);
/*
 * Flushes sheaves and barns and returns every page to the zones.  Objects still
 * allocated are reported on stderr; their slabs are freed anyway.  Returns the
 * number of objects that were still allocated (0 = clean).  NULL is a no-op.
 */
SB_ALLOC_API unsigned long kmem_cache_destroy(struct kmem_cache *s);
SB_ALLOC_API void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp);
SB_ALLOC_API void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t gfp, int node);
SB_ALLOC_API void kmem_cache_free(struct kmem_cache *s, void *obj);
/* All or nothing: returns n with p[0..n-1] filled, or 0. */
SB_ALLOC_API int kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t gfp, size_t n, void **p);
SB_ALLOC_API void kmem_cache_free_bulk(struct kmem_cache *s, size_t n, void **p);
/*
 * Flushes this cache's sheaves and barns to the slabs, frees empty slabs;
 * returns the pages of every slab freed during the call (all passes; slabs
 * other threads free meanwhile are counted too).
 */
SB_ALLOC_API unsigned long kmem_cache_shrink(struct kmem_cache *s);
SB_ALLOC_API const char *kmem_cache_name(const struct kmem_cache *s);
SB_ALLOC_API unsigned int kmem_cache_size(const struct kmem_cache *s);	/* object size */

/* A snapshot of one cache (racy while other threads run; exact when quiet). */
struct kmem_cache_info {
	const char *name;
	unsigned int object_size;	/* as created */
	unsigned int size;		/* slot size incl. alignment */
	unsigned int objs_per_slab;
	unsigned int slab_order;	/* pages per slab = 1 << slab_order */
	int sheaf_capacity;		/* 0: no sheaves */
	uint64_t nr_slabs;		/* all nodes */
	uint64_t nr_partial;		/* slabs on partial lists */
	uint64_t objects_total;		/* nr_slabs * objs_per_slab */
	uint64_t objects_in_use;	/* handed out by slabs (includes objects in sheaves) */
	uint64_t objects_in_sheaves;	/* in CPU sheaves and barns (free for callers) */
	uint64_t objects_allocated;	/* objects_in_use - objects_in_sheaves: held by callers */
	uint64_t cpu_sheaves;		/* non-empty sheaves on CPUs (main and spare) */
	uint64_t barn_full;		/* full sheaves in barns */
	uint64_t barn_empty;		/* empty sheaves in barns */
	uint64_t deferred;		/* objects on kfree_nolock deferred lists */
};
SB_ALLOC_API void kmem_cache_info_read(struct kmem_cache *s, struct kmem_cache_info *out);

/* ---- kmalloc (layer 7) ------------------------------------------------- */

#define KMALLOC_MIN_SIZE	8
#define KMALLOC_MAX_CACHE_SIZE	8192	/* largest bucket; above: whole page runs */
#define KMALLOC_MAX_SIZE	(PAGE_SIZE << MAX_ORDER)	/* above: NULL */
#define KMALLOC_NR_BUCKETS	13	/* 8 16 32 64 96 128 192 256 512 1k 2k 4k 8k */

/*
 * kmalloc(0) returns ZERO_SIZE_PTR: not NULL, not dereferenceable; kfree() and
 * ksize() accept it (ksize gives 0).  Sizes above KMALLOC_MAX_SIZE give NULL.
 */
#define ZERO_SIZE_PTR		((void *)16)
#define ZERO_OR_NULL_PTR(p)	((unsigned long)(p) <= (unsigned long)ZERO_SIZE_PTR)

SB_ALLOC_API void *kmalloc(size_t size, gfp_t gfp);
/*
 * node: NUMA_NO_NODE or a node that does not exist (< 0, >= the topology's
 * nodes): the local node, for every size; else that node.
 */
SB_ALLOC_API void *kmalloc_node(size_t size, gfp_t gfp, int node);
SB_ALLOC_API void *kzalloc(size_t size, gfp_t gfp);
SB_ALLOC_API void kfree(const void *p);		/* NULL and ZERO_SIZE_PTR: no-op */
SB_ALLOC_API size_t ksize(const void *p);		/* usable size: bucket or page-run size */
/*
 * Never spins: the CPU's sheaf via trylock (a barn miss does not refill),
 * then the slab path with trylocks only (a busy list_lock still allows a new
 * slab from alloc_pages_nolock(), listed with a trylock).  On any failure retries once with the
 * next bucket (size = bucket size + 1), then NULL.  Size 0 and sizes above
 * KMALLOC_MAX_CACHE_SIZE give NULL.  Async-signal-safe.
 */
SB_ALLOC_API void *kmalloc_nolock(size_t size, int node);
/*
 * Frees any kmalloc'ed object, as the kernel's: into the CPU's sheaf (barn
 * trylocked) if the object is of this node, else onto the CPU's lock-free
 * deferred list.  The thread that deferred drains every such list at the end
 * of its next normal allocator call (if the handler interrupted one, before
 * that call returns); a pcs miss on a CPU drains that CPU's list.
 */
SB_ALLOC_API void kfree_nolock(const void *p);
/* SLAB_ALLOC_NOLOCK in alloc_flags: the kmalloc_nolock() path; else kmalloc_node(). */
SB_ALLOC_API void *kmalloc_flags(size_t size, gfp_t gfp, unsigned int alloc_flags);
SB_ALLOC_API size_t kmalloc_size_roundup(size_t size);	/* bucket / page-run size, 0 if too big */
SB_ALLOC_API struct kmem_cache *kmalloc_cache_for_size(size_t size);	/* NULL above 8192 or 0 */

/* Drain every CPU's kfree_nolock deferred list now (normal context). */
SB_ALLOC_API void sheafalloc_drain_deferred(void);

/* ---- obj_ext (layer 8) -------------------------------------------------- */

/* Allocation tag (caller address) of an object of a SLAB_OBJ_EXT cache, 0 if none. */
SB_ALLOC_API unsigned long obj_ext_alloc_tag(const void *obj);
/* Deepest nesting of obj_ext array allocation seen since init (1 = no recursion). */
SB_ALLOC_API int obj_ext_recursion_max_depth(void);

/* ---- counters ----------------------------------------------------------- */

/*
 * One list of every counted outcome (design.md 2, "every outcome counted").
 * Kept per CPU, per cache; summed on read.  Lock sites: pcs = per-CPU sheaf
 * trylock, barn = barn lock, list = list_lock; the zone lock is page_alloc's.
 * Failures split by who held the lock: pcs_trylock_fail = _reentrant + _cross;
 * for barn and list the split covers the nolock failures (barn_lock.
 * nolock_failures); a ttl/tro normal trylock that fails is not split.
 */
#define SHEAFALLOC_STAT_ITEMS(X)						\
	X(alloc_fastpath)	/* popped from the CPU's main sheaf */		\
	X(alloc_slowpath)	/* object from a slab directly (pcs busy, no sheaves, nolock refill) */ \
	X(alloc_failed)		/* an allocation returned NULL */		\
	X(free_fastpath)	/* pushed to the CPU's main sheaf */		\
	X(free_slowpath)	/* object back to its slab directly */		\
	X(free_remote)		/* freed on a CPU of another node: to its own node's slab */ \
	X(sheaf_swap)		/* main and spare swapped (alloc or free side) */ \
	X(barn_take_full)	/* barn traded a full sheaf for our empty one */ \
	X(barn_take_full_miss)	/* barn had no full sheaf */			\
	X(barn_take_empty)	/* barn traded an empty sheaf for our full one */ \
	X(barn_take_empty_miss)	/* barn had no empty sheaf */			\
	X(barn_put_full_fail)	/* barn full list at its limit */		\
	X(barn_put_empty_fail)	/* barn empty list at its limit: sheaf freed */	\
	X(barn_put)		/* sheaves put into a barn (in an exchange or alone) */ \
	X(sheaf_refill)		/* sheaf refilled from partial/new slabs */	\
	X(sheaf_refill_fail)	/* refill got no object */			\
	X(sheaf_flush)		/* sheaf flushed to the slabs */		\
	X(sheaf_alloc)		/* sheaf structures allocated */		\
	X(sheaf_free)		/* sheaf structures freed */			\
	X(new_slab)		/* slabs created */				\
	X(free_slab)		/* slabs returned to the page allocator */	\
	X(pcs_trylock)		/* per-CPU sheaf trylock attempts */		\
	X(pcs_trylock_fail)	/* ... that found it taken */			\
	X(pcs_trylock_fail_reentrant) /* ... by this thread: its handler interrupted it */ \
	X(pcs_trylock_fail_cross) /* ... by another thread (preempted, migrated) */ \
	X(barn_trylock)		/* barn lock trylocks (nolock callers) */	\
	X(barn_trylock_fail)							\
	X(barn_trylock_fail_reentrant) /* nolock failures, held by this thread */ \
	X(barn_trylock_fail_cross) /* nolock failures, held by another thread */ \
	X(list_trylock)		/* list_lock trylocks (nolock callers) */	\
	X(list_trylock_fail)							\
	X(list_trylock_fail_reentrant) /* nolock failures, held by this thread */ \
	X(list_trylock_fail_cross) /* nolock failures, held by another thread */ \
	X(nolock_attempts)	/* kmalloc_nolock calls (size 1..8192) */	\
	X(nolock_first_bucket)	/* ... served by the first bucket */		\
	X(nolock_retry)		/* ... retried with the next bucket */		\
	X(nolock_retry_success)	/* ... and the retry succeeded */		\
	X(nolock_null)		/* ... returned NULL */				\
	X(nolock_frees)		/* kfree_nolock calls */			\
	X(deferred_queued)	/* kfree_nolock pushed the object on a deferred list */ \
	X(deferred_drained)	/* deferred objects freed by a later normal operation */

enum sheafalloc_stat_item {
#define SHEAFALLOC_STAT_ENUM(name) STAT_##name,
	SHEAFALLOC_STAT_ITEMS(SHEAFALLOC_STAT_ENUM)
#undef SHEAFALLOC_STAT_ENUM
	NR_SHEAFALLOC_STATS
};

/* The nolock counters are in the cache of the first bucket tried. */
struct sheafalloc_stats {
#define SHEAFALLOC_STAT_FIELD(name) uint64_t name;
	SHEAFALLOC_STAT_ITEMS(SHEAFALLOC_STAT_FIELD)
#undef SHEAFALLOC_STAT_FIELD
	struct sb_lockstat barn_lock;	/* lock site barn->lock, every cache and node */
	struct sb_lockstat list_lock;	/* lock site n->list_lock, every cache and node */
	struct page_alloc_stats page;	/* layer 2, incl. its zone_lock site */
};
extern SB_ALLOC_API const char *const sheafalloc_stat_names[NR_SHEAFALLOC_STATS];

/* Sum over every cache (kmalloc and created ones, including destroyed ones). */
SB_ALLOC_API void sheafalloc_stats_read(struct sheafalloc_stats *out);
/* One cache; out->page is left zero. */
SB_ALLOC_API void kmem_cache_stats_read(struct kmem_cache *s, struct sheafalloc_stats *out);
/* Per cache: objects in use, slabs, sheaves on CPUs and in barns, counters. */
SB_ALLOC_API void sheafalloc_print_slabinfo(FILE *out);

/*
 * Per node (0..sheafalloc_nr_nodes()-1; 0 nodes before init): the counters
 * counted on that node's CPUs, every cache; the nodes' sums are the totals of
 * sheafalloc_stats_read().  out->page holds those CPUs' page-allocator
 * counters and zone_lock/pcp_lock sites; its pages_free/pages_total stay 0.
 */
SB_ALLOC_API int sheafalloc_nr_nodes(void);
SB_ALLOC_API void sheafalloc_stats_read_node(int node, struct sheafalloc_stats *out);
/* Pages held by s's slabs on node (kmem_cache_info's nr_slabs is all nodes). */
SB_ALLOC_API uint64_t kmem_cache_node_slab_pages(struct kmem_cache *s, int node);

#endif /* SHEAFALLOC_H */
