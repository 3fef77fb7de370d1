/*
 * study.h - the study runner, part of the front end: it re-executes the
 * sheafbench binary for every run, so it lives with that binary, above the
 * analysis library whose readers it shares (analysis.h: results layout,
 * csv, perf stat output).
 */
#ifndef SB_FRONTEND_STUDY_H
#define SB_FRONTEND_STUDY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "analysis.h"

/* `sheafbench study` (argv[0] = "study"). */
int cmd_study(int argc, char **argv);

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
	char *events;		/* "events a,b": -e for every worker (counted in process); NULL: none */
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
	bool takes_events;	/* its --help lists -e/--events */
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
/* study_until.c: rounds (c->st.reps is the first batch) until every ratio to
 * its baseline is within +-pct (a fraction) or budget_ns is spent; the final
 * intervals go to stderr and DIR/until.txt, c->st.reps is the rounds run. */
void sb_study_until(struct sb_study_ctx *c, double pct, uint64_t budget_ns);

#endif /* SB_FRONTEND_STUDY_H */
