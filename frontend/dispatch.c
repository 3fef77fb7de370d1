/*
 * dispatch.c - lock, slab, page and slabinfo run in the worker built for
 * their acquisition pattern: <dir of /proc/self/exe>/sheafbench-<pattern>.
 *
 * The pattern is a compile-time constant in the worker, so --pattern is
 * consumed here and the rest of argv is passed through unchanged.  slab with
 * a comparison allocator gets the Debian library in LD_PRELOAD.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "allocator_list.h"
#include "analysis.h"
#include "frontend.h"
#include "harness.h"
#include "pattern_list.h"

#if defined(__x86_64__)
#define MULTIARCH	"x86_64-linux-gnu"
#elif defined(__aarch64__)
#define MULTIARCH	"aarch64-linux-gnu"
#elif defined(__i386__)
#define MULTIARCH	"i386-linux-gnu"
#else
#define MULTIARCH	"unknown-linux-gnu"
#endif

#define PATTERN_NAME(name, id, what) #name,
static const char *const patterns[] = { SB_FOR_EACH_PATTERN(PATTERN_NAME) NULL };
#undef PATTERN_NAME

#define ALLOCATOR_NAME(name, soname, symbol, package) #name,
static const char *const allocators[] = { SB_FOR_EACH_ALLOCATOR(ALLOCATOR_NAME) NULL };
#undef ALLOCATOR_NAME

/* [allocator index]: library to preload (NULL: none) and the Debian package shipping it. */
#define ALLOCATOR_PRELOAD(name, soname, symbol, package) { soname, package },
static const struct { const char *soname, *package; } preloads[] = {
	SB_FOR_EACH_ALLOCATOR(ALLOCATOR_PRELOAD)
};
#undef ALLOCATOR_PRELOAD

/* A missing /proc/self/exe is this system's failure, not bad input: exit 1. */
static void worker_path(const char *cmd, const char *pattern, char *path, size_t len)
{
	char self[PATH_MAX];
	int rc = sb_self_exe(self, sizeof(self));

	if (rc) {
		fprintf(stderr, "sheafbench %s: cannot find my own binary (/proc/self/exe): %s\n",
			cmd, strerror(-rc));
		exit(1);
	}
	snprintf(path, len, "%s/sheafbench-%s", dirname(self), pattern);
}

static void set_preload(const char *cmd, int allocator)
{
	const char *old = getenv("LD_PRELOAD");
	char lib[PATH_MAX], value[PATH_MAX * 2];

	if (!preloads[allocator].soname)
		return;
	snprintf(lib, sizeof(lib), "/usr/lib/" MULTIARCH "/%s", preloads[allocator].soname);
	if (access(lib, R_OK))
		sb_die_usage(cmd, "--allocator: '%s' needs %s (install the Debian package %s)",
			     allocators[allocator], lib, preloads[allocator].package);
	snprintf(value, sizeof(value), "%s%s%s", lib, old && *old ? ":" : "", old ? old : "");
	setenv("LD_PRELOAD", value, 1);
}

/* argv without --pattern and its value; the worker path in front. */
static char **worker_argv(int argc, char **argv, const char *path, const char **pattern)
{
	char **out = sb_xcalloc(argc + 2, sizeof(char *));	/* exit 1 if out of memory */
	int n = 0;

	out[n++] = (char *)path;
	out[n++] = argv[0];
	for (int i = 1; i < argc; i++) {
		const char *v = sb_option_match(argv[0], argc, argv, &i, "pattern");

		if (v)
			*pattern = v;
		else
			out[n++] = argv[i];
	}
	return out;
}

static int find_allocator(int argc, char **argv)
{
	int allocator = 0;

	for (int i = 1; i < argc; i++) {
		const char *v = sb_option_match(argv[0], argc, argv, &i, "allocator");

		if (v)
			allocator = sb_parse_choice(argv[0], "--allocator", v, allocators);
	}
	return allocator;
}

int dispatch_to_worker(int argc, char **argv)
{
	const char *cmd = argv[0], *pattern = SB_DEFAULT_PATTERN;
	char path[PATH_MAX + 32];
	char **wargv = worker_argv(argc, argv, path, &pattern);

	sb_parse_choice(cmd, "--pattern", pattern, patterns);
	worker_path(cmd, pattern, path, sizeof(path));
	if (!strcmp(cmd, "slab"))
		set_preload(cmd, find_allocator(argc, argv));
	execv(path, wargv);
	/* the pattern was valid: a worker missing from the build is not bad input */
	fprintf(stderr, "sheafbench %s: cannot run the worker %s: %s (build target sheafbench-%s)\n",
		cmd, path, strerror(errno), pattern);
	free(wargv);
	return 1;
}
