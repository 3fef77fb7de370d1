/*
 * `slab <workload>`: the driver.  It places and starts the threads, times the
 * measured section, collects per-thread figures and prints one report row.
 * The workloads themselves (churn.c, remote.c, ...) only write measured loops.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sheafalloc.h"
#include "slab_workload.h"

_Noreturn void slab_die_oom(uint32_t size)
{
	fprintf(stderr, "sheafbench slab: allocation of %u bytes failed (out of memory)\n", size);
	exit(1);
}

/* A nolock call that returns NULL is counted, then served by the normal path. */
void *slab_alloc_slow_nolock(struct slab_thread *t, size_t size)
{
	void *p = t->run->a->alloc_nolock(size);

	t->nolock_allocs++;
	if (p)
		return p;
	t->nolock_null++;
	return t->run->a->alloc(size);
}

void slab_free_slow_nolock(struct slab_thread *t, void *p)
{
	t->nolock_frees++;
	t->run->a->free_nolock(p);
}

void *slab_alloc_untimed(struct slab_run *r, uint32_t size)
{
	void *p = r->a->alloc(size);

	if (!p)
		slab_die_oom(size);
	if (!r->o->lean)
		slab_stamp(p, size);
	return p;
}

/* Lean: objects of the measured loop carry no stamp, so none is checked. */
void slab_free_untimed(struct slab_run *r, uint64_t *corrupt, void *p)
{
	if (!r->o->lean && !slab_stamp_check(p))
		(*corrupt)++;
	r->a->free(p);
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void thread_prepare(struct slab_thread *t)
{
	const struct slab_opts *o = t->run->o;
	uint32_t span = o->size_max - o->size_min + 1;

	t->lean = o->lean;
	t->rng = 0x5eedull * (t->id + 1);
	for (int i = 0; i < SLAB_SIZE_RING; i++)
		t->sizes[i] = o->size_min + slab_rng_below(&t->rng, span);
	if (o->nolock_fraction >= 1.0)
		t->nolock_threshold = UINT64_MAX;
	else
		t->nolock_threshold = (uint64_t)(o->nolock_fraction * 18446744073709551616.0);
	sb_hist_init(&t->lat);
}

static void thread_main(struct sb_threads *ts, int index)
{
	struct slab_run *r = ts->data;
	struct slab_thread *t = &r->th[index];
	const struct slab_workload *w = slab_workloads[r->o->workload];
	uint64_t cpu0;

	thread_prepare(t);
	sb_counters_open(&t->ctr, &r->o->events);
	sb_threads_start(ts);
	cpu0 = thread_cpu_ns();
	sb_counters_start(&t->ctr);
	slab_coherence_thread(t, true);
	w->measure(t);
	slab_coherence_thread(t, false);
	sb_counters_stop(&t->ctr);
	t->t_end_ns = sb_now_ns();
	t->cpu_ns = thread_cpu_ns() - cpu0;
	/* Nobody produces any more once everyone is here: drains see final state,
	   and the main thread reads the counters of the measured section alone. */
	sb_threads_stopped(ts);
	if (w->drain)
		w->drain(t);
}

/*
 * The coherence snapshot first: reading the per-node figures takes each cache's
 * list_lock and barn lock from this untraced thread, which the traced-RMW
 * check must not count.
 */
static void counters_at_stop(struct sb_threads *ts)
{
	slab_coherence_at_stop(ts->data);
	slab_counters_end(ts->data);
}

/* Threads > CPUs wrap around the pin order (the topology does it). */
static int *place_threads(struct slab_run *r)
{
	const struct slab_opts *o = r->o;
	int n = r->nthreads, *cpus = calloc(n, sizeof(*cpus));

	if (!cpus)
		slab_die_oom(n * sizeof(*cpus));
	sb_pin_cpus(&o->pin, r->topo, cpus, n);
	return cpus;
}

static void run_threads(struct slab_run *r, void (*at_stop)(struct sb_threads *ts),
			uint64_t duration_ns)
{
	const struct slab_workload *w = slab_workloads[r->o->workload];

	for (int i = 0; i < r->nthreads; i++) {
		r->th[i].run = r;
		r->th[i].id = i;
		r->th[i].cpu = r->wl_cpus[i];
	}
	r->threads = (struct sb_threads){
		.cmd = SLAB_CMD, .nr = r->nthreads, .cpus = r->wl_cpus, .topo = r->topo,
		.fn = thread_main, .at_stop = at_stop, .data = r,
		.duration_ns = duration_ns,
	};
	sb_run_threads(&r->threads);
	if (w->teardown)
		w->teardown(r);
}

static double measured_secs(const struct slab_run *r)
{
	uint64_t end = r->threads.start_ns;

	for (int i = 0; i < r->nthreads; i++)
		if (r->th[i].t_end_ns > end)
			end = r->th[i].t_end_ns;
	return (end - r->threads.start_ns) / 1e9;
}

static void null_at_stop(struct sb_threads *ts)
{
	(void)ts;
}

/* The null phase: long enough to be a stable mean, short next to the run. */
#define NULL_PHASE_MIN_NS	20000000ull
#define NULL_PHASE_MAX_NS	200000000ull
#define NULL_PHASE_MAX_ITERS	(1ull << 24)

/*
 * The null baseline cannot be taken when the workload stamps objects that
 * another thread checks: every thread's objects are one block, so the
 * stamps would race.  Lean runs do not stamp; nmi calls kmalloc_nolock
 * from its own handler, not through the adapter.
 */
static bool null_baseline_possible(const struct slab_opts *o)
{
	const struct slab_workload *w = slab_workloads[o->workload];

	return !w->sheaf_only && (o->lean || !w->objects_cross_threads);
}

/*
 * The harness's own cost per op, as lockhammer subtracts its loop overhead:
 * the same workload, threads and placement over the null allocator, before
 * the measured run.  Returns ns per op (thread time, as ns_per_op), or NaN.
 */
static double null_baseline_ns(struct slab_run *r)
{
	const struct slab_workload *w = slab_workloads[r->o->workload];
	struct slab_opts o = *r->o;
	const struct slab_opts *real_o = r->o;
	const struct slab_adapter *real_a = r->a;
	uint64_t ops = 0, dur = r->o->duration_ns / 5;
	double secs, ns;

	if (!null_baseline_possible(r->o))
		return NAN;
	if (o.iterations && o.iterations > NULL_PHASE_MAX_ITERS)
		o.iterations = NULL_PHASE_MAX_ITERS;
	dur = dur < NULL_PHASE_MIN_NS ? NULL_PHASE_MIN_NS :
	      dur > NULL_PHASE_MAX_NS ? NULL_PHASE_MAX_NS : dur;
	r->o = &o;
	r->a = &slab_null_adapter;
	if (w->setup && w->setup(r))
		slab_die_oom(0);
	run_threads(r, null_at_stop, o.iterations ? 0 : dur);
	for (int i = 0; i < r->nthreads; i++)
		ops += r->th[i].ops;
	secs = measured_secs(r);
	ns = ops ? secs * 1e9 * r->nthreads / ops : NAN;
	/* The measured run starts from the same state as without this phase. */
	memset(r->th, 0, sizeof(*r->th) * r->nthreads);
	atomic_store(&r->finished, 0);
	r->corrupt = 0;
	r->wl = NULL;
	r->o = real_o;
	r->a = real_a;
	return ns;
}

static void size_string(const struct slab_opts *o, char *buf, size_t len)
{
	if (o->size_min == o->size_max)
		snprintf(buf, len, "%u", o->size_min);
	else
		snprintf(buf, len, "%u-%u", o->size_min, o->size_max);
}

static void report_params(struct sb_report *rep, const struct slab_run *r)
{
	const struct slab_opts *o = r->o;
	char size[32];

	size_string(o, size, sizeof(size));
	sb_report_str(rep, "workload", slab_workloads[o->workload]->name);
	sb_report_str(rep, "pattern", SB_PATTERN_NAME);
	sb_report_str(rep, "allocator", r->a->name);
	sb_report_u64(rep, "threads", r->nthreads);
	sb_report_str(rep, "size", size);
	sb_report_u64(rep, "batch", o->batch);
	sb_report_str(rep, "order", o->shuffled ? "shuffled" : "in");
	if (o->allocator != SLAB_ALLOC_SHEAF)
		sb_report_na(rep, "sheaf_capacity");
	else if (o->sheaf_capacity < 0)
		sb_report_str(rep, "sheaf_capacity", "default");
	else
		sb_report_u64(rep, "sheaf_capacity", o->sheaf_capacity);
	sb_report_u64(rep, "nmi_hz", slab_workloads[o->workload] == &slab_nmi ? o->nmi_hz : 0);
	sb_report_f64(rep, "nolock_fraction", o->nolock_fraction);
	sb_report_str(rep, "pin", o->pin.text);
	sb_report_u64(rep, "nodes", sb_topology_nr_nodes(r->topo));
	sb_report_str(rep, "harness", r->o->lean ? "lean" : "full");
}

/*
 * This process's peak resident set (VmHWM), in MiB, or NaN.  Not getrusage():
 * its ru_maxrss survives exec, so it would include the front end's peak.
 */
static double peak_rss_mib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	double kb = NAN;

	if (!f)
		return NAN;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %lf kB", &kb) == 1)
			break;
	fclose(f);
	return kb / 1024;
}

