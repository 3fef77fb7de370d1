/* SPDX-License-Identifier: MIT */
/*
 * stats_columns.h - the one list of the columns libsheafmalloc writes at exit
 * ($SHEAFMALLOC_STATS) and `sheafbench run` reads back and sums over the
 * processes of a run.  Header-only: the writer (preload/stats.c) and the
 * reader (the front end) share the names and the derived figures, which use
 * the column names and formulas of the slab workloads' reports
 * (workloads/slab/counters.c).
 *
 * A row is one kmalloc cache of one process ("kmalloc-64"), or "all": every
 * cache plus the zone lock site and the mmap'ed blocks.  Zone columns are n/a
 * in a cache's row.
 */
#ifndef SB_PRELOAD_STATS_COLUMNS_H
#define SB_PRELOAD_STATS_COLUMNS_H

#include <math.h>
#include <stdint.h>

/* Identity columns, in this order, before the counts. */
#define SHEAFMALLOC_ID_COLUMNS(X) X(workload) X(pattern) X(program) X(pid) X(cache)

/* Counts: summable over processes.  X(column, meaning) */
#define SHEAFMALLOC_COUNT_COLUMNS(X)						\
	X(allocs,		"objects handed out (alloc_fastpath + alloc_slowpath)") \
	X(frees,		"objects taken back (fast + slow + deferred)")	\
	X(sheaf_hits,		"pops and pushes on the CPU's main sheaf")	\
	X(sheaf_swaps,		"main and spare swapped")			\
	X(barn_hits,		"barn traded a full or empty sheaf")		\
	X(barn_misses,		"barn had none to trade")			\
	X(refills,		"sheaf refilled from slabs")			\
	X(new_slabs,		"slabs created")				\
	X(flushes,		"sheaf flushed to slabs")			\
	X(remote_frees,		"objects freed to another node's slab")		\
	X(pcs_trylocks,		"per-CPU sheaf trylocks that missed the fast path") \
	X(pcs_trylock_fails,	"... found it taken")				\
	X(barn_trylocks,	"barn lock trylocks (nolock callers)")		\
	X(barn_trylock_fails,	"... failed")					\
	X(list_trylocks,	"list_lock trylocks (nolock callers)")		\
	X(list_trylock_fails,	"... failed")					\
	X(zone_trylocks,	"zone lock trylocks (nolock callers)")		\
	X(zone_trylock_fails,	"... failed")					\
	X(barn_lock_trylocks,	"barn lock trylocks, every caller (ttl/tro try first)") \
	X(barn_lock_trylock_fails, "... failed")				\
	X(list_lock_trylocks,	"list_lock trylocks, every caller")		\
	X(list_lock_trylock_fails, "... failed")				\
	X(zone_lock_trylocks,	"zone lock trylocks, every caller")		\
	X(zone_lock_trylock_fails, "... failed")				\
	X(nolock_attempts,	"kmalloc_nolock calls")				\
	X(nolock_first_ok,	"... served by the first bucket")		\
	X(nolock_retries,	"... retried with the next bucket")		\
	X(nolock_retry_ok,	"... whose retry succeeded")			\
	X(nolock_null,		"... that returned NULL")			\
	X(nolock_frees,		"kfree_nolock calls")				\
	X(nolock_deferred,	"kfree_nolock objects put on a deferred list")	\
	X(nmi_calls,		"timer handler calls ($SHEAFMALLOC_NMI_HZ)")	\
	X(nmi_overruns,		"timer expirations merged into one signal (si_overrun)") \
	X(mmap_allocs,		"blocks mmap'ed (above kmalloc, or bootstrap overflow)") \
	X(mmap_frees,		"... unmapped")

enum sheafmalloc_count {
#define SHEAFMALLOC_COUNT_ENUM(name, what) SMC_##name,
	SHEAFMALLOC_COUNT_COLUMNS(SHEAFMALLOC_COUNT_ENUM)
#undef SHEAFMALLOC_COUNT_ENUM
	SMC_NR
};

/* Zone columns are only known for the "all" row. */
static inline int sheafmalloc_count_is_zone(int i)
{
	return i == SMC_zone_trylocks || i == SMC_zone_trylock_fails ||
	       i == SMC_zone_lock_trylocks || i == SMC_zone_lock_trylock_fails ||
	       i == SMC_mmap_allocs || i == SMC_mmap_frees || i == SMC_nmi_calls ||
	       i == SMC_nmi_overruns;
}

/* Process figures after the counts: peak_rss_kib (max over processes when summed). */

static inline double sheafmalloc_ratio(double num, double den)
{
	return den > 0 ? num / den : NAN;
}

/* Derived columns, as the slab workloads name and compute them; v[] are counts. */
#define SMC_V(name)	((double)v[SMC_##name])
#define SMC_KOPS	((SMC_V(allocs) + SMC_V(frees)) / 1000.0)
#define SHEAFMALLOC_DERIVED_COLUMNS(X)						\
	X(fastpath_hit_rate,	sheafmalloc_ratio(SMC_V(sheaf_hits), SMC_V(allocs) + SMC_V(frees))) \
	X(sheaf_swaps_per_kop,	sheafmalloc_ratio(SMC_V(sheaf_swaps), SMC_KOPS))	\
	X(barn_hits_per_kop,	sheafmalloc_ratio(SMC_V(barn_hits), SMC_KOPS))	\
	X(barn_misses_per_kop,	sheafmalloc_ratio(SMC_V(barn_misses), SMC_KOPS))	\
	X(refills_per_kop,	sheafmalloc_ratio(SMC_V(refills), SMC_KOPS))	\
	X(new_slabs_per_kop,	sheafmalloc_ratio(SMC_V(new_slabs), SMC_KOPS))	\
	X(flushes_per_kop,	sheafmalloc_ratio(SMC_V(flushes), SMC_KOPS))	\
	X(remote_frees_per_kop,	sheafmalloc_ratio(SMC_V(remote_frees), SMC_KOPS))	\
	X(trylock_fail_rate_pcs,  sheafmalloc_ratio(SMC_V(pcs_trylock_fails), SMC_V(pcs_trylocks))) \
	X(trylock_fail_rate_barn, sheafmalloc_ratio(SMC_V(barn_trylock_fails), SMC_V(barn_trylocks))) \
	X(trylock_fail_rate_list, sheafmalloc_ratio(SMC_V(list_trylock_fails), SMC_V(list_trylocks))) \
	X(trylock_fail_rate_zone, sheafmalloc_ratio(SMC_V(zone_trylock_fails), SMC_V(zone_trylocks))) \
	X(nolock_null_per_alloc,  sheafmalloc_ratio(SMC_V(nolock_null), SMC_V(nolock_attempts)))	\
	X(nolock_retries_per_alloc, sheafmalloc_ratio(SMC_V(nolock_retries), SMC_V(nolock_attempts)))

#endif /* SB_PRELOAD_STATS_COLUMNS_H */
