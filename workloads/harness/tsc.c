/*
 * tsc.c - clocks: CLOCK_MONOTONIC for run boundaries, the TSC (calibrated
 * against it) for per-operation latencies, and the busy loop that workloads
 * use for critical and parallel sections given in ns.
 */
#include "harness.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define TSC_CALIBRATE_NS	20000000ull   /* 20 ms: ~1e-4 relative error from clock reads */
#define BUSY_TARGET_NS		200000ull     /* one run: short enough to dodge preemption */
#define BUSY_REPEATS		100           /* ... and many, on a loaded machine */
#define BUSY_BUDGET_NS		100000000ull  /* but at most ~0.1 s in all */

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

/* The measuring thread's wait for --duration; a signal does not cut it short. */
void sb_sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000ull, .tv_nsec = ns % 1000000000ull };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
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

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Size one run to ~200 us and take the median of many.  Not the minimum: on
 * a VM the loop's speed itself moves (host frequency, a busy SMT sibling) by
 * tens of percent, and the minimum would calibrate to the rare fastest state,
 * making every later section too long.  The median matches the typical speed
 * and still ignores runs cut by preemption.  Sections that must be exact use
 * sb_busy_wait_ns(), which reads the TSC instead of counting.
 */
static void calibrate_busy(void)
{
	uint64_t loops = 10000, ns, start, runs[BUSY_REPEATS];
	int n = 0;

	for (;;) {
		ns = time_busy_loop(loops);
		if (ns >= BUSY_TARGET_NS / 4 || loops >= (1ull << 40))
			break;
		loops *= 4;
	}
	loops = (uint64_t)((double)loops * BUSY_TARGET_NS / (ns ? ns : 1)) + 1;
	start = sb_now_ns();
	while (n < BUSY_REPEATS && (n < 5 || sb_now_ns() - start < BUSY_BUDGET_NS)) {
		ns = time_busy_loop(loops);
		runs[n++] = ns ? ns : 1;
	}
	qsort(runs, n, sizeof(runs[0]), cmp_u64);
	busy_loops_per_ns = (double)loops / (double)runs[n / 2];
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

/* Spins on the TSC (registers only) until ns have passed: exact whatever the clock speed. */
void sb_busy_wait_ns(uint64_t ns)
{
	uint64_t start = sb_rdtsc();
	uint64_t ticks = (uint64_t)((double)ns / sb_tsc_ns_per_tick() + 0.5);

	while (sb_rdtsc() - start < ticks)
		;
}