static void report_figures(struct sb_report *rep, const struct slab_run *r,
			   uint64_t ops, double secs)
{
	uint64_t per_thread[r->nthreads], cpu_ns = 0;
	struct sb_hist lat;
	struct sb_fairness f;

	sb_hist_init(&lat);
	for (int i = 0; i < r->nthreads; i++) {
		per_thread[i] = r->th[i].ops;
		cpu_ns += r->th[i].cpu_ns;
		sb_hist_merge(&lat, &r->th[i].lat);
	}
	f = sb_fairness(per_thread, r->nthreads);
	sb_report_f64(rep, "duration_s", secs);
	sb_report_u64(rep, "ops", ops);
	sb_report_f64(rep, "ops_per_s", ops / secs);
	sb_report_f64(rep, "ns_per_op", ops ? secs * 1e9 * r->nthreads / ops : NAN);
	sb_report_hist(rep, "op", &lat);
	sb_report_f64(rep, "jain", f.jain);
	sb_report_f64(rep, "min_share", f.min_share);
	sb_report_f64(rep, "max_share", f.max_share);
	sb_report_f64(rep, "cpu_time_s", cpu_ns / 1e9);
	sb_report_f64(rep, "peak_rss_mib", peak_rss_mib());
	/* Signals asked for but merged into a pending one: the rate really delivered
	   is nolock_allocs / duration_s; a loaded machine delivers fewer. */
	if (r->nolock_measured)
		sb_report_u64(rep, "nmi_timer_overruns", r->nmi_overruns);
	else
		sb_report_na(rep, "nmi_timer_overruns");
}

