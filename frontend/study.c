/*
 * study.c - `sheafbench study`: run a study file's matrix, interleaved and
 * repeated, into a results directory (design.md section 5).
 *
 * Order of work: read the study (or, with --resume, the directory's copy of
 * it), probe each run line's workload, write study.study and meta.json, then
 * run the schedule.  Bad input exits 2 before anything is written.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "frontend.h"
#include "harness.h"
#include "study.h"

#define NS_PER_S		1000000000ULL
#define DEFAULT_RUN_NS		(1 * NS_PER_S)	/* assumed when the study sets no duration */
#define PROBE_TIMEOUT_NS	(30 * NS_PER_S)

struct study_opts {
	const char *study;	/* name or path */
	const char *duration, *out, *resume, *perf_events, *events;
	int reps;		/* 0: the study's own */
	uint64_t seed;
	bool has_seed, perf_stat, c2c, dry_run;
	double until;		/* --until: target half-width (fraction); 0: not asked */
	uint64_t budget_ns;	/* --budget; 0: not given */
};

static const char study_usage[] =
	"usage: sheafbench study [STUDY|FILE] [--reps N] [--duration D] [--out DIR]\n"
	"                        [--resume DIR] [--perf-stat] [--perf-events LIST] [--c2c]\n"
	"                        [--seed N] [--dry-run] [--until PCT [--budget D]]\n"
	"                        [-e|--events LIST]\n"
	"\n"
	"Runs every variant of a study file (STUDY: share/sheafbench/studies/STUDY.study,\n"
	"default 'quick') N times, interleaved (all variants of rep 1, then rep 2, ...;\n"
	"shuffled within a rep by --seed, 0 = not shuffled), each run a\n"
	"`sheafbench WORKLOAD ... --format csv` child whose row is appended to\n"
	"DIR/runs.csv as soon as it has finished.  --until PCT then adds rounds (one\n"
	"more rep of every variant) until every ratio to the baseline is within +-PCT,\n"
	"judged by confidence sequences valid at every look (95%, Bonferroni over the\n"
	"ratios), or --budget is spent; the final intervals go to DIR/until.txt.";

/* --duration: kept as written (it is passed on to every run), but checked here. */
static void duration_arg(const char *cmd, const char *opt, const char *val, void *data)
{
	if (!sb_parse_duration_ns(cmd, opt, val))
		sb_die_usage(cmd, "%s: '%s' must be more than 0", opt, val);
	*(const char **)data = val;
}

/*
 * -e/--events: every name must resolve here (perf's generic names, libpfm4),
 * else one line and exit 2 before any run; passed on as `-e LIST` to every run.
 */
static void events_arg(const char *cmd, const char *opt, const char *val, void *data)
{
	struct sb_events ev;

	sb_events_parse(cmd, opt, val, &ev);
	*(const char **)data = val;
}

static void seed_arg(const char *cmd, const char *opt, const char *val, void *data)
{
	struct study_opts *o = data;
	char *end;

	errno = 0;
	o->seed = strtoull(val, &end, 0);
	if (errno || *end || !*val || val[0] == '-')
		sb_die_usage(cmd, "%s: '%s' is not an unsigned integer", opt, val);
	o->has_seed = true;
}

/* --until 3% (or 3): percent, kept as a fraction */
static void until_arg(const char *cmd, const char *opt, const char *val, void *data)
{
	char num[32];
	size_t n;

	snprintf(num, sizeof(num), "%s", val);
	n = strlen(num);
	if (n && num[n - 1] == '%')
		num[n - 1] = '\0';
	*(double *)data = sb_parse_double(cmd, opt, num, 0.1, 50) / 100;
}

