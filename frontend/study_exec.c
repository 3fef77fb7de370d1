/*
 * study_exec.c - run the interleaved schedule of a study.
 *
 * Each run is `sheafbench <workload> ... --format csv` in a child process (the
 * front end itself, so its pattern and LD_PRELOAD dispatch applies), optionally
 * under `perf stat`.  Its row is appended only after it exited successfully,
 * so runs.csv never holds a half-finished run; failures go to errors.log.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "study.h"

#define MAX_COLUMNS	512
#define MAX_PERF_EVENTS	32

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static char *path_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *path_printf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0) {
		perror("sheafbench study");
		exit(1);
	}
	va_end(ap);
	return p;
}

/* perf/<variant>-<rep>.csv */
static char *perf_file(const struct sb_study_ctx *c, const char *variant, int rep)
{
	return path_printf("%s/perf/%s-%d.csv", c->dir, variant, rep);
}

/* [perf stat -x, -e EV -o FILE --] sheafbench ARGS [--duration D] --format csv */
int sb_study_argv(const struct sb_study_ctx *c, const struct sb_study_variant *v,
		  const char *perf_out, char **argv)
{
	const struct sb_study_line *line = &c->lines[v->run];
	int n = 0;

	if (perf_out) {
		const char *pre[] = { "perf", "stat", "-x,", "-e", c->perf_events, "-o",
				      perf_out, "--" };

		for (size_t i = 0; i < sizeof(pre) / sizeof(pre[0]); i++)
			argv[n++] = (char *)pre[i];
	}
	argv[n++] = (char *)c->exe;
	for (int i = 0; i < v->nr_args && n < SB_STUDY_MAX_ARGS - 7; i++)
		argv[n++] = v->args[i];
	if (c->st.duration && line->takes_duration && !line->sets_duration) {
		argv[n++] = "--duration";
		argv[n++] = c->st.duration;
	}
	if (c->st.events) {		/* every line takes it: probe_lines() checked */
		argv[n++] = "-e";
		argv[n++] = c->st.events;
	}
	argv[n++] = "--format";
	argv[n++] = "csv";
	argv[n] = NULL;
	return n;
}

static char *join_argv(char **argv)
{
	size_t len = 1;
	char *s;

	for (int i = 0; argv[i]; i++)
		len += strlen(argv[i]) + 1;
	s = calloc(1, len);
	for (int i = 0; s && argv[i]; i++) {
		strcat(s, argv[i]);
		if (argv[i + 1])
			strcat(s, " ");
	}
	return s;
}

static void log_failure(struct sb_study_ctx *c, const struct sb_study_slot *slot, char **argv,
			const struct sb_child *ch, const char *what)
{
	char *path = path_printf("%s/errors.log", c->dir), *cmd = join_argv(argv);
	FILE *f = fopen(path, "a");
	char stamp[32];
	time_t t = time(NULL);

	c->failed++;
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	if (f) {
		fprintf(f, "== %s %s rep %d: %s\ncommand: %s\n", stamp,
			c->variants[slot->variant].id, slot->rep, what, cmd ? cmd : "?");
		fprintf(f, "stderr:\n%s%s", ch ? ch->err : "",
			ch && ch->err[0] && ch->err[strlen(ch->err) - 1] != '\n' ? "\n" : "");
		fclose(f);
	}
	free(cmd);
	free(path);
}

/* Append perf_<event> columns (n/a when the counter is not there). */
static void add_perf_columns(const struct sb_study_ctx *c, const char *perf_out,
			     char **header, char **row)
{
	struct sb_perfstat_counter ctr[MAX_PERF_EVENTS];
	int n = perf_out ? sb_perfstat_parse_file(perf_out, ctr, MAX_PERF_EVENTS) : -1;
	char *events = strdup(c->perf_events), *save = NULL, col[96], *h, *r;

	for (char *ev = strtok_r(events, ",", &save); ev; ev = strtok_r(NULL, ",", &save)) {
		char val[64] = "n/a";

		for (int i = 0; i < n; i++)
			if (!strcmp(ctr[i].event, ev) && ctr[i].measured)
				snprintf(val, sizeof(val), "%.15g", ctr[i].value);
		sb_perfstat_column(ev, col, sizeof(col));
		h = path_printf("%s,%s", *header, col);
		r = path_printf("%s,%s", *row, val);
		free(*header);
		free(*row);
		*header = h;
		*row = r;
	}
	free(events);
}

/*
 * Turn the worker's csv (header + data rows) into runs.csv rows.  Returns
 * NULL (and a reason) if the output is not what a --format csv run prints.
 */
