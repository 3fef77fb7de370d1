/*
 * preload_test.h - what the C tests of libsheafmalloc share: they are built
 * against glibc and run with the library in LD_PRELOAD (set by CMake), so
 * each first checks that the preload really took.
 */
#ifndef SB_PRELOAD_TEST_H
#define SB_PRELOAD_TEST_H

#include <link.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static int preload_find(struct dl_phdr_info *info, size_t size, void *found)
{
	(void)size;
	if (info->dlpi_name && strstr(info->dlpi_name, "libsheafmalloc-"))
		*(int *)found = 1;
	return 0;
}

/* Stop with one line if the process does not run on libsheafmalloc. */
static inline void preload_require(void)
{
	int found = 0;

	dl_iterate_phdr(preload_find, &found);
	CHECK_MSG(found, "libsheafmalloc-*.so is not loaded (LD_PRELOAD=%s)",
		  getenv("LD_PRELOAD") ? getenv("LD_PRELOAD") : "");
}

/* A byte pattern that tells blocks and offsets apart. */
static inline unsigned char preload_byte(const void *seed, size_t i)
{
	return (unsigned char)(((uintptr_t)seed >> 4) * 31 + i * 7);
}

#endif
