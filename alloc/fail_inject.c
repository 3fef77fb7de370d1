// SPDX-License-Identifier: MIT
/*
 * Failure injection for backing-memory acquisition (arena growth), so tests
 * can drive every allocation path into its NULL return.
 *
 * Each thread draws from its own splitmix64 stream, seeded from the global
 * seed and the order in which threads first draw after fail_inject_set():
 * runs with the same seed and the same thread order fail at the same points.
 * The state is initial-exec TLS and the draw takes no lock, so it is
 * async-signal-safe (the nolock paths may grow an arena).
 */
#include <stdint.h>

#include "page_alloc.h"

#define FAIL_DEFAULT_SEED 0x5eedfa11ULL

struct fail_stream {
	uint64_t state;
	unsigned int generation;	/* fail_inject_set() call it was seeded for */
};

static uint64_t fail_threshold;		/* fail when draw < threshold; 0 never */
static uint64_t fail_seed = FAIL_DEFAULT_SEED;
static uint64_t fail_probability_bits;	/* the double, for reading back */
static unsigned int fail_generation = 1;	/* TLS starts at 0: first draw seeds */
static unsigned int fail_next_thread;

static __thread struct fail_stream fail_stream
	__attribute__((tls_model("initial-exec")));

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t threshold_of(double p)
{
	if (!(p > 0))
		return 0;
	if (p >= 1)
		return UINT64_MAX;
	return (uint64_t)(p * 0x1p64);
}

void fail_inject_set(double probability, uint64_t seed)
{
	union { double d; uint64_t u; } bits = { .d = probability };

	__atomic_store_n(&fail_seed, seed ? seed : FAIL_DEFAULT_SEED, __ATOMIC_RELAXED);
	__atomic_store_n(&fail_probability_bits, bits.u, __ATOMIC_RELAXED);
	__atomic_store_n(&fail_next_thread, 0, __ATOMIC_RELAXED);
	__atomic_fetch_add(&fail_generation, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&fail_threshold, threshold_of(probability), __ATOMIC_RELEASE);
}

double fail_inject_probability(void)
{
	union { double d; uint64_t u; } bits = {
		.u = __atomic_load_n(&fail_probability_bits, __ATOMIC_RELAXED),
	};

	return bits.d;
}

static void fail_stream_seed(struct fail_stream *fs, unsigned int generation)
{
	uint64_t idx = __atomic_fetch_add(&fail_next_thread, 1, __ATOMIC_RELAXED);
	uint64_t seed = __atomic_load_n(&fail_seed, __ATOMIC_RELAXED);

	fs->state = seed ^ (idx * 0xd1342543de82ef95ULL);
	fs->generation = generation;
}

bool fail_inject_should_fail(void)
{
	uint64_t threshold = __atomic_load_n(&fail_threshold, __ATOMIC_ACQUIRE);
	unsigned int generation;

	if (threshold == 0)
		return false;
	if (threshold == UINT64_MAX)
		return true;
	generation = __atomic_load_n(&fail_generation, __ATOMIC_ACQUIRE);
	if (fail_stream.generation != generation)
		fail_stream_seed(&fail_stream, generation);
	return splitmix64(&fail_stream.state) < threshold;
}
