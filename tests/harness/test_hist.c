/*
 * test_hist.c - histogram quantiles on known data: exact below 16 ns and on
 * a single repeated value, within one sub-bucket (6.25%) elsewhere; exact max;
 * merge equals adding everything to one histogram; empty means n/a.
 */
#include "check.h"
#include "harness.h"

#include <math.h>

static void check_small_exact(void)
{
	struct sb_hist h;

	sb_hist_init(&h);
	for (uint64_t v = 1; v <= 10; v++)
		sb_hist_add(&h, v);
	CHECK(sb_hist_count(&h) == 10);
	CHECK(sb_hist_quantile(&h, 0.0) == 1);
	CHECK(sb_hist_quantile(&h, 0.5) == 5);
	CHECK(sb_hist_quantile(&h, 0.9) == 9);
	CHECK(sb_hist_quantile(&h, 1.0) == 10);
	CHECK(sb_hist_max(&h) == 10);
	CHECK(isnan(sb_hist_quantile(&h, 1.5)));

	sb_hist_init(&h);                   /* 16..31 still have one bucket per ns */
	for (uint64_t v = 16; v < 32; v++)
		sb_hist_add(&h, v);
	CHECK(sb_hist_quantile(&h, 0.5) == 23);
	CHECK(sb_hist_quantile(&h, 1.0) == 31);
}

static void check_repeated_value(void)
{
	struct sb_hist h;

	sb_hist_init(&h);
	for (int i = 0; i < 1000; i++)
		sb_hist_add(&h, 1000);
	CHECK(sb_hist_quantile(&h, 0.5) == 1000);   /* clamped to the exact min/max */
	CHECK(sb_hist_quantile(&h, 0.999) == 1000);
}

static void check_spread(void)
{
	struct sb_hist h;

	sb_hist_init(&h);
	for (uint64_t v = 100000; v < 200000; v += 10)   /* uniform, 10000 values */
		sb_hist_add(&h, v);
	CHECK_NEAR(sb_hist_quantile(&h, 0.5), 150000, 150000 * 0.0625);
	CHECK_NEAR(sb_hist_quantile(&h, 0.9), 190000, 190000 * 0.0625);
	CHECK_NEAR(sb_hist_quantile(&h, 0.1), 110000, 110000 * 0.0625);
	CHECK(sb_hist_quantile(&h, 0.5) <= sb_hist_quantile(&h, 0.9));
	CHECK(sb_hist_max(&h) == 199990);

	sb_hist_add(&h, 1ull << 45);                    /* beyond the last bucket */
	CHECK(sb_hist_max(&h) == 1ull << 45);
	CHECK(sb_hist_quantile(&h, 1.0) == (double)(1ull << 45));
}

static void check_merge(void)
{
	struct sb_hist a, b, all;

	sb_hist_init(&a);
	sb_hist_init(&b);
	sb_hist_init(&all);
	for (uint64_t v = 1; v < 5000; v += 7) {
		sb_hist_add(v % 2 ? &a : &b, v * 3);
		sb_hist_add(&all, v * 3);
	}
	sb_hist_merge(&a, &b);
	CHECK(memcmp(&a, &all, sizeof(a)) == 0);
}

static void check_report_columns(void)
{
	struct sb_report *r = sb_report_new();
	struct sb_hist h;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	sb_hist_init(&h);
	CHECK(isnan(sb_hist_quantile(&h, 0.5)));
	sb_report_hist(r, "wait", &h);
	sb_report_print(r, SB_FMT_CSV, f);
	fclose(f);
	CHECK_STR(buf, "wait_p50_ns,wait_p90_ns,wait_p99_ns,wait_p999_ns,wait_max_ns\n"
		       "n/a,n/a,n/a,n/a,n/a\n");
	free(buf);
	sb_report_free(r);
}

int main(void)
{
	check_small_exact();
	check_repeated_value();
	check_spread();
	check_merge();
	check_report_columns();
	printf("hist: ok\n");
	return 0;
}