static void parse_opts(int argc, char **argv, struct study_opts *o)
{
	struct sb_option opts[] = {
		SB_OPT_ARG("STUDY", &o->study, "a study name or a .study file"),
		SB_OPT_INT("reps", &o->reps, 1, 10000,
			   "repetitions per variant (default: the study's 'reps')"),
		SB_OPT_CALLBACK("duration", "D", duration_arg, &o->duration,
				"per-run duration, e.g. 300ms (default: the study's 'duration')"),
		SB_OPT_STRING("out", &o->out, "DIR",
			      "results directory (default results/STUDY-YYYYmmdd-HHMMSS)"),
		SB_OPT_STRING("resume", &o->resume, "DIR",
			      "continue an interrupted study: runs already in DIR are kept"),
		SB_OPT_BOOL("perf-stat", &o->perf_stat,
			    "wrap each run in `perf stat -x,`: perf_<event> columns (n/a\n"
			    "where not supported, e.g. no PMU; the reason is in meta.json)"),
		SB_OPT_STRING("perf-events", &o->perf_events, "LIST",
			      "event list for --perf-stat, which it implies (default\n"
			      SB_STUDY_PERF_EVENTS ")"),
		{ .type = SB_OPTT_CALLBACK, .name = "events", .short_name = 'e', .metavar = "LIST",
		  .value = &o->events, .fn = events_arg,
		  .help = "events every run counts per thread (workers' -e; perf's or libpfm4's "
			  "names): extra perf_* columns" },
		SB_OPT_BOOL("c2c", &o->c2c,
			    "one `perf c2c record` per variant after the runs (needs a PMU)"),
		SB_OPT_CALLBACK("seed", "N", seed_arg, o,
				"shuffle seed (default: from the clock; recorded in meta.json)"),
		SB_OPT_BOOL("dry-run", &o->dry_run,
			    "print the variants and commands, run nothing, write nothing"),
		SB_OPT_CALLBACK("until", "PCT", until_arg, &o->until,
				"add rounds until every ratio is within +-PCT (0.1-50, e.g. 3%)"),
		SB_OPT_DURATION("budget", &o->budget_ns, 1,
				"with --until: no round that would end after T (default 1h)"),
		SB_OPT_END,
	};

	memset(o, 0, sizeof(*o));
	if (sb_parse_options("study", opts, argc, argv, study_usage) == SB_OPTIONS_HELP)
		exit(0);
	if (o->perf_events)
		o->perf_stat = true;
	if (o->budget_ns && !o->until)
		sb_die_usage("study", "--budget: needs --until");
	if (o->until && o->resume)
		sb_die_usage("study", "--until: does not go with --resume '%s'", o->resume);
	if (o->until && !o->budget_ns)
		o->budget_ns = 3600 * NS_PER_S;
}

/* The studies directory (paths.c); "(none found)" keeps messages readable. */
static const char *studies_dir(void)
{
	const char *dir = sb_data_dir(SB_DATA_STUDIES);

	return dir ? dir : "(none found)";
}

/* "quick" -> <studies dir>/quick.study; a path is taken as is. */
static char *study_path(const char *study)
{
	const char *name = study ? study : "quick";
	char *path;

	if (strchr(name, '/') || (strlen(name) > 6 && !strcmp(name + strlen(name) - 6, ".study")))
		return strdup(name);
	if (asprintf(&path, "%s/%s.study", studies_dir(), name) < 0)
		return NULL;
	return path;
}

/* A study name that is not in the studies directory: say which names are. */
static _Noreturn void die_unknown_study(const char *name)
{
	char *list = NULL, *pattern;
	size_t len = 0;
	FILE *f = open_memstream(&list, &len);
	glob_t g;

	if (asprintf(&pattern, "%s/*.study", studies_dir()) < 0)
		exit(1);
	if (!glob(pattern, 0, NULL, &g)) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			const char *base = strrchr(g.gl_pathv[i], '/') + 1;

			fprintf(f, "%s%.*s", i ? ", " : "", (int)(strlen(base) - 6), base);
		}
		globfree(&g);
	}
	fclose(f);
	free(pattern);
	sb_die_usage("study", "STUDY: '%s' is neither a file nor a study in %s "
		     "(allowed: %s)", name, studies_dir(), list);
}

