/*
 * disturb.c - which runs were disturbed, from the disturbance columns the
 * workloads record (steal time, involuntary context switches, CPU
 * migrations, CPU time over wall time).  Steal is the host's by definition,
 * so it is judged against the run's length; the others vary with the
 * workload, so a run is judged against the other runs of its own variant.
 * compare shows its verdicts with and without these runs; none is dropped.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum disturb_kind {
	ABOVE_SHARE_OF_RUN,	/* value (ms) > k * the run's duration */
	ABOVE_TYPICAL,		/* value > k * the variant's median + 5 */
	BELOW_TYPICAL,		/* value < k * the variant's median */
};

static const struct disturb_rule {
	const char *col;
	enum disturb_kind kind;
	double k;
	const char *words;
} disturb_rules[] = {
	{ "steal_ms", ABOVE_SHARE_OF_RUN, 0.01, "steal > 1% of the run" },
	{ "invol_ctxsw", ABOVE_TYPICAL, 3, "involuntary switches > 3x typical" },
	{ "cpu_migrations", ABOVE_TYPICAL, 3, "migrations > 3x typical" },
	{ "cpu_wall_ratio", BELOW_TYPICAL, 0.9, "CPU/wall < 0.9x typical" },
};
#define NR_DISTURB_RULES (sizeof(disturb_rules) / sizeof(disturb_rules[0]))

static double cell_number(const struct sb_csv_doc *doc, int r, int c)
{
	double v;
	char err[8];

	if (c < 0 || sb_runs_value(doc, r, c, &v, err, sizeof(err)) < 0)
		return NAN;
	return v;
}

/* Median of column c over the rows idx[from..to) (NaN skipped). */
static double group_median(const struct sb_csv_doc *doc, const int *idx, int from, int to, int c)
{
	double *x = sb_xcalloc(to - from, sizeof(double)), m;
	int n = 0;

	for (int i = from; i < to; i++) {
		double v = cell_number(doc, idx[i], c);

		if (!isnan(v))
			x[n++] = v;
	}
	m = sb_median(x, n);
	free(x);
	return m;
}

static bool run_disturbed(const struct disturb_rule *rule, double v, double typical,
			  double run_ms)
{
	if (isnan(v))
		return false;
	switch (rule->kind) {
	case ABOVE_SHARE_OF_RUN:	/* no duration_s column: a studies' usual 500 ms */
		return v > rule->k * (isnan(run_ms) ? 500 : run_ms);
	case ABOVE_TYPICAL:
		return !isnan(typical) && v > rule->k * typical + 5;
	case BELOW_TYPICAL:
		return !isnan(typical) && v < rule->k * typical;
	}
	return false;
}

/* Rows of one variant are idx[from..to): judge each against the group. */
static void judge_group(const struct sb_csv_doc *doc, const int *idx, int from, int to,
			struct sb_disturb *d)
{
	int dc = sb_csv_col(doc, "duration_s");

	for (size_t k = 0; k < NR_DISTURB_RULES; k++) {
		int c = sb_csv_col(doc, disturb_rules[k].col);
		double typical;

		if (c < 0)
			continue;
		typical = group_median(doc, idx, from, to, c);
		for (int i = from; i < to; i++) {
			int r = idx[i];
			double run_ms = 1e3 * cell_number(doc, r, dc);

			if (run_disturbed(&disturb_rules[k], cell_number(doc, r, c), typical, run_ms))
				d->row[r] = true;
		}
	}
}

void sb_disturb_find(const struct sb_csv_doc *doc, struct sb_disturb *d)
{
	int vc = sb_csv_col(doc, "variant"), *idx, from = 0;

	memset(d, 0, sizeof(*d));
	d->nr_rows = doc->nr_rows;
	d->row = sb_xcalloc(doc->nr_rows, sizeof(bool));
	for (size_t k = 0; k < NR_DISTURB_RULES; k++) {
		if (sb_csv_col(doc, disturb_rules[k].col) < 0)
			continue;
		snprintf(d->rules + strlen(d->rules), sizeof(d->rules) - strlen(d->rules), "%s%s",
			 d->recorded ? ", " : "", disturb_rules[k].words);
		d->recorded = true;
	}
	if (!d->recorded)
		return;
	/* a file without variants is one group */
	idx = vc >= 0 ? sb_runs_rows_by(doc, vc) : sb_runs_rows_by(doc, 0);
	for (int i = 1; i <= doc->nr_rows; i++) {
		if (i < doc->nr_rows && (vc < 0 || !strcmp(sb_csv_cell(doc, idx[i], vc),
							    sb_csv_cell(doc, idx[from], vc))))
			continue;
		judge_group(doc, idx, from, i, d);
		from = i;
	}
	free(idx);
	for (int r = 0; r < doc->nr_rows; r++)
		d->nr_disturbed += d->row[r];
}

void sb_disturb_free(struct sb_disturb *d)
{
	free(d->row);
	memset(d, 0, sizeof(*d));
}
