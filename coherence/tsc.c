/* tsc.c - may trace timestamps from different CPUs be put in one order?
 *
 * The TSC must be invariant (same rate in every P/C-state) and the CPUs' TSCs
 * close.  The skew bound comes from a ping-pong between two pinned threads: A
 * reads its TSC and publishes it, B sees it and reads its own.  The smallest
 * tB - tA over many rounds is latency + offset, the smallest in the other
 * direction latency - offset; as the latency is >= 0, the two CPUs' TSCs disagree
 * by at most the larger of the two, which therefore bounds how far apart two
 * accesses can be and still have been recorded in the wrong order.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <cpuid.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <x86intrin.h>

#include "coherence.h"

static bool cpuinfo_has(const char *flag)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *tok, *save;

		if (strncmp(line, "flags", 5))
			continue;
		for (tok = strtok_r(line, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save))
			if (!strcmp(tok, flag))
				found = true;
		break;			/* the first CPU's flags */
	}
	fclose(f);
	return found;
}

bool coh_tsc_invariant(char *why, size_t len)
{
	unsigned int a, b, c, d;

	if (__get_cpuid(0x80000007, &a, &b, &c, &d) && (d & (1u << 8)))
		return true;
	if (cpuinfo_has("constant_tsc") && cpuinfo_has("nonstop_tsc"))
		return true;
	snprintf(why, len, "the TSC is not invariant (no CPUID 80000007h EDX[8], no "
		 "constant_tsc+nonstop_tsc in /proc/cpuinfo): trace timestamps cannot be ordered");
	return false;
}

struct pingpong {
	int os_cpu[2];
	int rounds;
	int seq;			/* odd: A published, even: B published */
	uint64_t stamp;			/* the publisher's TSC */
	int64_t min_gap[2];		/* [0]: B - A, [1]: A - B */
	bool pin_failed;
};

static uint64_t tsc_now(void)
{
	unsigned int aux;

	return __rdtscp(&aux);
}

static bool pin(int os_cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(os_cpu, &set);
	return !pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* Side @me publishes on its turns and measures on the other's. */
static void pingpong_side(struct pingpong *pp, int me)
{
	for (int r = 0; r < pp->rounds; r++) {
		int mine = 2 * r + 1 + me;	/* A publishes odd, B even */
		int theirs = mine - 1;		/* B's round r-1, A's round r */
		uint64_t now;

		if (me || r) {
			while (__atomic_load_n(&pp->seq, __ATOMIC_ACQUIRE) != theirs) {
				if (__atomic_load_n(&pp->pin_failed, __ATOMIC_RELAXED))
					return;		/* the other side never runs */
				_mm_pause();
			}
			now = tsc_now();
			int64_t gap = (int64_t)(now - __atomic_load_n(&pp->stamp, __ATOMIC_RELAXED));

			if (gap < pp->min_gap[me])
				pp->min_gap[me] = gap;
		}
		__atomic_store_n(&pp->stamp, tsc_now(), __ATOMIC_RELAXED);
		__atomic_store_n(&pp->seq, mine, __ATOMIC_RELEASE);
	}
}

static void *side_b(void *arg)
{
	struct pingpong *pp = arg;

	if (!pin(pp->os_cpu[1])) {
		__atomic_store_n(&pp->pin_failed, true, __ATOMIC_RELAXED);
		return NULL;
	}
	pingpong_side(pp, 1);
	return NULL;
}

static void *side_a(void *arg)
{
	struct pingpong *pp = arg;
	pthread_t b;

	if (!pin(pp->os_cpu[0]) || pthread_create(&b, NULL, side_b, pp)) {
		__atomic_store_n(&pp->pin_failed, true, __ATOMIC_RELAXED);
		return NULL;
	}
	pingpong_side(pp, 0);
	pthread_join(b, NULL);
	return NULL;
}

int64_t coh_tsc_skew(const int *os_cpus, int n, int rounds)
{
	int64_t bound = 0;

	for (int i = 0; i < n; i++) {
		for (int j = i + 1; j < n; j++) {
			struct pingpong pp = { .os_cpu = { os_cpus[i], os_cpus[j] },
					       .rounds = rounds,
					       .min_gap = { INT64_MAX, INT64_MAX } };
			pthread_t a;

			if (os_cpus[i] == os_cpus[j])
				continue;
			if (pthread_create(&a, NULL, side_a, &pp))
				return -1;
			pthread_join(a, NULL);
			if (pp.pin_failed)
				return -1;
			for (int k = 0; k < 2; k++) {
				int64_t g = pp.min_gap[k] < 0 ? -pp.min_gap[k] : pp.min_gap[k];

				if (g > bound)
					bound = g;
			}
		}
	}
	return bound;
}
