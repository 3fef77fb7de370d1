/*
 * verdict.h - the statistics behind a `+`, `-` or `=` in a comparison:
 * per-rep paired ratios of a variant to the baseline, exact intervals for
 * their median, Benjamini-Hochberg over a family of cells, the smallest
 * change a cell could have detected, and an always-valid interval for
 * sequential studies (`study --until`).  Pure functions: no I/O, no globals.
 *
 * Work is done on log ratios (log variant - log baseline): a ratio of 1.10
 * and one of 1/1.10 are the same distance from "no difference".
 */
#ifndef SB_VERDICT_H
#define SB_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

#define SB_VD_FDR	0.05	/* Benjamini-Hochberg level over a family */
#define SB_VD_POWER	0.80	/* power behind "detects >= X %" */

/*
 * One comparison: a variant against the baseline in one configuration.
 * Paired (the default): one log ratio per rep that both ran; the interval is
 * the exact order-statistic (sign-test) interval for their median.
 * Unpaired (reps that do not pair): all pairwise log differences; the
 * interval is the exact Hodges-Lehmann / Mann-Whitney interval for the shift.
 * Both come from the same two pieces: sorted contrast values v[0..nv-1] and
 * the null distribution of U = #{v < true value}, symmetric on 0..nv.
 */
struct sb_vd_cell {
	bool paired;
	int n, n_base;		/* runs of the variant / the baseline (paired: equal) */
	int nv;			/* contrast values: n (paired) or n * n_base */
	double *v;		/* sorted log ratios, or pairwise log differences */
	double *null_cdf;	/* P(U <= u), u = 0..nv */
	double est;		/* ratio: median of per-rep ratios, or HL shift */
	double p;		/* exact two-sided p-value for ratio = 1 */
	double min_p;		/* smallest p-value these sample sizes allow */
	/* sb_vd_cell_decide(): */
	double alpha;		/* the interval is a (1 - alpha) interval ... */
	double level;		/* ... of this actual coverage (>= 1 - alpha if reachable) */
	bool reachable;		/* false: even [min, max] is short of 1 - alpha */
	double lo, hi;		/* ratio interval (not log) */
	int mark;		/* +1 ratio > 1 shown, -1 ratio < 1 shown, 0 none */
	double mde;		/* smallest detectable change (0.08: 8 %); NaN: none */
};

/*
 * var[i] and base[i] ran in the same rep; pairs with a non-positive or NaN
 * side are skipped (a ratio is undefined there).  Returns the pairs used.
 */
int sb_vd_cell_paired(struct sb_vd_cell *c, const double *var, const double *base, int n);
/* Independent samples; returns 0, or -1 if either side has no positive value. */
int sb_vd_cell_unpaired(struct sb_vd_cell *c, const double *var, int n,
			const double *base, int n_base);
void sb_vd_cell_free(struct sb_vd_cell *c);

/* Interval and mark at level 1 - alpha (the mark and the interval agree:
 * marked exactly when the interval excludes 1). */
void sb_vd_cell_decide(struct sb_vd_cell *c, double alpha);
/* The smallest change (fraction) that a cell like this one would show with
 * probability SB_VD_POWER at level 1 - alpha; NaN if no change could be. */
double sb_vd_cell_detectable(const struct sb_vd_cell *c, double alpha);

/*
 * Benjamini-Hochberg at level q over cells[0..m-1].  Cells whose sample
 * sizes cannot reach p <= q (min_p > q) cannot be marked whatever the data,
 * and stay out of the family (decided by sizes alone, so BH stays valid).
 * Every cell is then decided at alpha = max(R, 1) * q / m' (R marks out of
 * m' in the family): the Benjamini-Yekutieli false-coverage-rate level, at
 * which a cell's interval excludes 1 exactly when BH marks it.
 * Returns m' (the family size); *nr_marked gets R.
 */
int sb_vd_family_decide(struct sb_vd_cell *const *cells, int m, double q, int *nr_marked);
double sb_vd_family_alpha(int nr_marked, int family, double q);

/*
 * Decimals to print est, lo and hi with (2 to 6) so that a marked interval,
 * rounded outwards, never prints as touching 1; sb_vd_round() rounds
 * x to d decimals down (dir < 0) or up (dir > 0).
 */
int sb_vd_digits(const struct sb_vd_cell *c);
double sb_vd_round(double x, int d, int dir);

/*
 * Sequential: an always-valid confidence sequence for the median of the
 * per-rep ratios (sign process with a normal-mixture boundary), valid at
 * every look at once, so a study may stop whenever all its intervals are
 * narrow enough, or its time runs out.  Bonferroni over m cells.
 */
struct sb_vd_seq {
	double alpha;		/* over all cells and all looks */
	int m;			/* cells watched */
	double rho;		/* mixture scale, tuned for n_opt reps */
};
void sb_vd_seq_init(struct sb_vd_seq *s, double alpha, int m, int n_opt);
/* Decides c from its paired data at this look: lo/hi/mark from the
 * confidence sequence (alpha/m), est as usual.  Needs c->paired. */
void sb_vd_seq_decide(const struct sb_vd_seq *s, struct sb_vd_cell *c);
/* Both ends of c's interval within a fraction pct of est. */
bool sb_vd_narrow(const struct sb_vd_cell *c, double pct);

#endif
