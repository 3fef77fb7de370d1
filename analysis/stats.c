/*
 * stats.c - medians, quantiles and percentile-bootstrap confidence intervals.
 *
 * Benchmark repetitions are few (3-10) and not normal (a run hit by a
 * preemption is an outlier, not noise), so the study reports medians and
 * bootstrap intervals, which assume no distribution.  The PRNG is seeded by
 * the caller so that the same results directory always prints the same text.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"

/* splitmix64: tiny, full period, good enough to pick resample indices. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int rng_below(uint64_t *s, int n)
{
	/* modulo bias is < n / 2^64: irrelevant for n of a few hundred */
	return (int)(rng_next(s) % (uint64_t)n);
}

double sb_rng_uniform(uint64_t *state)
{
	return (rng_next(state) >> 11) * 0x1.0p-53;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void sb_sort_doubles(double *x, int n)
{
	/* resamples are a handful of values, sorted 2000 times per cell:
	 * insertion sort beats qsort's call per comparison there */
	if (n > 32) {
		qsort(x, n, sizeof(*x), cmp_double);
		return;
	}
	for (int i = 1; i < n; i++) {
		double v = x[i];
		int j = i;

		for (; j > 0 && x[j - 1] > v; j--)
			x[j] = x[j - 1];
		x[j] = v;
	}
}

/* Linear interpolation between order statistics (Hyndman & Fan type 7). */
double sb_quantile_sorted(const double *x, int n, double q)
{
	double h, lo;
	int i;

	if (n <= 0)
		return NAN;
	h = (n - 1) * q;
	lo = floor(h);
	i = (int)lo;
	if (i >= n - 1)
		return x[n - 1];
	return x[i] + (h - lo) * (x[i + 1] - x[i]);
}

double sb_quantile(const double *x, int n, double q)
{
	double *s, v;

	if (n <= 0)
		return NAN;
	s = malloc(n * sizeof(*s));
	if (!s)
		return NAN;
	memcpy(s, x, n * sizeof(*s));
	sb_sort_doubles(s, n);
	v = sb_quantile_sorted(s, n, q);
	free(s);
	return v;
}

double sb_median(const double *x, int n)
{
	return sb_quantile(x, n, 0.5);
}

/* Median of one resample of x (n draws with replacement) using tmp[n]. */
static double resample_median(const double *x, int n, double *tmp, uint64_t *s)
{
	for (int i = 0; i < n; i++)
		tmp[i] = x[rng_below(s, n)];
	sb_sort_doubles(tmp, n);
	return sb_quantile_sorted(tmp, n, 0.5);
}

static struct sb_ci ci_from_draws(double est, double *draws, int nr)
{
	struct sb_ci ci = { .est = est, .lo = NAN, .hi = NAN, .valid = false };

	/* a zero denominator in any resample makes the ratio's distribution
	 * undefined: report no interval rather than one from a biased subset */
	for (int i = 0; i < nr; i++)
		if (!isfinite(draws[i]))
			return ci;
	if (!isfinite(est))
		return ci;
	sb_sort_doubles(draws, nr);
	ci.lo = sb_quantile_sorted(draws, nr, (1 - SB_CI_LEVEL) / 2);
	ci.hi = sb_quantile_sorted(draws, nr, 1 - (1 - SB_CI_LEVEL) / 2);
	ci.valid = true;
	return ci;
}

struct sb_ci sb_boot_median(const double *x, int n, int nr_boot, uint64_t seed)
{
	struct sb_ci none = { .est = sb_median(x, n), .lo = NAN, .hi = NAN };
	double *tmp, *draws;
	uint64_t s = seed;
	struct sb_ci ci;

	if (n < SB_MIN_REPS_FOR_CI || nr_boot < 1)
		return none;
	tmp = malloc(n * sizeof(*tmp));
	draws = malloc(nr_boot * sizeof(*draws));
	if (!tmp || !draws) {
		free(tmp);
		free(draws);
		return none;
	}
	for (int b = 0; b < nr_boot; b++)
		draws[b] = resample_median(x, n, tmp, &s);
	ci = ci_from_draws(none.est, draws, nr_boot);
	free(tmp);
	free(draws);
	return ci;
}

static double ratio_or_nan(double num, double den)
{
	return den != 0 ? num / den : NAN;
}

struct sb_ci sb_boot_ratio(const double *num, int nn, const double *den, int nd,
			   int nr_boot, uint64_t seed)
{
	struct sb_ci none = {
		.est = ratio_or_nan(sb_median(num, nn), sb_median(den, nd)),
		.lo = NAN, .hi = NAN,
	};
	double *tn, *td, *draws;
	uint64_t s = seed;
	struct sb_ci ci;

	if (nn < SB_MIN_REPS_FOR_CI || nd < SB_MIN_REPS_FOR_CI || nr_boot < 1)
		return none;
	tn = malloc(nn * sizeof(*tn));
	td = malloc(nd * sizeof(*td));
	draws = malloc(nr_boot * sizeof(*draws));
	if (!tn || !td || !draws) {
		ci = none;
		goto out;
	}
	/* each variant is resampled on its own: the runs are not paired */
	for (int b = 0; b < nr_boot; b++) {
		double mn = resample_median(num, nn, tn, &s);
		double md = resample_median(den, nd, td, &s);

		draws[b] = ratio_or_nan(mn, md);
	}
	ci = ci_from_draws(none.est, draws, nr_boot);
out:
	free(tn);
	free(td);
	free(draws);
	return ci;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* Words that make a figure a cost whatever its unit: nolock_null_per_s. */
static bool metric_is_cost(const char *metric)
{
	static const char *const costs[] = {
		"fail", "null", "retr", "deferred", "miss", "bounce", "rmw", "wait",
		"contended", "overhead",
		/* coherence model counts (lock/slab --coherence); "hitm" before "hit" */
		"xfers", "hitm", "rfo", "upgrades", "invals", NULL
	};

	for (int i = 0; costs[i]; i++)
		if (strstr(metric, costs[i]))
			return true;
	return false;
}

/*
 * +1 when a larger value is better (throughput, fairness, hit rates), -1 when
 * a smaller one is (time, latency, RMWs, bounces, failure and retry rates).
 */
int sb_metric_direction(const char *metric)
{
	if (metric_is_cost(metric))
		return -1;
	if (ends_with(metric, "_per_s") || strstr(metric, "jain") ||
	    strstr(metric, "hit") || strstr(metric, "_ok"))
		return +1;
	return -1;
}

/* Throughput and time metrics are "faster"/"slower"; counts "fewer"/"more". */
static bool metric_is_speed(const char *metric)
{
	if (ends_with(metric, "_per_s"))
		return !metric_is_cost(metric);
	return ends_with(metric, "_ns") || !strncmp(metric, "ns_per_", 7);
}

enum sb_verdict sb_verdict_of(const struct sb_ci *ratio, int direction)
{
	if (!ratio->valid)
		return SB_VERDICT_UNKNOWN;
	if (ratio->lo > 1)
		return direction > 0 ? SB_VERDICT_BETTER : SB_VERDICT_WORSE;
	if (ratio->hi < 1)
		return direction > 0 ? SB_VERDICT_WORSE : SB_VERDICT_BETTER;
	return SB_VERDICT_SAME;
}

const char *sb_verdict_word(enum sb_verdict v, const char *metric)
{
	bool speed = metric_is_speed(metric);
	bool higher = sb_metric_direction(metric) > 0;

	switch (v) {
	case SB_VERDICT_BETTER:
		return speed ? "faster" : higher ? "higher" : "fewer";
	case SB_VERDICT_WORSE:
		return speed ? "slower" : higher ? "lower" : "more";
	case SB_VERDICT_SAME:
		return "no difference shown";
	default:
		return "too few runs";
	}
}

char sb_verdict_mark(enum sb_verdict v)
{
	switch (v) {
	case SB_VERDICT_BETTER:
		return '+';
	case SB_VERDICT_WORSE:
		return '-';
	case SB_VERDICT_SAME:
		return '=';
	default:
		return '?';
	}
}

uint64_t sb_seed_of(const char *a, const char *b)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	for (const char *s = a; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	h = (h ^ 0xff) * 0x100000001b3ULL;
	for (const char *s = b; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}
