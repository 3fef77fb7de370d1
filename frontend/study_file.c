/*
 * study_file.c - read and write study files (scripts/studies/NAME.study).
 *
 *	# comment
 *	name      quick
 *	reps      5
 *	duration  300ms
 *	seed      42
 *	perf-stat on          (also: perf-events LIST, c2c on)
 *	run lock  kind=qspin,ticket  pattern=ttl,sb,tro  threads=1,2
 *	run slab  workload=churn pattern=sb batch=10,100  no-c2c
 *
 * A bare word in a run line (no-c2c) is a flag option given to every variant. *
 * Every error names FILE:LINE so a long study file is fixed in one go.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "study.h"

#define STUDY_DEFAULT_REPS	5
#define STUDY_MAX_REPS		10000

struct parse_state {
	const char *path;
	int line;
	char *err;
	size_t errlen;
	bool seen_name, seen_reps, seen_duration, seen_seed;
	bool seen_perf_stat, seen_perf_events, seen_c2c, seen_events;
};

static int parse_error(struct parse_state *ps, const char *fmt, ...)
{
	size_t n = (size_t)snprintf(ps->err, ps->errlen, "%s:%d: ", ps->path, ps->line);
	va_list ap;

	if (n < ps->errlen) {
		va_start(ap, fmt);
		vsnprintf(ps->err + n, ps->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Names of workloads and options: lower-case words joined by '-' or '_'. */
static bool is_name(const char *s)
{
	if (!*s || !islower((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) &&
		    *s != '-' && *s != '_')
			return false;
	return true;
}

/*
 * A value ends up in a csv field and in the variant id (':' and '=' separate
 * its parts), so those characters are refused here rather than mangled later.
 */
static bool is_value(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isgraph((unsigned char)*s) || strchr(",:=\"'", *s))
			return false;
	return true;
}

/* "300ms" -> ns; 0 if malformed.  Units: ns us ms s. */
static uint64_t duration_ns(const char *s)
{
	static const struct { const char *unit; double ns; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
	};
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !(v > 0))
		return 0;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].unit))
			return (uint64_t)(v * units[i].ns);
	return 0;
}

static int split_values(struct parse_state *ps, struct sb_study_axis *ax, char *list)
{
	int n = 1;

	for (char *p = list; *p; p++)
		n += *p == ',';
	ax->values = sb_xcalloc((size_t)n, sizeof(char *));
	for (char *tok = list, *next; tok; tok = next) {
		next = strchr(tok, ',');
		if (next)
			*next++ = '\0';
		if (!is_value(tok))
			return parse_error(ps, "bad value '%s' for '%s' (non-empty, no spaces, "
					   "no , : = or quotes)", tok, ax->key);
		for (int i = 0; i < ax->nr_values; i++)
			if (!strcmp(ax->values[i], tok))
				return parse_error(ps, "value '%s' given twice for '%s'", tok, ax->key);
		ax->values[ax->nr_values++] = sb_xstrdup(tok);
	}
	return 0;
}

static int parse_axis(struct parse_state *ps, struct sb_study_run *run, char *tok)
{
	char *eq = strchr(tok, '=');
	struct sb_study_axis *ax;

	if (eq)
		*eq = '\0';
	if (!is_name(tok))
		return parse_error(ps, "bad option name '%s' (lower-case long option without --)", tok);
	if (!strcmp(tok, "format"))
		return parse_error(ps, "option 'format' is set by the study runner (csv)");
	for (int i = 0; i < run->nr_axes; i++)
		if (!strcmp(run->axes[i].key, tok))
			return parse_error(ps, "option '%s' given twice", tok);
	if (eq && !eq[1])
		return parse_error(ps, "empty matrix: no value for '%s'", tok);
	ax = &run->axes[run->nr_axes++];
	ax->key = sb_xstrdup(tok);
	if (!eq)		/* a bare word is a flag: --tok, same in every variant */
		return 0;
	return split_values(ps, ax, eq + 1);
}