static void load_study(struct study_opts *o, struct sb_study *st)
{
	char err[512], *path;

	if (o->resume) {
		if (o->study || o->reps || o->duration || o->has_seed || o->out || o->perf_stat ||
		    o->events)
			sb_die_usage("study", "--resume: '%s' takes no STUDY, --reps, --duration, "
				     "--seed, --out, --perf-stat or --events (they are in its "
				     "study.study)", o->resume);
		if (asprintf(&path, "%s/study.study", o->resume) < 0)
			exit(1);
	} else {
		path = study_path(o->study);
		if (path && access(path, F_OK) && o->study && !strchr(o->study, '/'))
			die_unknown_study(o->study);
	}
	if (!path || sb_study_parse_file(path, st, err, sizeof(err))) {
		fprintf(stderr, "sheafbench study: %s\n", err);
		exit(2);
	}
	free(path);
}

static void apply_overrides(const struct study_opts *o, struct sb_study *st)
{
	if (o->reps)
		st->reps = o->reps;
	if (o->duration) {
		free(st->duration);
		st->duration = strdup(o->duration);
	}
	if (o->has_seed) {
		st->seed = o->seed;
		st->has_seed = true;
	}
	if (!st->has_seed) {
		st->seed = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid();
		st->has_seed = true;
	}
	if (o->perf_stat)
		st->perf_stat = true;
	if (o->perf_events) {
		free(st->perf_events);
		st->perf_events = strdup(o->perf_events);
	}
	if (o->c2c)
		st->c2c = true;
	if (o->events) {
		free(st->events);
		st->events = strdup(o->events);
	}
}

/* Does `--help` text mention option --key as a whole word? */
static bool help_lists(const char *help, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = help; (p = strstr(p, "--")); p += 2)
		if (!strncmp(p + 2, key, n) && !(p[2 + n] == '-' || (p[2 + n] >= 'a' && p[2 + n] <= 'z')))
			return true;
	return false;
}

/* Options the front end consumes before the worker sees the command line. */
static bool frontend_option(const char *key)
{
	return !strcmp(key, "pattern") || !strcmp(key, "allocator") || !strcmp(key, "workload");
}

/*
 * Ask each run line's workload for its --help: a workload this build lacks is
 * reported and skipped; an option it does not list is a study-file error.
 */
static void probe_lines(struct sb_study_ctx *c, char **skipped)
{
	size_t len = 0;
	FILE *sk = open_memstream(skipped, &len);

	c->lines = calloc((size_t)c->st.nr_runs, sizeof(*c->lines));
	for (int r = 0; r < c->st.nr_runs; r++) {
		const struct sb_study_run *run = &c->st.runs[r];
		char *argv[] = { (char *)c->exe, run->workload, "--help", NULL };
		struct sb_child ch;

		if (sb_child_run(argv, PROBE_TIMEOUT_NS, &ch) || ch.status || ch.timed_out) {
			fprintf(stderr, "sheafbench study: %s:%d: workload '%s' is not available in "
				"this build (sheafbench %s --help failed); skipping its runs\n",
				c->st.path, run->line, run->workload, run->workload);
			fprintf(sk, "%s%s (line %d)", len ? ", " : "", run->workload, run->line);
			fflush(sk);
			sb_child_free(&ch);
			continue;
		}
		c->lines[r].available = true;
		c->lines[r].takes_duration = help_lists(ch.out, "duration");
		c->lines[r].takes_events = help_lists(ch.out, "events");
		if (c->st.events && !c->lines[r].takes_events) {
			fprintf(stderr, "sheafbench study: --events: workload '%s' (%s:%d) takes no "
				"-e/--events (allowed with: lock, slab, page)\n", run->workload,
				c->st.path, run->line);
			exit(2);
		}
		for (int a = 0; a < run->nr_axes; a++) {
			const char *key = run->axes[a].key;

			if (!strcmp(key, "duration"))
				c->lines[r].sets_duration = true;
			if (!frontend_option(key) && !help_lists(ch.out, key)) {
				fprintf(stderr, "sheafbench study: %s:%d: unknown key '%s' for workload "
					"'%s' (not in `sheafbench %s --help`)\n", c->st.path,
					run->line, key, run->workload, run->workload);
				exit(2);
			}
		}
		sb_child_free(&ch);
	}
	fclose(sk);
	if (!len) {
		free(*skipped);
		*skipped = NULL;
	}
}

