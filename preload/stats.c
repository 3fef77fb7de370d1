/* SPDX-License-Identifier: MIT */
/*
 * stats.c - $SHEAFMALLOC_STATS=FILE|stderr: at exit, one row per kmalloc
 * cache and one "all" row (stats_columns.h), csv by default or json lines
 * with $SHEAFMALLOC_STATS_FORMAT=json.  Several processes (a shell pipeline,
 * gcc and its cc1/as) may share FILE: each appends its rows with one write()
 * under flock(), and the csv header is written only into an empty file.
 * No stdio: the rows are built with snprintf into a static buffer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "stats_columns.h"

static const char *stats_path;
static bool stats_json;

static const unsigned int bucket_sizes[KMALLOC_NR_BUCKETS] = {
	8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192,
};

struct outbuf {
	char buf[96 * 1024];
	size_t len;
};

static struct outbuf out;

/*
 * A fork child starts with its parent's counters (the memory is copied):
 * what they were at the fork is subtracted, so each process's rows say what
 * that process did and a run's rows can be summed.  [cache][count], the last
 * row for "all".
 */
static uint64_t fork_base[KMALLOC_NR_BUCKETS + 1][SMC_NR];

static void put(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void put(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (out.len >= sizeof(out.buf))
		return;
	va_start(ap, fmt);
	n = vsnprintf(out.buf + out.len, sizeof(out.buf) - out.len, fmt, ap);
	va_end(ap);
	if (n > 0)
		out.len += (size_t)n < sizeof(out.buf) - out.len ? (size_t)n : sizeof(out.buf) - out.len;
}

void stats_setup(void)
{
	const char *f = pl_getenv("SHEAFMALLOC_STATS_FORMAT");

	stats_path = pl_getenv("SHEAFMALLOC_STATS");
	if (stats_path && !*stats_path)
		stats_path = NULL;
	stats_json = f && !strcmp(f, "json");
	if (f && *f && strcmp(f, "json") && strcmp(f, "csv"))
		pl_message("sheafmalloc: SHEAFMALLOC_STATS_FORMAT: '%s' must be csv or json; using csv", f);
}

static void counts_from(const struct sheafalloc_stats *st, uint64_t *v)
{
	v[SMC_allocs] = st->alloc_fastpath + st->alloc_slowpath;
	v[SMC_frees] = st->free_fastpath + st->free_slowpath + st->deferred_queued;
	v[SMC_sheaf_hits] = st->alloc_fastpath + st->free_fastpath;
	v[SMC_sheaf_swaps] = st->sheaf_swap;
	v[SMC_barn_hits] = st->barn_take_full + st->barn_take_empty;
	v[SMC_barn_misses] = st->barn_take_full_miss + st->barn_take_empty_miss;
	v[SMC_refills] = st->sheaf_refill;
	v[SMC_new_slabs] = st->new_slab;
	v[SMC_flushes] = st->sheaf_flush;
	v[SMC_remote_frees] = st->free_remote;
	v[SMC_pcs_trylocks] = st->pcs_trylock;
	v[SMC_pcs_trylock_fails] = st->pcs_trylock_fail;
	v[SMC_barn_trylocks] = st->barn_trylock;
	v[SMC_barn_trylock_fails] = st->barn_trylock_fail;
	v[SMC_list_trylocks] = st->list_trylock;
	v[SMC_list_trylock_fails] = st->list_trylock_fail;
	v[SMC_zone_trylocks] = st->page.zone_lock.nolock_attempts;
	v[SMC_zone_trylock_fails] = st->page.zone_lock.nolock_failures;
	v[SMC_barn_lock_trylocks] = st->barn_lock.trylock_attempts;
	v[SMC_barn_lock_trylock_fails] = st->barn_lock.trylock_failures;
	v[SMC_list_lock_trylocks] = st->list_lock.trylock_attempts;
	v[SMC_list_lock_trylock_fails] = st->list_lock.trylock_failures;
	v[SMC_zone_lock_trylocks] = st->page.zone_lock.trylock_attempts;
	v[SMC_zone_lock_trylock_fails] = st->page.zone_lock.trylock_failures;
	v[SMC_nolock_attempts] = st->nolock_attempts;
	v[SMC_nolock_first_ok] = st->nolock_first_bucket;
	v[SMC_nolock_retries] = st->nolock_retry;
	v[SMC_nolock_retry_ok] = st->nolock_retry_success;
	v[SMC_nolock_null] = st->nolock_null;
	v[SMC_nolock_frees] = st->nolock_frees;
	v[SMC_nolock_deferred] = st->deferred_queued;
}

static void put_header(void)
{
	const char *sep = "";

#define ID_COL(name) put("%s%s", sep, #name), sep = ",";
	SHEAFMALLOC_ID_COLUMNS(ID_COL)
#undef ID_COL
#define COUNT_COL(name, what) put("," #name);
	SHEAFMALLOC_COUNT_COLUMNS(COUNT_COL)
#undef COUNT_COL
	put(",peak_rss_kib");
#define DERIVED_COL(name, expr) put("," #name);
	SHEAFMALLOC_DERIVED_COLUMNS(DERIVED_COL)
#undef DERIVED_COL
	put("\n");
}

static void put_f64(const char *name, double x)
{
	if (stats_json)
		isnan(x) ? put(",\"%s\":null", name) : put(",\"%s\":%.6g", name, x);
	else
		isnan(x) ? put(",n/a") : put(",%.6g", x);
}

static void put_row(const char *cache, const uint64_t *v, bool all, long rss_kib)
{
	const char *prog = program_invocation_short_name;

	if (stats_json)
		put("{\"workload\":\"preload\",\"pattern\":\"%s\",\"program\":\"%s\",\"pid\":%d,"
		    "\"cache\":\"%s\"", SB_PATTERN_NAME, prog, (int)getpid(), cache);
	else
		put("preload,%s,%s,%d,%s", SB_PATTERN_NAME, prog, (int)getpid(), cache);
	for (int i = 0; i < SMC_NR; i++) {
		static const char *const names[] = {
#define COUNT_NAME(name, what) #name,
			SHEAFMALLOC_COUNT_COLUMNS(COUNT_NAME)
#undef COUNT_NAME
		};

		if (!all && sheafmalloc_count_is_zone(i))
			stats_json ? put(",\"%s\":null", names[i]) : put(",n/a");
		else
			stats_json ? put(",\"%s\":%llu", names[i], (unsigned long long)v[i])
				   : put(",%llu", (unsigned long long)v[i]);
	}
	stats_json ? put(",\"peak_rss_kib\":%ld", rss_kib) : put(",%ld", rss_kib);
#define DERIVED_VAL(name, expr) put_f64(#name, expr);
	SHEAFMALLOC_DERIVED_COLUMNS(DERIVED_VAL)
#undef DERIVED_VAL
	put(stats_json ? "}\n" : "\n");
}

/* Counts now: v[cache][count] for every bucket, then "all"; names[] of the caches. */
static void counts_read(uint64_t v[][SMC_NR], const char **names)
{
	struct sheafalloc_stats st;
	struct large_stats ls;
	uint64_t calls;

	memset(v, 0, sizeof(uint64_t) * SMC_NR * (KMALLOC_NR_BUCKETS + 1));
	for (int i = 0; i < KMALLOC_NR_BUCKETS; i++) {
		struct kmem_cache *s = kmalloc_cache_for_size(bucket_sizes[i]);

		names[i] = s ? kmem_cache_name(s) : NULL;
		if (!s)
			continue;
		kmem_cache_stats_read(s, &st);
		counts_from(&st, v[i]);
	}
	calls = nmi_calls_total();
	sheafalloc_stats_read(&st);
	large_stats_read(&ls);
	counts_from(&st, v[KMALLOC_NR_BUCKETS]);
	v[KMALLOC_NR_BUCKETS][SMC_nmi_calls] = calls;
	v[KMALLOC_NR_BUCKETS][SMC_nmi_overruns] = nmi_overruns_total();
	v[KMALLOC_NR_BUCKETS][SMC_mmap_allocs] = ls.allocs;
	v[KMALLOC_NR_BUCKETS][SMC_mmap_frees] = ls.frees;
}

void stats_fork_child(void)
{
	const char *names[KMALLOC_NR_BUCKETS];

	if (stats_path)
		counts_read(fork_base, names);
}

static void put_rows(void)
{
	static uint64_t v[KMALLOC_NR_BUCKETS + 1][SMC_NR];
	const char *names[KMALLOC_NR_BUCKETS];
	struct rusage ru;
	long rss = getrusage(RUSAGE_SELF, &ru) ? -1 : ru.ru_maxrss;

	counts_read(v, names);
	for (int i = 0; i <= KMALLOC_NR_BUCKETS; i++)
		for (int c = 0; c < SMC_NR; c++)
			v[i][c] -= fork_base[i][c];
	for (int i = 0; i < KMALLOC_NR_BUCKETS; i++)
		if (names[i])
			put_row(names[i], v[i], false, rss);
	put_row("all", v[KMALLOC_NR_BUCKETS], true, rss);
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

void stats_write_at_exit(void)
{
	struct stat sb;
	int fd;
	bool to_stderr;

	if (!stats_path)
		return;
	nmi_thread_stop(&pl_self);	/* no tick of ours between the reads below */
	to_stderr = !strcmp(stats_path, "stderr");
	fd = to_stderr ? STDERR_FILENO :
		open(stats_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		pl_message("sheafmalloc: SHEAFMALLOC_STATS: cannot open '%s': %s", stats_path,
			   strerror(errno));
		return;
	}
	if (!to_stderr)
		flock(fd, LOCK_EX);
	out.len = 0;
	if (!stats_json && (to_stderr || (!fstat(fd, &sb) && sb.st_size == 0)))
		put_header();
	put_rows();
	write_all(fd, out.buf, out.len);
	if (!to_stderr)
		close(fd);	/* drops the lock */
}
