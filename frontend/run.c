/*
 * run.c - `sheafbench run [OPTIONS] -- CMD [ARGS]`: run any program with an
 * allocator preloaded (sheaf: libsheafmalloc-<pattern>.so; glibc: none; the
 * others: their Debian libraries), and report wall time, the children's CPU
 * time and peak RSS (ru_maxrss of the largest process) and, for sheaf, the
 * allocator's counters summed over every process of the run (the library
 * appends them to a statistics file at exit; preload/stats_columns.h).
 *
 * One row per run, starting with workload and pattern like every workload
 * report, so a study can use `run` as a workload.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "allocator_list.h"
#include "frontend.h"
#include "harness.h"
#include "pattern_list.h"
#include "stats_columns.h"

#if defined(__x86_64__)
#define RUN_MULTIARCH	"x86_64-linux-gnu"
#elif defined(__aarch64__)
#define RUN_MULTIARCH	"aarch64-linux-gnu"
#else
#define RUN_MULTIARCH	"unknown-linux-gnu"
#endif

static const char *const run_allocators[] = {
#define RUN_ALLOC_NAME(name, soname, symbol, package) #name,
	SB_FOR_EACH_ALLOCATOR(RUN_ALLOC_NAME)
#undef RUN_ALLOC_NAME
	NULL,
};
static const struct { const char *soname, *package; } run_libs[] = {
#define RUN_ALLOC_LIB(name, soname, symbol, package) { soname, package },
	SB_FOR_EACH_ALLOCATOR(RUN_ALLOC_LIB)
#undef RUN_ALLOC_LIB
};
static const char *const run_patterns[] = {
#define RUN_PATTERN_NAME(name, id, what) #name,
	SB_FOR_EACH_PATTERN(RUN_PATTERN_NAME)
#undef RUN_PATTERN_NAME
	NULL,
};
static const char *const count_names[SMC_NR] = {
#define RUN_COUNT_NAME(name, what) #name,
	SHEAFMALLOC_COUNT_COLUMNS(RUN_COUNT_NAME)
#undef RUN_COUNT_NAME
};

struct run_opts {
	int allocator;		/* index in run_allocators */
	const char *pattern;
	int nmi_hz;
	bool debug;
	const char *stats_file;	/* keep the per-process, per-cache rows here */
	enum sb_format format;
	char **cmd;		/* NULL-terminated */
};

struct run_result {
	double wall_s, user_s, sys_s;
	long peak_rss_kib;
	int processes;		/* processes that wrote statistics */
	uint64_t counts[SMC_NR];
	long stats_rss_kib;	/* largest peak_rss_kib the library saw */
};

#define RUN_USAGE								\
"usage: sheafbench run [OPTIONS] -- CMD [ARGS]\n"				\
"Run CMD with an allocator preloaded; report wall and CPU time, peak RSS and,\n" \
"for sheaf, the allocator's counters summed over every process of CMD."

/* Options end at "--"; CMD and its arguments follow it. */
static void parse(int argc, char **argv, struct run_opts *o)
{
	const char *cmd = argv[0];
	int pattern = 0, dashes = 1;
	struct sb_option opts[] = {
		SB_OPT_CHOICE("allocator", &o->allocator, run_allocators, "the allocator (default sheaf)"),
		SB_OPT_CHOICE("pattern", &pattern, run_patterns,
			      "the sheaf library's build (default sb)"),
		SB_OPT_INT("nmi-hz", &o->nmi_hz, 0, 1000000,
			   "sheaf: every thread gets a timer at N Hz whose handler calls\n"
			   "kmalloc_nolock/kfree_nolock (default 0: off)"),
		SB_OPT_BOOL("debug", &o->debug, "sheaf: the library with the allocator's debug checks"),
		SB_OPT_STRING("stats-file", &o->stats_file, "F",
			      "keep the library's per-process, per-cache csv rows in F"),
		SB_OPT_FORMAT(&o->format),
		SB_OPT_END,
	};

	*o = (struct run_opts){ .format = SB_FMT_TABLE };
	for (int i = 0; i < SB_NR_PATTERNS; i++)
		if (!strcmp(run_patterns[i], "sb"))
			pattern = i;
	while (dashes < argc && strcmp(argv[dashes], "--"))
		dashes++;
	if (sb_parse_options(cmd, opts, dashes, argv, RUN_USAGE) == SB_OPTIONS_HELP)
		exit(0);
	if (dashes + 1 >= argc)
		sb_die_usage(cmd, "a command to run is required after -- "
			     "(sheafbench run [OPTIONS] -- CMD [ARGS])");
	o->pattern = run_patterns[pattern];
	o->cmd = argv + dashes + 1;
	if (strcmp(run_allocators[o->allocator], "sheaf") && (o->nmi_hz || o->debug || o->stats_file))
		sb_die_usage(cmd, "--nmi-hz, --debug and --stats-file: only with --allocator sheaf "
			     "(got '%s')", run_allocators[o->allocator]);
}

