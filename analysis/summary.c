/*
 * summary.c - sb_cmp_build(): one metric of one runs file, grouped
 * (group.c), configurations without a baseline run left out, and every cell
 * summarized: bootstrap median (stats.c); ratio to the baseline from the
 * per-rep ratios where the reps pair, else unpaired and said so; verdicts
 * corrected over the family of ratio cells, with the change each could
 * have detected (verdict.c); the same again without disturbed runs.
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

/* ---- ratios to the baseline ---- */

/* How many values of c are used (calm: undisturbed ones only). */
static int nr_used(const struct sb_cmp_cell *c, bool calm)
{
	int n = 0;

	for (int i = 0; i < c->n; i++)
		n += !(calm && c->disturbed[i]);
	return n;
}

/* The one value of c from rep, -1 if none, -2 if several. */
static int value_of_rep(const struct sb_cmp_cell *c, int rep)
{
	int found = -1;

	for (int i = 0; i < c->n; i++)
		if (c->rep[i] == rep) {
			if (found >= 0)
				return -2;
			found = i;
		}
	return found;
}

/*
 * The values of c and base paired by rep into x, y (calm: pairs with a
 * disturbed run left out).  Returns the pairs, or -1 and why not: the
 * reps must identify runs, and most runs must find their partner.
 */
static int pair_by_rep(const struct sb_cmp_cell *c, const struct sb_cmp_cell *base, bool calm,
		       double *x, double *y, char *why, size_t len)
{
	int np = 0, nc = nr_used(c, calm), nb = nr_used(base, calm);

	for (int i = 0; i < c->n; i++) {
		int j;

		if (c->rep[i] < 0) {
			snprintf(why, len, "no rep column");
			return -1;
		}
		if (value_of_rep(c, c->rep[i]) == -2 || (j = value_of_rep(base, c->rep[i])) == -2) {
			snprintf(why, len, "rep %d twice in one configuration", c->rep[i]);
			return -1;
		}
		if (j < 0 || (calm && (c->disturbed[i] || base->disturbed[j])))
			continue;
		x[np] = c->v[i];
		y[np++] = base->v[j];
	}
	if (np < 2 || 2 * np < (nc > nb ? nc : nb)) {
		snprintf(why, len, "only %d of %d reps in common", np, nc > nb ? nc : nb);
		return -1;
	}
	return np;
}

static int used_values(const struct sb_cmp_cell *c, bool calm, double *x)
{
	int n = 0;

	for (int i = 0; i < c->n; i++)
		if (!(calm && c->disturbed[i]))
			x[n++] = c->v[i];
	return n;
}

static void ratio_build(struct sb_cmp_ratio *rt, const struct sb_cmp_cell *c,
			const struct sb_cmp_cell *base, bool calm, char *why, size_t len)
{
	int most = c->n > base->n ? c->n : base->n;
	double *x = sb_xcalloc(most, sizeof(double)), *y = sb_xcalloc(most, sizeof(double));
	int np = pair_by_rep(c, base, calm, x, y, why, len);

	if (np >= 0) {
		sb_vd_cell_paired(&rt->vd, x, y, np);
	} else {
		int nx = used_values(c, calm, x), ny = used_values(base, calm, y);

		sb_vd_cell_unpaired(&rt->vd, x, nx, y, ny);
	}
	free(x);
	free(y);
}

static void summarize_row(struct sb_cmp *cmp, struct sb_cmp_row *row, int nr_boot)
{
	struct sb_cmp_cell *base = &row->cells[cmp->base];

	for (int l = 0; l < cmp->nr_levels; l++) {
		struct sb_cmp_cell *c = &row->cells[l];
		char label[2300], why[96];

		snprintf(label, sizeof(label), "%s\x1f%s", row->key, cmp->levels[l]);
		c->med = sb_boot_median(c->v, c->n, nr_boot, sb_seed_of(cmp->metric, label));
		if (l != cmp->base) {
			ratio_build(&c->all, c, base, false, c->unpaired, sizeof(c->unpaired));
			cmp->nr_unpaired += c->unpaired[0] != '\0';
			if (cmp->dist.nr_disturbed)
				ratio_build(&c->calm, c, base, true, why, sizeof(why));
		}
		if (c->n && (!cmp->min_n || c->n < cmp->min_n))
			cmp->min_n = c->n;
		if (c->n > cmp->max_n)
			cmp->max_n = c->n;
	}
}

