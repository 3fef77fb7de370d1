/* SPDX-License-Identifier: MIT */
/* Helpers shared by the page allocator tests (tests/alloc/page_*.c). */
#ifndef SB_PAGE_TEST_H
#define SB_PAGE_TEST_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "page_alloc.h"
#include "topology.h"

/* Loads a synthetic topology and starts the page allocator on it. */
static inline struct sb_topology *page_test_start(const char *synthetic,
						  const struct page_alloc_config *cfg)
{
	char err[256] = "";
	struct sb_topology *topo = sb_topology_load(synthetic, err, sizeof(err));
	int ret;

	CHECK_MSG(topo, "topology '%s': %s", synthetic ? synthetic : "(machine)", err);
	ret = page_alloc_init(topo, cfg);
	CHECK_MSG(ret == 0, "page_alloc_init: %d", ret);
	return topo;
}

static inline void page_test_stop(struct sb_topology *topo)
{
	page_alloc_exit();
	sb_topology_free(topo);
}

/* xorshift64: tests draw orders and victims deterministically. */
static inline uint64_t page_test_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Fill a run with a pattern derived from @tag; check it before the free. */
static inline void page_test_fill(void *addr, unsigned int order, uint64_t tag)
{
	uint64_t *w = addr;
	size_t n = (PAGE_SIZE << order) / sizeof(*w);

	for (size_t i = 0; i < n; i += 61)
		w[i] = tag ^ (i * 0x9e3779b97f4a7c15ULL);
	w[n - 1] = ~tag;
}

static inline int page_test_verify(const void *addr, unsigned int order, uint64_t tag)
{
	const uint64_t *w = addr;
	size_t n = (PAGE_SIZE << order) / sizeof(*w);

	for (size_t i = 0; i < n; i += 61)
		if (w[i] != (tag ^ (i * 0x9e3779b97f4a7c15ULL)))
			return 0;
	return w[n - 1] == ~tag;
}

#endif /* SB_PAGE_TEST_H */
