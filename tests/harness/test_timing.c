/*
 * test_timing.c - clocks, busy-loop calibration and the c2c probe behave:
 * sane units, linear loop counts, a TSC-timed wait never ends early, the probe
 * returns ordered quantiles or a clean error.  No speed is asserted.
 */
#define _GNU_SOURCE
#include "check.h"
#include "harness.h"

#include <errno.h>
#include <math.h>
#include <sched.h>

static void check_clocks(void)
{
	uint64_t a = sb_now_ns(), b = sb_now_ns(), t0 = sb_rdtsc(), t1 = sb_rdtsc();
	double npt = sb_tsc_ns_per_tick();

	CHECK(b >= a && t1 >= t0);
	CHECK(isfinite(npt) && npt > 0);
	CHECK(sb_tsc_ns_per_tick() == npt);                 /* cached */
}

static void check_busy_loop(void)
{
	uint64_t l1, l2, t0, ns;

	sb_busy_calibrate();
	CHECK(sb_busy_loops_per_ns() > 0);
	CHECK(sb_busy_loops_for_ns(0) == 0);
	l1 = sb_busy_loops_for_ns(1000000);
	l2 = sb_busy_loops_for_ns(2000000);
	CHECK(l1 > 0 && (l2 >= 2 * l1 - 1 && l2 <= 2 * l1 + 1));
	sb_busy_loop(0);
	sb_busy_loop(l1);
	/* TSC-timed: never ends early (1% for the TSC calibration's own error) */
	t0 = sb_now_ns();
	sb_busy_wait_ns(1000000);
	ns = sb_now_ns() - t0;
	CHECK(ns >= 990000);
	sb_busy_wait_ns(0);
}

/* The first two CPUs this process may run on, or -1. */
static int allowed_pair(int *a, int *b)
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -1;
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &set))
			*(n++ ? b : a) = c;
	return n == 2 ? 0 : -1;
}

static void check_c2c(void)
{
	struct sb_c2c_result r;
	int a, b;

	CHECK(sb_c2c_measure(0, 0, SB_C2C_CAS, 10, &r) == -EINVAL && isnan(r.median_ns));
	CHECK(sb_c2c_measure(0, 1, SB_C2C_CAS, 0, &r) == -EINVAL);
	CHECK(isnan(sb_c2c_median_ns(0, 100000, 10)));
	if (allowed_pair(&a, &b)) {
		printf("c2c: fewer than two CPUs allowed, probe not run\n");
		return;
	}
	for (int mode = SB_C2C_CAS; mode <= SB_C2C_STORE; mode++) {
		CHECK(sb_c2c_measure(a, b, mode, 20, &r) == 0);
		CHECK(r.samples == 20);
		CHECK(isfinite(r.median_ns) && r.p10_ns > 0);
		CHECK(r.p10_ns <= r.median_ns && r.median_ns <= r.p90_ns);
		printf("c2c %s cpus %d,%d: median %.1f ns [%.1f-%.1f]\n",
		       mode == SB_C2C_CAS ? "cas" : "store", a, b, r.median_ns, r.p10_ns, r.p90_ns);
	}
	CHECK(sb_c2c_median_ns(a, b, 10) > 0);
}

int main(void)
{
	alarm(60);                                          /* the probe spins */
	check_clocks();
	check_busy_loop();
	check_c2c();
	printf("timing: ok\n");
	return 0;
}
