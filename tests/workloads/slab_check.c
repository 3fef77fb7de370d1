/*
 * slab_check: runs one slab/page/slabinfo command under a watchdog and checks
 * what it printed.
 *
 *   slab_check MODE -- COMMAND [ARGS...]
 *
 * MODE  slab       exit 0; csv with every documented slab column, one row,
 *                  ops > 0; sheaf counter columns numeric for the sheaf
 *                  allocator and n/a for the others
 *       lean       as slab, plus harness is lean, no latency sampled, and the
 *                  null baseline harness_ns_per_op > 0 and ns_per_op_alloc are numbers
 *       baseline   as slab, plus harness_ns_per_op > 0 and ns_per_op_alloc numeric
 *       no-baseline as slab, plus harness_ns_per_op and ns_per_op_alloc are n/a
 *       cross-node as slab, plus remote_frees_per_kop > 0 (frees crossed nodes)
 *       nmi        as slab, plus the kmalloc_nolock outcomes add up:
 *                  attempts == first_ok + retry_ok + null, and attempts > 0
 *       page       exit 0; csv with every documented page column, ops > 0
 *       slabinfo   exit 0 and some output on stdout
 *       usage      exit 2, exactly one line on stderr, nothing on stdout
 *       missing    exit 2, one line on stderr naming a Debian package
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define WATCHDOG_S	60
#define MAX_COLS	256

static const char *const slab_columns[] = {
	"workload", "pattern", "allocator", "threads", "size", "batch", "order",
	"sheaf_capacity", "nmi_hz", "nolock_fraction", "pin", "duration_s", "ops",
	"ops_per_s", "ns_per_op", "op_p50_ns", "op_p90_ns", "op_p99_ns", "op_p999_ns",
	"op_max_ns", "jain", "min_share", "max_share", "cpu_time_s", "peak_rss_mib",
	"nmi_timer_overruns",
	"fastpath_hit_rate", "sheaf_swaps_per_kop", "barn_hits_per_kop",
	"barn_misses_per_kop", "refills_per_kop", "new_slabs_per_kop", "flushes_per_kop",
	"remote_frees_per_kop", "trylock_fail_rate_pcs", "trylock_fail_rate_barn",
	"trylock_fail_rate_list", "trylock_fail_rate_zone", "trylock_fail_share_pcs",
	"trylock_fail_share_barn", "trylock_fail_share_list", "trylock_fail_share_zone",
	"nolock_allocs", "nolock_frees", "nolock_attempts", "nolock_first_ok",
	"nolock_retry_ok", "nolock_null", "nolock_attempts_per_s",
	"nolock_attempts_per_alloc", "nolock_retries_per_s", "nolock_retries_per_alloc",
	"nolock_null_per_s", "nolock_null_per_alloc", "nolock_deferred_per_s",
	"nolock_deferred_per_free", "nolock_p50_ns", "nolock_p99_ns", "nolock_max_ns",
	"steal_ms", "invol_ctxsw", "ctx_switches", "cpu_migrations", "task_clock_ms",
	"cpu_wall_ratio", "harness", "harness_ns_per_op", "ns_per_op_alloc", NULL,
};

/* What disturbed the run: measured for real on any Linux, never n/a. */
static const char *const disturbance_columns[] = {
	"steal_ms", "invol_ctxsw", "ctx_switches", "cpu_migrations", "task_clock_ms",
	"cpu_wall_ratio", NULL,
};

/* Always numbers for the sheaf allocator, n/a for the others. */
static const char *const sheaf_only_columns[] = {
	"fastpath_hit_rate", "refills_per_kop", "nolock_allocs", NULL,
};

