/*
 * Alignment sweep of posix_memalign, aligned_alloc, memalign, valloc and
 * pvalloc (alignments 8 B .. 4 MiB, sizes around them), plus the edge cases
 * glibc's manual sets for a replacement: malloc(0), calloc overflow, free
 * preserving errno, malloc_usable_size, huge sizes.
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>

#include "preload_test.h"

static void fill_check(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i += 61)
		p[i] = preload_byte(p, i);
	p[n - 1] = 0x5a;
	for (size_t i = 0; i < n; i += 61)
		if (i != n - 1)
			EXPECT_MSG(p[i] == preload_byte(p, i), "%p+%zu overwritten", (void *)p, i);
}

static void sweep_one(size_t align, size_t size)
{
	void *p = NULL;
	int err = posix_memalign(&p, align, size);

	EXPECT_MSG(!err && p, "posix_memalign(%zu, %zu): %d", align, size, err);
	if (!p)
		return;
	EXPECT_MSG(((uintptr_t)p & (align - 1)) == 0, "posix_memalign(%zu, %zu) = %p", align, size, p);
	EXPECT(malloc_usable_size(p) >= size);
	fill_check(p, size);
	free(p);
	p = aligned_alloc(align, size);
	EXPECT_MSG(p && ((uintptr_t)p & (align - 1)) == 0, "aligned_alloc(%zu, %zu) = %p", align, size, p);
	if (p) {
		fill_check(p, size);
		free(p);
	}
	p = memalign(align, size);
	EXPECT_MSG(p && ((uintptr_t)p & (align - 1)) == 0, "memalign(%zu, %zu) = %p", align, size, p);
	free(p);
}

static void sweep(void)
{
	static const size_t sizes[] = { 1, 7, 8, 24, 100, 4095, 4096, 5000, 65536, 300000, 5u << 20 };

	for (size_t align = sizeof(void *); align <= (4u << 20); align <<= 1)
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			sweep_one(align, sizes[i]);
			sweep_one(align, sizes[i] + align / 2 + 1);
		}
	for (size_t size = 1; size < 20000; size += 997) {
		void *v = valloc(size), *pv = pvalloc(size);

		EXPECT(v && ((uintptr_t)v & 4095) == 0);
		EXPECT(pv && ((uintptr_t)pv & 4095) == 0 && malloc_usable_size(pv) >= 4096);
		free(v);
		free(pv);
	}
}

/* malloc for sizes >= 16 gives 16-byte alignment, as glibc does. */
static void small_alignment(void)
{
	for (size_t size = 16; size <= 70000; size = size * 5 / 4 + 1) {
		void *p = malloc(size);

		EXPECT_MSG(((uintptr_t)p & 15) == 0, "malloc(%zu) = %p", size, p);
		free(p);
	}
}

static void edge_cases(void)
{
	void *a = malloc(0), *b = malloc(0), *p;
	volatile size_t half = SIZE_MAX / 2;	/* not a constant: no compile-time warning */

	EXPECT(a && b && a != b);
	free(a);
	free(b);
	errno = 0;
	EXPECT(calloc(half, 3) == NULL && errno == ENOMEM);
	errno = 0;
	EXPECT(reallocarray(NULL, half, 3) == NULL && errno == ENOMEM);
	errno = 0;
	EXPECT(malloc(half * 2 - 4096) == NULL && errno == ENOMEM);
	EXPECT(posix_memalign(&p, 24, 100) == EINVAL);
	EXPECT(posix_memalign(&p, 4, 100) == EINVAL);
	p = calloc(1000, 1000);
	CHECK(p);
	for (size_t i = 0; i < 1000000; i += 4093)
		EXPECT(((unsigned char *)p)[i] == 0);
	errno = 12345;
	free(p);
	EXPECT_MSG(errno == 12345, "free changed errno to %d", errno);
	for (int i = 0; i < 3; i++) {	/* calloc of reused memory is zero too */
		unsigned char *q = malloc(5000);

		memset(q, 0xff, 5000);
		free(q);
		q = calloc(1, 5000);
		for (size_t j = 0; j < 5000; j++)
			if (q[j]) {
				EXPECT_MSG(0, "calloc byte %zu is %u", j, q[j]);
				break;
			}
		free(q);
	}
	free(NULL);
	EXPECT(malloc_usable_size(NULL) == 0);
}

int main(void)
{
	preload_require();
	alarm(60);
	sweep();
	small_alignment();
	edge_cases();
	return check_report();
}
