/*
 * `page`: the zone-lock workload of the try_alloc_pages() thread.  Every
 * thread allocates a batch of page runs (orders 0..--order-max) and frees
 * them again.  Order-0 pages come from the CPU's page list, which refills
 * from and drains to the zone in batches under the zone lock, so with a batch
 * above the list's high mark every round takes the zone lock several times
 * from every CPU: the contended lock the seed thread argues about.  A share
 * of the calls (--nolock-fraction) use alloc_pages_nolock/free_pages_nolock,
 * which only ever trylock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "page_alloc.h"
#include "slab/slab_coherence.h"
#include "topology.h"
#include "worker.h"

#define PAGE_CMD		"page"
#define ORDER_RING		1024	/* pre-drawn orders per thread */
#define LAT_SAMPLE_MASK		15	/* time 1 call in 16 (PAGE_USAGE says so) */

struct page_opts {
	int threads;
	struct sb_pin_arg pin;
	uint64_t duration_ns;
	uint64_t iterations;		/* calls per thread; 0 when time-bounded */
	int order_max;
	int batch;
	double nolock_fraction;
	struct page_alloc_config cfg;
	enum sb_format format;
	struct sb_events events;	/* -e: counted per thread (default none) */
	bool coherence;			/* --coherence: slab/slab_coherence.c */
};

struct page_run;

struct page_thread {
	struct page_run *run;
	int id, cpu;
	uint64_t rng, nolock_threshold;
	uint8_t orders[ORDER_RING];
	uint32_t order_idx;
	uint64_t ops, tick, pages, nolock_null, corrupt;
	uint64_t t_end_ns, cpu_ns;
	struct sb_hist lat;
	struct sb_thread_counters ctr;	/* events, context switches over measure() */
} __attribute__((aligned(64)));

struct page_run {
	const struct page_opts *o;
	struct sb_topology *topo;
	struct page_thread *th;
	double ns_per_tick;
	struct sb_threads threads;	/* the harness runner: start, stop flag */
	struct page_alloc_stats begin, end;
	int *cpus;			/* topology CPU of each thread */
	struct slab_coh *coh;		/* --coherence: the traced run's result */
};

#define PAGE_USAGE								\
"usage: sheafbench page [OPTIONS]\n"						\
"Threads allocate --batch page runs of order 0..--order-max and free them.\n"	\
"An op is one alloc or free call; latency is sampled on 1 op in 16."

/* Returns 1 after --help, 0 otherwise; exits 2 on bad input. */
static int parse_options(struct page_opts *o, int argc, char **argv)
{
	struct sb_option opts[] = {
		SB_OPT_WORKER_PATTERN(),
		SB_OPT_INT("threads", &o->threads, 1, 1024, "worker threads"),
		SB_OPT_PIN(&o->pin, 256, "thread placement"),
		SB_OPT_DURATION("duration", &o->duration_ns, 0, "time-bounded run"),
		SB_OPT_UINT("iterations", &o->iterations, 1, 1L << 40,
			    "instead: N allocator calls per thread (default: time-bounded)"),
		SB_OPT_INT("order-max", &o->order_max, 0, MAX_ORDER, "runs of order 0..N, uniform"),
		SB_OPT_INT("batch", &o->batch, 1, 1 << 16, "runs held before freeing them"),
		SB_OPT_DOUBLE("nolock-fraction", &o->nolock_fraction, 0.0, 1.0,
			      "share of calls using alloc_pages_nolock/free_pages_nolock"),
		SB_OPT_UINT("pcp-batch", &o->cfg.pcp_batch, 1, 4096,
			    "pages moved per pcp refill/drain (default: allocator's)"),
		SB_OPT_UINT("pcp-high", &o->cfg.pcp_high, 1, 1 << 20,
			    "pcp drains above this many pages (default: allocator's)"),
		SB_OPT_FORMAT(&o->format),
		SB_OPT_EVENTS(&o->events),
		SB_OPT_BOOL("coherence", &o->coherence,
			    "trace the zone lock in a run before the measured one: per-op "
			    "transfers/HITM/RFOs per site"),
		SB_OPT_END,
	};

	memset(o, 0, sizeof(*o));
	o->threads = 2;
	o->pin.pin = SB_PIN_COMPACT;
	o->pin.text = "compact";
	o->duration_ns = 1000000000ull;
	o->batch = 256;
	if (sb_parse_options(PAGE_CMD, opts, argc, argv, PAGE_USAGE) == SB_OPTIONS_HELP)
		return 1;
	if (o->iterations)
		o->duration_ns = 0;
	return 0;
}

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static bool use_nolock(struct page_thread *t)
{
	return t->nolock_threshold && rng_next(&t->rng) < t->nolock_threshold;
}

