/*
 * A run of the lock workload over the harness thread runner: each thread
 * waits at the start, runs the kind's loop until the stop flag (or the
 * iteration count), then hands its counters back.  Only the main thread
 * writes the run description, and only before the threads start.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "lock.h"
#include "lock_coherence.h"

#define LOCK_THREAD_STACK	(256 * 1024)
#define LOCK_TIMING_PAIRS	20000
#define LOCK_C2C_SAMPLES	2000

static struct lock_run lock_run_desc;

static void lock_thread_main(struct sb_threads *ts, int index)
{
	struct lock_result *res = ts->data;
	struct lock_thread_state *t = &res->threads[index];
	const struct lock_run *run = t->run;

	t->track_cpu = !sb_threads_pinned(ts, index);	/* pinned: the CPU cannot change */
	t->ctx.cpu = sb_current_cpu(run->topo);
	sb_qnode_init(&t->qnode);
	sb_counters_open(&t->ctr, run->events);
	sb_threads_start(ts);
	t->start_ns = sb_now_ns();
	sb_counters_start(&t->ctr);
	run->loop(t, run);
	sb_counters_stop(&t->ctr);
	t->end_ns = sb_now_ns();
	sb_qnode_fini(&t->qnode);
}

static void thread_init(struct lock_thread_state *t, int index, int cpu,
			const struct lock_run *run)
{
	memset(t, 0, sizeof(*t));
	t->index = index;
	t->cpu = cpu;
	t->run = run;
	t->rng = 0x9e3779b97f4a7c15ULL * (uint64_t)(index + 1);
	t->sample_left = run->sample_period;
	t->ctx.st = &t->st;
	t->ctx.qnode = &t->qnode;
	t->ctx.cpu = -1;
	sb_hist_init(&t->wait);
}

/* K lines of their own, away from the lock's area and from each other. */
static volatile uint64_t *cs_lines_alloc(struct lock_run *run, int k)
{
	size_t bytes = (size_t)k * LOCK_CACHELINE;

	run->cs_alloc = aligned_alloc(2 * LOCK_CACHELINE, (bytes + 2 * LOCK_CACHELINE - 1) &
				      ~(size_t)(2 * LOCK_CACHELINE - 1));
	if (run->cs_alloc)
		memset(run->cs_alloc, 0, bytes);
	return run->cs_alloc;
}

static void run_describe(struct lock_run *run, const struct lock_args *a,
			 const struct sb_topology *topo)
{
	char *area = lock_area_init(a->kind);

	memset(run, 0, sizeof(*run));
	run->lock = area;
	run->topo = topo;
	run->loop = a->coherence_trace ? lock_loop_traced_for(a->kind) : lock_loop_for(a->kind);
	run->cs_lines = a->cs_lines;
	run->cs_loops = sb_busy_loops_for_ns(a->cs_ns);
	run->ps_loops = sb_busy_loops_for_ns(a->ps_ns);
	run->nolock_threshold = (uint64_t)(a->nolock_fraction * (double)(1ULL << 53));
	run->iterations = a->iterations ? a->iterations : UINT64_MAX;
	run->sample_period = a->sample_period ? a->sample_period : UINT64_MAX;
	run->ns_per_tick = sb_tsc_ns_per_tick();
	if (a->cs_same_line) {
		run->cs_data = (volatile uint64_t *)(area + LOCK_SAME_LINE_OFFSET);
		*run->cs_data = 0;
		run->cs_stride = 0;
	} else {
		run->cs_data = a->cs_lines ? cs_lines_alloc(run, a->cs_lines) : NULL;
		run->cs_stride = LOCK_CACHELINE / sizeof(uint64_t);
	}
}

