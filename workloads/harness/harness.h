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
int    sb_parse_pin(const char *cmd, const char *val, enum sb_pin *pin, int *list, int maxlist);
/* A CPU list "0,2,4-7" for option opt; returns its length (>= 1). */
int    sb_parse_cpu_list(const char *cmd, const char *opt, const char *val, int *list, int maxlist);

/* ---- parse_options.c: one option table per command (perf's parse_options style) ---- */

/*
 * A command lists its options once, as a table built on the stack (entries
 * point at the variables they set, which hold the defaults):
 *
 *	struct sb_option opts[] = {
 *		SB_OPT_INT("threads", &a->threads, 1, 1024, "worker threads"),
 *		SB_OPT_CHOICE("order", &idx, order_names, "free order of a batch"),
 *		SB_OPT_BOOL("no-c2c", &no_c2c, "skip the calibration"),
 *		SB_OPT_END,
 *	};
 *	if (sb_parse_options("slab", opts, argc, argv, "usage: ...") == SB_OPTIONS_HELP)
 *		return 0;
 *
 * Options are "--name VALUE" or "--name=VALUE", in any order, the last one
 * given wins; "--help"/"-h" prints the usage generated from the table.  Any
 * bad input (unknown option, missing value, value out of range or not in the
 * list) is one line "sheafbench <cmd>: --name: 'value' <what is allowed>" on
 * stderr and exit 2.  Words that are not options fill the SB_OPT_ARG entries
 * in order; one more is a usage error.  The usage shows for each option its
 * range and the default (the variable's value before parsing), unless the
 * help text names its own default (a computed one, e.g. "online CPUs").
 */
enum sb_option_type {
	SB_OPTT_END, SB_OPTT_BOOL, SB_OPTT_INT, SB_OPTT_DOUBLE, SB_OPTT_DURATION,
	SB_OPTT_SIZE, SB_OPTT_STRING, SB_OPTT_CHOICE, SB_OPTT_FORMAT, SB_OPTT_PIN,
	SB_OPTT_CALLBACK, SB_OPTT_ARG,
};
enum sb_option_ctype { SB_OPT_CT_INT, SB_OPT_CT_LONG, SB_OPT_CT_UINT, SB_OPT_CT_ULONG };

/* SB_OPT_CALLBACK: parses val (exits 2 on bad input) into data. */
typedef void sb_option_fn(const char *cmd, const char *opt, const char *val, void *data);

struct sb_option {
	enum sb_option_type type;
	const char *name;               /* without "--"; SB_OPT_ARG: its placeholder */
	const char *metavar;            /* the value's placeholder in the usage */
	void *value;                    /* what the option sets (CHOICE: may be NULL) */
	enum sb_option_ctype ctype;     /* SB_OPTT_INT: the integer type of *value */
	long imin, imax;                /* INT, SIZE range; PIN: most CPUs in a list;
	                                   DURATION: imin = shortest, in ns */
	double dmin, dmax;              /* DOUBLE range */
	const char *const *choices;     /* CHOICE: NULL-terminated */
	sb_option_fn *fn;               /* CALLBACK */
	const char *help;
	int given;                      /* set by sb_parse_options: times seen */
};

/* --pin none|compact|scatter|LIST, as parsed (see sb_parse_pin). */
#define SB_PIN_LIST_MAX	1024
struct sb_pin_arg {
	enum sb_pin pin;
	int len;                        /* CPUs in list, for SB_PIN_LIST */
	const char *text;               /* as given, for the report */
	int list[SB_PIN_LIST_MAX];
};

