/*
 * tsc.c - clocks: CLOCK_MONOTONIC for run boundaries, the TSC (calibrated
 * against it) for per-operation latencies, and the busy loop that workloads
 * use for critical and parallel sections given in ns.
 */
#include "harness.h"

#include <pthread.h>
#include <time.h>

#define TSC_CALIBRATE_NS	20000000ull   /* 20 ms: ~1e-4 relative error from clock reads */
#define BUSY_TARGET_NS		2000000ull    /* one busy calibration run */
#define BUSY_REPEATS		7

static double tsc_ns_per_tick;
static double busy_loops_per_ns;
static pthread_once_t tsc_once = PTHREAD_ONCE_INIT;
static pthread_once_t busy_once = PTHREAD_ONCE_INIT;

uint64_t sb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Spin (not sleep) so the CPU stays awake and the TSC/clock pairs are tight. */
static void calibrate_tsc(void)
{
	uint64_t t0 = sb_now_ns(), c0 = sb_rdtsc(), t1, c1;

	do {
		t1 = sb_now_ns();
		c1 = sb_rdtsc();
	} while (t1 - t0 < TSC_CALIBRATE_NS);
	tsc_ns_per_tick = c1 > c0 ? (double)(t1 - t0) / (double)(c1 - c0) : 1.0;
}

double sb_tsc_ns_per_tick(void)
{
	pthread_once(&tsc_once, calibrate_tsc);
	return tsc_ns_per_tick;
}

static uint64_t time_busy_loop(uint64_t loops)
{
	uint64_t t0 = sb_now_ns();

	sb_busy_loop(loops);
	return sb_now_ns() - t0;
}

/*
 * Size one run to ~2 ms, then keep the fastest of several: interruptions and
 * preemption only ever make a run slower, so the minimum is the loop's speed.
 */
static void calibrate_busy(void)
{
	uint64_t loops = 100000, best = UINT64_MAX, ns;

	for (;;) {
		ns = time_busy_loop(loops);
		if (ns >= BUSY_TARGET_NS / 4 || loops >= (1ull << 40))
			break;
		loops *= 4;
	}
	loops = (uint64_t)((double)loops * BUSY_TARGET_NS / (ns ? ns : 1)) + 1;
	for (int i = 0; i < BUSY_REPEATS; i++) {
		ns = time_busy_loop(loops);
		if (ns && ns < best)
			best = ns;
	}
	busy_loops_per_ns = (double)loops / (double)best;
}

void sb_busy_calibrate(void)
{
	pthread_once(&busy_once, calibrate_busy);
}

double sb_busy_loops_per_ns(void)
{
	sb_busy_calibrate();
	return busy_loops_per_ns;
}

uint64_t sb_busy_loops_for_ns(uint64_t ns)
{
	return (uint64_t)((double)ns * sb_busy_loops_per_ns() + 0.5);
}
