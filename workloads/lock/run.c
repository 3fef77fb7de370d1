/*
 * Threads of the lock workload: pin, wait at the start barrier, run the
 * kind's loop until the stop flag (or the iteration count), then hand their
 * counters back.  Only the main thread writes the run description, and only
 * before the barrier opens; after that it writes the stop flag once.
 */
#define _GNU_SOURCE		/* RUSAGE_THREAD */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "lock.h"

#define LOCK_THREAD_STACK	(256 * 1024)
#define LOCK_TIMING_PAIRS	20000
#define LOCK_C2C_SAMPLES	2000

/* Start barrier: threads count themselves in, then wait for go. */
static struct {
	int arrived __attribute__((aligned(LOCK_CACHELINE)));
	int go __attribute__((aligned(LOCK_CACHELINE)));
} lock_barrier;

static struct lock_run lock_run_desc;

/* Yielding spins: with more threads than CPUs the main thread must get to run. */
static void barrier_wait(void)
{
	__atomic_add_fetch(&lock_barrier.arrived, 1, __ATOMIC_ACQ_REL);
	while (!__atomic_load_n(&lock_barrier.go, __ATOMIC_ACQUIRE))
		sched_yield();
}

static void barrier_open_when(int n)
{
	while (__atomic_load_n(&lock_barrier.arrived, __ATOMIC_ACQUIRE) < n)
		sched_yield();
	__atomic_store_n(&lock_barrier.go, 1, __ATOMIC_RELEASE);
}

static void thread_pin(struct lock_thread_state *t, const struct lock_run *run)
{
	t->track_cpu = true;
	if (t->cpu >= 0 && sb_pin_self(sb_topology_os_cpu(run->topo, t->cpu)) == 0)
		t->track_cpu = false;	/* pinned: the CPU cannot change */
	t->ctx.cpu = sb_current_cpu(run->topo);
}

static void thread_perf_read(struct lock_thread_state *t, struct sb_perf *perf)
{
	t->perf_n = 0;
	if (!perf)
		return;
	if (sb_perf_read(perf, t->perf_vals) > 0)
		t->perf_n = t->run->perf_nr_events;
	sb_perf_close(perf);
}

/* Involuntary context switches of the calling thread: preemption, the noise to know of. */
static uint64_t thread_preemptions(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_THREAD, &ru) ? 0 : (uint64_t)ru.ru_nivcsw;
}

static void *lock_thread_main(void *arg)
{
	struct lock_thread_state *t = arg;
	const struct lock_run *run = t->run;
	struct sb_perf *perf = NULL;
	char why[256];

	thread_pin(t, run);
	sb_qnode_init(&t->qnode);
	if (run->perf_nr_events)
		perf = sb_perf_open(run->perf_events, run->perf_nr_events, why, sizeof(why));
	barrier_wait();
	t->preemptions = thread_preemptions();
	t->start_ns = sb_now_ns();
	if (perf)
		sb_perf_start(perf);
	run->loop(t, run);
	if (perf)
		sb_perf_stop(perf);
	t->end_ns = sb_now_ns();
	t->preemptions = thread_preemptions() - t->preemptions;
	thread_perf_read(t, perf);
	sb_qnode_fini(&t->qnode);
	return NULL;
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
	run->loop = lock_loop_for(a->kind);
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

static void perf_setup(struct lock_run *run, struct lock_result *res)
{
	char why[256];
	int n = 0;

	res->perf_events = sb_perf_default_events(&n);
	if (n > LOCK_MAX_PERF_EVENTS)
		n = LOCK_MAX_PERF_EVENTS;
	res->perf_nr_events = n;
	res->perf_ok = sb_pmu_available(why, sizeof(why));
	snprintf(res->perf_why, sizeof(res->perf_why), "%s", res->perf_ok ? "" : why);
	run->perf_events = res->perf_events;
	run->perf_nr_events = res->perf_ok ? n : 0;
}

/* Start all threads, let them run, join them.  -1 (and a message) if a thread cannot start. */
static int run_threads(const struct lock_args *a, struct lock_run *run, struct lock_result *res)
{
	pthread_t *tids = calloc(a->threads, sizeof(*tids));
	pthread_attr_t attr;
	int started = 0, err = 0;

	if (!tids)
		return -1;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, LOCK_THREAD_STACK);
	for (; started < a->threads; started++) {
		err = pthread_create(&tids[started], &attr, lock_thread_main, &res->threads[started]);
		if (err)
			break;
	}
	pthread_attr_destroy(&attr);
	if (err) {
		/* let the started ones through and stop them at once */
		__atomic_store_n(&run->stop, 1, __ATOMIC_RELAXED);
		fprintf(stderr, "sheafbench lock: cannot start thread %d of %d: %s\n",
			started + 1, a->threads, strerror(err));
	}
	barrier_open_when(started);
	if (!err && a->duration_ns) {
		sb_sleep_ns(a->duration_ns);
		__atomic_store_n(&run->stop, 1, __ATOMIC_RELAXED);
	}
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	return err ? -1 : 0;
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
	int ret;

	memset(res, 0, sizeof(*res));
	run_describe(run, a, topo);
	if (a->cs_lines && !run->cs_data)
		return -1;
	perf_setup(run, res);
	measure_calibrations(a, topo, res);
	sb_pin_cpus(&a->pin, topo, cpus, a->threads);
	res->nr_threads = a->threads;
	res->threads = aligned_alloc(LOCK_CACHELINE, a->threads * sizeof(*res->threads));
	if (!res->threads)
		return -1;
	for (int i = 0; i < a->threads; i++)
		thread_init(&res->threads[i], i, cpus[i], run);
	cpu0 = cpu_seconds();
	ret = run_threads(a, run, res);
	res->cpu_time_s = cpu_seconds() - cpu0;
	wall_time(res);
	if (run->cs_lines)
		count_lost_updates(run, res);
	return ret;
}

void lock_result_free(struct lock_result *res)
{
	free(res->threads);
	res->threads = NULL;
	free(lock_run_desc.cs_alloc);
	lock_run_desc.cs_alloc = NULL;
}
