/* SPDX-License-Identifier: MIT */
/*
 * large.c - blocks above what kmalloc serves (KMALLOC_MAX_SIZE), or with an
 * alignment it cannot give, straight from mmap.  A header right below the
 * pointer says where the mapping starts and how long it is; its magic tells
 * a large block from a foreign pointer.  The debug variant first asks
 * mincore() whether the header's page is mapped at all, so a double free
 * (the mapping is gone) is reported instead of faulting.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#define LARGE_MAGIC	0x5368656166426c6bULL	/* "SheafBlk" */

struct large_hdr {
	uint64_t magic;
	size_t size;		/* asked for */
	size_t map_len;
	char *map;
};

static _Atomic uint64_t nr_allocs, nr_frees;
static _Atomic uint64_t bytes_now, bytes_peak;

static void bytes_add(size_t n)
{
	uint64_t now = atomic_fetch_add_explicit(&bytes_now, n, memory_order_relaxed) + n;
	uint64_t peak = atomic_load_explicit(&bytes_peak, memory_order_relaxed);

	while (now > peak && !atomic_compare_exchange_weak_explicit(&bytes_peak, &peak, now,
			memory_order_relaxed, memory_order_relaxed))
		;
}

void *large_alloc(size_t size, size_t align)
{
	size_t off, len;
	char *map;
	struct large_hdr *h;

	if (align < PL_MIN_ALIGN)
		align = PL_MIN_ALIGN;
	off = (sizeof(struct large_hdr) + align - 1) & ~(align - 1);
	if (size > SIZE_MAX / 2 || align > SIZE_MAX / 4) {
		errno = ENOMEM;
		return NULL;
	}
	len = (off + size + (align > PAGE_SIZE ? align : 0) + PAGE_SIZE - 1) & PAGE_MASK;
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED) {
		errno = ENOMEM;
		return NULL;
	}
	off = (((uintptr_t)map + sizeof(struct large_hdr) + align - 1) & ~(uintptr_t)(align - 1)) -
	      (uintptr_t)map;
	h = (struct large_hdr *)(map + off) - 1;
	*h = (struct large_hdr){ .magic = LARGE_MAGIC, .size = size, .map_len = len, .map = map };
	atomic_fetch_add_explicit(&nr_allocs, 1, memory_order_relaxed);
	bytes_add(len);
	return map + off;
}

static struct large_hdr *large_hdr(const void *p)
{
	struct large_hdr *h = (struct large_hdr *)p - 1;

	if ((uintptr_t)p & (PL_MIN_ALIGN - 1))
		return NULL;
	if (SB_PRELOAD_DEBUG) {
		unsigned char vec;

		if (mincore((void *)((uintptr_t)h & PAGE_MASK), 1, &vec))
			return NULL;	/* not mapped: freed already, or never ours */
	}
	return h->magic == LARGE_MAGIC ? h : NULL;
}

bool large_free(const void *p)
{
	struct large_hdr *h = large_hdr(p);

	if (!h)
		return false;
	h->magic = 0;
	atomic_fetch_add_explicit(&nr_frees, 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&bytes_now, h->map_len, memory_order_relaxed);
	munmap(h->map, h->map_len);
	return true;
}

size_t large_usable_size(const void *p)
{
	struct large_hdr *h = large_hdr(p);

	return h ? (size_t)(h->map + h->map_len - (const char *)p) : 0;
}

void large_stats_read(struct large_stats *out)
{
	out->allocs = atomic_load(&nr_allocs);
	out->frees = atomic_load(&nr_frees);
	out->bytes_peak = atomic_load(&bytes_peak);
}