static const char *store_rows(struct sb_study_ctx *c, const struct sb_study_slot *slot,
			      char *out, const char *perf_out)
{
	char *fields[MAX_COLUMNS], *save = NULL, *hdr_line = strtok_r(out, "\n", &save);
	const char *variant = c->variants[slot->variant].id;
	int nr_cols, nrows = 0;

	if (!hdr_line)
		return "no csv output";
	nr_cols = sb_csv_split(strdupa(hdr_line), fields, MAX_COLUMNS);
	for (char *line; (line = strtok_r(NULL, "\n", &save)); nrows++) {
		char *header = path_printf(SB_RUNS_LEADING_COLUMNS ",%s", hdr_line);
		char *row = path_printf("%s,%s,%d,%s", c->st.name, variant, slot->rep, line);
		int ret;

		if (sb_csv_split(strdupa(line), fields, MAX_COLUMNS) != nr_cols) {
			free(header);
			free(row);
			return "csv row and header have different column counts";
		}
		if (c->st.perf_stat)
			add_perf_columns(c, perf_out, &header, &row);
		ret = sb_results_append(&c->res, c->st.runs[c->variants[slot->variant].run].workload,
					header, row);
		free(header);
		free(row);
		if (ret) {
			fprintf(stderr, "sheafbench study: %s: %s\n", c->dir, strerror(errno));
			exit(1);
		}
	}
	return nrows ? NULL : "csv header but no data row";
}

static void run_one(struct sb_study_ctx *c, const struct sb_study_slot *slot)
{
	const struct sb_study_variant *v = &c->variants[slot->variant];
	char *argv[SB_STUDY_MAX_ARGS], *perf_out = NULL, what[64];
	const char *bad;
	struct sb_child ch;

	if (c->st.perf_stat && c->perf_ok)
		perf_out = perf_file(c, v->id, slot->rep);
	sb_study_argv(c, v, perf_out, argv);
	if (sb_child_run(argv, c->timeout_ns, &ch)) {
		log_failure(c, slot, argv, NULL, strerror(errno));
	} else if (ch.timed_out || ch.status) {
		snprintf(what, sizeof(what), ch.timed_out ? "timed out" : "exit status %d",
			 ch.status);
		log_failure(c, slot, argv, &ch, what);
	} else if ((bad = store_rows(c, slot, ch.out, perf_out))) {
		log_failure(c, slot, argv, &ch, bad);
	} else {
		c->written++;
	}
	sb_child_free(&ch);
	free(perf_out);
}

static void fmt_duration(char *buf, size_t len, uint64_t ns)
{
	uint64_t s = ns / 1000000000ULL;

	if (s >= 3600)
		snprintf(buf, len, "%luh%02lum", (unsigned long)(s / 3600),
			 (unsigned long)(s / 60 % 60));
	else
		snprintf(buf, len, "%lum%02lus", (unsigned long)(s / 60), (unsigned long)(s % 60));
}

static void progress(const struct sb_study_ctx *c, int done, int total, uint64_t start,
		     const struct sb_study_slot *slot, int failed_before)
{
	uint64_t el = now_ns() - start;
	char e[32], eta[32];

	fmt_duration(e, sizeof(e), el);
	fmt_duration(eta, sizeof(eta), (uint64_t)((double)el / done * (total - done)));
	fprintf(stderr, "[%d/%d] elapsed %s eta %s %s rep %d%s\n", done, total, e, eta,
		c->variants[slot->variant].id, slot->rep,
		c->failed > failed_before ? " FAILED (see errors.log)" : "");
}

static bool slot_wanted(const struct sb_study_ctx *c, const struct sb_study_slot *s)
{
	const struct sb_study_variant *v = &c->variants[s->variant];

	return c->lines[v->run].available && !sb_results_done(&c->res, v->id, s->rep);
}

void sb_study_execute(struct sb_study_ctx *c)
{
	int nr = c->nr_variants * c->st.reps, total = 0, done = 0;
	struct sb_study_slot *slots = calloc((size_t)nr + 1, sizeof(*slots));
	uint64_t start = now_ns();

	if (!slots) {
		perror("sheafbench study");
		exit(1);
	}
	sb_study_schedule(c->nr_variants, c->st.reps, c->st.seed, slots);
	for (int i = 0; i < nr; i++)
		total += slot_wanted(c, &slots[i]);
	for (int i = 0; i < nr; i++) {
		int failed_before = c->failed;

		if (!slot_wanted(c, &slots[i]))
			continue;
		run_one(c, &slots[i]);
		progress(c, ++done, total, start, &slots[i], failed_before);
	}
	c->wall_ns = now_ns() - start;
	c->nr_runs = done;
	free(slots);
}

/* One `perf c2c record` per variant, after the measured runs (it perturbs timing). */
void sb_study_record_c2c(struct sb_study_ctx *c)
{
	for (int i = 0; i < c->nr_variants; i++) {
		const struct sb_study_variant *v = &c->variants[i];
		char *data = path_printf("%s/perf/c2c-%s.data", c->dir, v->id);
		char *argv[SB_STUDY_MAX_ARGS], *cmd[SB_STUDY_MAX_ARGS + 8];
		int n = 0;
		struct sb_child ch;

		if (!c->lines[v->run].available) {
			free(data);
			continue;
		}
		sb_study_argv(c, v, NULL, argv);
		cmd[n++] = "perf";
		cmd[n++] = "c2c";
		cmd[n++] = "record";
		cmd[n++] = "-o";
		cmd[n++] = data;
		cmd[n++] = "--";
		for (int k = 0; argv[k]; k++)
			cmd[n++] = argv[k];
		cmd[n] = NULL;
		if (!sb_child_run(cmd, c->timeout_ns, &ch)) {
			if (ch.status)
				fprintf(stderr, "sheafbench study: perf c2c record %s failed "
					"(exit %d)\n", v->id, ch.status);
			sb_child_free(&ch);
		}
		free(data);
	}
}
