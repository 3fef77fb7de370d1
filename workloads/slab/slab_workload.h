/*
 * The slab workloads: shared types of the driver (slab.c), the allocator
 * adapter (adapter.c), the counters (counters.c) and one file per workload.
 *
 * A workload is a measured loop per thread over an allocator adapter; the
 * driver owns threads, pinning, timing, the op-latency sampling and the report.
 */
#ifndef SB_SLAB_WORKLOAD_H
#define SB_SLAB_WORKLOAD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <pthread.h>

#include "allocator_list.h"
#include "slab_coherence.h"
#include "harness.h"
#include "topology.h"

#define SLAB_CMD		"slab"
#define SLAB_SIZE_MAX		8192	/* the largest kmalloc bucket: slab objects only */
#define SLAB_SIZE_RING		1024	/* per-thread ring of pre-drawn sizes */
#define SLAB_LAT_SAMPLE_MASK	15	/* time 1 op in 16 */
#define SLAB_REMOTE_RING_SLOTS	4096	/* remote: ring size, a power of two above --batch */

/* One value per entry of the one allocator list (allocator_list.h). */
enum slab_allocator {
#define SLAB_ALLOCATOR_ENUM(name, soname, symbol, package) SLAB_ALLOCATOR_##name,
	SB_FOR_EACH_ALLOCATOR(SLAB_ALLOCATOR_ENUM)
#undef SLAB_ALLOCATOR_ENUM
	SLAB_NR_ALLOCATORS
};
#define SLAB_ALLOC_SHEAF	SLAB_ALLOCATOR_sheaf	/* ours: stats, nolock API */
extern const char *const slab_allocator_names[];	/* NULL-terminated, by enum */

struct slab_opts;

/* One allocator behind the workloads; adding an allocator touches adapter.c only. */
struct slab_adapter {
	const char *name;
	void *(*alloc)(size_t size);
	void (*free)(void *p);
	void *(*alloc_nolock)(size_t size);	/* NULL: the allocator has no nolock API */
	void (*free_nolock)(void *p);
	bool has_stats;				/* sheafalloc counters are meaningful */
};

const struct slab_adapter *slab_adapter_get(enum slab_allocator which);
/*
 * The null allocator: no allocation at all.  alloc returns the calling
 * thread's one scratch block (SLAB_SIZE_MAX bytes), free does nothing.  Run
 * through the same loop, it measures the harness's own cost per op.
 */
extern const struct slab_adapter slab_null_adapter;
/* Start/stop the sheaf allocator (only when it is the one measured). */
void slab_sheaf_init(const struct slab_opts *o, struct sb_topology *topo);
int slab_sheaf_exit(const struct slab_opts *o);
/* Exits 2 naming the Debian package if @which is not the malloc of this process. */
void slab_adapter_check_active(enum slab_allocator which);

struct slab_opts {
	int workload;			/* index into slab_workloads[] */
	int threads;
	struct sb_pin_arg pin;
	uint64_t duration_ns;		/* 0 when --iterations is given */
	uint64_t iterations;		/* ops per thread; 0 when time-bounded */
	uint32_t size_min, size_max;
	bool size_given;
	int batch;
	bool shuffled;
	int sheaf_capacity;		/* -1: the allocator's defaults */
	enum slab_allocator allocator;
	enum sb_format format;
	long nmi_hz;
	double nolock_fraction;
	int writes;			/* cache-scratch: write passes per object */
	bool lean;			/* no stamping, no latency sampling */
	struct sb_events events;	/* -e: counted per thread (default none) */
	bool coherence;			/* --coherence: slab_coherence.c */
};

struct slab_run;

/* Per-thread state; aligned so that threads never share its lines. */
struct slab_thread {
	struct slab_run *run;
	int id;
	int cpu;			/* logical CPU (virtual on a synthetic topology) */
	bool lean;			/* copy of o->lean, next to the counters */
	uint64_t rng;
	uint64_t nolock_threshold;	/* rng value below which a call uses nolock */
	uint32_t size_idx;
	uint32_t sizes[SLAB_SIZE_RING];
	uint64_t ops;			/* measured allocator calls */
	uint64_t tick;			/* all calls, drives latency sampling */
	uint64_t corrupt;		/* objects whose stamp did not check */
	uint64_t nolock_allocs, nolock_frees, nolock_null;
	uint64_t t_end_ns, cpu_ns;
	struct sb_hist lat;
	struct sb_thread_counters ctr;	/* events, context switches over measure() */
	void *wl;			/* the workload's per-thread data */
} __attribute__((aligned(64)));

