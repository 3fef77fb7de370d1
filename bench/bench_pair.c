/*
 * bench_alloc_pair: ns per alloc+free pair of one 64 B object, single thread,
 * for sheafalloc (kmalloc/kfree, kmem_cache, kmalloc_nolock/kfree_nolock),
 * glibc, and jemalloc, tcmalloc and mimalloc where installed (dlopen'ed, called
 * through their own symbols, so one process measures them all).
 *
 * Every round runs every loop once, in a shuffled order and at a random stack
 * offset (see time_loop_at()), so a noisy host slows all of them alike; the ratio to glibc is taken per round and reported
 * as its median with a distribution-free 95% confidence interval (order
 * statistics of the per-round ratios).  A benchmark, not a test: no asserts.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sheafalloc.h"

#define ROUNDS		15
#define PAIRS		2000000
#define SIZE		64
#define SEED		1
#define MAX_LOOPS	8

struct pair_loop {
	const char *name;
	void (*run)(const struct pair_loop *l, long n);
	void *(*malloc_fn)(size_t);	/* dlopen'ed allocators */
	void (*free_fn)(void *);
	char missing[160];		/* why it is not measured, or "" */
	double ns[ROUNDS];
};

static struct kmem_cache *cache;
static size_t size = SIZE;	/* not a constant, so no call is specialised */

/* The object escapes, so the compiler cannot drop or merge the pair. */
#define KEEP(p) __asm__ volatile("" : : "r"(p) : "memory")

static void run_kmalloc(const struct pair_loop *l, long n)
{
	(void)l;
	for (long i = 0; i < n; i++) {
		void *p = kmalloc(size, GFP_KERNEL);

		KEEP(p);
		kfree(p);
	}
}

static void run_cache(const struct pair_loop *l, long n)
{
	(void)l;
	for (long i = 0; i < n; i++) {
		void *p = kmem_cache_alloc(cache, GFP_KERNEL);

		KEEP(p);
		kmem_cache_free(cache, p);
	}
}

static void run_nolock(const struct pair_loop *l, long n)
{
	(void)l;
	for (long i = 0; i < n; i++) {
		void *p = kmalloc_nolock(size, NUMA_NO_NODE);

		KEEP(p);
		kfree_nolock(p);
	}
}

static void run_glibc(const struct pair_loop *l, long n)
{
	(void)l;
	for (long i = 0; i < n; i++) {
		void *p = malloc(size);

		KEEP(p);
		free(p);
	}
}

static void run_dlopened(const struct pair_loop *l, long n)
{
	for (long i = 0; i < n; i++) {
		void *p = l->malloc_fn(size);

		KEEP(p);
		l->free_fn(p);
	}
}

/* An installed comparison allocator's own malloc/free, or why not. */
static void dlopen_allocator(struct pair_loop *l, const char *lib, const char *malloc_sym,
			     const char *free_sym, const char *package)
{
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);

	l->run = run_dlopened;
	if (h) {
		*(void **)&l->malloc_fn = dlsym(h, malloc_sym);
		*(void **)&l->free_fn = dlsym(h, free_sym);
	}
	if (!h)
		snprintf(l->missing, sizeof(l->missing), "not measured: %s (Debian package %s)",
			 dlerror(), package);
	else if (!l->malloc_fn || !l->free_fn)
		snprintf(l->missing, sizeof(l->missing), "not measured: %s has no %s/%s", lib,
			 malloc_sym, free_sym);
}

/*
 * jemalloc uses initial-exec TLS, which a dlopen'ed library can only get from
 * glibc's static TLS surplus; the default surplus is too small.  Re-run once
 * with a larger one (a glibc tunable, read at start-up only).
 */
#define STATIC_TLS_TUNABLE "glibc.rtld.optional_static_tls=65536"