/* The library for the chosen allocator; NULL: none (glibc). */
static const char *preload_path(const struct run_opts *o, char *buf, size_t len)
{
	const char *cmd = "run", *name = run_allocators[o->allocator];
	char self[PATH_MAX], *dir;
	ssize_t n;

	if (!strcmp(name, "glibc"))
		return NULL;
	if (strcmp(name, "sheaf")) {
		snprintf(buf, len, "/usr/lib/" RUN_MULTIARCH "/%s", run_libs[o->allocator].soname);
		if (access(buf, R_OK))
			sb_die_usage(cmd, "--allocator: '%s' needs %s (install the Debian package %s)",
				     name, buf, run_libs[o->allocator].package);
		return buf;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		sb_die_usage(cmd, "cannot find my own binary (/proc/self/exe): %s", strerror(errno));
	self[n] = '\0';
	dir = dirname(self);
	snprintf(buf, len, "%s/../lib/libsheafmalloc-%s%s.so", dir, o->pattern, o->debug ? "-debug" : "");
	if (access(buf, R_OK))
		sb_die_usage(cmd, "--allocator sheaf: %s is missing (build target sheafmalloc-%s%s)",
			     buf, o->pattern, o->debug ? "-debug" : "");
	return buf;
}

static void child_env(const struct run_opts *o, const char *lib, const char *stats)
{
	const char *old = getenv("LD_PRELOAD");
	char value[PATH_MAX * 2], hz[32];

	unsetenv("SHEAFMALLOC_STATS");
	unsetenv("SHEAFMALLOC_NMI_HZ");
	if (lib) {
		snprintf(value, sizeof(value), "%s%s%s", lib, old && *old ? ":" : "", old ? old : "");
		setenv("LD_PRELOAD", value, 1);
	}
	if (!stats)
		return;
	setenv("SHEAFMALLOC_STATS", stats, 1);
	setenv("SHEAFMALLOC_STATS_FORMAT", "csv", 1);
	if (o->nmi_hz) {
		snprintf(hz, sizeof(hz), "%d", o->nmi_hz);
		setenv("SHEAFMALLOC_NMI_HZ", hz, 1);
	}
}

/* Child side: exec CMD; on failure send errno up the close-on-exec pipe. */
static _Noreturn void exec_child(const struct run_opts *o, const char *lib, const char *stats,
				 int err_fd)
{
	int e;

	child_env(o, lib, stats);
	execvp(o->cmd[0], o->cmd);
	e = errno;
	if (write(err_fd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

/*
 * Fork, exec, wait.  0 if CMD exited 0; 2 if it could not be run (bad input);
 * 1 otherwise.  Exactly one line on stderr when not 0.
 */
static int run_child(const struct run_opts *o, const char *lib, const char *stats,
		     struct run_result *r)
{
	struct rusage ru;
	uint64_t t0 = sb_now_ns();
	int status, exec_errno = 0, fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) || (pid = fork()) < 0) {
		fprintf(stderr, "sheafbench run: cannot start '%s': %s\n", o->cmd[0], strerror(errno));
		return 1;
	}
	if (pid == 0) {
		close(fds[0]);
		exec_child(o, lib, stats, fds[1]);
	}
	close(fds[1]);
	while (read(fds[0], &exec_errno, sizeof(exec_errno)) < 0 && errno == EINTR)
		;
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	if (exec_errno) {
		fprintf(stderr, "sheafbench run: cannot run '%s': %s\n", o->cmd[0], strerror(exec_errno));
		return 2;
	}
	r->wall_s = (double)(sb_now_ns() - t0) / 1e9;
	getrusage(RUSAGE_CHILDREN, &ru);
	r->user_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	r->sys_s = (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	r->peak_rss_kib = ru.ru_maxrss;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		fprintf(stderr, "sheafbench run: '%s' was killed by signal %d (%s)\n", o->cmd[0],
			WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		fprintf(stderr, "sheafbench run: '%s' exited with status %d\n", o->cmd[0],
			WEXITSTATUS(status));
	return 1;
}

/* Column index of every count in the header; -1 if absent. */
static void header_columns(char *line, int *col_of, int *cache_col, int *rss_col)
{
	int c = 0;

	for (int i = 0; i < SMC_NR; i++)
		col_of[i] = -1;
	*cache_col = *rss_col = -1;
	for (char *save, *f = strtok_r(line, ",\n", &save); f; f = strtok_r(NULL, ",\n", &save), c++) {
		if (!strcmp(f, "cache"))
			*cache_col = c;
		if (!strcmp(f, "peak_rss_kib"))
			*rss_col = c;
		for (int i = 0; i < SMC_NR; i++)
			if (!strcmp(f, count_names[i]))
				col_of[i] = c;
	}
}

/* Sums the "all" rows: one per process that ran on the library. */
static void add_row(char *line, const int *col_of, int cache_col, int rss_col, struct run_result *r)
{
	char *field[128];
	int n = 0;

	for (char *save, *f = strtok_r(line, ",\n", &save); f && n < 128;
	     f = strtok_r(NULL, ",\n", &save))
		field[n++] = f;
	if (cache_col < 0 || cache_col >= n || strcmp(field[cache_col], "all"))
		return;
	r->processes++;
	for (int i = 0; i < SMC_NR; i++)
		if (col_of[i] >= 0 && col_of[i] < n)
			r->counts[i] += strtoull(field[col_of[i]], NULL, 10);
	if (rss_col >= 0 && rss_col < n && atol(field[rss_col]) > r->stats_rss_kib)
		r->stats_rss_kib = atol(field[rss_col]);
}

static void read_stats(const char *path, struct run_result *r)
{
	FILE *f = fopen(path, "r");
	char line[8192];
	int col_of[SMC_NR], cache_col = -1, rss_col = -1;
	bool have_header = false;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "workload,", 9)) {
			header_columns(line, col_of, &cache_col, &rss_col);
			have_header = true;
		} else if (have_header) {
			add_row(line, col_of, cache_col, rss_col, r);
		}
	}
	fclose(f);
}

static void report_counts(struct sb_report *rep, const struct run_result *r, bool have)
{
	const uint64_t *v = r->counts;

	sb_report_u64(rep, "processes", (uint64_t)r->processes);
	for (int i = 0; i < SMC_NR; i++)
		have ? sb_report_u64(rep, count_names[i], v[i]) : sb_report_na(rep, count_names[i]);
	if (have)
		sb_report_f64(rep, "nmi_delivered_hz", (double)v[SMC_nmi_calls] / r->wall_s);
	else
		sb_report_na(rep, "nmi_delivered_hz");
	if (have)
		sb_report_f64(rep, "nolock_unaccounted", (double)v[SMC_nolock_attempts] -
			      (double)(v[SMC_nolock_first_ok] + v[SMC_nolock_retry_ok] + v[SMC_nolock_null]));
	else
		sb_report_na(rep, "nolock_unaccounted");
#define RUN_DERIVED(name, expr) have ? sb_report_f64(rep, #name, expr) : sb_report_na(rep, #name);
	SHEAFMALLOC_DERIVED_COLUMNS(RUN_DERIVED)
#undef RUN_DERIVED
}

static void report(const struct run_opts *o, const struct run_result *r, bool sheaf)
{
	struct sb_report *rep = sb_report_new();
	char command[1024] = "";
	size_t off = 0;

	for (char **a = o->cmd; *a && off < sizeof(command) - 1; a++)
		off += (size_t)snprintf(command + off, sizeof(command) - off, "%s%s",
					a == o->cmd ? "" : " ", *a);
	sb_report_row(rep);
	sb_report_str(rep, "workload", "run");
	sheaf ? sb_report_str(rep, "pattern", o->pattern) : sb_report_na(rep, "pattern");
	sb_report_str(rep, "allocator", run_allocators[o->allocator]);
	sb_report_u64(rep, "nmi_hz", (uint64_t)o->nmi_hz);
	sb_report_str(rep, "command", command);
	sb_report_f64(rep, "wall_s", r->wall_s);
	sb_report_f64(rep, "user_s", r->user_s);
	sb_report_f64(rep, "sys_s", r->sys_s);
	sb_report_f64(rep, "cpu_s", r->user_s + r->sys_s);
	sb_report_u64(rep, "peak_rss_kib", (uint64_t)r->peak_rss_kib);
	report_counts(rep, r, sheaf && r->processes > 0);
	sb_report_print(rep, o->format, stdout);
	sb_report_free(rep);
}

/* The statistics file: --stats-file (emptied first), else a temporary one. */
static const char *stats_open(const struct run_opts *o, char *tmp, size_t len)
{
	int fd;

	if (o->stats_file) {
		fd = open(o->stats_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			sb_die_usage("run", "--stats-file: cannot create '%s': %s", o->stats_file,
				     strerror(errno));
		close(fd);
		return o->stats_file;
	}
	snprintf(tmp, len, "%s/sheafbench-run-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	fd = mkstemp(tmp);
	if (fd < 0) {
		fprintf(stderr, "sheafbench run: cannot create a statistics file %s: %s\n", tmp,
			strerror(errno));
		exit(1);
	}
	close(fd);
	return tmp;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	struct run_result r = { 0 };
	char lib_buf[PATH_MAX + 64], tmp[PATH_MAX];
	const char *lib, *stats = NULL;
	bool sheaf;
	int status;

	parse(argc, argv, &o);
	lib = preload_path(&o, lib_buf, sizeof(lib_buf));
	sheaf = !strcmp(run_allocators[o.allocator], "sheaf");
	if (sheaf)
		stats = stats_open(&o, tmp, sizeof(tmp));
	fflush(NULL);
	status = run_child(&o, lib, stats, &r);
	if (stats)
		read_stats(stats, &r);
	if (stats && !o.stats_file)
		unlink(stats);
	if (status)
		return status;
	if (sheaf && !r.processes)
		fprintf(stderr, "sheafbench run: no process of '%s' ran on %s (a static or setuid "
			"binary?); counters are n/a\n", o.cmd[0], lib);
	report(&o, &r, sheaf);
	return 0;
}
