/*
 * c2c_probe.c - what one cache-line transfer costs between two CPUs
 * (design.md section 3, tier 3; the method of ccbench and core-to-core-latency).
 *
 * An initiator (pinned to a) and a responder (pinned to b) pass a counter in
 * one line back and forth: the initiator turns even values odd, the responder
 * odd values even.  CAS mode spins with compare-and-swap until its turn comes,
 * as a lock acquirer does; store mode spins on loads and then stores ("load
 * after remote store").  A sample times ROUNDS round trips with the TSC; a
 * round trip is two one-way transfers.  Samples are sorted, so the median and
 * p10/p90 are exact over samples.
 */
#include "harness.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define ROUNDS		100       /* round trips per timed sample */
#define WARMUP_SAMPLES	8
#define LINE_ALIGN	128       /* also keeps the adjacent-line prefetcher off */

struct pingpong {
	uint64_t *line;           /* the bounced line, alone in LINE_ALIGN bytes */
	enum sb_c2c_mode mode;
	int os_cpu[2];            /* [0] initiator, [1] responder */
	int nr_samples;           /* including warm-up */
	uint64_t *ticks;          /* [sample] TSC ticks for ROUNDS round trips */
	pthread_barrier_t start;
	int pin_err[2];
};

/* Waits for the line to hold from, then makes it from + 1. */
static inline void pass_turn(uint64_t *line, uint64_t from, enum sb_c2c_mode mode)
{
	if (mode == SB_C2C_CAS) {
		uint64_t expect = from;

		while (!__atomic_compare_exchange_n(line, &expect, from + 1, false,
						    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			expect = from;
		return;
	}
	while (__atomic_load_n(line, __ATOMIC_ACQUIRE) != from)
		;
	__atomic_store_n(line, from + 1, __ATOMIC_RELEASE);
}

/* Both sides pin, then meet at the barrier; false if either could not pin. */
static bool pin_and_meet(struct pingpong *pp, int side)
{
	pp->pin_err[side] = sb_pin_self(pp->os_cpu[side]);
	pthread_barrier_wait(&pp->start);
	return !pp->pin_err[0] && !pp->pin_err[1];
}

static void *initiator(void *arg)
{
	struct pingpong *pp = arg;
	uint64_t v = 0;

	if (!pin_and_meet(pp, 0))
		return NULL;
	for (int s = 0; s < pp->nr_samples; s++) {
		uint64_t t0 = sb_rdtsc();

		for (int r = 0; r < ROUNDS; r++, v += 2)
			pass_turn(pp->line, v, pp->mode);
		pp->ticks[s] = sb_rdtsc() - t0;
	}
	return NULL;
}

static void *responder(void *arg)
{
	struct pingpong *pp = arg;
	uint64_t total = (uint64_t)pp->nr_samples * ROUNDS;

	if (!pin_and_meet(pp, 1))
		return NULL;
	for (uint64_t k = 0; k < total; k++)
		pass_turn(pp->line, 2 * k + 1, pp->mode);
	return NULL;
}

static int run_pingpong(struct pingpong *pp)
{
	pthread_t th[2];
	int err;

	pthread_barrier_init(&pp->start, NULL, 2);
	err = pthread_create(&th[1], NULL, responder, pp);
	if (err) {
		pthread_barrier_destroy(&pp->start);
		return -err;
	}
	err = pthread_create(&th[0], NULL, initiator, pp);
	if (err) {
		/* Stand in for the initiator so the responder gets past the barrier. */
		pp->pin_err[0] = -err;
		pthread_barrier_wait(&pp->start);
	} else {
		pthread_join(th[0], NULL);
	}
	pthread_join(th[1], NULL);
	pthread_barrier_destroy(&pp->start);
	return err ? -err : pp->pin_err[0] ? pp->pin_err[0] : pp->pin_err[1];
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Value at quantile q of n sorted samples, interpolating between neighbours. */
static double sorted_quantile(const uint64_t *v, int n, double q)
{
	double pos = q * (n - 1);
	int i = (int)pos;

	if (i + 1 >= n)
		return (double)v[n - 1];
	return (double)v[i] + (pos - i) * ((double)v[i + 1] - (double)v[i]);
}

static void summarise(const struct pingpong *pp, struct sb_c2c_result *res)
{
	int n = pp->nr_samples - WARMUP_SAMPLES;
	uint64_t *v = pp->ticks + WARMUP_SAMPLES;
	double ns_per_transfer = sb_tsc_ns_per_tick() / (2.0 * ROUNDS);

	qsort(v, n, sizeof(*v), cmp_u64);
	res->samples = n;
	res->p10_ns = sorted_quantile(v, n, 0.10) * ns_per_transfer;
	res->median_ns = sorted_quantile(v, n, 0.50) * ns_per_transfer;
	res->p90_ns = sorted_quantile(v, n, 0.90) * ns_per_transfer;
}

int sb_c2c_measure(int os_cpu_a, int os_cpu_b, enum sb_c2c_mode mode, int samples,
		   struct sb_c2c_result *res)
{
	struct pingpong pp = {
		.mode = mode, .os_cpu = { os_cpu_a, os_cpu_b },
		.nr_samples = samples + WARMUP_SAMPLES,
	};
	int err;

	res->median_ns = res->p10_ns = res->p90_ns = NAN;
	res->samples = 0;
	if (os_cpu_a == os_cpu_b || os_cpu_a < 0 || os_cpu_b < 0 || samples < 1)
		return -EINVAL;
	sb_tsc_ns_per_tick();                  /* calibrate before the threads spin */
	pp.line = aligned_alloc(LINE_ALIGN, LINE_ALIGN);
	pp.ticks = calloc(pp.nr_samples, sizeof(uint64_t));
	if (!pp.line || !pp.ticks) {
		err = -ENOMEM;
		goto out;
	}
	memset(pp.line, 0, LINE_ALIGN);
	err = run_pingpong(&pp);
	if (!err)
		summarise(&pp, res);
out:
	free(pp.line);
	free(pp.ticks);
	return err;
}

double sb_c2c_median_ns(int os_cpu_a, int os_cpu_b, int samples)
{
	struct sb_c2c_result res;

	if (sb_c2c_measure(os_cpu_a, os_cpu_b, SB_C2C_CAS, samples, &res))
		return NAN;
	return res.median_ns;
}
