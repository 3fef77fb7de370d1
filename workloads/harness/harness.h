/*
 * harness.h - what every workload shares: option parsing, reports, time,
 * histograms, pinning, fairness, hardware counters and the core-to-core probe.
 * One concept per file: options.c report.c tsc.c hist.c pin.c perf_events.c
 * c2c_probe.c.
 */
#ifndef SB_HARNESS_H
#define SB_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "topology.h"

/* ---- options.c: parsing; bad input is one line on stderr and exit 2 ---- */

enum sb_format { SB_FMT_TABLE, SB_FMT_CSV, SB_FMT_JSON };

/* Prints "sheafbench <cmd>: <fmt...>" as one line on stderr, exits 2. */
_Noreturn void sb_die_usage(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
long   sb_parse_long(const char *cmd, const char *opt, const char *val, long min, long max);
double sb_parse_double(const char *cmd, const char *opt, const char *val, double min, double max);
/* "2s" "500ms" "100us" "250ns" "1.5s"; a bare "0" is 0; at most one day. */
uint64_t sb_parse_duration_ns(const char *cmd, const char *opt, const char *val);
/* "64" "4k" "2M" "1G" (binary multiples). */
uint64_t sb_parse_size(const char *cmd, const char *opt, const char *val, uint64_t min, uint64_t max);
/* Returns the index in the NULL-terminated choices. */
int    sb_parse_choice(const char *cmd, const char *opt, const char *val, const char *const *choices);
enum sb_format sb_parse_format(const char *cmd, const char *val);       /* --format */
/*
 * --pin none|compact|scatter|LIST where LIST is like "0,2,4-7" (logical CPUs).
 * Returns the number of CPUs stored in list for SB_PIN_LIST, else 0.
 */
/*
 * argv[*i] is "--name=value", or "--name" with the value in argv[*i + 1]: copies
 * "--name" into opt, returns the value and leaves *i on the last word used.
 * A missing value is a usage error (exit 2).
 */
const char *sb_option_value(const char *cmd, int argc, char **argv, int *i, char *opt, size_t optlen);
int    sb_parse_pin(const char *cmd, const char *val, enum sb_pin *pin, int *list, int maxlist);
/* A CPU list "0,2,4-7" for option opt; returns its length (>= 1). */
int    sb_parse_cpu_list(const char *cmd, const char *opt, const char *val, int *list, int maxlist);

/* ---- report.c: one table of runs, printed as table, csv or json ---- */

/* s as a JSON string literal with escapes; NULL prints null. */
void sb_json_string(FILE *f, const char *s);

struct sb_report;
struct sb_report *sb_report_new(void);
void sb_report_row(struct sb_report *);                 /* start a new row */
void sb_report_str(struct sb_report *, const char *col, const char *v);
void sb_report_u64(struct sb_report *, const char *col, uint64_t v);
void sb_report_f64(struct sb_report *, const char *col, double v);  /* %.4g-ish, NaN -> n/a */
void sb_report_na(struct sb_report *, const char *col);             /* not measured here */
void sb_report_print(const struct sb_report *, enum sb_format, FILE *);
void sb_report_free(struct sb_report *);

/* ---- tsc.c: clocks, rdtsc, calibrated busy loops ---- */

uint64_t sb_now_ns(void);                      /* CLOCK_MONOTONIC */
void     sb_sleep_ns(uint64_t ns);             /* nanosleep, resumed after EINTR */
double   sb_tsc_ns_per_tick(void);             /* calibrated once, cached, thread-safe */
void     sb_busy_calibrate(void);              /* calibrate the busy loop (once) */
double   sb_busy_loops_per_ns(void);           /* calibrates on first use */
uint64_t sb_busy_loops_for_ns(uint64_t ns);   /* median speed: see tsc.c */
void     sb_busy_wait_ns(uint64_t ns);         /* TSC-timed spin: exact even when the clock speed moves */

/* Ordered rdtsc: lfence keeps earlier instructions from drifting past it. */
static inline uint64_t sb_rdtsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
	uint32_t lo, hi;

	__asm__ volatile("lfence\n\trdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return ((uint64_t)hi << 32) | lo;
#else
	return sb_now_ns();                    /* sb_tsc_ns_per_tick() is then 1.0 */
#endif
}

/* A register-only countdown: no memory traffic, cannot be optimized away. */
static inline void sb_busy_loop(uint64_t loops)
{
	if (!loops)
		return;
#if defined(__x86_64__)
	__asm__ volatile("1:\n\tdec %0\n\tjnz 1b" : "+r"(loops) :: "cc");
#else
	while (loops--)
		__asm__ volatile("" : "+r"(loops));
#endif
}

static inline void sb_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ volatile("pause" ::: "memory");
#elif defined(__aarch64__)
	__asm__ volatile("yield" ::: "memory");
#else
	__asm__ volatile("" ::: "memory");
#endif
}

