/*
 * Memory allocated by another library's constructor (early_lib.c, before
 * main) is ours, intact, and can be reallocated and freed.
 */
#include <malloc.h>
#include <stdlib.h>

#include "preload_test.h"

extern char *early_block;
extern size_t early_len;

int main(void)
{
	char *p;

	preload_require();
	CHECK(early_block);
	CHECK(malloc_usable_size(early_block) >= early_len);
	for (size_t i = 0; i < early_len; i += 997)
		CHECK(early_block[i] == 0x5a);
	p = realloc(early_block, early_len * 3);
	CHECK(p && p[early_len - 1] == 0x5a);
	free(p);
	return check_report();
}
