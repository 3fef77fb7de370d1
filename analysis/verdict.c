/*
 * verdict.c - paired ratios, exact intervals, Benjamini-Hochberg, detectable
 * change and an always-valid interval (verdict.h says what each is for).
 *
 * Why these methods:
 * - Exact order-statistic (sign-test) interval for the median of the per-rep
 *   ratios rather than a bootstrap: its coverage is at least its nominal
 *   level for any continuous noise and any number of reps, with no model of
 *   the slow episodes this VM has.  A bootstrap of a median from 5-10 values
 *   under-covers and is in effect [min, max] anyway.  The price is honesty
 *   about small samples: with n reps the best two-sided level is
 *   1 - 2^(1-n), so 5 reps can give [min, max] at 93.75 % and no verdict at
 *   5 % (6 reps: 96.9 %, 10 reps: p down to 0.002).
 * - Benjamini-Hochberg (false discovery rate) rather than Holm: a report has
 *   hundreds of cells, and with 10 reps no exact test reaches Holm's
 *   0.05 / 400, so Holm would never mark anything.  Under "no difference
 *   anywhere" BH's FDR is the chance of any false mark, so the A/A guarantee
 *   is the family-wise one; with real differences it keeps the share of
 *   false marks among the marks at 5 %.  Intervals are printed at the
 *   Benjamini-Yekutieli level R q / m, so a mark and an interval that
 *   excludes 1 are the same event.
 * - Sequential: a confidence sequence (time-uniform) rather than fixed stages
 *   with alpha spending: a study may look after every round and stop when
 *   narrow enough or when its time budget ends, at any round, with no stage
 *   plan; the cost is a wider interval (at 30 reps the 7th and 24th order
 *   statistics instead of the 10th and 21st: about 1.6x under normal noise).
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"

/* Above this many pairwise differences the Mann-Whitney null is normal. */
#define MW_EXACT_MAX	2500

