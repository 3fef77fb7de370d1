/* alloc_test.h - shared helpers of the allocator tests. */
#ifndef SB_ALLOC_TEST_H
#define SB_ALLOC_TEST_H

#include <stdint.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "sheafalloc.h"

/* Static TLS: no lazy allocation, so usable from a signal handler. */
#define SB_TEST_TLS __thread __attribute__((tls_model("initial-exec")))

/* Init on a topology (NULL: this machine); returns it (caller frees after exit). */
static inline struct sb_topology *test_init(const char *synthetic, struct sheafalloc_config *cfg)
{
	char err[256];
	struct sb_topology *topo = sb_topology_load(synthetic, err, sizeof(err));

	if (!topo) {
		fprintf(stderr, "topology '%s': %s\n", synthetic ? synthetic : "(machine)", err);
		exit(1);
	}
	cfg->topo = topo;
	CHECK(sheafalloc_init(cfg) == 0);
	return topo;
}

static inline void test_exit(struct sb_topology *topo)
{
	CHECK(sheafalloc_exit() == 0);
	sb_topology_free(topo);
}

static inline uint64_t sb_now_ns_test(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
