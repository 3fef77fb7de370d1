/*
 * analysis.h - the one public header of lib sb_analysis: the results layer.
 *
 * Reads what `sheafbench study` writes (csv.c, json.c, rundir.c, meta.c,
 * perfstat.c), classifies columns (columns.c), groups runs and summarizes
 * them with bootstrap statistics (group.c, summary.c, stats.c), and the
 * commands built on that: compare, plot and report.  It uses sb_harness
 * (report tables, option parsing) and libm, never the front end, and never
 * re-executes anything: the front end passes in what it located.
 */
#ifndef SB_ANALYSIS_H
#define SB_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "verdict.h"	/* paired intervals, multiplicity, power, sequential */

/* util.c: the one allocation family; each exits(1) with one line when out of memory. */
void *sb_xrealloc(void *p, size_t size);	/* size 0 is 1 */
void *sb_xcalloc(size_t n, size_t size);
char *sb_xstrdup(const char *s);

/* Commands (argv[0] = the command name); the front end's table names them. */
int cmd_compare(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_report(int argc, char **argv);

/*
 * Results directory layout (written by `sheafbench study`):
 *   runs.csv            one row per finished run: study,variant,rep, then the
 *                       worker's csv columns (workload,pattern,params...,figures),
 *                       then perf_<event> columns when --perf-stat was given.
 *   runs-<command>[-N].csv  rows whose header differs from runs.csv's go to a
 *                       file of their own, one file per distinct header.
 *   meta.json           machine, build, seed, PMU availability, study copy.
 *   study.study         the effective study file (resume re-reads it).
 *   errors.log          failed runs with their stderr.
 *   perf/               raw `perf stat -x,` output per run, c2c recordings.
 */
#define SB_RUNS_LEADING_COLUMNS "study,variant,rep"
#define SB_RUNS_NR_LEADING	3
/*
 * csv.c: split one csv line in place into fields (no quoting: sheafbench
 * reports never put commas or quotes in a field).  A trailing '\n' is
 * dropped.  Returns the number of fields, at most max.
 */
int sb_csv_split(char *line, char **fields, int max);

/* perfstat.c: `perf stat -x,` output (perf-stat(1) "CSV FORMAT"). */
struct sb_perfstat_counter {
	char event[64];		/* as perf prints it: "cycles", "cpu/event=0x3c/" */
	char unit[16];		/* "msec" or "" */
	double value;
	bool measured;		/* false: "<not supported>" or "<not counted>" -> n/a */
};
/* Returns the number of counters read (comment and blank lines skipped), -1 on I/O error. */
int sb_perfstat_parse(FILE *in, struct sb_perfstat_counter *c, int max);
int sb_perfstat_parse_file(const char *path, struct sb_perfstat_counter *c, int max);
/* "context-switches" -> "perf_context_switches" (snake_case, safe in csv/gnuplot). */
void sb_perfstat_column(const char *event, char *out, size_t len);

/* csv.c: strict RFC 4180 reader; errors are "FILE:LINE: what is wrong". */
struct sb_csv_doc {
	char *path;
	int nr_cols, nr_rows;
	char **cols;		/* header names */
	char **cells;		/* nr_rows * nr_cols, row-major */
	int *lines;		/* file line where each row starts */
	int first_figure;	/* columns.c's cache: first figure column, 0 = unknown */
};
struct sb_csv_doc *sb_csv_load(const char *path, char *err, size_t errlen);
void sb_csv_doc_free(struct sb_csv_doc *doc);
int sb_csv_col(const struct sb_csv_doc *doc, const char *name);	/* -1: absent */
const char *sb_csv_cell(const struct sb_csv_doc *doc, int row, int col);
/* A whole file as a NUL-terminated string (free() it), or NULL if it cannot be read. */
char *sb_read_text_file(const char *path);

/* stats.c */
#define SB_CI_LEVEL		0.95
#define SB_MIN_REPS_FOR_CI	3	/* fewer runs: no interval */
/* Percentile-bootstrap ratio intervals are short with few runs: between two
 * samples of one distribution they exclude 1 in 10% of cases at 3 runs a
 * side, 7% at 4, 3-5% from 5 on (4000 trials each); compare_stats checks 5. */
#define SB_MIN_REPS_FOR_VERDICT	5
#define SB_NR_BOOT		2000	/* bootstrap resamples */

struct sb_ci {
	double est;		/* median, or ratio of medians */
	double lo, hi;		/* percentile-bootstrap interval; NaN if !valid */
	bool valid;
};
enum sb_verdict {
	SB_VERDICT_UNKNOWN,	/* too few runs, or undefined ratio */
	SB_VERDICT_SAME,	/* interval contains 1: no difference shown */
	SB_VERDICT_BETTER,
	SB_VERDICT_WORSE,
};
void sb_sort_doubles(double *x, int n);
double sb_quantile_sorted(const double *x, int n, double q);	/* type 7 */
double sb_quantile(const double *x, int n, double q);
double sb_median(const double *x, int n);
double sb_rng_uniform(uint64_t *state);		/* [0,1), splitmix64 */
struct sb_ci sb_boot_median(const double *x, int n, int nr_boot, uint64_t seed);
/* median(num) / median(den); each sample resampled independently */
struct sb_ci sb_boot_ratio(const double *num, int nn, const double *den, int nd,
			   int nr_boot, uint64_t seed);
int sb_metric_direction(const char *metric);	/* +1 higher is better, -1 lower */
enum sb_verdict sb_verdict_of(const struct sb_ci *ratio, int direction);
const char *sb_verdict_word(enum sb_verdict v, const char *metric); /* "faster" ... */
char sb_verdict_mark(enum sb_verdict v);	/* + - = ? */
uint64_t sb_seed_of(const char *a, const char *b);	/* stable per label */

/* rundir.c: a results directory. */
struct sb_rundir {
	char *dir;
	struct sb_csv_doc **docs;	/* runs.csv, runs-*.csv */
	int nr_docs;
	char machine[256];	/* "CPU model (N CPUs, kernel K, no PMU)" */
	char emulated[32];	/* meta.json's "emulated" ("qemu-tcg"), "" natively */
};
/* Returns 0, or -1 with err "FILE:LINE: ..." (or "DIR: ..."). */
int sb_rundir_load(const char *dir, struct sb_rundir *res, char *err, size_t errlen);
void sb_rundir_free(struct sb_rundir *res);
/* json.c: value of a top-level-or-nested "key" in meta.json text, as a string. */
bool sb_json_lookup(const char *json, const char *key, char *out, size_t len);

/* disturb.c: which runs were disturbed (steal, involuntary switches, migrations,
 * CPU time short of wall time), from the columns the workloads record. */
struct sb_disturb {
	bool *row;		/* per doc row */
	int nr_rows, nr_disturbed;
	bool recorded;		/* the file has at least one disturbance column */
	char rules[256];	/* "steal > 1% of the run, ..." (the columns present) */
};
void sb_disturb_find(const struct sb_csv_doc *doc, struct sb_disturb *d);
void sb_disturb_free(struct sb_disturb *d);

/* group.c, summary.c: one metric grouped for comparison. */
struct sb_cmp_ratio {		/* a level against the baseline, as printed */
	struct sb_vd_cell vd;	/* per-rep ratios (or pairwise, unpaired): verdict.h */
	struct sb_ci ci;	/* vd's estimate and interval (valid: has one) */
	enum sb_verdict verdict;	/* after the family's correction */
	double mde;		/* smallest change it would show (0.03: 3 %); NaN: none */
	int digits;		/* decimals that keep a marked interval off 1 */
};
struct sb_cmp_cell {
	int n;			/* runs with a value */
	double *v;
	int *rep;		/* rep of each value; -1: the file has no rep column */
	bool *disturbed;	/* each value's run was disturbed */
	struct sb_ci med;
	struct sb_cmp_ratio all;	/* every run */
	struct sb_cmp_ratio calm;	/* without disturbed runs (when there are some) */
	char unpaired[96];	/* "": paired by rep; else why not */
};
struct sb_cmp_family {		/* Benjamini-Hochberg over the ratios of one or more tables */
	double q;		/* false discovery rate */
	int size, marked;	/* cells that could be marked; marked */
	int nr_cells;		/* all ratio cells, some too small to be marked */
	double alpha;		/* intervals are (1 - alpha) */
};
struct sb_cmp_row {
	char *label;		/* value of the row parameter, e.g. "4" threads */
	char *key;		/* all key columns, for seeds and csv output */
	char **params;		/* value of each key column (cmp.key_cols order) */
	struct sb_cmp_cell *cells;	/* one per level */
};
struct sb_cmp_block {
	char *title;		/* varying non-row parameters: "kind qspin" */
	char *tag;		/* the same without spaces: "kind=qspin" */
	struct sb_cmp_row *rows;
	int nr_rows;
};
struct sb_cmp_opts {
	const char *metric;	/* NULL: the file's throughput (*_per_s) column */
	const char *by;		/* compared dimension, default "pattern" */
	const char *baseline;	/* NULL: "ttl" if present, else the first level */
	const char *rows;	/* row parameter; NULL: threads if it varies */
	int nr_boot;
};
struct sb_cmp {
	const struct sb_csv_doc *doc;
	char *workload, *metric, *by, *row_param;
	char *fixed;		/* parameters constant over the file: "cs 50ns, ps 50ns" */
	char **key_cols;	/* parameter columns other than by */
	int nr_key_cols;
	char **levels;		/* values of by; levels[base] is the baseline */
	int nr_levels, base;
	struct sb_cmp_block *blocks;
	int nr_blocks;
	int nr_omitted;		/* rows (configurations) without a baseline run, not shown */
	int min_n, max_n;
	int nr_unpaired;	/* ratio cells whose reps do not pair */
	struct sb_disturb dist;
	struct sb_cmp_family fam, fam_calm;	/* all runs; without the disturbed */
};
/*
 * Returns 0; -1 with err "FILE:LINE: ..." when the data is damaged; -2 with
 * err naming the option when it does not apply to this file (no such
 * metric, dimension, baseline value or row parameter).
 */
int sb_cmp_build(const struct sb_csv_doc *doc, const struct sb_cmp_opts *o,
		 struct sb_cmp *cmp, char *err, size_t errlen);
void sb_cmp_free(struct sb_cmp *cmp);
/*
 * One family over the ratio cells of several tables (a whole report):
 * Benjamini-Hochberg, then every interval, verdict and detectable change
 * again at the family's level.  sb_cmp_build() decides each table alone.
 */
void sb_cmp_decide(struct sb_cmp *const *cmps, int n);

/* report.c: the changelog block, <= 72 columns, headed by machine and parameters. */
void sb_cmp_print_text(const struct sb_cmp *cmp, const char *machine, FILE *out);
/* columns.c: the throughput column of a runs file ("acq_per_s"), NULL if none. */
const char *sb_runs_throughput_metric(const struct sb_csv_doc *doc);
bool sb_runs_has_figure(const struct sb_csv_doc *doc, const char *metric);
/* Row indices sorted by the values of column col, file order among equals; free() it. */
int *sb_runs_rows_by(const struct sb_csv_doc *doc, int col);

/* plot.c: the gnuplot templates directory, as the front end located it. */
void sb_plot_set_templates(const char *dir);
/* Draw every plot whose data is present into DIR/plots; 0 or exit status. */
int sb_plot_results(const struct sb_rundir *res, FILE *notes);

/* report.c: DIR/report.md, written atomically. */
int sb_report_write(const struct sb_rundir *res, char *err, size_t errlen);

#endif /* SB_ANALYSIS_H */
