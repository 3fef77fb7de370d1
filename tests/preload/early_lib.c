/*
 * A library whose constructor allocates before main() and before most other
 * constructors: the allocator must already serve it (test_early.c frees it).
 */
#include <stdlib.h>
#include <string.h>

char *early_block;
size_t early_len = 100000;

__attribute__((constructor(101))) static void early_alloc(void)
{
	early_block = malloc(early_len);
	if (early_block)
		memset(early_block, 0x5a, early_len);
}