static void reexec_with_static_tls(char **argv)
{
	const char *old = getenv("GLIBC_TUNABLES");
	char buf[512];

	if (old && strstr(old, "optional_static_tls"))
		return;
	snprintf(buf, sizeof(buf), "%s%s%s", old ? old : "", old ? ":" : "", STATIC_TLS_TUNABLE);
	if (setenv("GLIBC_TUNABLES", buf, 1) == 0)
		execv("/proc/self/exe", argv);
	/* exec failed: go on, jemalloc will say why it is not measured */
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static __attribute__((noinline)) double time_loop(const struct pair_loop *l, long n)
{
	uint64_t t0 = now_ns();

	l->run(l, n);
	return (double)(now_ns() - t0) / (double)n;
}

/*
 * Where the stack sits decides a tight loop's speed: with one unlucky stack
 * offset a pair ran 1.6x slower for the whole process (seen for kmalloc/kfree
 * and kmem_cache), most likely because its stack stores alias the allocator's
 * hot slot modulo 4 KiB.  So every measurement gets its own random stack
 * offset, and the medians describe the typical placement, not one process's.
 */
static double time_loop_at(const struct pair_loop *l, long n, unsigned int offset)
{
	volatile char *pad = __builtin_alloca(offset + 16);

	pad[0] = 0;
	return time_loop(l, n);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * The largest k with P(Binomial(n, 1/2) < k) <= 2.5%: sorted values v[k] and
 * v[n-1-k] bound a >= 95% confidence interval for the median (k = 4 for n = 15,
 * 96.5%).
 */
static int median_ci_rank(int n)
{
	double p = 0, term = 1.0 / (double)(1ull << n);	/* C(n,0) / 2^n */
	int k = 0;

	for (int j = 0; j < n / 2; j++) {
		p += term;			/* P(X <= j) */
		if (p > 0.025)
			break;
		k = j + 1;
		term = term * (double)(n - j) / (double)(j + 1);
	}
	return k;
}

static void summarise(double *v, int n, double *med, double *lo, double *hi)
{
	int k = median_ci_rank(n);

	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	*med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	*lo = v[k];
	*hi = v[n - 1 - k];
}

int main(int argc, char **argv)
{
	struct pair_loop loops[MAX_LOOPS] = {
		{ .name = "sheaf kmalloc/kfree", .run = run_kmalloc },
		{ .name = "sheaf kmem_cache", .run = run_cache },
		{ .name = "sheaf kmalloc_nolock", .run = run_nolock },
		{ .name = "glibc malloc/free", .run = run_glibc },
		{ .name = "jemalloc" },
		{ .name = "tcmalloc" },
		{ .name = "mimalloc" },
	};
	const int nr = 7, glibc = 3;
	int order[MAX_LOOPS];
	uint64_t rng = SEED;

	if (argc > 1) {
		fprintf(stderr, "bench_alloc_pair: unexpected argument '%s' (it takes none)\n",
			argv[1]);
		return 2;
	}
	reexec_with_static_tls(argv);
	dlopen_allocator(&loops[4], "libjemalloc.so.2", "malloc", "free", "libjemalloc2");
	dlopen_allocator(&loops[5], "libtcmalloc_minimal.so.4", "tc_malloc", "tc_free",
			 "libtcmalloc-minimal4");
	dlopen_allocator(&loops[6], "libmimalloc.so.2", "mi_malloc", "mi_free",
			 "libmimalloc2.0");
	if (sheafalloc_init(NULL))
		return 1;
	cache = kmem_cache_create("pair64", SIZE, 0, 0);
	if (!cache)
		return 1;
	for (int i = 0; i < nr; i++) {
		order[i] = i;
		if (!loops[i].missing[0])
			time_loop(&loops[i], PAIRS / 4);	/* warm up: first slabs, pages */
	}
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = nr - 1; i > 0; i--) {
			int j = (int)(xorshift(&rng) % (uint64_t)(i + 1)), t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		for (int i = 0; i < nr; i++)
			if (!loops[order[i]].missing[0])
				loops[order[i]].ns[r] = time_loop_at(&loops[order[i]], PAIRS,
					(unsigned int)(xorshift(&rng) % 256) * 16);
	}

	printf("%d B alloc+free pairs, 1 thread, %d interleaved rounds x %d pairs (seed %d)\n",
	       SIZE, ROUNDS, PAIRS, SEED);
	printf("%-22s %8s  %-15s  %s\n", "loop", "ns/pair", "[95% CI]",
	       "time / glibc per round, median [95% CI]");
	for (int i = 0; i < nr; i++) {
		double ns[ROUNDS], ratio[ROUNDS], med, lo, hi, rmed, rlo, rhi;

		if (loops[i].missing[0]) {
			printf("%-22s %s\n", loops[i].name, loops[i].missing);
			continue;
		}
		for (int r = 0; r < ROUNDS; r++) {
			ns[r] = loops[i].ns[r];
			ratio[r] = loops[i].ns[r] / loops[glibc].ns[r];
		}
		summarise(ns, ROUNDS, &med, &lo, &hi);
		summarise(ratio, ROUNDS, &rmed, &rlo, &rhi);
		printf("%-22s %8.2f  [%5.2f,%5.2f]    %.3f [%.3f,%.3f]\n", loops[i].name, med,
		       lo, hi, rmed, rlo, rhi);
	}
	kmem_cache_destroy(cache);
	return sheafalloc_exit() ? 1 : 0;
}
