/* SPDX-License-Identifier: MIT */
/*
 * bootstrap.c - memory for requests the allocator cannot take: while it is
 * being brought up (hwloc and the allocator's own metadata allocate), from a
 * thread registering itself, or nested inside the allocator.  A static bump
 * arena (pages are only touched when used), then large.c's mmap.  Freeing is
 * a no-op: such requests are few, and most live as long as the process.
 *
 * Each block is preceded by its size, so realloc and malloc_usable_size work.
 */
#include <string.h>

#include "internal.h"

#define BOOTSTRAP_BYTES	(8u << 20)

static char arena[BOOTSTRAP_BYTES] __attribute__((aligned(4096)));
static _Atomic size_t arena_used;

struct bootstrap_hdr {
	size_t size;
	size_t pad;
};

void *bootstrap_alloc(size_t size, size_t align)
{
	size_t old, start, end;

	if (align < PL_MIN_ALIGN)
		align = PL_MIN_ALIGN;
	if (size > BOOTSTRAP_BYTES / 4 || align > PAGE_SIZE)
		return large_alloc(size, align);
	old = atomic_load_explicit(&arena_used, memory_order_relaxed);
	do {
		start = (old + sizeof(struct bootstrap_hdr) + align - 1) & ~(align - 1);
		end = (start + size + PL_MIN_ALIGN - 1) & ~(size_t)(PL_MIN_ALIGN - 1);
		if (end > BOOTSTRAP_BYTES)
			return large_alloc(size, align);
	} while (!atomic_compare_exchange_weak_explicit(&arena_used, &old, end,
							memory_order_relaxed, memory_order_relaxed));
	((struct bootstrap_hdr *)(arena + start))[-1].size = size;
	return arena + start;	/* zero: the arena is never reused */
}

bool bootstrap_owns(const void *p)
{
	return (const char *)p >= arena && (const char *)p < arena + BOOTSTRAP_BYTES;
}

size_t bootstrap_usable_size(const void *p)
{
	return ((const struct bootstrap_hdr *)p)[-1].size;
}