/* First and last word of the run: cheap, and a double hand-out shows. */
static void run_stamp(struct page *pg, unsigned int order)
{
	uint64_t *w = page_address(pg);

	w[0] = (uintptr_t)w ^ order;
	w[(PAGE_SIZE << order) / sizeof(*w) - 1] = ~((uintptr_t)w ^ order);
}

static bool run_stamp_ok(struct page *pg, unsigned int order)
{
	uint64_t *w = page_address(pg);

	return w[0] == ((uintptr_t)w ^ order) &&
	       w[(PAGE_SIZE << order) / sizeof(*w) - 1] == ~((uintptr_t)w ^ order);
}

static struct page *timed_alloc(struct page_thread *t, unsigned int order)
{
	bool nolock = use_nolock(t), timed = (++t->tick & LAT_SAMPLE_MASK) == 0;
	uint64_t t0 = timed ? sb_rdtsc() : 0;
	struct page *pg = nolock ? alloc_pages_nolock(NUMA_NO_NODE, order)
				 : alloc_pages(NUMA_NO_NODE, order);

	if (timed)
		sb_hist_add(&t->lat, (uint64_t)((sb_rdtsc() - t0) * t->run->ns_per_tick));
	t->ops++;
	if (!pg) {
		if (!nolock) {
			fprintf(stderr, "sheafbench page: alloc_pages(order %u) failed: out of "
				"memory\n", order);
			exit(1);
		}
		t->nolock_null++;
		return NULL;
	}
	t->pages += 1u << order;
	run_stamp(pg, order);
	return pg;
}

static void timed_free(struct page_thread *t, struct page *pg, unsigned int order)
{
	bool nolock = use_nolock(t), timed = (++t->tick & LAT_SAMPLE_MASK) == 0;
	uint64_t t0;

	if (!run_stamp_ok(pg, order))
		t->corrupt++;
	t0 = timed ? sb_rdtsc() : 0;
	if (nolock)
		free_pages_nolock(pg, order);
	else
		__free_pages(pg, order);
	if (timed)
		sb_hist_add(&t->lat, (uint64_t)((sb_rdtsc() - t0) * t->run->ns_per_tick));
	t->ops++;
}

static bool should_stop(const struct page_thread *t)
{
	if (t->run->o->iterations)
		return t->ops >= t->run->o->iterations;
	return sb_threads_should_stop(&t->run->threads);
}

static void measure(struct page_thread *t, struct page **runs, uint8_t *orders)
{
	int batch = t->run->o->batch;

	while (!should_stop(t)) {
		for (int i = 0; i < batch; i++) {
			orders[i] = t->orders[t->order_idx++ & (ORDER_RING - 1)];
			runs[i] = timed_alloc(t, orders[i]);
		}
		for (int i = 0; i < batch; i++)
			if (runs[i])
				timed_free(t, runs[i], orders[i]);
	}
}

