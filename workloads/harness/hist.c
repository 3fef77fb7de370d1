/*
 * hist.c - log-linear latency histogram (layout in harness.h).
 *
 * Quantiles take the bucket holding the rank-th value and assume its values
 * are spread evenly over the bucket's integers, then clamp to the exact
 * min/max (the first and last rank return them exactly): exact for values
 * below 32 ns, within one sub-bucket (6.25%) above.
 */
#include "harness.h"

#include <math.h>
#include <string.h>

static int bucket_of(uint64_t ns)
{
	int e;

	if (ns < SB_HIST_SUB)
		return (int)ns;
	e = 63 - __builtin_clzll(ns);          /* 2^e <= ns < 2^(e+1), e >= 4 */
	if (e >= SB_HIST_MAX_BITS)
		return SB_HIST_BUCKETS - 1;
	return SB_HIST_SUB + (e - SB_HIST_SUB_BITS) * SB_HIST_SUB +
	       (int)((ns >> (e - SB_HIST_SUB_BITS)) & (SB_HIST_SUB - 1));
}

/* Smallest value of bucket b, and how many integers it covers. */
static uint64_t bucket_low(int b, uint64_t *width)
{
	int e, sub;

	if (b < SB_HIST_SUB) {
		*width = 1;
		return (uint64_t)b;
	}
	e = (b - SB_HIST_SUB) / SB_HIST_SUB + SB_HIST_SUB_BITS;
	sub = (b - SB_HIST_SUB) % SB_HIST_SUB;
	*width = 1ull << (e - SB_HIST_SUB_BITS);
	return (uint64_t)(SB_HIST_SUB + sub) << (e - SB_HIST_SUB_BITS);
}

void sb_hist_init(struct sb_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void sb_hist_add(struct sb_hist *h, uint64_t ns)
{
	h->bucket[bucket_of(ns)]++;
	h->count++;
	h->sum += ns;
	if (ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
}

void sb_hist_merge(struct sb_hist *dst, const struct sb_hist *src)
{
	for (int b = 0; b < SB_HIST_BUCKETS; b++)
		dst->bucket[b] += src->bucket[b];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t sb_hist_count(const struct sb_hist *h)
{
	return h->count;
}

uint64_t sb_hist_max(const struct sb_hist *h)
{
	return h->max;
}

double sb_hist_quantile(const struct sb_hist *h, double q)
{
	uint64_t rank, seen = 0, width, low;
	double v;
	int b;

	if (!h->count || !(q >= 0 && q <= 1))
		return NAN;
	/* 1-based rank of the value at quantile q ("nearest rank"). */
	rank = (uint64_t)ceil(q * (double)h->count);
	if (rank <= 1)
		return (double)h->min;             /* the extremes are exact */
	if (rank >= h->count)
		return (double)h->max;
	for (b = 0; b < SB_HIST_BUCKETS - 1; b++) {
		if (seen + h->bucket[b] >= rank)
			break;
		seen += h->bucket[b];
	}
	low = bucket_low(b, &width);
	v = (double)low + (double)(width - 1) * ((double)(rank - seen) - 0.5) /
			  (double)h->bucket[b];
	if (v < (double)h->min)
		v = (double)h->min;
	if (v > (double)h->max)
		v = (double)h->max;
	return v;
}

void sb_report_hist(struct sb_report *r, const char *prefix, const struct sb_hist *h)
{
	static const struct { const char *suffix; double q; } qs[] = {
		{ "p50", 0.50 }, { "p90", 0.90 }, { "p99", 0.99 }, { "p999", 0.999 },
	};
	char col[128];

	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		snprintf(col, sizeof(col), "%s_%s_ns", prefix, qs[i].suffix);
		sb_report_f64(r, col, sb_hist_quantile(h, qs[i].q));
	}
	snprintf(col, sizeof(col), "%s_max_ns", prefix);
	if (h->count)
		sb_report_u64(r, col, h->max);
	else
		sb_report_na(r, col);
}