/* After every other column: what disturbed the run, then the -e events per op. */
static void report_disturbance(struct sb_report *rep, const struct slab_run *r, uint64_t ops,
			       double secs)
{
	struct sb_counters_sum sum;

	sb_counters_sum_init(&sum, &r->o->events);
	for (int i = 0; i < r->nthreads; i++)
		sb_counters_add(&sum, &r->th[i].ctr, &r->o->events);
	sb_report_disturbance(rep, &sum, r->threads.steal_ms, (uint64_t)(secs * 1e9));
	sb_report_events(rep, &sum, &r->o->events, (double)ops, "op");
	if (sum.why[0] && r->o->format == SB_FMT_TABLE)
		fprintf(stderr, "note: events not counted: %s\n", sum.why);
}

/* Sums the per-thread figures; returns the number of corrupted objects seen. */
static uint64_t collect(struct slab_run *r, uint64_t *ops)
{
	uint64_t corrupt = 0;

	*ops = 0;
	for (int i = 0; i < r->nthreads; i++) {
		const struct slab_thread *t = &r->th[i];

		*ops += t->ops;
		corrupt += t->corrupt;
		r->nolock_allocs += t->nolock_allocs;
		r->nolock_frees += t->nolock_frees;
		r->nolock_null += t->nolock_null;
	}
	return corrupt + r->corrupt;
}

