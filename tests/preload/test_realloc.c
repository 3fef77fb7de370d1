/*
 * realloc growth from 1 byte to 12 MiB and shrink back (through every
 * bucket, page runs and mmap'ed blocks), content kept at every step; and
 * realloc(p, 0), realloc(NULL, n).
 */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>

#include "preload_test.h"

static unsigned char byte_at(size_t i)
{
	return (unsigned char)(i * 131 + (i >> 9));
}

static void check_prefix(const unsigned char *p, size_t n, size_t step)
{
	for (size_t i = 0; i < n; i += step)
		CHECK_MSG(p[i] == byte_at(i), "byte %zu of %zu lost", i, n);
	if (n)
		CHECK_MSG(p[n - 1] == byte_at(n - 1), "last byte of %zu lost", n);
}

static void fill(unsigned char *p, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		p[i] = byte_at(i);
}

int main(void)
{
	unsigned char *p = NULL, *q;
	size_t n = 0, next;

	preload_require();
	alarm(60);
	for (next = 1; next <= (12u << 20); next = next * 3 / 2 + 1) {
		p = realloc(p, next);
		CHECK(p);
		check_prefix(p, n, n > 100000 ? 4093 : 1);
		fill(p, n, next);
		n = next;
	}
	for (; n > 1; n = n / 3) {
		p = realloc(p, n);
		CHECK(p && malloc_usable_size(p) >= n);
		check_prefix(p, n, n > 100000 ? 4093 : 1);
	}
	free(p);
	q = realloc(NULL, 100);
	CHECK(q);
	CHECK(realloc(q, 0) == NULL);	/* glibc: frees, returns NULL */
	/* many blocks growing in turn, so they move past each other */
	{
		unsigned char *blk[64] = { 0 };
		size_t len[64] = { 0 };

		for (int round = 0; round < 40; round++)
			for (int b = 0; b < 64; b++) {
				size_t want = len[b] + 1 + (size_t)((b * 37 + round * 11) % 700);

				blk[b] = realloc(blk[b], want);
				CHECK(blk[b]);
				check_prefix(blk[b], len[b], 1);
				fill(blk[b], len[b], want);
				len[b] = want;
			}
		for (int b = 0; b < 64; b++)
			free(blk[b]);
	}
	return check_report();
}