static void thread_prepare(struct page_thread *t)
{
	const struct page_opts *o = t->run->o;

	t->rng = 0x9a9eull * (t->id + 1);
	for (int i = 0; i < ORDER_RING; i++)
		t->orders[i] = (uint8_t)(((rng_next(&t->rng) >> 32) * (o->order_max + 1)) >> 32);
	t->nolock_threshold = o->nolock_fraction >= 1.0 ? UINT64_MAX :
			      (uint64_t)(o->nolock_fraction * 18446744073709551616.0);
	sb_hist_init(&t->lat);
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void thread_main(struct sb_threads *ts, int index)
{
	struct page_run *r = ts->data;
	struct page_thread *t = &r->th[index];
	struct page **runs = calloc(r->o->batch, sizeof(*runs));
	uint8_t *orders = calloc(r->o->batch, 1);
	uint64_t cpu0;

	if (!runs || !orders) {
		fprintf(stderr, "sheafbench page: out of memory\n");
		exit(1);
	}
	thread_prepare(t);
	sb_counters_open(&t->ctr, &r->o->events);
	sb_threads_start(ts);
	cpu0 = thread_cpu_ns();
	sb_counters_start(&t->ctr);
	alloc_coherence_thread(t->id, true);
	measure(t, runs, orders);
	alloc_coherence_thread(t->id, false);
	sb_counters_stop(&t->ctr);
	t->t_end_ns = sb_now_ns();
	t->cpu_ns = thread_cpu_ns() - cpu0;
	sb_threads_stopped(ts);
	free(runs);
	free(orders);
}

static void stats_at_stop(struct sb_threads *ts)
{
	struct page_run *r = ts->data;

	page_alloc_read_stats(&r->end);
}

static void run_threads(struct page_run *r, int n)
{
	int *cpus = r->cpus;

	sb_pin_cpus(&r->o->pin, r->topo, cpus, n);
	for (int i = 0; i < n; i++) {
		r->th[i].run = r;
		r->th[i].id = i;
		r->th[i].cpu = cpus[i];
	}
	r->threads = (struct sb_threads){
		.cmd = PAGE_CMD, .nr = n, .cpus = cpus, .topo = r->topo,
		.fn = thread_main, .at_stop = stats_at_stop, .data = r,
		.duration_ns = r->o->duration_ns,
	};
	page_alloc_read_stats(&r->begin);
	sb_run_threads(&r->threads);
}

static double ratio(double num, double den)
{
	return den > 0 ? num / den : NAN;
}

#define DELTA(field)	((double)(r->end.field - r->begin.field))

static void report_params(struct sb_report *rep, const struct page_run *r)
{
	const struct page_opts *o = r->o;

	sb_report_str(rep, "workload", "page");
	sb_report_str(rep, "pattern", SB_PATTERN_NAME);
	sb_report_u64(rep, "threads", o->threads);
	sb_report_u64(rep, "order_max", o->order_max);
	sb_report_u64(rep, "batch", o->batch);
	sb_report_f64(rep, "nolock_fraction", o->nolock_fraction);
	sb_report_str(rep, "pin", o->pin.text);
	if (o->cfg.pcp_batch)
		sb_report_u64(rep, "pcp_batch", o->cfg.pcp_batch);
	else
		sb_report_str(rep, "pcp_batch", "default");
	if (o->cfg.pcp_high)
		sb_report_u64(rep, "pcp_high", o->cfg.pcp_high);
	else
		sb_report_str(rep, "pcp_high", "default");
	sb_report_u64(rep, "nodes", sb_topology_nr_nodes(r->topo));
}

static void report_zone_lock(struct sb_report *rep, const struct page_run *r, double kops)
{
	double acq = DELTA(zone_lock.acquisitions);

	sb_report_u64(rep, "zone_acquisitions", (uint64_t)acq);
	sb_report_f64(rep, "zone_acq_per_kop", ratio(acq, kops));
	sb_report_f64(rep, "contended_frac", ratio(DELTA(zone_lock.contended), acq));
	sb_report_f64(rep, "rmw_per_acq", ratio(DELTA(zone_lock.rmw), acq));
	sb_report_f64(rep, "test_reads_per_acq", ratio(DELTA(zone_lock.test_reads), acq));
	sb_report_f64(rep, "acq_bounces_per_acq", ratio(DELTA(zone_lock.acq_bounces), acq));
	sb_report_f64(rep, "con_bounces_per_acq", ratio(DELTA(zone_lock.con_bounces), acq));
	sb_report_f64(rep, "nolock_fail_rate", ratio(DELTA(nolock_failures), DELTA(nolock_attempts)));
	sb_report_f64(rep, "pcp_refills_per_kop", ratio(DELTA(pcp_refills), kops));
	sb_report_f64(rep, "pcp_drains_per_kop", ratio(DELTA(pcp_drains), kops));
	sb_report_f64(rep, "pcp_trylock_fails_per_kop", ratio(DELTA(pcp_trylock_fails), kops));
	sb_report_f64(rep, "deferred_per_kop", ratio(DELTA(deferred_queued), kops));
}

/* After every other column: what disturbed the run, then the -e events per op. */
static void report_disturbance(struct sb_report *rep, const struct page_run *r, uint64_t ops,
			       double secs)
{
	struct sb_counters_sum sum;

	sb_counters_sum_init(&sum, &r->o->events);
	for (int i = 0; i < r->o->threads; i++)
		sb_counters_add(&sum, &r->th[i].ctr, &r->o->events);
	sb_report_disturbance(rep, &sum, r->threads.steal_ms, (uint64_t)(secs * 1e9));
	sb_report_events(rep, &sum, &r->o->events, (double)ops, "op");
	if (sum.why[0] && r->o->format == SB_FMT_TABLE)
		fprintf(stderr, "note: events not counted: %s\n", sum.why);
}

static void report_run(const struct page_run *r)
{
	int n = r->o->threads;
	uint64_t ops = 0, pages = 0, cpu_ns = 0, per_thread[n], end = r->threads.start_ns;
	struct sb_report *rep = sb_report_new();
	struct sb_fairness f;
	struct sb_hist lat;
	double secs;

	sb_hist_init(&lat);
	for (int i = 0; i < n; i++) {
		ops += per_thread[i] = r->th[i].ops;
		pages += r->th[i].pages;
		cpu_ns += r->th[i].cpu_ns;
		sb_hist_merge(&lat, &r->th[i].lat);
		if (r->th[i].t_end_ns > end)
			end = r->th[i].t_end_ns;
	}
	secs = (end - r->threads.start_ns) / 1e9;
	f = sb_fairness(per_thread, n);
	sb_report_row(rep);
	report_params(rep, r);
	sb_report_f64(rep, "duration_s", secs);
	sb_report_u64(rep, "ops", ops);
	sb_report_f64(rep, "ops_per_s", ratio(ops, secs));
	sb_report_f64(rep, "pages_per_s", ratio(pages, secs));
	sb_report_f64(rep, "ns_per_op", ratio(secs * 1e9 * n, ops));
	sb_report_hist(rep, "op", &lat);
	sb_report_f64(rep, "jain", f.jain);
	sb_report_f64(rep, "min_share", f.min_share);
	sb_report_f64(rep, "max_share", f.max_share);
	sb_report_f64(rep, "cpu_time_s", cpu_ns / 1e9);
	report_zone_lock(rep, r, ops / 1000.0);
	alloc_coherence_report(rep, r->o->coherence ? r->coh : NULL);
	report_disturbance(rep, r, ops, secs);
	sb_report_print(rep, r->o->format, stdout);
	sb_report_free(rep);
}

/* The traced child of --coherence: the zone lock's own count, then replay. */
static int coherence_child_finish(struct page_run *r)
{
	uint64_t ops = 0, end = r->threads.start_ns;

	for (int i = 0; i < r->o->threads; i++) {
		ops += r->th[i].ops;
		if (r->th[i].t_end_ns > end)
			end = r->th[i].t_end_ns;
	}
	r->coh->lockstat_rmw[SLAB_COH_zone] = r->end.zone_lock.rmw - r->begin.zone_lock.rmw;
	return alloc_coherence_child_finish(r->coh, r->topo, r->cpus, ops,
					    (end - r->threads.start_ns) / 1e9);
}

/* Every page back and merged, no stamp damaged: else no report, exit 1. */
static int check_run(const struct page_run *r)
{
	uint64_t corrupt = 0;

	for (int i = 0; i < r->o->threads; i++)
		corrupt += r->th[i].corrupt;
	if (corrupt) {
		fprintf(stderr, "sheafbench page: %llu page runs had a damaged stamp\n",
			(unsigned long long)corrupt);
		return 1;
	}
	if (!page_alloc_check_all_free()) {
		fprintf(stderr, "sheafbench page: pages lost: not every page is free after the run\n");
		return 1;
	}
	return 0;
}

int cmd_page(int argc, char **argv)
{
	struct page_opts o;
	struct page_run r = { .o = &o };
	char err[256] = "";
	int rc;

	if (parse_options(&o, argc, argv))
		return 0;
	if (o.coherence && alloc_coherence_parent(PAGE_CMD, argc, argv, &r.coh))
		return 1;
	r.topo = sb_topology_load(NULL, err, sizeof(err));
	if (!r.topo) {
		fprintf(stderr, "sheafbench page: SHEAFBENCH_TOPOLOGY: %s\n", err);
		return 2;
	}
	rc = page_alloc_init(r.topo, &o.cfg);
	if (rc) {
		fprintf(stderr, "sheafbench page: page_alloc_init: %s\n", strerror(-rc));
		return 1;
	}
	r.ns_per_tick = sb_tsc_ns_per_tick();
	r.th = aligned_alloc(64, sizeof(*r.th) * o.threads);
	r.cpus = calloc(o.threads, sizeof(*r.cpus));
	if (!r.th || !r.cpus) {
		fprintf(stderr, "sheafbench page: out of memory\n");
		return 1;
	}
	memset(r.th, 0, sizeof(*r.th) * o.threads);
	if (alloc_coherence_is_child() &&
	    alloc_coherence_child_begin(PAGE_CMD, o.threads, &r.threads.stop, &r.coh))
		return 1;
	run_threads(&r, o.threads);
	rc = check_run(&r);
	if (!rc && alloc_coherence_is_child())
		rc = coherence_child_finish(&r);
	else if (!rc)
		report_run(&r);
	page_alloc_exit();
	free(r.coh);
	free(r.cpus);
	free(r.th);
	sb_topology_free(r.topo);
	return rc;
}