/* Last: the null baseline and the allocator's share of ns_per_op. */
static void report_baseline(struct sb_report *rep, const struct slab_run *r, uint64_t ops,
			    double secs)
{
	double ns_per_op = ops ? secs * 1e9 * r->nthreads / ops : NAN;

	if (isnan(r->harness_ns_per_op)) {
		sb_report_na(rep, "harness_ns_per_op");
		sb_report_na(rep, "ns_per_op_alloc");
		return;
	}
	sb_report_f64(rep, "harness_ns_per_op", r->harness_ns_per_op);
	sb_report_f64(rep, "ns_per_op_alloc", ns_per_op - r->harness_ns_per_op);
}

static int report_run(struct slab_run *r)
{
	uint64_t ops, corrupt = collect(r, &ops);
	double secs = measured_secs(r);
	struct sb_report *rep;
	char why[256];

	if (corrupt) {
		fprintf(stderr, "sheafbench slab: %llu objects had a damaged stamp "
			"(corruption or double hand-out)\n", (unsigned long long)corrupt);
		return 1;
	}
	if (r->a->has_stats && !slab_counters_balanced(r, why, sizeof(why))) {
		fprintf(stderr, "sheafbench slab: objects lost: %s\n", why);
		return 1;
	}
	rep = sb_report_new();
	sb_report_row(rep);
	report_params(rep, r);
	report_figures(rep, r, ops, secs);
	slab_counters_report(rep, r, ops, secs);
	slab_coherence_report(rep, r);
	report_disturbance(rep, r, ops, secs);
	report_baseline(rep, r, ops, secs);
	sb_report_print(rep, r->o->format, stdout);
	sb_report_free(rep);
	return 0;
}

static struct sb_topology *load_topology(void)
{
	char err[256] = "";
	struct sb_topology *topo = sb_topology_load(NULL, err, sizeof(err));

	if (!topo) {
		const char *env = getenv("SHEAFBENCH_TOPOLOGY");

		fprintf(stderr, "sheafbench slab: SHEAFBENCH_TOPOLOGY: '%s' %s\n",
			env ? env : "", err);
		exit(2);
	}
	return topo;
}

int cmd_slab(int argc, char **argv)
{
	struct slab_opts o;
	struct slab_run r = { .o = &o };
	const struct slab_workload *w;
	int rc;

	if (slab_parse_options(&o, argc, argv))
		return 0;
	if (slab_coherence_run(&r, argc, argv))
		return 1;
	w = slab_workloads[o.workload];
	slab_adapter_check_active(o.allocator);
	r.a = slab_adapter_get(o.allocator);
	r.topo = load_topology();
	r.nthreads = o.threads;
	r.ns_per_tick = sb_tsc_ns_per_tick();
	sb_hist_init(&r.nolock_lat);
	r.th = aligned_alloc(64, sizeof(*r.th) * r.nthreads);
	if (!r.th)
		slab_die_oom(sizeof(*r.th) * r.nthreads);
	memset(r.th, 0, sizeof(*r.th) * r.nthreads);
	slab_sheaf_init(&o, r.topo);
	r.wl_cpus = place_threads(&r);
	/* the traced child reports coherence counts only: no baseline there */
	r.harness_ns_per_op = slab_coherence_is_child() ? NAN : null_baseline_ns(&r);
	if (w->setup && w->setup(&r))
		return 1;
	if (slab_coherence_is_child() && slab_coherence_child_begin(&r))
		return 1;
	slab_counters_begin(&r);
	run_threads(&r, counters_at_stop, o.duration_ns);
	if (slab_coherence_is_child()) {
		uint64_t ops;

		collect(&r, &ops);
		rc = slab_coherence_child_finish(&r, ops, measured_secs(&r));
	} else {
		rc = report_run(&r);
	}
	free(r.counters);
	free(r.coh);
	free(r.wl_cpus);
	free(r.th);
	if (slab_sheaf_exit(&o) && !rc) {
		fprintf(stderr, "sheafbench slab: the allocator did not get every object back\n");
		rc = 1;
	}
	sb_topology_free(r.topo);	/* the allocator used it until exit */
	return rc;
}