struct slab_run {
	const struct slab_opts *o;
	const struct slab_adapter *a;
	struct sb_topology *topo;
	struct slab_thread *th;
	int nthreads;
	double ns_per_tick;
	struct sb_threads threads;	/* the harness runner: start, stop flag */
	atomic_int finished;		/* remote: threads that stopped producing */
	void *wl;			/* the workload's shared data */
	int *wl_cpus;			/* topology CPU of each thread, -1: not placed */
	uint64_t corrupt;		/* damaged stamps seen by setup/teardown */
	/* nmi: handler-side figures, summed over threads after the run */
	uint64_t nolock_allocs, nolock_frees, nolock_null;
	uint64_t handler_calls;		/* allocator calls made by signal handlers */
	uint64_t nmi_overruns;		/* timer signals lost while one was pending */
	struct sb_hist nolock_lat;
	bool nolock_measured;
	void *counters;			/* counters.c: snapshots of the allocator's stats */
	double harness_ns_per_op;	/* the null baseline; NaN if not taken */
	struct slab_coh *coh;		/* --coherence: the traced run's result */
};

struct slab_workload {
	const char *name;
	const char *summary;
	bool sheaf_only;
	bool objects_cross_threads;	/* stamps of the null block would race */
	int min_threads;
	int (*setup)(struct slab_run *r);		/* main thread, before start */
	void (*measure)(struct slab_thread *t);		/* the measured loop */
	void (*drain)(struct slab_thread *t);		/* after every thread stopped */
	void (*teardown)(struct slab_run *r);		/* main thread, after join */
};

/* churn.c: the batch alloc/free loop, also the normal traffic of nmi */
void slab_churn_loop(struct slab_thread *t);

extern const struct slab_workload slab_churn, slab_remote, slab_larson,
	slab_cache_scratch, slab_nmi;

extern const struct slab_workload *const slab_workloads[];	/* NULL-terminated */
int slab_parse_options(struct slab_opts *o, int argc, char **argv);

/* counters.c: the sheaf allocator's counters, as report columns */
void slab_counters_begin(struct slab_run *r);	/* before the measured section */
void slab_counters_end(struct slab_run *r);	/* right after it */
void slab_counters_report(struct sb_report *rep, const struct slab_run *r, uint64_t ops,
			  double secs);
bool slab_counters_balanced(const struct slab_run *r, char *why, size_t len);

/* counters_node.c: the same counters per NUMA node (columns ..._node<N>) */
struct slab_node_snaps;
struct sheafalloc_stats;
size_t slab_node_snaps_size(int nr_nodes);
void slab_node_counters_begin(struct slab_node_snaps *n, int nr_nodes);
void slab_node_counters_end(struct slab_node_snaps *n);
void slab_node_counters_report(struct sb_report *rep, const struct slab_node_snaps *n,
			       const struct sheafalloc_stats *tb, const struct sheafalloc_stats *te,
			       double kops);
void slab_node_counters_na(struct sb_report *rep, int nr_nodes);

/* ---- helpers used inside the measured loops ---- */

static inline uint64_t slab_rng_next(uint64_t *s)
{
	/* splitmix64: cheap, no shared state */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint32_t slab_rng_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(((slab_rng_next(s) >> 32) * n) >> 32);
}

static inline uint32_t slab_next_size(struct slab_thread *t)
{
	return t->sizes[t->size_idx++ & (SLAB_SIZE_RING - 1)];
}

static inline bool slab_should_stop(const struct slab_thread *t)
{
	const struct slab_run *r = t->run;

	if (r->o->iterations)
		return t->ops >= r->o->iterations;
	return sb_threads_should_stop(&r->threads);
}

