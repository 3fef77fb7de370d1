/*
 * fault_shim.c - LD_PRELOAD fault injection for the front end's failure
 * paths, which a healthy machine never takes.  SB_FAULT names one fault:
 *   readlink   readlink("/proc/self/exe") fails (ENOENT)
 *   hwloc      hwloc_topology_load() fails (EIO)
 *   calloc:N   calloc(N, sizeof(void *)) fails (ENOMEM)
 * Not for sanitizer builds: their runtimes own calloc.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_calloc(size_t n, size_t size);

static int fault(const char *name)
{
	const char *f = getenv("SB_FAULT");

	return f && !strcmp(f, name);
}

ssize_t readlink(const char *restrict path, char *restrict buf, size_t len)
{
	ssize_t (*real)(const char *, char *, size_t);

	if (fault("readlink") && !strcmp(path, "/proc/self/exe")) {
		errno = ENOENT;
		return -1;
	}
	real = (ssize_t (*)(const char *, char *, size_t))dlsym(RTLD_NEXT, "readlink");
	return real(path, buf, len);
}

int hwloc_topology_load(void *topology)
{
	int (*real)(void *);

	if (fault("hwloc")) {
		errno = EIO;
		return -1;
	}
	real = (int (*)(void *))dlsym(RTLD_NEXT, "hwloc_topology_load");
	return real(topology);
}

void *calloc(size_t n, size_t size)
{
	const char *f = getenv("SB_FAULT");

	if (f && !strncmp(f, "calloc:", 7) && size == sizeof(void *) &&
	    n == strtoul(f + 7, NULL, 10)) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_calloc(n, size);
}