#define SB_OPT_CTYPE_(p) _Generic((p), int *: SB_OPT_CT_INT, long *: SB_OPT_CT_LONG,					  unsigned int *: SB_OPT_CT_UINT, unsigned long *: SB_OPT_CT_ULONG)
/* Signed and unsigned integers alike (int, long, unsigned, uint64_t), in [min, max]. */
#define SB_OPT_INT(n, p, min, max, h)								{ .type = SB_OPTT_INT, .name = (n), .metavar = "N", .value = (p),			  .ctype = SB_OPT_CTYPE_(p), .imin = (min), .imax = (max), .help = (h) }
#define SB_OPT_UINT(n, p, min, max, h)	SB_OPT_INT(n, p, min, max, h)
#define SB_OPT_DOUBLE(n, p, min, max, h)							{ .type = SB_OPTT_DOUBLE, .name = (n), .metavar = "F",					  .value = (1 ? (p) : (double *)0), .dmin = (min), .dmax = (max), .help = (h) }
/* "2s" "500ms" into a uint64_t of ns, at least min_ns. */
#define SB_OPT_DURATION(n, p, min_ns, h)							{ .type = SB_OPTT_DURATION, .name = (n), .metavar = "T",				  .value = (1 ? (p) : (uint64_t *)0), .imin = (min_ns), .help = (h) }
/* "64" "4k" into a uint64_t of bytes. */
#define SB_OPT_SIZE(n, p, min, max, h)								{ .type = SB_OPTT_SIZE, .name = (n), .metavar = "SIZE",				  .value = (1 ? (p) : (uint64_t *)0), .imin = (min), .imax = (max), .help = (h) }
#define SB_OPT_STRING(n, p, meta, h)								{ .type = SB_OPTT_STRING, .name = (n), .metavar = (meta),				  .value = (1 ? (p) : (const char **)0), .help = (h) }
/* Index into a NULL-terminated list (an X-macro's names); p NULL: only checks. */
#define SB_OPT_CHOICE(n, p, list, h)								{ .type = SB_OPTT_CHOICE, .name = (n), .value = (1 ? (p) : (int *)0),			  .choices = (list), .help = (h) }
/* A flag: sets *p to true. */
#define SB_OPT_BOOL(n, p, h)									{ .type = SB_OPTT_BOOL, .name = (n), .value = (1 ? (p) : (bool *)0), .help = (h) }
#define SB_OPT_FORMAT(p)									{ .type = SB_OPTT_FORMAT, .name = "format", .value = (1 ? (p) : (enum sb_format *)0), 	  .help = "output format" }
/* --pin into a struct sb_pin_arg; a CPU list holds at most max CPUs. */
#define SB_OPT_PIN(p, max, h)									{ .type = SB_OPTT_PIN, .name = "pin", .value = (1 ? (p) : (struct sb_pin_arg *)0), 	  .imax = (max), .help = (h) }
#define SB_OPT_CALLBACK(n, meta, f, data, h)							{ .type = SB_OPTT_CALLBACK, .name = (n), .metavar = (meta), .value = (data),		  .fn = (f), .help = (h) }
/* A positional argument: the next word that is not an option, into *p. */
#define SB_OPT_ARG(meta, p, h)									{ .type = SB_OPTT_ARG, .name = (meta), .value = (1 ? (p) : (const char **)0), .help = (h) }
#define SB_OPT_END	{ .type = SB_OPTT_END }

enum { SB_OPTIONS_RUN = 0, SB_OPTIONS_HELP = 1 };
/* Parses argv[1..argc-1]; SB_OPTIONS_HELP after --help (exit 0), exits 2 on bad input. */
int  sb_parse_options(const char *cmd, struct sb_option *table, int argc, char **argv,
		      const char *usage);
/* usage (one or more lines), then one line per option. */
void sb_options_usage(const struct sb_option *table, const char *usage, FILE *out);
/* How many times option name was given in the last sb_parse_options(). */
int  sb_option_given(const struct sb_option *table, const char *name);
/*
 * The one "--name VALUE" / "--name=VALUE" matcher (name without dashes), for a
 * caller that only picks a few options out of argv (the front end's dispatch):
 * the value, with *i left on the last word used; NULL if argv[*i] is not
 * --name.  A missing value is a usage error (exit 2).
 */
const char *sb_option_match(const char *cmd, int argc, char **argv, int *i, const char *name);

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
/* The logical CPU of each of n threads for --pin (-1: unpinned); a LIST wraps round-robin. */
void sb_pin_cpus(const struct sb_pin_arg *pin, const struct sb_topology *topo, int *cpus, int n);

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