static int double_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median_sorted(const double *v, int n)
{
	if (n <= 0)
		return NAN;
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double norm_cdf(double x)
{
	return 0.5 * erfc(-x / M_SQRT2);
}

/* Inverse of norm_cdf by bisection: called a few times per cell. */
static double norm_quantile(double p)
{
	double lo = -40, hi = 40;

	for (int i = 0; i < 200 && hi - lo > 1e-12; i++) {
		double mid = 0.5 * (lo + hi);

		if (norm_cdf(mid) < p)
			lo = mid;
		else
			hi = mid;
	}
	return 0.5 * (lo + hi);
}

static double binom_pmf(int n, int k, double q)
{
	if (q <= 0)
		return k == 0;
	if (q >= 1)
		return k == n;
	return exp(lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma(n - k + 1.0) +
		   k * log(q) + (n - k) * log1p(-q));
}

/* P(Bin(n, q) >= k) */
static double binom_upper(int n, int k, double q)
{
	double s = 0;

	for (int j = k < 0 ? 0 : k; j <= n; j++)
		s += binom_pmf(n, j, q);
	return s > 1 ? 1 : s;
}

/* ---- null distributions of U = #{contrast values below the truth} ---- */

static double *sign_null_cdf(int n)
{
	double *f = sb_xcalloc(n + 1, sizeof(double)), acc = 0, pmf = ldexp(1, -n);

	for (int u = 0; u <= n; u++) {
		/* C(n, u) / 2^n by recurrence; lgamma where 2^-n underflows */
		acc += n <= 1000 ? pmf : binom_pmf(n, u, 0.5);
		pmf = pmf * (n - u) / (u + 1);
		f[u] = acc > 1 ? 1 : acc;
	}
	f[n] = 1;
	return f;
}

/*
 * Mann-Whitney U for samples of a and b: the largest of the a + b values is
 * from the first sample with probability a / (a + b), and then it exceeds
 * all b of the second.  p[b][u] holds P(U = u) for the current a.
 */
static double *mw_exact_cdf(int n1, int n2)
{
	int N = n1 * n2;
	double *prev = sb_xcalloc((size_t)(n2 + 1) * (N + 1), sizeof(double));
	double *cur = sb_xcalloc((size_t)(n2 + 1) * (N + 1), sizeof(double));
	double *f = sb_xcalloc(N + 1, sizeof(double)), acc = 0;

	for (int b = 0; b <= n2; b++)
		prev[(size_t)b * (N + 1)] = 1;			/* a = 0: U = 0 */
	for (int a = 1; a <= n1; a++) {
		memset(cur, 0, (size_t)(n2 + 1) * (N + 1) * sizeof(double));
		cur[0] = 1;					/* b = 0 */
		for (int b = 1; b <= n2; b++) {
			double *o = cur + (size_t)b * (N + 1);
			const double *up = prev + (size_t)b * (N + 1);
			const double *left = cur + (size_t)(b - 1) * (N + 1);
			double wa = (double)a / (a + b), wb = (double)b / (a + b);

			for (int u = 0; u <= a * b; u++)
				o[u] = wb * left[u] + (u >= b ? wa * up[u - b] : 0);
		}
		memcpy(prev, cur, (size_t)(n2 + 1) * (N + 1) * sizeof(double));
	}
	for (int u = 0; u <= N; u++) {
		acc += prev[(size_t)n2 * (N + 1) + u];
		f[u] = acc > 1 ? 1 : acc;
	}
	f[N] = 1;
	free(prev);
	free(cur);
	return f;
}

static double *mw_null_cdf(int n1, int n2)
{
	int N = n1 * n2;
	double sd = sqrt(n1 * (double)n2 * (n1 + n2 + 1) / 12.0), *f;

	if (N <= MW_EXACT_MAX)
		return mw_exact_cdf(n1, n2);
	f = sb_xcalloc(N + 1, sizeof(double));
	for (int u = 0; u <= N; u++)
		f[u] = norm_cdf((u + 0.5 - N / 2.0) / sd);
	f[N] = 1;
	return f;
}

/* ---- one cell ---- */

/* F(u) with F(-1) = 0 */
static double cdf_at(const struct sb_vd_cell *c, int u)
{
	if (u < 0)
		return 0;
	return u >= c->nv ? 1 : c->null_cdf[u];
}

/*
 * The p-value counts values equal to 1 (log 0) against the verdict, so
 * that p <= alpha exactly when the interval excludes 1 (ties or not).
 */
static void cell_summarize(struct sb_vd_cell *c)
{
	int below = 0, above = 0, ties;

	qsort(c->v, c->nv, sizeof(double), double_cmp);
	for (int i = 0; i < c->nv; i++) {
		below += c->v[i] < 0;
		above += c->v[i] > 0;
	}
	ties = c->nv - below - above;
	c->est = exp(median_sorted(c->v, c->nv));
	c->p = c->nv ? fmin(1, 2 * cdf_at(c, (below < above ? below : above) + ties)) : 1;
	c->min_p = c->nv ? fmin(1, 2 * cdf_at(c, 0)) : 1;
	c->alpha = c->lo = c->hi = c->mde = NAN;
	c->level = 0;
}

int sb_vd_cell_paired(struct sb_vd_cell *c, const double *var, const double *base, int n)
{
	memset(c, 0, sizeof(*c));
	c->paired = true;
	c->v = sb_xcalloc(n, sizeof(double));
	for (int i = 0; i < n; i++)
		if (var[i] > 0 && base[i] > 0 && isfinite(var[i]) && isfinite(base[i]))
			c->v[c->nv++] = log(var[i]) - log(base[i]);
	c->n = c->n_base = c->nv;
	c->null_cdf = sign_null_cdf(c->nv);
	cell_summarize(c);
	return c->nv;
}

static int positive_logs(const double *x, int n, double *out)
{
	int k = 0;

	for (int i = 0; i < n; i++)
		if (x[i] > 0 && isfinite(x[i]))
			out[k++] = log(x[i]);
	return k;
}

int sb_vd_cell_unpaired(struct sb_vd_cell *c, const double *var, int n,
			const double *base, int n_base)
{
	double *lv = sb_xcalloc(n, sizeof(double)), *lb = sb_xcalloc(n_base, sizeof(double));

	memset(c, 0, sizeof(*c));
	c->n = positive_logs(var, n, lv);
	c->n_base = positive_logs(base, n_base, lb);
	c->nv = c->n * c->n_base;
	c->v = sb_xcalloc(c->nv, sizeof(double));
	for (int i = 0; i < c->n; i++)
		for (int j = 0; j < c->n_base; j++)
			c->v[i * c->n_base + j] = lv[i] - lb[j];
	free(lv);
	free(lb);
	c->null_cdf = c->nv ? mw_null_cdf(c->n, c->n_base) : sign_null_cdf(0);
	cell_summarize(c);
	return c->nv ? 0 : -1;
}

void sb_vd_cell_free(struct sb_vd_cell *c)
{
	free(c->v);
	free(c->null_cdf);
	memset(c, 0, sizeof(*c));
}

/* Largest k with 2 F(k - 1) <= alpha: [v_(k), v_(nv+1-k)] is a 1 - alpha
 * interval; 0 if even [min, max] is not. */
static int order_stat_index(const struct sb_vd_cell *c, double alpha)
{
	int k = 0;

	while (k + 1 <= (c->nv + 1) / 2 && 2 * cdf_at(c, k) <= alpha)
		k++;
	return k;
}

void sb_vd_cell_decide(struct sb_vd_cell *c, double alpha)
{
	int k = order_stat_index(c, alpha);

	c->alpha = alpha;
	c->mark = 0;
	c->reachable = k > 0;
	if (!c->nv) {
		c->lo = c->hi = NAN;
		c->level = 0;
		return;
	}
	if (!k)
		k = 1;		/* [min, max], at the level it has */
	c->level = fmax(0, 1 - 2 * cdf_at(c, k - 1));
	c->lo = exp(c->v[k - 1]);
	c->hi = exp(c->v[c->nv - k]);
	if (c->reachable && c->v[k - 1] > 0)
		c->mark = 1;
	else if (c->reachable && c->v[c->nv - k] < 0)
		c->mark = -1;
}

/* ---- detectable change ---- */

/* Robust spread of x (need not be sorted): min(sd, IQR / 1.349). */
static double robust_scale(const double *x, int n)
{
	double *s = sb_xcalloc(n, sizeof(double)), mean = 0, ss = 0, iqr, sd;

	if (n < 2) {
		free(s);
		return 0;
	}
	memcpy(s, x, n * sizeof(double));
	qsort(s, n, sizeof(double), double_cmp);
	for (int i = 0; i < n; i++)
		mean += s[i] / n;
	for (int i = 0; i < n; i++)
		ss += (s[i] - mean) * (s[i] - mean);
	sd = sqrt(ss / (n - 1));
	{
		double pos1 = 0.25 * (n - 1), pos3 = 0.75 * (n - 1);
		int i1 = (int)pos1, i3 = (int)pos3;
		double q1 = s[i1] + (pos1 - i1) * (i1 + 1 < n ? s[i1 + 1] - s[i1] : 0);
		double q3 = s[i3] + (pos3 - i3) * (i3 + 1 < n ? s[i3 + 1] - s[i3] : 0);

		iqr = (q3 - q1) / 1.349;
	}
	free(s);
	return iqr > 0 && iqr < sd ? iqr : sd;
}

/*
 * The noise is the observed contrasts' own spread around their median,
 * smoothed with a normal kernel (Silverman's bandwidth): shifted by delta,
 * a contrast comes out positive with probability
 *   q(delta) = mean over i of Phi((r_i + delta) / h),
 * outliers included, so a cell with a few wild reps is shown as weak.
 */
struct noise {
	const double *r;
	int n;
	double h, sign;
	double shrink;		/* keeps the smoothed spread the sample's own */
};

static double noise_positive(const struct noise *z, double delta)
{
	double s = 0;

	for (int i = 0; i < z->n; i++)
		s += norm_cdf((z->shrink * z->sign * z->r[i] + delta) / (z->shrink * z->h));
	return s / z->n;
}

/* Smallest delta >= 0 with noise_positive(delta) >= target (monotone). */
static double noise_shift_for(const struct noise *z, double target)
{
	double lo = 0, hi = 1;

	while (noise_positive(z, hi) < target && hi < 50)
		hi *= 2;
	for (int i = 0; i < 60; i++) {
		double mid = 0.5 * (lo + hi);

		if (noise_positive(z, mid) < target)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

/* Silverman's bandwidth, and Jones's shrink so that smoothing does not
 * widen the noise (variance s^2 + h^2 -> s^2). */
static void noise_smooth(struct noise *z)
{
	double s = robust_scale(z->r, z->n);

	z->h = s > 0 ? 0.9 * s * pow(z->n, -0.2) : 1e-9;
	z->shrink = s > 0 ? 1 / sqrt(1 + z->h * z->h / (s * s)) : 1;
}

/* Paired: the sign test needs nv - k + 1 of nv reps on one side. */
static double paired_detectable(const struct sb_vd_cell *c, int k)
{
	int need = c->nv - k + 1;
	double *r = sb_xcalloc(c->nv, sizeof(double)), med = median_sorted(c->v, c->nv);
	double q_lo = 0.5, q_hi = 1, delta = 0;
	struct noise z = { r, c->nv, 0, 1, 1 };

	for (int i = 0; i < c->nv; i++)
		r[i] = c->v[i] - med;
	noise_smooth(&z);
	/* the share of positive reps that gives SB_VD_POWER */
	for (int i = 0; i < 60; i++) {
		double mid = 0.5 * (q_lo + q_hi);

		if (binom_upper(c->nv, need, mid) < SB_VD_POWER)
			q_lo = mid;
		else
			q_hi = mid;
	}
	for (z.sign = 1; z.sign >= -1; z.sign -= 2)
		delta = fmax(delta, noise_shift_for(&z, q_hi));
	free(r);
	return expm1(delta);
}

/*
 * Unpaired: Noether's power formula for Mann-Whitney gives the needed
 * P(shifted variant > baseline); the pairwise differences of the centred
 * samples, smoothed, give the shift that reaches it.
 */
static double unpaired_detectable(const struct sb_vd_cell *c, double alpha)
{
	int n1 = c->n, n2 = c->n_base, N = c->nv;
	double target = 0.5 + (norm_quantile(1 - alpha / 2) + norm_quantile(SB_VD_POWER)) *
			sqrt((n1 + n2 + 1) / (12.0 * n1 * n2));
	double *d, med = median_sorted(c->v, N), delta = 0;
	struct noise z = { NULL, N, 0, 1, 1 };

	if (target >= 1)
		return NAN;
	/* pairwise differences around their Hodges-Lehmann centre */
	d = sb_xcalloc(N, sizeof(double));
	for (int i = 0; i < N; i++)
		d[i] = c->v[i] - med;
	z.r = d;
	noise_smooth(&z);
	for (z.sign = 1; z.sign >= -1; z.sign -= 2)
		delta = fmax(delta, noise_shift_for(&z, target));
	free(d);
	return expm1(delta);
}

double sb_vd_cell_detectable(const struct sb_vd_cell *c, double alpha)
{
	int k = order_stat_index(c, alpha);

	if (!k || c->nv < 2)
		return NAN;
	return c->paired ? paired_detectable(c, k) : unpaired_detectable(c, alpha);
}

/* ---- a family of cells ---- */

double sb_vd_family_alpha(int nr_marked, int family, double q)
{
	if (family <= 0)
		return q;
	return (nr_marked > 1 ? nr_marked : 1) * q / family;
}

int sb_vd_family_decide(struct sb_vd_cell *const *cells, int m, double q, int *nr_marked)
{
	double *p = sb_xcalloc(m, sizeof(double)), alpha;
	int fam = 0, r = 0;

	for (int i = 0; i < m; i++)
		if (cells[i]->nv && cells[i]->min_p <= q)
			p[fam++] = cells[i]->p;
	qsort(p, fam, sizeof(double), double_cmp);
	for (int k = fam; k >= 1; k--)
		if (p[k - 1] <= k * q / fam) {
			r = k;
			break;
		}
	free(p);
	alpha = sb_vd_family_alpha(r, fam, q);
	for (int i = 0; i < m; i++)
		sb_vd_cell_decide(cells[i], alpha);
	if (nr_marked)
		*nr_marked = r;
	return fam;
}

/* ---- printing precision ---- */

double sb_vd_round(double x, int d, int dir)
{
	double s = pow(10, d), y = x * s, r = nearbyint(y);

	/* a value within rounding error of a grid point is that point */
	if (fabs(y - r) < 1e-9 * fmax(1, fabs(y)))
		return r / s;
	return (dir < 0 ? floor(y) : ceil(y)) / s;
}

int sb_vd_digits(const struct sb_vd_cell *c)
{
	int d = 2;

	if (c->mark > 0)
		while (d < 12 && sb_vd_round(c->lo, d, -1) <= 1)
			d++;
	if (c->mark < 0)
		while (d < 12 && sb_vd_round(c->hi, d, 1) >= 1)
			d++;
	return d;
}

/* ---- sequential ---- */

/* |#{y <= median} - n/2| stays below this at every n with prob 1 - a:
 * the two-sided normal-mixture boundary for +-1/2 steps (variance n/4). */
static double seq_radius(int n, double a, double rho)
{
	double v = n / 4.0 + rho;

	return sqrt(v * log(v / (rho * a * a)));
}

void sb_vd_seq_init(struct sb_vd_seq *s, double alpha, int m, int n_opt)
{
	double best = INFINITY;

	s->alpha = alpha;
	s->m = m > 0 ? m : 1;
	s->rho = 1;
	/* the mixture scale that makes the interval narrowest at n_opt */
	for (double lr = -6; lr <= 6; lr += 0.01) {
		double u = seq_radius(n_opt, alpha / s->m, exp(lr));

		if (u < best) {
			best = u;
			s->rho = exp(lr);
		}
	}
}

void sb_vd_seq_decide(const struct sb_vd_seq *s, struct sb_vd_cell *c)
{
	double a = s->alpha / s->m, u = seq_radius(c->nv, a, s->rho);
	int lo = (int)ceil(c->nv / 2.0 - u), hi = (int)floor(c->nv / 2.0 + u);

	c->alpha = a;
	c->level = 1 - a;
	c->mark = 0;
	c->reachable = c->nv > 0 && lo >= 1 && hi + 1 <= c->nv;
	if (!c->reachable) {
		c->lo = 0;
		c->hi = INFINITY;
		return;
	}
	c->lo = exp(c->v[lo - 1]);
	c->hi = exp(c->v[hi]);
	if (c->v[lo - 1] > 0)
		c->mark = 1;
	else if (c->v[hi] < 0)
		c->mark = -1;
}

bool sb_vd_narrow(const struct sb_vd_cell *c, double pct)
{
	return c->reachable && c->hi <= c->est * (1 + pct) && c->lo >= c->est * (1 - pct);
}
