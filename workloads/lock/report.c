/*
 * One report row from a lock run: parameters first, then the figures.  A
 * figure that was not measured (no samples, no trylocks, no PMU) is n/a,
 * never 0.  The ones whose definition is not in their name:
 *   ns_per_acq              wall time / all threads' acquisitions: the handoff interval
 *   wait_*_ns               acquire() start to lock held, sampled (--latency), rdtsc
 *   rmw_per_contended_acq   RMWs issued during contended acquisitions / contended ones
 *   handoff_line_transfers  ns_per_acq / c2c_median_ns (CAS ping-pong, CPUs 0 and 1)
 *   cs_lost_updates         critical-section increments lost: 0 unless exclusion failed
 *   preemptions             involuntary context switches of the threads in the loop
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lock.h"

/* Ratio, or NaN (printed n/a) when the denominator is 0. */
static double ratio(double num, double den)
{
	return den > 0 ? num / den : NAN;
}

static void totals(const struct lock_result *res, struct sb_lockstat *sum,
		   uint64_t *rmw_contended, struct sb_hist *wait)
{
	memset(sum, 0, sizeof(*sum));
	*rmw_contended = 0;
	sb_hist_init(wait);
	for (int i = 0; i < res->nr_threads; i++) {
		sb_lockstat_add(sum, &res->threads[i].st);
		*rmw_contended += res->threads[i].rmw_contended;
		sb_hist_merge(wait, &res->threads[i].wait);
	}
}

static void report_params(struct sb_report *r, const struct lock_args *a,
			  const struct lock_result *res)
{
	sb_report_str(r, "workload", "lock");
	sb_report_str(r, "pattern", SB_PATTERN_NAME);
	sb_report_str(r, "kind", sb_lock_kind_name(a->kind));
	sb_report_u64(r, "threads", a->threads);
	sb_report_u64(r, "cs_ns", a->cs_ns);
	sb_report_u64(r, "ps_ns", a->ps_ns);
	sb_report_u64(r, "cs_lines", a->cs_lines);
	sb_report_u64(r, "cs_same_line", a->cs_same_line);
	sb_report_f64(r, "nolock_fraction", a->nolock_fraction);
	sb_report_str(r, "pin", a->pin.text);
	sb_report_str(r, "latency", a->latency_text);
	sb_report_f64(r, "duration_s", res->wall_ns / 1e9);
}

static void report_fairness(struct sb_report *r, const struct lock_result *res)
{
	uint64_t *per_thread = malloc(res->nr_threads * sizeof(*per_thread));
	struct sb_fairness f = { NAN, NAN, NAN };

	if (per_thread) {
		for (int i = 0; i < res->nr_threads; i++)
			per_thread[i] = res->threads[i].st.acquisitions;
		f = sb_fairness(per_thread, res->nr_threads);
		free(per_thread);
	}
	sb_report_f64(r, "jain", f.jain);
	sb_report_f64(r, "min_share", f.min_share);
	sb_report_f64(r, "max_share", f.max_share);
}

/*
 * pthread kinds acquire inside glibc: under `lock` and `sb` a normal acquisition
 * is one pthread_*_lock() call, so whether it waited is not visible.  ttl and
 * tro try first, and a failed trylock is exactly a contended acquisition.
 */
static bool contention_observable(enum sb_lock_kind kind)
{
	return sb_lock_kind_counts_exact(kind) || SB_PATTERN == 1 || SB_PATTERN == 3;
}

static void report_f64_if(struct sb_report *r, const char *col, bool measured, double v)
{
	if (measured)
		sb_report_f64(r, col, v);
	else
		sb_report_na(r, col);
}

