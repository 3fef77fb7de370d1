/*
 * lock_check: run a `lock` command and check what it printed.
 *
 *   lock_check [EXPECT]... -- CMD ARGS...     CMD must exit 0 and print csv:
 *       a header with every documented column, then exactly one row of the
 *       same width; each EXPECT "COL[*COL]OP VALUE" (OP one of == <= >= >,
 *       VALUE a number or n/a) must hold for that row.
 *   lock_check --usage -- CMD ARGS...         CMD must exit exactly 2, print
 *       nothing on stdout and exactly one line on stderr.
 *   lock_check --contains=TEXT... -- CMD ARGS...   CMD must exit 0 and its
 *       stdout contain every TEXT (for the table and json formats).
 *   lock_check --custom-events EXPECT... -- CMD ARGS...   as the first, for a
 *       CMD given -e/--events: the default events' columns are not required.
 *
 * The column list is this file's own copy of the documented one, so a column
 * dropped or renamed in report.c fails here.  A watchdog kills a hung CMD.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_COLS	128
#define MAX_OUT		(1 << 16)
#define WATCHDOG_S	60

static const char *const documented_columns[] = {
	"workload", "pattern", "kind", "threads", "cs_ns", "ps_ns", "cs_lines",
	"cs_same_line", "nolock_fraction", "pin", "duration_s", "acquisitions",
	"acq_per_s", "ns_per_acq", "wait_p50_ns", "wait_p90_ns", "wait_p99_ns",
	"wait_p999_ns", "wait_max_ns", "jain", "min_share", "max_share",
	"contended_frac", "trylock_fail_rate", "nolock_fail_rate", "rmw_per_acq",
	"rmw_per_contended_acq", "test_reads_per_acq", "acq_bounces_per_acq", "con_bounces_per_acq",
	"timing_overhead_ns", "c2c_median_ns", "handoff_line_transfers",
	"cycles_per_acq", "instructions_per_acq", "cpu_time_s", "preemptions",
	"cs_lost_updates", "steal_ms", "invol_ctxsw", "ctx_switches", "cpu_migrations",
	"task_clock_ms", "cpu_wall_ratio", NULL,
};

struct output {
	char out[MAX_OUT], err[MAX_OUT];
	int status;
};

struct csv_line {
	char *field[MAX_COLS];
	int n;
};

static int __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "lock_check: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 1;
}

static void read_all(int fd, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;

	while (n + 1 < len && ((r = read(fd, buf + n, len - 1 - n)) > 0 || (r < 0 && errno == EINTR)))
		if (r > 0)
			n += (size_t)r;
	buf[n] = '\0';
}

/* Run argv with stdout and stderr captured (stderr to a temp file: no pipe deadlock). */
static int run_captured(char **argv, struct output *o)
{
	int out[2];
	FILE *err = tmpfile();
	pid_t pid;

	if (!err || pipe(out))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(fileno(err), 2);
		close(out[0]);
		alarm(WATCHDOG_S);
		execv(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	read_all(out[0], o->out, sizeof(o->out));
	close(out[0]);
	waitpid(pid, &o->status, 0);
	rewind(err);
	read_all(fileno(err), o->err, sizeof(o->err));
	fclose(err);
	return 0;
}

static int check_usage(const struct output *o)
{
	const char *nl = strchr(o->err, '\n');

	if (!WIFEXITED(o->status) || WEXITSTATUS(o->status) != 2)
		return fail("expected exit status 2");
	if (o->out[0])
		return fail("expected nothing on stdout, got: %s", o->out);
	if (!nl || nl == o->err || nl[1] != '\0')
		return fail("expected exactly one line on stderr, got: '%s'", o->err);
	if (strncmp(o->err, "sheafbench lock: ", 17))
		return fail("stderr line does not start with 'sheafbench lock: ': %s", o->err);
	printf("ok: %s", o->err);
	return 0;
}

/* Split the first line of s into fields in place ("quoted, ""fields"" too); return the next line. */
static char *csv_split(char *s, struct csv_line *l)
{
	char *end = s + strcspn(s, "\n");
	char *next = *end ? end + 1 : end;
	bool more = *s != '\0';

	*end = '\0';
	l->n = 0;
	while (more && l->n < MAX_COLS) {
		char *w = s;

		l->field[l->n++] = w;
		if (*s == '"') {
			for (s++; *s && !(*s == '"' && s[1] != '"'); s++) {
				s += *s == '"';		/* "" is one quote */
				*w++ = *s;
			}
			s += *s == '"';
		} else {
			while (*s && *s != ',')
				*w++ = *s++;
		}
		more = *s == ',';
		*w = '\0';
		s++;
	}
	return next;
}

static const char *value_of(const struct csv_line *h, const struct csv_line *row, const char *col)
{
	for (int i = 0; i < h->n; i++)
		if (!strcmp(h->field[i], col))
			return row->field[i];
	return NULL;
}

/* "a*b<=1", "contended_frac==0", "wait_p50_ns==n/a" */
static int check_expect(const struct csv_line *h, const struct csv_line *row, const char *e)
{
	char lhs[256], op[3] = "", *star;
	const char *rhs, *v1, *v2 = NULL;
	size_t n = strcspn(e, "=<>");
	double x, y;

	if (n >= sizeof(lhs) || !e[n])
		return fail("bad expectation '%s'", e);
	memcpy(lhs, e, n);
	lhs[n] = '\0';
	op[0] = e[n];
	if (e[n + 1] == '=')
		op[1] = '=';
	rhs = e + n + strlen(op);
	star = strchr(lhs, '*');
	if (star)
		*star = '\0';
	v1 = value_of(h, row, lhs);
	if (star)
		v2 = value_of(h, row, star + 1);
	if (!v1 || (star && !v2))
		return fail("expectation '%s' names a missing column", e);
	if (!strcmp(rhs, "n/a"))
		return strcmp(v1, "n/a") ? fail("%s: got '%s', expected n/a", e, v1) : 0;
	if (!strcmp(v1, "n/a") || (v2 && !strcmp(v2, "n/a")))
		return fail("%s: value is n/a", e);
	x = strtod(v1, NULL) * (v2 ? strtod(v2, NULL) : 1.0);
	y = strtod(rhs, NULL);
	if ((!strcmp(op, "==") && x == y) || (!strcmp(op, "<=") && x <= y) ||
	    (!strcmp(op, ">=") && x >= y) || (!strcmp(op, ">") && x > y))
		return 0;
	return fail("%s: got %s", e, v1);
}

/* The default events' columns; -e/--events LIST replaces them with its own. */
static bool is_default_event_column(const char *col)
{
	return !strcmp(col, "cycles_per_acq") || !strcmp(col, "instructions_per_acq");
}

static int check_csv(struct output *o, char **expects, int nexpects, bool custom_events)
{
	struct csv_line h, row, extra;
	char *rest;
	int bad = 0;

	if (!WIFEXITED(o->status) || WEXITSTATUS(o->status) != 0)
		return fail("command failed: %s", o->err);
	rest = csv_split(o->out, &h);
	rest = csv_split(rest, &row);
	csv_split(rest, &extra);
	if (extra.n)
		return fail("expected one data row, got more");
	if (row.n != h.n)
		return fail("row width differs from header width");
	for (int i = 0; documented_columns[i]; i++)
		if (!(custom_events && is_default_event_column(documented_columns[i])) &&
		    !value_of(&h, &row, documented_columns[i]))
			bad |= fail("missing column %s", documented_columns[i]);
	for (int i = 0; i < nexpects; i++)
		bad |= check_expect(&h, &row, expects[i]);
	if (!bad)
		printf("ok: %d columns, acquisitions=%s\n", h.n, value_of(&h, &row, "acquisitions"));
	return bad;
}

static int check_contains(const struct output *o, char **texts, int n)
{
	int bad = 0;

	if (!WIFEXITED(o->status) || WEXITSTATUS(o->status) != 0)
		return fail("command failed: %s", o->err);
	for (int i = 0; i < n; i++)
		if (!strstr(o->out, texts[i] + strlen("--contains=")))
			bad |= fail("output lacks '%s'", texts[i] + strlen("--contains="));
	if (!bad)
		printf("ok: %d texts found\n", n);
	return bad;
}

int main(int argc, char **argv)
{
	static struct output o;
	bool usage = false, contains = false, custom_events;
	int i, first_expect;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		usage |= !strcmp(argv[i], "--usage");
		contains |= !strncmp(argv[i], "--contains=", 11);
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "usage: lock_check [--usage | --contains=TEXT... | EXPECT...] -- CMD ARGS...\n");
		return 2;
	}
	custom_events = !strcmp(argv[1], "--custom-events");
	first_expect = custom_events ? 2 : 1;
	if (run_captured(argv + i + 1, &o))
		return fail("cannot run %s", argv[i + 1]);
	if (usage)
		return check_usage(&o);
	if (contains)
		return check_contains(&o, argv + first_expect, i - first_expect);
	return check_csv(&o, argv + first_expect, i - first_expect, custom_events);
}
