/*
 * study_until.c - `sheafbench study --until PCT`: add interleaved rounds
 * (one more rep of every variant) until every ratio of a variant to its
 * baseline is known within +-PCT, or the time budget is spent.
 *
 * The intervals looked at are confidence sequences (verdict.h, sb_vd_seq_*):
 * valid at every look at once, Bonferroni over the ratios watched.  So
 * looking after every round and stopping as soon as they are narrow keeps
 * their error rate; a fixed-n interval looked at after every round would
 * not (each look is another chance to stop on a lucky one).
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis.h"
#include "study.h"

#define UNTIL_ALPHA	0.05	/* over all ratios and all looks */
#define UNTIL_MAX_REPS	10000

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* What one look at the results saw. */
struct until_look {
	int nr_cells, nr_narrow, nr_unpaired;
	double widest;		/* largest half-width (fraction); INFINITY: not yet finite */
	char widest_name[256];
};

static double half_width(const struct sb_vd_cell *vd)
{
	if (!vd->reachable)
		return INFINITY;
	return fmax(vd->hi / vd->est - 1, 1 - vd->lo / vd->est);
}

/* "lock kind qspin, cs 50ns, threads 2: sb/ttl" */
static void cell_name(const struct sb_cmp *cmp, int b, int r, int l, char *out, size_t len)
{
	const struct sb_cmp_block *blk = &cmp->blocks[b];
	int n = snprintf(out, len, "%s%s%s", cmp->workload, *blk->title ? " " : "", blk->title);

	if (strcmp(cmp->row_param, "all") && n < (int)len)
		n += snprintf(out + n, len - n, "%s%s %s", *blk->title ? ", " : " ",
			      cmp->row_param, blk->rows[r].label);
	if (n < (int)len)
		snprintf(out + n, len - n, ": %s/%s", cmp->levels[l], cmp->levels[cmp->base]);
}

static void cell_print(FILE *out, const char *name, const struct sb_vd_cell *vd)
{
	int d = sb_vd_digits(vd);

	if (!vd->reachable) {
		fprintf(out, "  %s: %.*f, interval not yet finite (%d reps)\n", name, d, vd->est,
			vd->n);
		return;
	}
	fprintf(out, "  %s: %.*f [%.*f,%.*f] %s (%d reps)\n", name, d, vd->est,
		d, sb_vd_round(vd->lo, d, -1), d, sb_vd_round(vd->hi, d, 1),
		vd->mark > 0 ? "+ (ratio > 1)" : vd->mark < 0 ? "- (ratio < 1)" : "=", vd->n);
}

/* Every ratio cell of one table, decided by the confidence sequence. */
static void look_at_cmp(struct sb_cmp *cmp, const struct sb_vd_seq *seq, double pct,
			struct until_look *lk, FILE *report)
{
	char name[256];

	for (int b = 0; b < cmp->nr_blocks; b++)
		for (int r = 0; r < cmp->blocks[b].nr_rows; r++)
			for (int l = 0; l < cmp->nr_levels; l++) {
				struct sb_cmp_cell *c = &cmp->blocks[b].rows[r].cells[l];
				double w;

				if (l == cmp->base)
					continue;
				lk->nr_cells++;
				cell_name(cmp, b, r, l, name, sizeof(name));
				if (c->unpaired[0]) {	/* no sequence for those: never narrow */
					lk->nr_unpaired++;
					if (report)
						fprintf(report, "  %s: unpaired (%s)\n", name, c->unpaired);
					continue;
				}
				sb_vd_seq_decide(seq, &c->all.vd);
				lk->nr_narrow += sb_vd_narrow(&c->all.vd, pct);
				w = half_width(&c->all.vd);
				if (!(w <= lk->widest)) {
					lk->widest = w;
					snprintf(lk->widest_name, sizeof(lk->widest_name), "%s", name);
				}
				if (report)
					cell_print(report, name, &c->all.vd);
			}
}

