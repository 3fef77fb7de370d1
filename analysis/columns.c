/*
 * columns.c - which columns of a runs file are parameters, which are figures.
 *
 * A runs file has the columns study,variant,rep, then workload, pattern, the
 * workload's parameters, then its figures (HACKING.md).  Parameters are told
 * from figures by position and name: the first column named like a figure
 * ends them.  That a parameter has one value across all repetitions of a
 * variant is checked (runs_check.c), not assumed: a column that varies is
 * an error, never silently a figure.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static bool name_is_figure(const char *c)
{
	static const char *const parts[] = {
		"_per_", "bounces", "jain", "fairness", "share", "elapsed",
		"runtime", "overhead", "_p50", "_p90", "_p99", "_max_ns",
		"duration_s", "_time_s",
		/* disturbance, wherever a workload puts them (disturb.c) */
		"steal_ms", "ctxsw", "ctx_switches", "migrations", "task_clock",
		"cpu_wall_ratio", "preemptions", NULL
	};
	static const char *const prefixes[] = {
		"wait_", "hold_", "lat_", "perf_", NULL
	};

	if (sb_has_suffix(c, "_rate"))
		return true;
	for (int i = 0; parts[i]; i++)
		if (strstr(c, parts[i]))
			return true;
	for (int i = 0; prefixes[i]; i++)
		if (!strncmp(c, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

/* Row indices ordered by the values of one column, to find equal values fast. */
static const struct sb_csv_doc *order_doc;
static int order_col;

static int row_order(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	int c = strcmp(sb_csv_cell(order_doc, x, order_col), sb_csv_cell(order_doc, y, order_col));

	return c ? c : x - y;
}

/* Rows sorted by column c (stable); free() the result. */
int *sb_runs_rows_by(const struct sb_csv_doc *doc, int c)
{
	int *idx = sb_xcalloc(doc->nr_rows, sizeof(int));

	for (int r = 0; r < doc->nr_rows; r++)
		idx[r] = r;
	order_doc = doc;
	order_col = c;
	qsort(idx, doc->nr_rows, sizeof(int), row_order);
	order_doc = NULL;
	return idx;
}

/* Index one past the last parameter column; computed once per file. */
static int first_figure_col(const struct sb_csv_doc *doc)
{
	int c = sb_csv_col(doc, "pattern") + 1;

	if (doc->first_figure > 0)
		return doc->first_figure;
	while (c < doc->nr_cols && !name_is_figure(doc->cols[c]))
		c++;
	((struct sb_csv_doc *)doc)->first_figure = c;	/* a cache, not a change */
	return c;
}

bool sb_runs_is_param(const struct sb_csv_doc *doc, int c)
{
	if (c == sb_csv_col(doc, "workload") || c == sb_csv_col(doc, "pattern"))
		return true;
	return c > sb_csv_col(doc, "pattern") && c < first_figure_col(doc);
}

bool sb_runs_has_figure(const struct sb_csv_doc *doc, const char *metric)
{
	int c = sb_csv_col(doc, metric);

	return c >= 0 && c >= first_figure_col(doc);
}

const char *sb_runs_throughput_metric(const struct sb_csv_doc *doc)
{
	if (sb_runs_has_figure(doc, "acq_per_s"))
		return "acq_per_s";
	for (int c = first_figure_col(doc); c < doc->nr_cols; c++)
		if (sb_has_suffix(doc->cols[c], "_per_s"))
			return doc->cols[c];
	return NULL;
}

/* "n/a" and "" are not measured (NaN); anything else must be a number. */
int sb_runs_value(const struct sb_csv_doc *doc, int r, int c, double *v,
		  char *err, size_t len)
{
	const char *s = sb_csv_cell(doc, r, c);
	char *end;

	if (!*s || !strcmp(s, "n/a")) {
		*v = NAN;
		return 0;
	}
	errno = 0;
	*v = strtod(s, &end);
	if (end == s || *end || errno == ERANGE || !isfinite(*v) || !sb_is_decimal(s))
		return sb_err(err, len, "%s:%d: column %s: '%s' is not a number or n/a",
			      doc->path, doc->lines[r], doc->cols[c], s);
	return 0;
}