/* The cost of one sampled timing, measured the way the loop times: an rdtsc pair. */
static double timing_overhead_ns(double ns_per_tick)
{
	struct sb_hist *h = malloc(sizeof(*h));
	double ns;

	if (!h)
		return NAN;
	sb_hist_init(h);
	for (int i = 0; i < LOCK_TIMING_PAIRS; i++) {
		uint64_t t0 = sb_rdtsc();
		uint64_t t1 = sb_rdtsc();

		sb_hist_add(h, (uint64_t)((t1 - t0) * ns_per_tick + 0.5));
	}
	ns = sb_hist_quantile(h, 0.5);
	free(h);
	return ns;
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void wall_time(struct lock_result *res)
{
	uint64_t first = UINT64_MAX, last = 0;

	for (int i = 0; i < res->nr_threads; i++) {
		if (res->threads[i].start_ns < first)
			first = res->threads[i].start_ns;
		if (res->threads[i].end_ns > last)
			last = res->threads[i].end_ns;
	}
	res->wall_ns = last > first ? last - first : 0;
}

static void measure_calibrations(const struct lock_args *a, const struct sb_topology *topo,
				 struct lock_result *res)
{
	res->timing_overhead_ns = a->sample_period ? timing_overhead_ns(sb_tsc_ns_per_tick()) : NAN;
	res->c2c_median_ns = NAN;
	if (a->c2c && sb_topology_nr_cpus(topo) >= 2)
		res->c2c_median_ns = sb_c2c_median_ns(sb_topology_os_cpu(topo, 0),
						      sb_topology_os_cpu(topo, 1),
						      LOCK_C2C_SAMPLES);
}

/* Start all threads, let them run, join them. */
static void run_threads(const struct lock_args *a, const int *cpus, const struct sb_topology *topo,
			struct lock_run *run, struct lock_result *res)
{
	struct sb_threads ts = {
		.cmd = LOCK_CMD, .nr = a->threads, .cpus = cpus, .topo = topo,
		.stack_size = LOCK_THREAD_STACK, .fn = lock_thread_main, .data = res,
		.duration_ns = a->duration_ns,
	};

	run->threads = &ts;
	sb_run_threads(&ts);
	run->threads = NULL;
	res->steal_ms = ts.steal_ms;
}

/*
 * The critical section's plain increments double as an exclusion check: with
 * the lock held by one thread at a time none is lost, so the words hold
 * exactly cs_lines increments per acquisition.
 */
static void count_lost_updates(const struct lock_run *run, struct lock_result *res)
{
	uint64_t acquisitions = 0, seen = 0;

	for (int i = 0; i < res->nr_threads; i++)
		acquisitions += res->threads[i].st.acquisitions;
	if (run->cs_stride == 0)
		seen = run->cs_data[0];
	else
		for (int k = 0; k < run->cs_lines; k++)
			seen += run->cs_data[k * run->cs_stride];
	res->cs_lost_updates = (int64_t)(acquisitions * run->cs_lines - seen);
}

int lock_run(const struct lock_args *a, const struct sb_topology *topo, struct lock_result *res)
{
	struct lock_run *run = &lock_run_desc;
	int cpus[LOCK_MAX_THREADS];
	double cpu0;

	memset(res, 0, sizeof(*res));
	run_describe(run, a, topo);
	if (a->cs_lines && !run->cs_data)
		return -1;
	run->events = &a->events;
	measure_calibrations(a, topo, res);
	sb_pin_cpus(&a->pin, topo, cpus, a->threads);
	res->nr_threads = a->threads;
	res->threads = aligned_alloc(LOCK_CACHELINE, a->threads * sizeof(*res->threads));
	if (!res->threads)
		return -1;
	for (int i = 0; i < a->threads; i++)
		thread_init(&res->threads[i], i, cpus[i], run);
	cpu0 = cpu_seconds();
	run_threads(a, cpus, topo, run, res);
	res->cpu_time_s = cpu_seconds() - cpu0;
	wall_time(res);
	if (run->cs_lines)
		count_lost_updates(run, res);
	return 0;
}

void lock_result_free(struct lock_result *res)
{
	free(res->threads);
	res->threads = NULL;
	free(lock_run_desc.cs_alloc);
	lock_run_desc.cs_alloc = NULL;
}