static void print_plan(const struct sb_study_ctx *c)
{
	uint64_t run_ns = c->st.duration ? sb_parse_duration_ns("study", "duration", c->st.duration)
					 : DEFAULT_RUN_NS;
	int runnable = 0;

	for (int i = 0; i < c->nr_variants; i++) {
		const struct sb_study_variant *v = &c->variants[i];
		bool ok = c->lines[v->run].available;

		char *argv[SB_STUDY_MAX_ARGS];

		runnable += ok;
		printf("%-4d %s%s\n    ", i + 1, v->id, ok ? "" : "  (skipped: not built)");
		sb_study_argv(c, v, NULL, argv);
		for (int a = 0; argv[a]; a++)
			printf(" %s", argv[a]);
		putchar('\n');
	}
	printf("study %s: %d variants (%d runnable) x %d reps = %d runs, at least %.0f s\n",
	       c->st.name, c->nr_variants, runnable, c->st.reps, runnable * c->st.reps,
	       (double)runnable * c->st.reps * (double)run_ns / 1e9);
}

static char *default_out(const struct sb_study *st)
{
	char stamp[32], *dir;
	time_t t = time(NULL);

	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&t));
	if (asprintf(&dir, "results/%s-%s", st->name, stamp) < 0)
		exit(1);
	return dir;
}

static int mkdir_p(const char *dir)
{
	char *p = strdupa(dir);

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return mkdir(p, 0755) && errno != EEXIST ? -1 : 0;
}

/* A new study never appends to an old one's rows: that is what --resume is for. */
static void refuse_used_dir(const char *dir)
{
	char *path;

	if (asprintf(&path, "%s/study.study", dir) < 0)
		exit(1);
	if (!access(path, F_OK))
		sb_die_usage("study", "--out: '%s' already holds a study (use --resume %s)", dir,
			     dir);
	free(path);
}

static const char results_readme[] =
	"Results of `sheafbench study` (frontend/study.c).\n"
	"runs.csv: one row per finished run: study,variant,rep, then the workload's own csv\n"
	"columns (workload,pattern,parameters...,figures), then perf_<event> with --perf-stat\n"
	"(whole-run totals of `perf stat`, setup included; n/a where perf could not count).\n"
	"Rows whose header differs from runs.csv's go to runs-<command>.csv (lock, slab, page;\n"
	"then runs-<command>-2.csv, ...): one file per distinct header, each with its header.\n"
	"A row is written only after its run exited 0; failed runs are in errors.log.\n"
	"meta.json: machine, build, seed and PMU availability; study.study: the effective\n"
	"study (sheafbench study --resume DIR re-reads it); perf/: raw perf output.\n";

static void write_text(const char *dir, const char *name, const char *text)
{
	char *path;
	FILE *f;

	if (asprintf(&path, "%s/%s", dir, name) < 0 || !(f = fopen(path, "w"))) {
		fprintf(stderr, "sheafbench study: %s/%s: %s\n", dir, name, strerror(errno));
		exit(1);
	}
	fputs(text, f);
	fclose(f);
	free(path);
}