static int parse_run(struct parse_state *ps, struct sb_study *st, char **tok, int ntok)
{
	struct sb_study_run *run;

	if (ntok < 2)
		return parse_error(ps, "empty matrix: 'run' needs a workload (run lock threads=1,2)");
	if (!is_name(tok[1]))
		return parse_error(ps, "bad value '%s' for workload (a sheafbench command: lock, "
				   "slab, page)", tok[1]);
	st->runs = realloc(st->runs, (size_t)(st->nr_runs + 1) * sizeof(*st->runs));
	if (!st->runs) {
		perror("sheafbench study");
		exit(1);
	}
	run = &st->runs[st->nr_runs++];
	memset(run, 0, sizeof(*run));
	run->workload = sb_xstrdup(tok[1]);
	run->line = ps->line;
	run->axes = sb_xcalloc((size_t)ntok, sizeof(*run->axes));
	for (int i = 2; i < ntok; i++)
		if (parse_axis(ps, run, tok[i]))
			return -1;
	return 0;
}

static int parse_single(struct parse_state *ps, char **tok, int ntok, bool *seen)
{
	if (*seen)
		return parse_error(ps, "'%s' given twice", tok[0]);
	*seen = true;
	if (ntok != 2)
		return parse_error(ps, "bad value for '%s': expected exactly one value", tok[0]);
	return 0;
}

static int parse_switch(struct parse_state *ps, char **tok, int ntok, bool *seen, bool *on)
{
	if (parse_single(ps, tok, ntok, seen))
		return -1;
	if (strcmp(tok[1], "on") && strcmp(tok[1], "off"))
		return parse_error(ps, "bad value '%s' for '%s' (on or off)", tok[1], tok[0]);
	*on = !strcmp(tok[1], "on");
	return 0;
}

static int parse_setting(struct parse_state *ps, struct sb_study *st, char **tok, int ntok)
{
	char *end;

	if (!strcmp(tok[0], "name")) {
		if (parse_single(ps, tok, ntok, &ps->seen_name))
			return -1;
		if (!is_name(tok[1]))
			return parse_error(ps, "bad value '%s' for 'name' (lower-case, digits, - _)",
					   tok[1]);
		free(st->name);
		st->name = sb_xstrdup(tok[1]);
	} else if (!strcmp(tok[0], "reps")) {
		long v;

		if (parse_single(ps, tok, ntok, &ps->seen_reps))
			return -1;
		errno = 0;
		v = strtol(tok[1], &end, 10);
		if (errno || *end || v < 1 || v > STUDY_MAX_REPS)
			return parse_error(ps, "bad value '%s' for 'reps' (1..%d)", tok[1],
					   STUDY_MAX_REPS);
		st->reps = (int)v;
	} else if (!strcmp(tok[0], "duration")) {
		if (parse_single(ps, tok, ntok, &ps->seen_duration))
			return -1;
		if (!duration_ns(tok[1]))
			return parse_error(ps, "bad value '%s' for 'duration' (e.g. 300ms, 2s, 500us)",
					   tok[1]);
		st->duration = sb_xstrdup(tok[1]);
	} else if (!strcmp(tok[0], "seed")) {
		if (parse_single(ps, tok, ntok, &ps->seen_seed))
			return -1;
		errno = 0;
		st->seed = strtoull(tok[1], &end, 0);
		if (errno || *end || tok[1][0] == '-')
			return parse_error(ps, "bad value '%s' for 'seed' (unsigned integer)", tok[1]);
		st->has_seed = true;
	} else if (!strcmp(tok[0], "perf-stat")) {
		return parse_switch(ps, tok, ntok, &ps->seen_perf_stat, &st->perf_stat);
	} else if (!strcmp(tok[0], "c2c")) {
		return parse_switch(ps, tok, ntok, &ps->seen_c2c, &st->c2c);
	} else if (!strcmp(tok[0], "perf-events")) {
		if (parse_single(ps, tok, ntok, &ps->seen_perf_events))
			return -1;
		if (strpbrk(tok[1], "\"'"))
			return parse_error(ps, "bad value '%s' for 'perf-events' (perf event list)",
					   tok[1]);
		st->perf_events = sb_xstrdup(tok[1]);
	} else if (!strcmp(tok[0], "events")) {
		if (parse_single(ps, tok, ntok, &ps->seen_events))
			return -1;
		if (strpbrk(tok[1], "\"'"))
			return parse_error(ps, "bad value '%s' for 'events' (event list)", tok[1]);
		st->events = sb_xstrdup(tok[1]);
	} else {
		return parse_error(ps, "unknown key '%s' (allowed: name reps duration seed "
				   "perf-stat perf-events events c2c run)", tok[0]);
	}
	return 0;
}

