/*
 * Not a test by itself: makes one bad free and prints the pointer first, so
 * bad_free.sh can check that the library names it in one line and aborts.
 *   bad_free double   free a malloc'ed object twice
 *   bad_free foreign  free a pointer no allocator handed out
 *   bad_free large    free an mmap'ed (large) block twice
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Through a volatile pointer: the compiler must not see (and refuse) the bad frees. */
static void (*volatile do_free)(void *) = free;

int main(int argc, char **argv)
{
	static char not_heap[64] __attribute__((aligned(64)));
	const char *what = argc > 1 ? argv[1] : "";
	char *p;

	if (!strcmp(what, "double")) {
		p = malloc(40);
		printf("%p\n", (void *)p);
		fflush(stdout);
		do_free(p);
		do_free(p);
	} else if (!strcmp(what, "foreign")) {
		printf("%p\n", (void *)(not_heap + 16));
		fflush(stdout);
		do_free(not_heap + 16);
	} else if (!strcmp(what, "large")) {
		p = malloc(64u << 20);
		printf("%p\n", (void *)p);
		fflush(stdout);
		do_free(p);
		do_free(p);
	} else {
		fprintf(stderr, "bad_free: '%s' must be double, foreign or large\n", what);
		return 2;
	}
	return 0;	/* the library should have stopped us */
}