static void prepare_dir(struct sb_study_ctx *c, bool resume)
{
	char err[512], *path, *text = NULL;
	size_t len = 0;
	FILE *f;

	if (asprintf(&path, "%s/perf", c->dir) < 0)
		exit(1);
	if (mkdir_p(c->dir) ||
	    ((c->st.perf_stat || c->st.c2c) && mkdir(path, 0755) && errno != EEXIST)) {
		fprintf(stderr, "sheafbench study: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	free(path);
	sb_results_init(&c->res, c->dir);
	if (sb_results_load(&c->res, err, sizeof(err))) {
		fprintf(stderr, "sheafbench study: %s\n", err);
		exit(1);
	}
	if (resume)
		return;
	f = open_memstream(&text, &len);
	sb_study_write(&c->st, f);
	fclose(f);
	write_text(c->dir, "study.study", text);
	write_text(c->dir, "README", results_readme);
	free(text);
}

/*
 * The runs exec the front end itself, so its pattern and LD_PRELOAD dispatch
 * applies.  SHEAFBENCH_STUDY_TEST_EXE is a test hook only: tests/study points
 * it at a fake worker so that kill-and-resume can be checked deterministically.
 */
static void resolve_exe(struct sb_study_ctx *c)
{
	static char exe[PATH_MAX];
	const char *test_exe = getenv("SHEAFBENCH_STUDY_TEST_EXE");
	int rc;

	if (test_exe && *test_exe) {
		c->exe = test_exe;
		return;
	}
	rc = sb_self_exe(exe, sizeof(exe));
	if (rc) {
		fprintf(stderr, "sheafbench study: cannot find my own binary (/proc/self/exe): %s\n",
			strerror(-rc));
		exit(1);
	}
	c->exe = exe;
}

static uint64_t run_timeout(const struct sb_study *st)
{
	uint64_t d = st->duration ? sb_parse_duration_ns("study", "duration", st->duration) : 0;

	/* generous: a run is killed only when it clearly hangs */
	return 20 * (d ? d : DEFAULT_RUN_NS) + 60 * NS_PER_S;
}

static int finish(struct sb_study_ctx *c)
{
	char wall[32];
	uint64_t s = c->wall_ns / NS_PER_S;

	snprintf(wall, sizeof(wall), "%lum%02lus", (unsigned long)(s / 60), (unsigned long)(s % 60));
	fprintf(stderr, "study %s: %d runs in %s: %d written, %d failed%s -> %s\n", c->st.name,
		c->nr_runs, wall, c->written, c->failed, c->failed ? " (see errors.log)" : "",
		c->dir);
	printf("%s\n", c->dir);
	return c->failed ? 1 : 0;
}

/* After --until, study.study says how many reps the directory holds. */
static void record_reps(const struct sb_study_ctx *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	sb_study_write(&c->st, f);
	fclose(f);
	write_text(c->dir, "study.study", text);
	free(text);
}

int cmd_study(int argc, char **argv)
{
	struct sb_study_ctx c = { 0 };
	struct study_opts o;
	char *skipped = NULL, err[512];
	int ret;

	parse_opts(argc, argv, &o);
	load_study(&o, &c.st);
	apply_overrides(&o, &c.st);
	if (c.st.events) {		/* from the study file too: checked before any run */
		struct sb_events ev;

		sb_events_parse("study", "events", c.st.events, &ev);
	}
	c.perf_events = c.st.perf_events ? c.st.perf_events : SB_STUDY_PERF_EVENTS;
	c.nr_variants = sb_study_expand(&c.st, &c.variants);
	if (sb_study_check_unique(&c.st, c.variants, c.nr_variants, err, sizeof(err))) {
		fprintf(stderr, "sheafbench study: %s\n", err);
		exit(2);
	}
	c.timeout_ns = run_timeout(&c.st);
	resolve_exe(&c);
	if (o.out && !o.dry_run)
		refuse_used_dir(o.out);
	probe_lines(&c, &skipped);
	if (o.dry_run) {
		print_plan(&c);
		ret = 0;
		goto out;
	}
	c.dir = o.resume ? strdup(o.resume) : o.out ? strdup(o.out) : default_out(&c.st);
	prepare_dir(&c, o.resume);
	sb_study_meta_write(&c, argc, argv, skipped, o.resume);
	sb_child_forward_signals();
	if (o.until > 0) {
		sb_study_until(&c, o.until, o.budget_ns);
		record_reps(&c);
	} else {
		sb_study_execute(&c);
	}
	if (c.st.c2c)
		sb_study_record_c2c(&c);
	ret = finish(&c);
	sb_results_free(&c.res);
out:
	sb_study_variants_free(c.variants, c.nr_variants);
	sb_study_free(&c.st);
	free(c.lines);
	free(c.dir);
	free(skipped);
	return ret;
}