/* ---- hist.c: log-linear latency histogram in ns ---- */

/*
 * Values below 16 ns get one bucket each; above, every power of two [2^e, 2^e+1)
 * is cut into 16 equal sub-buckets (relative error < 6.25%), up to 2^40 ns
 * (~18 minutes); larger values land in the last bucket.  min and max are exact.
 * Fixed size so it can be embedded per thread; adding never allocates.
 */
#define SB_HIST_SUB_BITS	4
#define SB_HIST_SUB		(1 << SB_HIST_SUB_BITS)
#define SB_HIST_MAX_BITS	40
#define SB_HIST_BUCKETS		(SB_HIST_SUB + (SB_HIST_MAX_BITS - SB_HIST_SUB_BITS) * SB_HIST_SUB)

struct sb_hist {
	uint64_t count;
	uint64_t sum;                          /* ns, for the mean */
	uint64_t min, max;                     /* exact; min = UINT64_MAX when empty */
	uint64_t bucket[SB_HIST_BUCKETS];
};

void   sb_hist_init(struct sb_hist *);
void   sb_hist_add(struct sb_hist *, uint64_t ns);
void   sb_hist_merge(struct sb_hist *dst, const struct sb_hist *src);
uint64_t sb_hist_count(const struct sb_hist *);
double sb_hist_quantile(const struct sb_hist *, double q);  /* ns; NaN when empty */
uint64_t sb_hist_max(const struct sb_hist *);
/* Columns <prefix>_p50_ns _p90_ns _p99_ns _p999_ns _max_ns (n/a when empty). */
void   sb_report_hist(struct sb_report *, const char *prefix, const struct sb_hist *);

/* ---- pin.c: pinning and fairness ---- */

int  sb_pin_self(int os_cpu);                  /* 0, or -errno */

/*
 * Over per-thread operation counts x[0..n-1]: Jain's index (sum x)^2/(n sum x^2)
 * (1 = perfectly fair, 1/n = one thread did everything), and the smallest and
 * largest share normalised by the fair share: min_share = min(x)/mean(x),
 * max_share = max(x)/mean(x), so a perfectly fair run has min = max = 1.0 and
 * a starved thread has min_share 0.  All NaN when n == 0 or sum == 0.
 */
struct sb_fairness { double jain, min_share, max_share; };
struct sb_fairness sb_fairness(const uint64_t *per_thread, int n);

/* ---- perf_events.c: hardware counters; every call degrades to "not available" ---- */

#define SB_PERF_NA	UINT64_MAX             /* an event that was not counted */

bool sb_pmu_available(char *why, size_t len);   /* false + reason, e.g. "no hardware PMU (virtual machine?)" */
struct sb_perf;                                 /* per-thread counter group */
/*
 * Opens a group for the calling thread.  Events libpfm4 (or, without it, the
 * generic table) does not know are skipped and the reasons written to why.
 * NULL (and why) if nothing can be counted.
 */
struct sb_perf *sb_perf_open(const char *const *events, int n, char *why, size_t len);
void sb_perf_start(struct sb_perf *); void sb_perf_stop(struct sb_perf *);
/* vals[i] for events[i] of sb_perf_open, scaled for multiplexing, SB_PERF_NA if
   not counted.  Returns how many were counted, -1 on error. */
int  sb_perf_read(struct sb_perf *, uint64_t *vals);
void sb_perf_close(struct sb_perf *);
const char *const *sb_perf_default_events(int *n);     /* cycles, instructions, + vendor coherence events */

/* ---- c2c_probe.c: core-to-core cache-line transfer cost (design.md section 3) ---- */

enum sb_c2c_mode { SB_C2C_CAS, SB_C2C_STORE };

struct sb_c2c_result {
	double median_ns, p10_ns, p90_ns;      /* one-way latency: half a round trip */
	int samples;
};

/*
 * Two threads pinned to OS CPUs a and b (a != b) bounce one cache line.
 * Returns 0, or -errno (e.g. -EINVAL when a CPU cannot be pinned to).
 */
int sb_c2c_measure(int os_cpu_a, int os_cpu_b, enum sb_c2c_mode, int samples,
		   struct sb_c2c_result *);
/* The CAS-mode median one-way latency in ns; NaN if it cannot be measured. */
double sb_c2c_median_ns(int os_cpu_a, int os_cpu_b, int samples);

#endif /* SB_HARNESS_H */