static void report_counts(struct sb_report *r, const struct sb_lockstat *s,
			  uint64_t rmw_contended, enum sb_lock_kind kind)
{
	double acq = (double)s->acquisitions;
	bool observable = contention_observable(kind);

	report_f64_if(r, "contended_frac", observable, ratio(s->contended, acq));
	sb_report_f64(r, "trylock_fail_rate", ratio(s->trylock_failures, s->trylock_attempts));
	sb_report_f64(r, "nolock_fail_rate", ratio(s->nolock_failures, s->nolock_attempts));
	sb_report_f64(r, "rmw_per_acq", ratio(s->rmw, acq));
	report_f64_if(r, "rmw_per_contended_acq", observable, ratio(rmw_contended, s->contended));
	sb_report_f64(r, "test_reads_per_acq", ratio(s->test_reads, acq));
	sb_report_f64(r, "acq_bounces_per_acq", ratio(s->acq_bounces, acq));
	report_f64_if(r, "con_bounces_per_acq", observable, ratio(s->con_bounces, acq));
}

static void report_calibrations(struct sb_report *r, const struct lock_result *res,
				double ns_per_acq)
{
	sb_report_f64(r, "timing_overhead_ns", res->timing_overhead_ns);
	sb_report_f64(r, "c2c_median_ns", res->c2c_median_ns);
	sb_report_f64(r, "handoff_line_transfers", ratio(ns_per_acq, res->c2c_median_ns));
}

/* "ls_any_fills_from_sys.remote_cache" -> "ls_any_fills_from_sys_remote_cache_per_acq" */
static void perf_column(char *col, size_t len, const char *event)
{
	size_t i = 0;

	for (; *event && i + sizeof("_per_acq") < len; event++)
		col[i++] = isalnum((unsigned char)*event) ? tolower((unsigned char)*event) : '_';
	snprintf(col + i, len - i, "_per_acq");
}

/* An event's total over all threads; NaN unless every thread counted it. */
static double perf_total(const struct lock_result *res, int e)
{
	double sum = 0;

	for (int i = 0; i < res->nr_threads; i++) {
		const struct lock_thread_state *t = &res->threads[i];

		if (e >= t->perf_n || t->perf_vals[e] == SB_PERF_NA)
			return NAN;
		sum += (double)t->perf_vals[e];
	}
	return sum;
}

static void report_perf(struct sb_report *r, const struct lock_result *res, double acq)
{
	char col[128];

	for (int e = 0; e < res->perf_nr_events; e++) {
		perf_column(col, sizeof(col), res->perf_events[e]);
		sb_report_f64(r, col, ratio(perf_total(res, e), acq));
	}
}

static uint64_t preemptions(const struct lock_result *res)
{
	uint64_t n = 0;

	for (int i = 0; i < res->nr_threads; i++)
		n += res->threads[i].preemptions;
	return n;
}

void lock_report(const struct lock_args *a, const struct lock_result *res)
{
	struct sb_report *r = sb_report_new();
	struct sb_hist *wait = malloc(sizeof(*wait));
	struct sb_lockstat sum;
	uint64_t rmw_contended;
	double acq, ns_per_acq;

	if (!r || !wait) {
		fprintf(stderr, "sheafbench lock: out of memory for the report\n");
		exit(1);
	}
	totals(res, &sum, &rmw_contended, wait);
	acq = (double)sum.acquisitions;
	ns_per_acq = ratio(res->wall_ns, acq);

	sb_report_row(r);
	report_params(r, a, res);
	sb_report_u64(r, "acquisitions", sum.acquisitions);
	sb_report_f64(r, "acq_per_s", ratio(acq, res->wall_ns / 1e9));
	sb_report_f64(r, "ns_per_acq", ns_per_acq);
	sb_report_hist(r, "wait", wait);
	report_fairness(r, res);
	report_counts(r, &sum, rmw_contended, a->kind);
	if (a->cs_lines)
		sb_report_f64(r, "cs_lost_updates", (double)res->cs_lost_updates);
	else
		sb_report_na(r, "cs_lost_updates");
	report_calibrations(r, res, ns_per_acq);
	report_perf(r, res, acq);
	sb_report_f64(r, "cpu_time_s", res->cpu_time_s);
	sb_report_u64(r, "preemptions", preemptions(res));

	sb_report_print(r, a->format, stdout);
	if (!res->perf_ok && a->format == SB_FMT_TABLE)
		fprintf(stderr, "note: hardware counters not available: %s\n", res->perf_why);
	sb_report_free(r);
	free(wait);
}
