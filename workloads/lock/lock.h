/*
 * The `lock` workload: N threads hammer one lock of one kind through the
 * acquisition pattern this worker was compiled for (design.md sections 1, 4).
 *
 * Files by role, as lockhammer splits them:
 *   args.c    options -> struct lock_args
 *   loop.c    the measured loop, one specialized copy per lock kind
 *   run.c     threads, pinning, start barrier, stop flag, counters
 *   report.c  one report row from the per-thread results
 *   lock.c    cmd_lock(): parse, run, report
 */
#ifndef SB_WORKLOAD_LOCK_H
#define SB_WORKLOAD_LOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "harness.h"
#include "lockpatterns.h"
#include "topology.h"

#define LOCK_CMD		"lock"
#define LOCK_MAX_THREADS	1024
#define LOCK_MAX_CS_LINES	4096
#define LOCK_CACHELINE		64
#define LOCK_DEFAULT_SAMPLE	16	/* time 1 in 16 acquisitions */
#define LOCK_MAX_PERF_EVENTS	16
#define LOCK_SAME_LINE_OFFSET	(LOCK_CACHELINE - 8)	/* in the lock's area */

/* What the user asked for; filled by lock_args_parse(), never changed after. */
struct lock_args {
	enum sb_lock_kind kind;
	int threads;
	uint64_t duration_ns;		/* 0 when --iterations bounds the run */
	uint64_t iterations;		/* per thread; 0 when time bounded */
	uint64_t cs_ns, ps_ns;
	int cs_lines;
	bool cs_same_line;
	double nolock_fraction;
	struct sb_pin_arg pin;		/* --pin, its text as given for the report */
	uint64_t sample_period;		/* 0: --latency off; 1: every acquisition */
	const char *latency_text;
	bool c2c;			/* measure the c2c line transfer cost */
	enum sb_format format;
};

struct lock_thread_state;

/*
 * Read-mostly description of a run, shared by all threads.  The stop flag
 * sits on its own line: it is written once, and read (relaxed) by every
 * thread on every iteration.
 */
struct lock_run {
	void *lock;			/* the one lock, at the start of a 128-byte area */
	volatile uint64_t *cs_data;	/* written cs_lines times in each critical section */
	uint64_t cs_stride;		/* in words: 0 = lock's own line, 8 = one line each */
	int cs_lines;
	uint64_t cs_loops, ps_loops;	/* calibrated busy work */
	uint64_t nolock_threshold;	/* nolock if (rng >> 11) < this; 2^53 = always */
	uint64_t iterations;		/* per thread; UINT64_MAX when time bounded */
	uint64_t sample_period;		/* UINT64_MAX when timing is off */
	double ns_per_tick;
	const struct sb_topology *topo;
	void (*loop)(struct lock_thread_state *t, const struct lock_run *run);
	const char *const *perf_events;	/* opened per thread; none when no PMU */
	int perf_nr_events;
	void *cs_alloc;			/* the K other lines, freed after the run */

	int stop __attribute__((aligned(LOCK_CACHELINE)));
} __attribute__((aligned(LOCK_CACHELINE)));

/*
 * One thread's state: written only by that thread while the run lasts, read by
 * the main thread after join.  Cache-line aligned so no two threads share a
 * line and the only contended lines are the lock's and the critical section's.
 */
struct lock_thread_state {
	struct sb_lockstat st;		/* counted by the lock and the pattern */
	struct sb_lockctx ctx;
	uint64_t rng;			/* xorshift64* state, never 0 */
	uint64_t sample_left;		/* acquisitions until the next timed one */
	uint64_t rmw_contended;		/* RMWs issued by contended acquisitions */
	uint64_t start_ns, end_ns;
	uint64_t preemptions;		/* involuntary context switches in the loop */
	uint64_t perf_vals[LOCK_MAX_PERF_EVENTS];
	int perf_n;			/* events read, 0 if no counters */
	int index;
	int cpu;			/* topology CPU to pin to, -1 for none */
	bool track_cpu;			/* not pinned: re-read the CPU each iteration */
	const struct lock_run *run;
	struct sb_qnode qnode __attribute__((aligned(LOCK_CACHELINE)));
	struct sb_hist wait;		/* wait = acquire start to lock held, ns */
} __attribute__((aligned(LOCK_CACHELINE)));

/* What a run produced, beyond the per-thread states. */
struct lock_result {
	struct lock_thread_state *threads;
	int nr_threads;
	uint64_t wall_ns;		/* first thread start to last thread end */
	double cpu_time_s;
	int64_t cs_lost_updates;	/* critical-section increments lost: must be 0 */
	double timing_overhead_ns;	/* one sampled timing: an rdtsc pair */
	double c2c_median_ns;		/* NaN if not measured */
	const char *const *perf_events;
	int perf_nr_events;
	bool perf_ok;
	char perf_why[256];		/* why there are no counters */
};

/* args.c */
bool lock_args_parse(struct lock_args *a, int argc, char **argv);

/* loop.c */
typedef void (*lock_loop_fn)(struct lock_thread_state *t, const struct lock_run *run);
lock_loop_fn lock_loop_for(enum sb_lock_kind kind);
void *lock_area_init(enum sb_lock_kind kind);

/* run.c */
int lock_run(const struct lock_args *a, const struct sb_topology *topo,
	     struct lock_result *res);
void lock_result_free(struct lock_result *res);

/* report.c */
void lock_report(const struct lock_args *a, const struct lock_result *res);

#endif /* SB_WORKLOAD_LOCK_H */
