/*
 * summary.c - sb_cmp_build(): one metric of one runs file, grouped
 * (group.c), configurations without a baseline run left out, and every cell
 * summarized: bootstrap median, ratio to the baseline, verdict (stats.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int row_cmp(const void *a, const void *b)
{
	const struct sb_cmp_row *x = a, *y = b;
	char *ex, *ey;
	double dx = strtod(x->label, &ex), dy = strtod(y->label, &ey);

	if (*ex || *ey || ex == x->label || ey == y->label)
		return 0;
	return (dx > dy) - (dx < dy);
}

static void summarize_row(struct sb_cmp *cmp, struct sb_cmp_row *row, int nr_boot)
{
	struct sb_cmp_cell *base = &row->cells[cmp->base];
	int dir = sb_metric_direction(cmp->metric);

	for (int l = 0; l < cmp->nr_levels; l++) {
		struct sb_cmp_cell *c = &row->cells[l];
		char label[2300];

		snprintf(label, sizeof(label), "%s\x1f%s", row->key, cmp->levels[l]);
		c->med = sb_boot_median(c->v, c->n, nr_boot, sb_seed_of(cmp->metric, label));
		c->ratio = sb_boot_ratio(c->v, c->n, base->v, base->n, nr_boot,
					 sb_seed_of(label, cmp->levels[cmp->base]));
		if (l == cmp->base)
			c->verdict = SB_VERDICT_SAME;
		else if (c->n < SB_MIN_REPS_FOR_VERDICT || base->n < SB_MIN_REPS_FOR_VERDICT)
			c->verdict = SB_VERDICT_UNKNOWN;
		else
			c->verdict = sb_verdict_of(&c->ratio, dir);
		if (c->n && (!cmp->min_n || c->n < cmp->min_n))
			cmp->min_n = c->n;
		if (c->n > cmp->max_n)
			cmp->max_n = c->n;
	}
}

static int resolve_columns(struct sb_cmp *cmp, const struct sb_cmp_opts *o, int *bc,
			   int *mc, char *err, size_t len)
{
	const struct sb_csv_doc *doc = cmp->doc;
	const char *metric = o->metric ? o->metric : sb_runs_throughput_metric(doc);

	if (!metric)
		return sb_err_not_applicable(err, len,
					     "%s: no throughput (*_per_s) column; choose one with --metric",
					     doc->path);
	*mc = sb_csv_col(doc, metric);
	if (*mc < 0 || !sb_runs_has_figure(doc, metric))
		return sb_err_not_applicable(err, len, "--metric: '%s' is not a figure column of %s",
					     metric, doc->path);
	*bc = sb_csv_col(doc, cmp->by);
	if (*bc < 0 || !sb_runs_is_param(doc, *bc))
		return sb_err_not_applicable(err, len, "--by: '%s' is not a parameter column of %s",
					     cmp->by, doc->path);
	cmp->metric = sb_xstrdup(metric);
	return 0;
}

static void block_free(struct sb_cmp *cmp, struct sb_cmp_block *blk)
{
	for (int r = 0; r < blk->nr_rows; r++) {
		for (int l = 0; l < cmp->nr_levels; l++)
			free(blk->rows[r].cells[l].v);
		for (int i = 0; i < cmp->nr_key_cols; i++)
			free(blk->rows[r].params[i]);
		free(blk->rows[r].params);
		free(blk->rows[r].cells);
		free(blk->rows[r].label);
		free(blk->rows[r].key);
	}
	free(blk->rows);
	free(blk->title);
	free(blk->tag);
}

/*
 * A configuration the baseline never ran in (sheaf-only settings next to an
 * allocator comparison) would print a row of n/a: leave it out, counted.
 */
static void drop_rows_without_baseline(struct sb_cmp *cmp, struct sb_cmp_block *blk)
{
	struct sb_cmp_block gone = { .rows = sb_xcalloc(blk->nr_rows, sizeof(*blk->rows)) };
	int kept = 0;

	for (int r = 0; r < blk->nr_rows; r++) {
		if (blk->rows[r].cells[cmp->base].n > 0)
			blk->rows[kept++] = blk->rows[r];
		else
			gone.rows[gone.nr_rows++] = blk->rows[r];
	}
	cmp->nr_omitted += gone.nr_rows;
	blk->nr_rows = kept;
	block_free(cmp, &gone);
}

static void drop_blocks_without_baseline(struct sb_cmp *cmp)
{
	int kept = 0;

	cmp->nr_omitted = 0;
	for (int b = 0; b < cmp->nr_blocks; b++) {
		struct sb_cmp_block *blk = &cmp->blocks[b];

		drop_rows_without_baseline(cmp, blk);
		if (blk->nr_rows)
			cmp->blocks[kept++] = *blk;
		else
			block_free(cmp, blk);
	}
	cmp->nr_blocks = kept;
}

int sb_cmp_build(const struct sb_csv_doc *doc, const struct sb_cmp_opts *o,
		 struct sb_cmp *cmp, char *err, size_t len)
{
	int bc = -1, mc = -1, rc;

	memset(cmp, 0, sizeof(*cmp));
	cmp->doc = doc;
	cmp->by = sb_xstrdup(o->by ? o->by : "pattern");
	rc = resolve_columns(cmp, o, &bc, &mc, err, len);
	if (!rc)
		rc = sb_cmp_group(cmp, o, bc, mc, err, len);
	if (!rc) {
		drop_blocks_without_baseline(cmp);
		if (!cmp->nr_blocks)
			rc = sb_err_not_applicable(err, len, "%s: no configuration has a run with %s %s",
						   doc->path, cmp->by, cmp->levels[cmp->base]);
	}
	for (int b = 0; !rc && b < cmp->nr_blocks; b++) {
		struct sb_cmp_block *blk = &cmp->blocks[b];

		qsort(blk->rows, blk->nr_rows, sizeof(*blk->rows), row_cmp);
		for (int r = 0; r < blk->nr_rows; r++)
			summarize_row(cmp, &blk->rows[r], o->nr_boot > 0 ? o->nr_boot : SB_NR_BOOT);
	}
	if (rc)
		sb_cmp_free(cmp);
	return rc;
}

void sb_cmp_free(struct sb_cmp *cmp)
{
	for (int b = 0; b < cmp->nr_blocks; b++)
		block_free(cmp, &cmp->blocks[b]);
	for (int l = 0; l < cmp->nr_levels; l++)
		free(cmp->levels[l]);
	for (int i = 0; i < cmp->nr_key_cols; i++)
		free(cmp->key_cols[i]);
	free(cmp->key_cols);
	free(cmp->levels);
	free(cmp->blocks);
	free(cmp->workload);
	free(cmp->metric);
	free(cmp->by);
	free(cmp->row_param);
	free(cmp->fixed);
	memset(cmp, 0, sizeof(*cmp));
}