/* Cut a line into blank-separated tokens, dropping a '#' comment. */
static int tokenize(char *line, char **tok, int max)
{
	int n = 0;
	char *hash = strchr(line, '#');

	if (hash)
		*hash = '\0';
	for (char *s = strtok(line, " \t\r\n"); s && n < max; s = strtok(NULL, " \t\r\n"))
		tok[n++] = s;
	return n;
}

static int parse_line(struct parse_state *ps, struct sb_study *st, char *line)
{
	enum { MAX_TOKENS = 64 };
	char *tok[MAX_TOKENS + 1];
	int ntok = tokenize(line, tok, MAX_TOKENS + 1);

	if (!ntok)
		return 0;
	if (ntok > MAX_TOKENS)
		return parse_error(ps, "more than %d words on one line", MAX_TOKENS);
	if (!strcmp(tok[0], "run"))
		return parse_run(ps, st, tok, ntok);
	return parse_setting(ps, st, tok, ntok);
}

/* "dir/ttl-vs-sb.study" -> "ttl-vs-sb" */
static char *name_from_path(const char *path)
{
	const char *base = strrchr(path, '/');
	char *name = sb_xstrdup(base ? base + 1 : path);
	char *dot = strrchr(name, '.');

	if (dot && dot != name)
		*dot = '\0';
	return name;
}

int sb_study_parse_text(const char *path, const char *text, struct sb_study *st,
			char *err, size_t errlen)
{
	struct parse_state ps = { .path = path, .err = err, .errlen = errlen };
	char *copy = sb_xstrdup(text), *end = copy + strlen(copy), *line, *next;
	int ret = 0;

	memset(st, 0, sizeof(*st));
	st->path = sb_xstrdup(path);
	st->reps = STUDY_DEFAULT_REPS;
	for (line = copy; line && line < end && !ret; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		ps.line++;
		ret = parse_line(&ps, st, line);
	}
	free(copy);
	if (!ret && !st->nr_runs)
		ret = parse_error(&ps, "empty matrix: no 'run' line in the study");
	if (!ret && !st->name)
		st->name = name_from_path(path);
	if (ret)
		sb_study_free(st);
	return ret;
}

int sb_study_parse_file(const char *path, struct sb_study *st, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0;
	int ret;

	memset(st, 0, sizeof(*st));
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (getdelim(&text, &len, '\0', f) < 0 && ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		fclose(f);
		free(text);
		return -1;
	}
	fclose(f);
	ret = sb_study_parse_text(path, text ? text : "", st, err, errlen);
	free(text);
	return ret;
}

void sb_study_free(struct sb_study *st)
{
	for (int r = 0; r < st->nr_runs; r++) {
		struct sb_study_run *run = &st->runs[r];

		for (int a = 0; a < run->nr_axes; a++) {
			for (int v = 0; v < run->axes[a].nr_values; v++)
				free(run->axes[a].values[v]);
			free(run->axes[a].values);
			free(run->axes[a].key);
		}
		free(run->axes);
		free(run->workload);
	}
	free(st->runs);
	free(st->path);
	free(st->name);
	free(st->duration);
	free(st->perf_events);
	free(st->events);
	memset(st, 0, sizeof(*st));
}

void sb_study_write(const struct sb_study *st, FILE *out)
{
	fprintf(out, "# effective study (from %s, with command-line overrides)\n", st->path);
	fprintf(out, "name      %s\nreps      %d\n", st->name, st->reps);
	if (st->duration)
		fprintf(out, "duration  %s\n", st->duration);
	if (st->has_seed)
		fprintf(out, "seed      %" PRIu64 "\n", st->seed);
	if (st->perf_stat)
		fprintf(out, "perf-stat on\n");
	if (st->perf_events)
		fprintf(out, "perf-events %s\n", st->perf_events);
	if (st->events)
		fprintf(out, "events    %s\n", st->events);
	if (st->c2c)
		fprintf(out, "c2c       on\n");
	for (int r = 0; r < st->nr_runs; r++) {
		const struct sb_study_run *run = &st->runs[r];

		fprintf(out, "run %s", run->workload);
		for (int a = 0; a < run->nr_axes; a++) {
			fprintf(out, " %s%s", run->axes[a].key, run->axes[a].nr_values ? "=" : "");
			for (int v = 0; v < run->axes[a].nr_values; v++)
				fprintf(out, "%s%s", v ? "," : "", run->axes[a].values[v]);
		}
		fputc('\n', out);
	}
}