static void look(const char *dir, const struct sb_vd_seq *seq, double pct, struct until_look *lk,
		 FILE *report)
{
	struct sb_rundir res;
	char err[1024];

	memset(lk, 0, sizeof(*lk));
	if (sb_rundir_load(dir, &res, err, sizeof(err)) < 0) {
		fprintf(stderr, "sheafbench study: --until: %s\n", err);
		exit(1);
	}
	for (int i = 0; i < res.nr_docs; i++) {
		struct sb_cmp_opts o = { 0 };
		struct sb_cmp cmp;

		if (!res.docs[i]->nr_rows || sb_cmp_build(res.docs[i], &o, &cmp, err, sizeof(err)))
			continue;	/* no ratio in that file (one pattern only, ...) */
		look_at_cmp(&cmp, seq, pct, lk, report);
		sb_cmp_free(&cmp);
	}
	sb_rundir_free(&res);
}

static void report_end(const struct sb_study_ctx *c, const struct sb_vd_seq *seq, double pct,
		       const char *why, uint64_t wall_ns, FILE *out)
{
	struct until_look lk;

	fprintf(out, "study %s --until %g%%: stopped after %d rounds (%s) in %.0f s\n",
		c->st.name, 100 * pct, c->st.reps, why, wall_ns / 1e9);
	fprintf(out, "median of the per-rep ratios; confidence sequences at %.0f%% over %d"
		" ratio%s (Bonferroni), valid at every look:\n", 100 * (1 - seq->alpha), seq->m,
		seq->m == 1 ? "" : "s");
	look(c->dir, seq, pct, &lk, out);
}

/* The rounds' outcome, also kept in the results directory (until.txt). */
static void report_final(const struct sb_study_ctx *c, const struct sb_vd_seq *seq, double pct,
			 const char *why, uint64_t wall_ns)
{
	char *path;
	FILE *f;

	report_end(c, seq, pct, why, wall_ns, stderr);
	if (asprintf(&path, "%s/until.txt", c->dir) < 0)
		exit(1);
	f = fopen(path, "w");
	if (f) {
		report_end(c, seq, pct, why, wall_ns, f);
		fclose(f);
	} else {
		perror(path);
	}
	free(path);
}

/* The runs now on disk count as done: the next round runs only its own rep. */
static void reload_results(struct sb_study_ctx *c)
{
	char err[512];

	sb_results_free(&c->res);
	sb_results_init(&c->res, c->dir);
	if (sb_results_load(&c->res, err, sizeof(err))) {
		fprintf(stderr, "sheafbench study: %s\n", err);
		exit(1);
	}
}

void sb_study_until(struct sb_study_ctx *c, double pct, uint64_t budget_ns)
{
	uint64_t start = now_ns(), round_ns = 0;
	int runs = 0, first_reps = c->st.reps;
	struct sb_vd_seq seq = { 0 };
	struct until_look lk;
	const char *why;

	for (;;) {
		uint64_t t0 = now_ns();
		int before = c->st.reps;

		sb_study_execute(c);
		runs += c->nr_runs;
		reload_results(c);
		round_ns = (now_ns() - t0) / (before == first_reps && runs ? first_reps : 1);
		if (!seq.m) {		/* the ratios watched: fixed by the first look */
			sb_vd_seq_init(&seq, UNTIL_ALPHA, 1, 3 * first_reps);
			look(c->dir, &seq, pct, &lk, NULL);
			sb_vd_seq_init(&seq, UNTIL_ALPHA, lk.nr_cells, 3 * first_reps);
		}
		look(c->dir, &seq, pct, &lk, NULL);
		fprintf(stderr, "until %g%%: round %d: %d of %d ratios within +-%g%%",
			100 * pct, c->st.reps, lk.nr_narrow, lk.nr_cells, 100 * pct);
		if (lk.nr_narrow < lk.nr_cells && isinf(lk.widest))
			fprintf(stderr, "; %s: interval not yet finite", lk.widest_name);
		else if (lk.nr_narrow < lk.nr_cells)
			fprintf(stderr, "; widest %s +-%.1f%%", lk.widest_name, 100 * lk.widest);
		fputc('\n', stderr);
		if (!lk.nr_cells) {
			why = "no ratio to a baseline in these runs";
			break;
		}
		if (lk.nr_narrow == lk.nr_cells) {
			why = "every ratio within the target";
			break;
		}
		if (now_ns() - start + round_ns > budget_ns) {
			why = "time budget spent";
			break;
		}
		if (c->st.reps >= UNTIL_MAX_REPS) {
			why = "rep limit";
			break;
		}
		c->st.reps++;
	}
	c->wall_ns = now_ns() - start;
	c->nr_runs = runs;
	report_final(c, &seq, pct, why, c->wall_ns);
}