/*
 * The object stamp: the first word holds a hash of the address plus the size,
 * the last word its complement.  Two stores per alloc, two loads per free:
 * cheap, yet a lost, doubly handed out or overwritten object shows up.
 */
#define SLAB_STAMP_SIZE_BITS	20

static inline uint64_t slab_stamp_base(const void *p)
{
	return ((uintptr_t)p * 0x9e3779b97f4a7c15ull) & ~((1ull << SLAB_STAMP_SIZE_BITS) - 1);
}

static inline void slab_stamp(void *p, uint32_t size)
{
	uint64_t w = slab_stamp_base(p) + size, last = ~w;

	memcpy(p, &w, sizeof(w));
	if (size >= 2 * sizeof(w))
		memcpy((char *)p + size - sizeof(w), &last, sizeof(last));
}

/* Returns false if the stamp does not check. */
static inline bool slab_stamp_check(const void *p)
{
	uint64_t w, last, size;

	memcpy(&w, p, sizeof(w));
	size = w - slab_stamp_base(p);
	if (size < sizeof(w) || size > SLAB_SIZE_MAX)
		return false;
	if (size < 2 * sizeof(w))
		return true;
	memcpy(&last, (const char *)p + size - sizeof(w), sizeof(last));
	return last == ~w;
}

_Noreturn void slab_die_oom(uint32_t size);
void *slab_alloc_slow_nolock(struct slab_thread *t, size_t size);
void slab_free_slow_nolock(struct slab_thread *t, void *p);

static inline bool slab_use_nolock(struct slab_thread *t)
{
	return t->nolock_threshold && slab_rng_next(&t->rng) < t->nolock_threshold;
}

static inline void *slab_call_alloc(struct slab_thread *t, size_t size)
{
	if (__builtin_expect(slab_use_nolock(t), 0))
		return slab_alloc_slow_nolock(t, size);
	return t->run->a->alloc(size);
}

static inline void slab_call_free(struct slab_thread *t, void *p)
{
	if (__builtin_expect(slab_use_nolock(t), 0))
		slab_free_slow_nolock(t, p);
	else
		t->run->a->free(p);
}

/* Allocate and stamp one object; 1 call in 16 is timed.  Counts as one op. */
static inline void *slab_alloc(struct slab_thread *t, uint32_t size)
{
	void *p;

	if (t->lean) {
		p = slab_call_alloc(t, size);
		if (__builtin_expect(!p, 0))
			slab_die_oom(size);
		t->ops++;
		return p;
	}
	if (__builtin_expect((++t->tick & SLAB_LAT_SAMPLE_MASK) == 0, 0)) {
		uint64_t t0 = sb_rdtsc();

		p = slab_call_alloc(t, size);
		sb_hist_add(&t->lat, (uint64_t)((sb_rdtsc() - t0) * t->run->ns_per_tick));
	} else {
		p = slab_call_alloc(t, size);
	}
	if (__builtin_expect(!p, 0))
		slab_die_oom(size);
	slab_stamp(p, size);
	t->ops++;
	return p;
}

/* Check and free one object; counts as one op. */
static inline void slab_free(struct slab_thread *t, void *p)
{
	if (t->lean) {
		slab_call_free(t, p);
		t->ops++;
		return;
	}
	if (__builtin_expect(!slab_stamp_check(p), 0))
		t->corrupt++;
	if (__builtin_expect((++t->tick & SLAB_LAT_SAMPLE_MASK) == 0, 0)) {
		uint64_t t0 = sb_rdtsc();

		slab_call_free(t, p);
		sb_hist_add(&t->lat, (uint64_t)((sb_rdtsc() - t0) * t->run->ns_per_tick));
	} else {
		slab_call_free(t, p);
	}
	t->ops++;
}

/* Unmeasured alloc/free for setup and drain phases (stamped and checked unless lean). */
void *slab_alloc_untimed(struct slab_run *r, uint32_t size);
void slab_free_untimed(struct slab_run *r, uint64_t *corrupt, void *p);

#endif /* SB_SLAB_WORKLOAD_H */
