/*
 * study.h - the one public header of lib sb_study.
 *
 * Two owners write into this folder: the study runner (study*.c, perfstat.c,
 * meta.c; section "study runner" below) and compare/stats/plot/report (their
 * own section, appended below ours).  Keep each section's declarations together.
 */
#ifndef SB_STUDY_H
#define SB_STUDY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* util.c: the one allocation family; each exits(1) with one line when out of memory. */
void *sb_xrealloc(void *p, size_t size);	/* size 0 is 1 */
void *sb_xcalloc(size_t n, size_t size);
char *sb_xstrdup(const char *s);

/* Front-end commands (argv[0] = the command name). */
int cmd_study(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_plot(int argc, char **argv);

/* ======================================================================
 * Section: study runner (study.c, study_file.c, study_matrix.c, study_exec.c,
 * study_results.c, study_child.c, study_meta.c, perfstat.c)
 * ====================================================================== */

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
/* Events of --perf-stat; cycles and instructions are <not supported> without a PMU. */
#define SB_STUDY_PERF_EVENTS \
	"task-clock,context-switches,cpu-migrations,page-faults,cycles,instructions," \
	"cache-references,cache-misses"

/* One option of a run line with its list of values: threads=1,2,4. */
struct sb_study_axis {
	char *key;		/* long option without "--"; "workload" is positional */
	char **values;		/* none: a flag, passed as --key alone */
	int nr_values;
};

/* One `run` line: a workload and the cartesian product of its axes. */
struct sb_study_run {
	char *workload;		/* lock, slab, page, ... */
	int line;		/* line in the study file, for messages */
	struct sb_study_axis *axes;
	int nr_axes;
};

struct sb_study {
	char *path;		/* file it was read from (messages) */
	char *name;		/* "name" key, else the file's basename without .study */
	int reps;		/* repetitions per variant (default 5) */
	char *duration;		/* as written ("300ms"), passed to every run; NULL: worker default */
	uint64_t seed;		/* shuffle seed; has_seed false: chosen at start */
	bool has_seed;
	bool perf_stat;		/* "perf-stat on": wrap runs in perf stat */
	char *perf_events;	/* "perf-events a,b": NULL = SB_STUDY_PERF_EVENTS */
	bool c2c;		/* "c2c on": one perf c2c record per variant */
	struct sb_study_run *runs;
	int nr_runs;
};

/*
 * Parse a study file.  Returns 0, or -1 with err = "FILE:LINE: what is wrong"
 * (unknown key, bad value, empty value list, no run line).
 */
int sb_study_parse_file(const char *path, struct sb_study *st, char *err, size_t errlen);
int sb_study_parse_text(const char *path, const char *text, struct sb_study *st,
			char *err, size_t errlen);
void sb_study_free(struct sb_study *st);
/* Write the study back in study-file syntax (the results dir's study.study). */
void sb_study_write(const struct sb_study *st, FILE *out);

/* One point of a run line's matrix. */
struct sb_study_variant {
	char *id;		/* stable: "lock:kind=qspin:pattern=ttl:threads=1" */
	int run;		/* index into sb_study.runs */
	char **args;		/* workload, [positional], --key, value, ...; NULL-terminated */
	int nr_args;
};

/* Expand every run line; *out is malloc'ed.  Returns the number of variants. */
int sb_study_expand(const struct sb_study *st, struct sb_study_variant **out);
void sb_study_variants_free(struct sb_study_variant *v, int n);
/* Two run lines giving the same variant id: -1 + "FILE:LINE: ..." in err. */
int sb_study_check_unique(const struct sb_study *st, const struct sb_study_variant *v, int n,
			  char *err, size_t errlen);

/* A (variant, rep) slot of the interleaved schedule. */
struct sb_study_slot {
	int variant;
	int rep;		/* 1-based */
};

/*
 * Interleaved order: all variants of rep 1, then all of rep 2, ...; within each
 * rep the order is shuffled by a PRNG seeded with seed (seed 0: no shuffle).
 * slots has nr_variants * reps entries.
 */
void sb_study_schedule(int nr_variants, int reps, uint64_t seed, struct sb_study_slot *slots);

/*
 * Split one csv line in place into fields (no quoting: sheafbench reports never
 * put commas or quotes in a field).  A trailing '\n' is dropped.  Returns the
 * number of fields, at most max.
 */
int sb_csv_split(char *line, char **fields, int max);

/* study_results.c: the runs*.csv files of one results directory. */
struct sb_results_file {
	char *name;		/* "runs.csv", "runs-slab.csv", ... */
	char *header;		/* its first line, without '\n' */
};
struct sb_results_done {
	char *variant;
	int rep;
};
struct sb_results {
	char *dir;
	struct sb_results_file *files;
	int nr_files;
	struct sb_results_done *done;	/* (variant, rep) rows already written */
	int nr_done;
};
void sb_results_init(struct sb_results *r, const char *dir);
/* Resume: read every runs*.csv, dropping a partial last line.  0 or -1 + err. */
int sb_results_load(struct sb_results *r, char *err, size_t errlen);
bool sb_results_done(const struct sb_results *r, const char *variant, int rep);
/* Append one row (no '\n') under its header, creating the file if new.  0 or -1 + errno. */
int sb_results_append(struct sb_results *r, const char *workload, const char *header,
		      const char *row);
void sb_results_free(struct sb_results *r);

/* study_child.c: run one command with its output captured. */
struct sb_child {
	int status;		/* exit code; 128 + signal if killed */
	bool timed_out;
	char *out;		/* stdout, NUL-terminated */
	char *err;		/* stderr, NUL-terminated */
	uint64_t wall_ns;
};
/* argv[0] is a path.  timeout_ns 0: none.  Returns 0 if it could be started. */
int sb_child_run(char *const argv[], uint64_t timeout_ns, struct sb_child *c);
void sb_child_free(struct sb_child *c);
/* SIGINT/SIGTERM to the study also end the running child's process group. */
void sb_child_forward_signals(void);

/* study_exec.c: the runner's state, shared by study.c and study_exec.c. */
struct sb_study_line {		/* one run line, as probed with `<workload> --help` */
	bool available;		/* the workload is built into this sheafbench */
	bool takes_duration;	/* its --help lists --duration */
	bool sets_duration;	/* the run line has its own duration= axis */
};
struct sb_study_ctx {
	struct sb_study st;
	struct sb_study_variant *variants;
	int nr_variants;
	struct sb_study_line *lines;	/* one per st.runs[] */
	const char *exe;		/* resolved /proc/self/exe */
	char *dir;			/* results directory */
	struct sb_results res;
	const char *perf_events;	/* perf stat -e list */
	bool perf_ok;			/* perf stat works here */
	uint64_t timeout_ns;		/* per run, then the run is killed and logged */
	int written, failed, nr_runs;
	uint64_t wall_ns;
};
#define SB_STUDY_MAX_ARGS	160	/* > 8 (perf) + 1 + 2 * 64 words a line + 5 */
/* The command line of one run; argv needs SB_STUDY_MAX_ARGS slots.  Returns argc. */
int sb_study_argv(const struct sb_study_ctx *c, const struct sb_study_variant *v,
		  const char *perf_out, char **argv);
void sb_study_execute(struct sb_study_ctx *c);
/* study_meta.c: meta.json (meta-resume.json on resume); decides c->perf_ok and st.c2c. */
void sb_study_meta_write(struct sb_study_ctx *c, int argc, char **argv, const char *skipped,
			 bool resume);
void sb_study_record_c2c(struct sb_study_ctx *c);

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

/* ======================================================================
 * Section: compare, stats, plot, report (csv.c, json.c, rundir.c, meta.c,
 * columns.c, group.c, summary.c, stats.c, compare.c, plot.c, report.c)
 * ====================================================================== */

int cmd_report(int argc, char **argv);

/* csv.c: strict RFC 4180 reader; errors are "FILE:LINE: what is wrong". */
struct sb_csv_doc {
	char *path;
	int nr_cols, nr_rows;
	char **cols;		/* header names */
	char **cells;		/* nr_rows * nr_cols, row-major */
	int *lines;		/* file line where each row starts */
	int first_figure;	/* compare.c's cache: first figure column, 0 = unknown */
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
};
/* Returns 0, or -1 with err "FILE:LINE: ..." (or "DIR: ..."). */
int sb_rundir_load(const char *dir, struct sb_rundir *res, char *err, size_t errlen);
void sb_rundir_free(struct sb_rundir *res);
/* json.c: value of a top-level-or-nested "key" in meta.json text, as a string. */
bool sb_json_lookup(const char *json, const char *key, char *out, size_t len);

/* group.c, summary.c: one metric grouped for comparison. */
struct sb_cmp_cell {
	int n;			/* runs with a value */
	double *v;
	struct sb_ci med;
	struct sb_ci ratio;	/* to the baseline level of the same row */
	enum sb_verdict verdict;
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
};
/*
 * Returns 0; -1 with err "FILE:LINE: ..." when the data is damaged; -2 with
 * err naming the option when it does not apply to this file (no such
 * metric, dimension, baseline value or row parameter).
 */
int sb_cmp_build(const struct sb_csv_doc *doc, const struct sb_cmp_opts *o,
		 struct sb_cmp *cmp, char *err, size_t errlen);
void sb_cmp_free(struct sb_cmp *cmp);

/* report.c: the changelog block, <= 72 columns, headed by machine and parameters. */
void sb_cmp_print_text(const struct sb_cmp *cmp, const char *machine, FILE *out);
/* columns.c: the throughput column of a runs file ("acq_per_s"), NULL if none. */
const char *sb_runs_throughput_metric(const struct sb_csv_doc *doc);
bool sb_runs_has_figure(const struct sb_csv_doc *doc, const char *metric);
/* Row indices sorted by the values of column col, file order among equals; free() it. */
int *sb_runs_rows_by(const struct sb_csv_doc *doc, int col);

/* plot.c */
/* Draw every plot whose data is present into DIR/plots; 0 or exit status. */
int sb_plot_results(const struct sb_rundir *res, FILE *notes);

/* report.c: DIR/report.md, written atomically. */
int sb_report_write(const struct sb_rundir *res, char *err, size_t errlen);

#endif /* SB_STUDY_H */