static const char *const page_columns[] = {
	"workload", "pattern", "threads", "order_max", "batch", "nolock_fraction", "pin",
	"duration_s", "ops", "ops_per_s", "pages_per_s", "ns_per_op", "op_p50_ns",
	"op_p99_ns", "op_p999_ns", "op_max_ns", "jain", "cpu_time_s", "zone_acquisitions",
	"contended_frac", "rmw_per_acq", "test_reads_per_acq", "acq_bounces_per_acq",
	"con_bounces_per_acq", "nolock_fail_rate", "pcp_refills_per_kop", "pcp_drains_per_kop",
	"steal_ms", "invol_ctxsw", "ctx_switches", "cpu_migrations", "task_clock_ms",
	"cpu_wall_ratio", NULL,
};

struct output {
	char *out, *err;
	int status;
};

static char *slurp(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;

	while (buf && (n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len < 2)
			buf = realloc(buf, cap *= 2);
	}
	if (buf)
		buf[len] = '\0';
	return buf;
}

/* The child keeps the alarm across exec: a hung command dies of SIGALRM. */
static void run(char **cmd, struct output *o)
{
	char out_tmpl[] = "/tmp/slab_check_outXXXXXX", err_tmpl[] = "/tmp/slab_check_errXXXXXX";
	int out = mkstemp(out_tmpl), err = mkstemp(err_tmpl);
	pid_t pid;

	unlink(out_tmpl);
	unlink(err_tmpl);
	pid = fork();
	if (pid == 0) {
		dup2(out, 1);
		dup2(err, 2);
		alarm(WATCHDOG_S);
		execv(cmd[0], cmd);
		fprintf(stderr, "exec %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	waitpid(pid, &o->status, 0);
	lseek(out, 0, SEEK_SET);
	lseek(err, 0, SEEK_SET);
	o->out = slurp(out);
	o->err = slurp(err);
	close(out);
	close(err);
}

static int fail(const struct output *o, const char *fmt, const char *arg)
{
	fprintf(stderr, "FAIL: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n--- stdout ---\n%s--- stderr ---\n%s", o->out, o->err);
	return 1;
}

static int split(char *line, char **cells)
{
	int n = 0;

	for (char *tok = strtok(line, ",\n"); tok && n < MAX_COLS; tok = strtok(NULL, ",\n"))
		cells[n++] = tok;
	return n;
}

struct csv {
	char *head[MAX_COLS], *row[MAX_COLS];
	int ncols, nrows;
};

static bool parse_csv(char *text, struct csv *c)
{
	char *nl = strchr(text, '\n'), *rest;

	if (!nl)
		return false;
	*nl = '\0';
	rest = nl + 1;
	c->ncols = split(text, c->head);
	c->nrows = 0;
	for (char *line = strtok_r(rest, "\n", &nl); line; line = strtok_r(NULL, "\n", &nl)) {
		if (c->nrows++ == 0 && split(line, c->row) != c->ncols)
			return false;
	}
	return c->nrows == 1;
}

static const char *cell(const struct csv *c, const char *col)
{
	for (int i = 0; i < c->ncols; i++)
		if (!strcmp(c->head[i], col))
			return c->row[i];
	return NULL;
}

static bool is_number(const char *v)
{
	char *end;

	if (!v || !*v)
		return false;
	strtod(v, &end);
	return *end == '\0';
}

static int check_columns(const struct output *o, const struct csv *c, const char *const *cols)
{
	for (int i = 0; cols[i]; i++)
		if (!cell(c, cols[i]))
			return fail(o, "column %s missing from the csv header", cols[i]);
	if (!is_number(cell(c, "ops")) || strtod(cell(c, "ops"), NULL) <= 0)
		return fail(o, "ops is not a positive number (%s)", cell(c, "ops"));
	return 0;
}

static int check_sheaf_columns(const struct output *o, const struct csv *c)
{
	bool sheaf = !strcmp(cell(c, "allocator"), "sheaf");

	for (int i = 0; sheaf_only_columns[i]; i++) {
		const char *v = cell(c, sheaf_only_columns[i]);

		if (sheaf && !is_number(v))
			return fail(o, "%s should be a number for the sheaf allocator",
				    sheaf_only_columns[i]);
		if (!sheaf && strcmp(v, "n/a"))
			return fail(o, "%s should be n/a for a malloc allocator",
				    sheaf_only_columns[i]);
	}
	return 0;
}

static unsigned long long num(const struct csv *c, const char *col)
{
	return strtoull(cell(c, col), NULL, 10);
}

/* Every kmalloc_nolock call ends exactly one way. */
static int check_nolock_sum(const struct output *o, const struct csv *c)
{
	unsigned long long att = num(c, "nolock_attempts"), ok = num(c, "nolock_first_ok"),
			   retry_ok = num(c, "nolock_retry_ok"), null = num(c, "nolock_null");
	char msg[160];

	if (!att)
		return fail(o, "%s", "no kmalloc_nolock attempt was made: the handler never ran");
	if (att == ok + retry_ok + null)
		return 0;
	snprintf(msg, sizeof(msg), "attempts %llu != first_ok %llu + retry_ok %llu + null %llu",
		 att, ok, retry_ok, null);
	return fail(o, "%s", msg);
}

static int check_disturbance(const struct output *o, const struct csv *c)
{
	for (int i = 0; disturbance_columns[i]; i++) {
		const char *v = cell(c, disturbance_columns[i]);
		char *end;
		double x = strtod(v, &end);

		if (end == v || *end || x < 0)
			return fail(o, "%s: not a measured number", disturbance_columns[i]);
	}
	if (!(strtod(cell(c, "task_clock_ms"), NULL) > 0))
		return fail(o, "%s", "task_clock_ms: a busy run read no task-clock");
	return 0;
}

/* The null baseline: taken (a positive cost), or n/a where it cannot be. */
static int check_baseline(const struct output *o, const struct csv *c, bool taken)
{
	const char *h = cell(c, "harness_ns_per_op"), *a = cell(c, "ns_per_op_alloc");

	if (!taken)
		return strcmp(h, "n/a") || strcmp(a, "n/a") ?
		       fail(o, "%s", "harness_ns_per_op/ns_per_op_alloc should be n/a here") : 0;
	if (!is_number(h) || !(strtod(h, NULL) > 0))
		return fail(o, "harness_ns_per_op is not a positive number (%s)", h);
	if (!is_number(a))
		return fail(o, "ns_per_op_alloc is not a number (%s)", a);
	return 0;
}

static int check_lean(const struct output *o, const struct csv *c)
{
	if (strcmp(cell(c, "harness"), "lean"))
		return fail(o, "harness is '%s', expected lean", cell(c, "harness"));
	if (strcmp(cell(c, "op_max_ns"), "n/a"))
		return fail(o, "op_max_ns is '%s': a lean run samples no latency",
			    cell(c, "op_max_ns"));
	return check_baseline(o, c, true);
}

/* Figures split by node: columns <fig>_node0..<fig>_node<nodes-1> sum to <fig>. */
static const char *const per_node_figures[] = {
	"remote_frees_per_kop", "barn_hits_per_kop", "barn_puts_per_kop", "barn_misses_per_kop",
	"trylock_fails_per_kop_pcs", "trylock_fails_per_kop_barn", "trylock_fails_per_kop_list",
	"trylock_fails_per_kop_zone", "slab_pages", NULL,
};

/* %.4g cells: each node's rounding adds up (no libm here) */
static double tol(double a, double b)
{
	return 1e-3 * (a > b ? a : b) + 1e-9;
}

static int check_per_node_sum(const struct output *o, const struct csv *c, const char *fig,
			      int nodes)
{
	double total = strtod(cell(c, fig), NULL), sum = 0;
	char col[96], msg[200];

	for (int n = 0; n <= nodes; n++) {
		snprintf(col, sizeof(col), "%s_node%d", fig, n);
		if (n == nodes)
			return cell(c, col) ? fail(o, "%s: one node too many", col) : 0;
		if (!is_number(cell(c, col)))
			return fail(o, "%s: missing or not a number", col);
		sum += strtod(cell(c, col), NULL);
		if (n == nodes - 1 && (sum - total > tol(sum, total) || total - sum > tol(sum, total))) {
			snprintf(msg, sizeof(msg), "%s: nodes sum to %g, the whole run says %g",
				 fig, sum, total);
			return fail(o, "%s", msg);
		}
	}
	return 0;
}

static int check_per_node(const struct output *o, const struct csv *c)
{
	int nodes = cell(c, "nodes") ? atoi(cell(c, "nodes")) : 0;
	int rc = 0;

	if (nodes < 2)
		return fail(o, "%s", "expected nodes >= 2 (a two-node topology or a multi-node kernel)");
	for (int i = 0; per_node_figures[i] && !rc; i++)
		rc = check_per_node_sum(o, c, per_node_figures[i], nodes);
	if (!rc && !strcmp(cell(c, "workload"), "remote") &&
	    !(strtod(cell(c, "remote_frees_per_kop"), NULL) > 0))
		rc = fail(o, "%s", "no free crossed nodes on a multi-node topology");
	if (!rc && !(strtod(cell(c, "slab_pages"), NULL) > 0))
		rc = fail(o, "%s", "slab_pages: no slab page at the end of the run");
	return rc;
}

static int check_report(const struct output *o, const char *mode)
{
	struct csv c;
	char *copy;
	int rc;

	if (!WIFEXITED(o->status) || WEXITSTATUS(o->status))
		return fail(o, "%s: command did not exit 0", mode);
	copy = strdup(o->out);
	if (!parse_csv(copy, &c))
		rc = fail(o, "%s: not a csv header plus exactly one row", mode);
	else if (!strcmp(mode, "page"))
		rc = check_columns(o, &c, page_columns);
	else
		rc = check_columns(o, &c, slab_columns);
	if (!rc)
		rc = check_disturbance(o, &c);
	if (!rc && strcmp(mode, "page"))
		rc = check_sheaf_columns(o, &c);
	if (!rc && !strcmp(mode, "nmi"))
		rc = check_nolock_sum(o, &c);
	if (!rc && !strcmp(mode, "lean"))
		rc = check_lean(o, &c);
	if (!rc && !strcmp(mode, "baseline"))
		rc = check_baseline(o, &c, true);
	if (!rc && !strcmp(mode, "no-baseline"))
		rc = check_baseline(o, &c, false);
	if (!rc && !strcmp(mode, "per-node"))
		rc = check_per_node(o, &c);
	if (!rc && !strcmp(mode, "cross-node") && !(strtod(cell(&c, "remote_frees_per_kop"), NULL) > 0))
		rc = fail(o, "%s", "no free crossed nodes on a two-node topology");
	free(copy);
	return rc;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static int check_usage(const struct output *o, bool missing)
{
	if (!WIFEXITED(o->status) || WEXITSTATUS(o->status) != 2)
		return fail(o, "%s", "expected exit status 2");
	if (count_lines(o->err) != 1)
		return fail(o, "%s", "expected exactly one line on stderr");
	if (*o->out)
		return fail(o, "%s", "expected nothing on stdout");
	if (missing && !strstr(o->err, "Debian package"))
		return fail(o, "%s", "the message should name the Debian package to install");
	return 0;
}

int main(int argc, char **argv)
{
	struct output o;
	const char *mode;
	int rc;

	if (argc < 4 || strcmp(argv[2], "--")) {
		fprintf(stderr, "usage: slab_check slab|lean|baseline|no-baseline|cross-node|per-node|nmi|"
			"page|slabinfo|usage|missing -- CMD...\n");
		return 2;
	}
	mode = argv[1];
	run(argv + 3, &o);
	if (!strcmp(mode, "usage") || !strcmp(mode, "missing"))
		rc = check_usage(&o, !strcmp(mode, "missing"));
	else if (!strcmp(mode, "slabinfo"))
		rc = (!WIFEXITED(o.status) || WEXITSTATUS(o.status) || !*o.out) ?
		     fail(&o, "%s", "slabinfo: expected exit 0 and a dump") : 0;
	else
		rc = check_report(&o, mode);
	free(o.out);
	free(o.err);
	return rc;
}