/* ---- the family: Benjamini-Hochberg over every ratio cell ---- */

static void ratio_finish(struct sb_cmp_ratio *rt, int dir, double alpha)
{
	const struct sb_vd_cell *vd = &rt->vd;

	rt->ci = (struct sb_ci){ .est = vd->est, .lo = vd->lo, .hi = vd->hi,
				 .valid = vd->nv > 0 && !isnan(vd->lo) };
	if (!vd->nv || isnan(vd->est) || !vd->reachable)
		rt->verdict = SB_VERDICT_UNKNOWN;
	else if (!vd->mark)
		rt->verdict = SB_VERDICT_SAME;
	else
		rt->verdict = vd->mark * dir > 0 ? SB_VERDICT_BETTER : SB_VERDICT_WORSE;
	rt->mde = rt->verdict == SB_VERDICT_SAME ? sb_vd_cell_detectable(vd, alpha) : NAN;
	rt->digits = sb_vd_digits(vd);
}

typedef void (*ratio_fn)(struct sb_cmp *cmp, struct sb_cmp_cell *c, bool calm, void *arg);

/* fn on the ratio cells (not the baseline's) of every table */
static void for_each_ratio(struct sb_cmp *const *cmps, int n, bool calm, ratio_fn fn, void *arg)
{
	for (int i = 0; i < n; i++) {
		struct sb_cmp *cmp = cmps[i];

		if (calm && !cmp->dist.nr_disturbed)
			continue;
		for (int b = 0; b < cmp->nr_blocks; b++)
			for (int r = 0; r < cmp->blocks[b].nr_rows; r++)
				for (int l = 0; l < cmp->nr_levels; l++)
					if (l != cmp->base)
						fn(cmp, &cmp->blocks[b].rows[r].cells[l], calm, arg);
	}
}

struct family_walk {
	struct sb_vd_cell **cells;
	int n;
	struct sb_cmp_family fam;
};

static void collect_cell(struct sb_cmp *cmp, struct sb_cmp_cell *c, bool calm, void *arg)
{
	struct family_walk *w = arg;

	(void)cmp;
	w->cells = sb_xrealloc(w->cells, (w->n + 1) * sizeof(*w->cells));
	w->cells[w->n++] = calm ? &c->calm.vd : &c->all.vd;
}

static void finish_cell(struct sb_cmp *cmp, struct sb_cmp_cell *c, bool calm, void *arg)
{
	struct family_walk *w = arg;

	ratio_finish(calm ? &c->calm : &c->all, sb_metric_direction(cmp->metric), w->fam.alpha);
}

static void family_decide(struct sb_cmp *const *cmps, int n, bool calm)
{
	struct family_walk w = { .fam.q = SB_VD_FDR };

	for_each_ratio(cmps, n, calm, collect_cell, &w);
	w.fam.nr_cells = w.n;
	w.fam.size = sb_vd_family_decide(w.cells, w.n, w.fam.q, &w.fam.marked);
	w.fam.alpha = sb_vd_family_alpha(w.fam.marked, w.fam.size, w.fam.q);
	for_each_ratio(cmps, n, calm, finish_cell, &w);
	for (int i = 0; i < n; i++)
		*(calm ? &cmps[i]->fam_calm : &cmps[i]->fam) = w.fam;
	free(w.cells);
}

void sb_cmp_decide(struct sb_cmp *const *cmps, int n)
{
	family_decide(cmps, n, false);
	family_decide(cmps, n, true);
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
		for (int l = 0; l < cmp->nr_levels; l++) {
			struct sb_cmp_cell *c = &blk->rows[r].cells[l];

			free(c->v);
			free(c->rep);
			free(c->disturbed);
			sb_vd_cell_free(&c->all.vd);
			sb_vd_cell_free(&c->calm.vd);
		}
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
	if (!rc)
		sb_cmp_decide(&cmp, 1);
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
	sb_disturb_free(&cmp->dist);
	memset(cmp, 0, sizeof(*cmp));
}
