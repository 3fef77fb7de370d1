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

/* Front-end commands (argv[0] = the command name). */
int cmd_study(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_plot(int argc, char **argv);

/* ======================================================================
 * Section: study runner (study.c, study_file.c, study_run.c, study_csv.c,
 * perfstat.c, meta.c)
 * ====================================================================== */

/*
 * Results directory layout (written by `sheafbench study`):
 *   runs.csv            one row per finished run: study,variant,rep, then the
 *                       worker's csv columns (workload,pattern,params...,figures),
 *                       then perf_<event> columns when --perf-stat was given.
 *   runs-<wl>[-N].csv   rows whose header differs from runs.csv's header go to a
 *                       file of their own, one file per distinct header.
 *   meta.json           machine, build, seed, PMU availability, study copy.
 *   study.study         the effective study file (resume re-reads it).
 *   errors.log          failed runs with their stderr.
 *   perf/               raw `perf stat -x,` output per run, c2c recordings.
 */
#define SB_RUNS_LEADING_COLUMNS "study,variant,rep"
#define SB_RUNS_NR_LEADING	3

/* One option of a run line with its list of values: threads=1,2,4. */
struct sb_study_axis {
	char *key;		/* long option without "--"; "workload" is positional */
	char **values;
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

#endif /* SB_STUDY_H */
