/*
 * pin.c - pinning the calling thread, and fairness of per-thread counts.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>

int sb_pin_self(int os_cpu)
{
	cpu_set_t set;
	int err;

	if (os_cpu < 0 || os_cpu >= CPU_SETSIZE)
		return -EINVAL;
	CPU_ZERO(&set);
	CPU_SET(os_cpu, &set);
	err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	return -err;
}

void sb_pin_cpus(const struct sb_pin_arg *pin, const struct sb_topology *topo, int *cpus, int n)
{
	if (pin->pin == SB_PIN_LIST) {
		for (int i = 0; i < n; i++)
			cpus[i] = pin->list[i % pin->len];
		return;
	}
	sb_topology_pin_order(topo, pin->pin, cpus, n);
}

/* See harness.h: shares are normalised by the fair share sum/n. */
struct sb_fairness sb_fairness(const uint64_t *per_thread, int n)
{
	struct sb_fairness f = { NAN, NAN, NAN };
	double sum = 0, sum_sq = 0, lo = INFINITY, hi = 0, mean;

	for (int i = 0; i < n; i++) {
		double x = (double)per_thread[i];

		sum += x;
		sum_sq += x * x;
		lo = x < lo ? x : lo;
		hi = x > hi ? x : hi;
	}
	if (n <= 0 || sum <= 0)
		return f;
	mean = sum / n;
	f.jain = sum * sum / (n * sum_sq);
	f.min_share = lo / mean;
	f.max_share = hi / mean;
	return f;
}
