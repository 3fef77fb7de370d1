/* SPDX-License-Identifier: MIT */
/*
 * init.c - bringing the allocator up inside whichever thread calls malloc
 * first (often before any constructor has run), and the exit-time report.
 *
 * While sheafalloc_init() runs, hwloc and the allocator's own metadata call
 * malloc: those calls see PL_INITING and get bootstrap memory, as do calls
 * from other threads in that window.
 *
 * Environment (read once, getenv does not allocate):
 *   SHEAFMALLOC_NODE_LIMIT_MB   backing memory per node (default 16384)
 *   SHEAFMALLOC_STATS           FILE or "stderr": counters at exit (stats.c)
 *   SHEAFMALLOC_NMI_HZ          per-thread nolock timer (nmi.c)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define NODE_LIMIT_MB_DEFAULT	16384
#define ARENA_MB		64

_Atomic int pl_state = PL_UNINIT;

void pl_message(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

_Noreturn void pl_bad_pointer(const char *fn, const void *p, const char *what)
{
	pl_message("sheafmalloc: %s(%p): %s", fn, p, what);
	abort();
}

/*
 * getenv() before libc's own initialisation (the first malloc can come from
 * the dynamic loader) sees no environment yet: read /proc/self/environ then.
 */
const char *pl_getenv(const char *name)
{
	static char env[64 * 1024];
	static ssize_t env_len = -1;
	size_t n = strlen(name);

	if (environ)
		return getenv(name);
	if (env_len < 0) {
		int fd = open("/proc/self/environ", O_RDONLY | O_CLOEXEC);

		env_len = fd < 0 ? 0 : read(fd, env, sizeof(env) - 1);
		if (env_len < 0)
			env_len = 0;
		env[env_len] = '\0';
		if (fd >= 0)
			close(fd);
	}
	for (char *p = env; p < env + env_len; p += strlen(p) + 1)
		if (!strncmp(p, name, n) && p[n] == '=')
			return p + n + 1;
	return NULL;
}

static long env_long(const char *name, long def, long min, long max)
{
	const char *v = pl_getenv(name);
	char *end;
	long x;

	if (!v || !*v)
		return def;
	errno = 0;
	x = strtol(v, &end, 10);
	if (errno || *end || x < min || x > max) {
		pl_message("sheafmalloc: %s: '%s' must be an integer in %ld..%ld; using %ld",
			   name, v, min, max, def);
		return def;
	}
	return x;
}

static int allocator_init(void)
{
	struct sheafalloc_config cfg;
	long limit_mb = env_long("SHEAFMALLOC_NODE_LIMIT_MB", NODE_LIMIT_MB_DEFAULT,
				 ARENA_MB, 1L << 30);

	sheafalloc_config_init(&cfg);
	cfg.page.arena_bytes = (size_t)ARENA_MB << 20;
	cfg.page.node_limit_bytes = (size_t)(limit_mb / ARENA_MB * ARENA_MB) << 20;
	return sheafalloc_init(&cfg);
}

/* Threads key first, so its destructor runs before the allocator's own keys'. */
static void bring_up(void)
{
	int err = thread_setup();

	if (!err)
		err = allocator_init();
	if (!err)
		err = nmi_setup();
	if (err) {
		pl_message("sheafmalloc: cannot initialise the allocator (%d); serving every "
			   "request from mmap", err);
		atomic_store(&pl_state, PL_FAILED);
		return;
	}
	stats_setup();
	atomic_store_explicit(&pl_state, PL_READY, memory_order_release);
}

bool pl_ensure_ready(void)
{
	int s = atomic_load_explicit(&pl_state, memory_order_acquire);

	if (likely(s == PL_READY))
		return true;
	if (s == PL_UNINIT && atomic_compare_exchange_strong(&pl_state, &s, PL_INITING)) {
		bring_up();
		return atomic_load(&pl_state) == PL_READY;
	}
	return false;
}

/* Programs that never call malloc before main still get their timers and stats. */
__attribute__((constructor(101))) static void pl_constructor(void)
{
	if (pl_ensure_ready() && pl_self.state == PL_T_NEW)
		thread_register(&pl_self);
}

__attribute__((destructor(101))) static void pl_destructor(void)
{
	if (atomic_load(&pl_state) == PL_READY)
		stats_write_at_exit();
}
