/*
 * verdict_test.c - verdict.c on synthetic studies whose truth is known.
 *
 * Noise shaped like this VM's: every run within about 3 % (log sd 1.5 %),
 * plus slow episodes.  "Clustered": episodes that slow 10-20 % of the runs
 * to 0.25-0.7x, a few consecutive runs at a time in the study's interleaved
 * order (rep by rep, every variant of every configuration, shuffled within
 * the rep, as the study runner does), so they hit some variants of a rep
 * and not others.  "Correlated episodes": 20 % of the reps slowed
 * 0.3-0.7x for all variants alike.
 *
 * Checked, each with its figure printed: A/A blocks of >= 200
 * configurations with no difference get any false mark in <= 5 % of blocks;
 * a true 10 % difference at 10 reps is marked in >= 80 % of its cells; the
 * printed intervals cover the true ratio >= 93 %; "detects >= X %" is the
 * change found with about 80 % probability; the sequential interval keeps
 * its error rate over a look after every round.  Plus exact small cases.
 * Fixed seeds: the same figures on every run.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "verdict.h"

/* ---- a small PRNG of our own: splitmix64 ---- */

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double rng_uniform(uint64_t *s)
{
	return (rng_next(s) >> 11) * 0x1.0p-53;
}

static double rng_between(uint64_t *s, double lo, double hi)
{
	return lo + (hi - lo) * rng_uniform(s);
}

static double rng_normal(uint64_t *s)
{
	double u = rng_uniform(s), v = rng_uniform(s);

	return sqrt(-2 * log(u + 0x1.0p-60)) * cos(2 * M_PI * v);
}

/* ---- synthetic studies ---- */

struct noise {
	double jitter;			/* log sd of every run */
	double slow_lo, slow_hi;	/* clustered: stationary share of slowed runs, drawn per block */
	double slow_len;		/* clustered: mean episode length, in runs */
	double rep_slow;		/* correlated: share of reps slowed for all variants */
};

static const struct noise clustered = { 0.015, 0.10, 0.20, 3, 0 };
static const struct noise correlated = { 0.015, 0, 0, 1, 0.20 };

struct block {
	int nr_cfg, nr_var, reps;
	double *x;			/* x[(c * nr_var + v) * reps + r] */
	double *truth;			/* ratio of variant v to variant 0, per c, v */
};

static double *run_of(struct block *b, int c, int v)
{
	return b->x + ((size_t)c * b->nr_var + v) * b->reps;
}

static void block_alloc(struct block *b, int nr_cfg, int nr_var, int reps)
{
	b->nr_cfg = nr_cfg;
	b->nr_var = nr_var;
	b->reps = reps;
	b->x = calloc((size_t)nr_cfg * nr_var * reps, sizeof(double));
	b->truth = calloc((size_t)nr_cfg * nr_var, sizeof(double));
	CHECK(b->x && b->truth);
}

static void block_free(struct block *b)
{
	free(b->x);
	free(b->truth);
}

/*
 * Slow episodes as a two-state Markov chain over the run order, started in
 * its stationary state, so that no position in a rep is favoured.
 */
struct episodes {
	double enter, leave, factor;
	bool slow;
};

static void episodes_init(struct episodes *e, const struct noise *n, uint64_t *s)
{
	double share = n->slow_hi > 0 ? rng_between(s, n->slow_lo, n->slow_hi) : 0;

	e->leave = 1 / n->slow_len;
	e->enter = share / (1 - share) * e->leave;
	e->slow = rng_uniform(s) < share;
	e->factor = rng_between(s, 0.25, 0.7);
}

static double episodes_step(struct episodes *e, uint64_t *s)
{
	if (e->slow ? rng_uniform(s) < e->leave : rng_uniform(s) < e->enter) {
		e->slow = !e->slow;
		e->factor = rng_between(s, 0.25, 0.7);
	}
	return e->slow ? e->factor : 1;
}

/* Fill b's runs: truth[c][v] times noise, in interleaved shuffled order. */
static void block_run(struct block *b, const struct noise *n, uint64_t *s)
{
	int slots = b->nr_cfg * b->nr_var, *order = calloc(slots, sizeof(int));
	struct episodes e;

	CHECK(order);
	episodes_init(&e, n, s);
	for (int r = 0; r < b->reps; r++) {
		double rep_factor = rng_uniform(s) < n->rep_slow ? rng_between(s, 0.3, 0.7) : 1;

		for (int i = 0; i < slots; i++)
			order[i] = i;
		for (int i = slots - 1; i > 0; i--) {
			int j = rng_next(s) % (i + 1), t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		for (int i = 0; i < slots; i++) {
			int c = order[i] / b->nr_var, v = order[i] % b->nr_var;

			run_of(b, c, v)[r] = 1e6 * b->truth[order[i]] * rep_factor *
					     episodes_step(&e, s) * exp(n->jitter * rng_normal(s));
		}
	}
	free(order);
}

/* ---- deciding a block and scoring it against the truth ---- */

struct score {
	long cells, null_cells, marks, false_marks, true_cells, true_marked;
	long covered, intervals, blocks, blocks_false;
	double fdp_sum;
};

static int truth_sign(double t)
{
	return t > 1 + 1e-12 ? 1 : t < 1 - 1e-12 ? -1 : 0;
}

static void score_block(struct score *sc, struct block *b, bool paired)
{
	int m = b->nr_cfg * (b->nr_var - 1), i = 0, marks = 0, false_marks = 0;
	struct sb_vd_cell *cells = calloc(m, sizeof(*cells));
	struct sb_vd_cell **ptr = calloc(m, sizeof(*ptr));

	CHECK(cells && ptr);
	for (int c = 0; c < b->nr_cfg; c++)
		for (int v = 1; v < b->nr_var; v++, i++) {
			if (paired)
				sb_vd_cell_paired(&cells[i], run_of(b, c, v), run_of(b, c, 0), b->reps);
			else
				sb_vd_cell_unpaired(&cells[i], run_of(b, c, v), b->reps,
						    run_of(b, c, 0), b->reps);
			ptr[i] = &cells[i];
		}
	sb_vd_family_decide(ptr, m, SB_VD_FDR, NULL);
	i = 0;
	for (int c = 0; c < b->nr_cfg; c++)
		for (int v = 1; v < b->nr_var; v++, i++) {
			double t = b->truth[c * b->nr_var + v];
			int want = truth_sign(t), got = cells[i].mark;

			sc->cells++;
			sc->null_cells += !want;
			sc->true_cells += want != 0;
			marks += got != 0;
			false_marks += got && got != want;
			sc->true_marked += want && got == want;
			sc->intervals++;
			sc->covered += cells[i].lo <= t && t <= cells[i].hi;
			sb_vd_cell_free(&cells[i]);
		}
	sc->marks += marks;
	sc->false_marks += false_marks;
	sc->fdp_sum += marks ? (double)false_marks / marks : 0;
	sc->blocks++;
	sc->blocks_false += false_marks > 0;
	free(cells);
	free(ptr);
}

typedef void (*truth_fn)(struct block *b, uint64_t *s);

static void truth_none(struct block *b, uint64_t *s)
{
	(void)s;
	for (int i = 0; i < b->nr_cfg * b->nr_var; i++)
		b->truth[i] = 1;
}

/* variant 1 is 10 % faster than the baseline, variant 2 is the same */
static void truth_ten_percent(struct block *b, uint64_t *s)
{
	truth_none(b, s);
	for (int c = 0; c < b->nr_cfg; c++)
		b->truth[c * b->nr_var + 1] = 1.10;
}

/* variant 1: 5 % slower; variant 2: 3 % faster */
static void truth_small(struct block *b, uint64_t *s)
{
	truth_none(b, s);
	for (int c = 0; c < b->nr_cfg; c++) {
		b->truth[c * b->nr_var + 1] = 0.95;
		b->truth[c * b->nr_var + 2] = 1.03;
	}
}

static struct score simulate(int nr_blocks, int nr_cfg, int reps, const struct noise *n,
			     truth_fn truth, bool paired, uint64_t seed)
{
	struct score sc = { 0 };
	struct block b;

	block_alloc(&b, nr_cfg, 3, reps);
	for (int k = 0; k < nr_blocks; k++) {
		truth(&b, &seed);
		block_run(&b, n, &seed);
		score_block(&sc, &b, paired);
	}
	block_free(&b);
	return sc;
}

/* ---- the three figures of issue 12 ---- */

static void test_aa(void)
{
	static const struct { int blocks, cfg, reps; } cases[] = {
		{ 50, 200, 5 }, { 50, 200, 10 }, { 100, 200, 30 }, { 1000, 4, 10 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct score sc = simulate(cases[i].blocks, cases[i].cfg, cases[i].reps,
					   &clustered, truth_none, true, 1000 + i);
		double share = (double)sc.blocks_false / sc.blocks;

		printf("A/A clustered: %d blocks x %d configurations x 3 variants, %d reps:"
		       " blocks with a false mark %.1f %% (%ld marks in %ld cells)\n",
		       cases[i].blocks, cases[i].cfg, cases[i].reps, 100 * share,
		       sc.false_marks, sc.cells);
		EXPECT_MSG(share <= 0.05, "A/A false-mark share %.3f", share);
	}
}

static void test_power_coverage(void)
{
	struct score p = simulate(25, 200, 10, &correlated, truth_ten_percent, true, 77);
	struct score u = simulate(5, 200, 10, &correlated, truth_ten_percent, false, 77);
	struct score c = simulate(25, 200, 10, &clustered, truth_small, true, 78);
	double power = (double)p.true_marked / p.true_cells;
	double fdr = p.fdp_sum / p.blocks;
	double cov_p = (double)p.covered / p.intervals, cov_c = (double)c.covered / c.intervals;

	printf("power, correlated episodes, 10 reps, 25 blocks x 200 configurations"
	       " (true +10 %% and 0 %%): paired %.1f %% of %ld cells, unpaired (5 blocks) %.1f %%;"
	       " mean false-discovery proportion %.2f %%\n",
	       100 * power, p.true_cells, 100.0 * u.true_marked / u.true_cells, 100 * fdr);
	printf("coverage of the printed interval: %.1f %% of %ld (correlated, +10 %%/0 %%),"
	       " %.1f %% of %ld (clustered, -5 %%/+3 %%; marked %.1f %%)\n",
	       100 * cov_p, p.intervals, 100 * cov_c, c.intervals,
	       100.0 * c.true_marked / c.true_cells);
	EXPECT_MSG(power >= 0.80, "power %.3f", power);
	EXPECT_MSG(fdr <= 0.05, "FDR %.3f", fdr);
	EXPECT_MSG(cov_p >= 0.93, "coverage %.3f", cov_p);
	EXPECT_MSG(cov_c >= 0.93, "coverage %.3f", cov_c);
	EXPECT_MSG(c.fdp_sum / c.blocks <= 0.05, "FDR %.3f", c.fdp_sum / c.blocks);
}

/*
 * "detects >= X %" at level alpha: the median X over A/A cells, then cells
 * with a true change of X are marked (at that alpha) about 80 % of the time.
 */
static void test_detectable(const struct noise *noise, const char *name)
{
	const int cells = 1000, reps = 10;
	const double alpha = 0.05;
	struct block b;
	double *mde = calloc(cells, sizeof(double)), x;
	uint64_t s = 4242;
	int marked = 0, k = 0;

	CHECK(mde);
	block_alloc(&b, 1, 2, reps);
	for (int i = 0; i < cells; i++) {
		struct sb_vd_cell c;

		truth_none(&b, &s);
		block_run(&b, noise, &s);
		sb_vd_cell_paired(&c, run_of(&b, 0, 1), run_of(&b, 0, 0), reps);
		mde[k] = sb_vd_cell_detectable(&c, alpha);
		k += !isnan(mde[k]);
		sb_vd_cell_free(&c);
	}
	CHECK(k == cells);
	for (int i = 1; i < k; i++)	/* insertion sort: small */
		for (int j = i; j > 0 && mde[j - 1] > mde[j]; j--) {
			x = mde[j];
			mde[j] = mde[j - 1];
			mde[j - 1] = x;
		}
	x = mde[k / 2];
	for (int i = 0; i < cells; i++) {
		struct sb_vd_cell c;

		truth_none(&b, &s);
		b.truth[1] = 1 + x;
		block_run(&b, noise, &s);
		sb_vd_cell_paired(&c, run_of(&b, 0, 1), run_of(&b, 0, 0), reps);
		sb_vd_cell_decide(&c, alpha);
		marked += c.mark > 0;
		sb_vd_cell_free(&c);
	}
	printf("detects >= %.1f %% (median over %d A/A cells, %s, %d reps, 5 %%):"
	       " a true +%.1f %% marked in %.1f %% of %d cells\n",
	       100 * x, cells, name, reps, 100 * x, 100.0 * marked / cells, cells);
	EXPECT_MSG(marked >= 0.65 * cells && marked <= 0.95 * cells, "marked %d", marked);
	block_free(&b);
	free(mde);
}

/*
 * study --until 3 %: two cells (one A/A, one -4 %), a look after every
 * round, stop when both are within 3 % or after 150 rounds.
 */
static void test_sequential(void)
{
	const int studies = 300, max_rounds = 150;
	int ever_false = 0, missed = 0, stopped = 0;
	long rounds_sum = 0;
	uint64_t s = 999;
	struct block b;
	struct sb_vd_seq seq;

	sb_vd_seq_init(&seq, 0.05, 2, 40);
	block_alloc(&b, 1, 3, max_rounds);
	for (int k = 0; k < studies; k++) {
		bool false_mark = false, miss = false;
		int n;

		truth_none(&b, &s);
		b.truth[2] = 0.96;
		block_run(&b, &clustered, &s);
		for (n = 1; n <= max_rounds; n++) {
			int narrow = 0;

			miss = false;
			for (int v = 1; v < 3; v++) {
				struct sb_vd_cell c;
				double t = b.truth[v];

				sb_vd_cell_paired(&c, run_of(&b, 0, v), run_of(&b, 0, 0), n);
				sb_vd_seq_decide(&seq, &c);
				false_mark |= c.mark && c.mark != truth_sign(t);
				miss |= c.reachable && !(c.lo <= t && t <= c.hi);
				narrow += sb_vd_narrow(&c, 0.03);
				sb_vd_cell_free(&c);
			}
			if (narrow == 2)
				break;
		}
		stopped += n <= max_rounds;
		rounds_sum += n <= max_rounds ? n : max_rounds;
		ever_false += false_mark;
		missed += miss;
	}
	printf("sequential, 2 cells (A/A and -4 %%), clustered noise, look every round:"
	       " stopped within 3 %% in %d of %d studies after %.1f rounds on average;"
	       " a false mark at any look %.1f %%, final interval missing the truth %.1f %%\n",
	       stopped, studies, (double)rounds_sum / studies, 100.0 * ever_false / studies,
	       100.0 * missed / studies);
	EXPECT(ever_false <= 0.05 * studies);
	EXPECT(missed <= 0.05 * studies);
	EXPECT(stopped >= studies / 2);
	block_free(&b);
}

/* ---- exact small cases ---- */

static void test_exact(void)
{
	double five[] = { 1.1, 1.2, 1.05, 1.3, 1.15 }, one[] = { 1, 1, 1, 1, 1, 1 };
	double six[] = { 1.1, 1.2, 1.05, 1.3, 1.15, 1.004 };
	struct sb_vd_cell c, *pc = &c;
	int fam, r;

	/* 5 reps all above: [min, max] at 93.75 %, no verdict at 5 % */
	sb_vd_cell_paired(&c, five, one, 5);
	CHECK_NEAR(c.p, 0.0625, 1e-12);
	sb_vd_cell_decide(&c, 0.05);
	EXPECT(!c.reachable && c.mark == 0);
	CHECK_NEAR(c.level, 0.9375, 1e-12);
	CHECK_NEAR(c.lo, 1.05, 1e-12);
	CHECK_NEAR(c.hi, 1.3, 1e-12);
	CHECK_NEAR(c.est, 1.15, 1e-12);
	EXPECT(isnan(sb_vd_cell_detectable(&c, 0.05)));
	sb_vd_cell_free(&c);
	/* 6 reps: p = 2/64, a verdict, the family of one keeps it */
	sb_vd_cell_paired(&c, six, one, 6);
	CHECK_NEAR(c.p, 2.0 / 64, 1e-12);
	fam = sb_vd_family_decide(&pc, 1, 0.05, &r);
	EXPECT(fam == 1 && r == 1 && c.mark == 1 && c.reachable);
	CHECK_NEAR(c.level, 1 - 2.0 / 64, 1e-12);
	CHECK_NEAR(c.lo, 1.004, 1e-12);
	EXPECT(sb_vd_digits(&c) == 3);		/* 1.00 would touch 1; 1.004 does not */
	sb_vd_cell_free(&c);
	/* identical runs: ratio 1, p = 1, no mark */
	sb_vd_cell_paired(&c, one, one, 6);
	EXPECT(c.p == 1 && c.est == 1);
	sb_vd_cell_decide(&c, 0.05);
	EXPECT(c.mark == 0 && c.lo == 1 && c.hi == 1);
	sb_vd_cell_free(&c);
	/* pairs with an undefined ratio are left out */
	{
		double v[] = { 2, NAN, 0, 2 }, bs[] = { 1, 1, 1, -1 };

		EXPECT(sb_vd_cell_paired(&c, v, bs, 4) == 1);
		sb_vd_cell_free(&c);
	}
	/* Mann-Whitney 3 vs 4 (35 orderings): all variant runs above all baseline ones */
	{
		double v[] = { 5, 6, 7 }, bs[] = { 1, 2, 3, 4 };

		CHECK(sb_vd_cell_unpaired(&c, v, 3, bs, 4) == 0);
		CHECK_NEAR(c.p, 2.0 / 35, 1e-12);
		CHECK_NEAR(c.null_cdf[12], 1, 1e-12);
		CHECK_NEAR(c.null_cdf[0], 1.0 / 35, 1e-12);
		CHECK_NEAR(c.null_cdf[1], 2.0 / 35, 1e-12);
		CHECK_NEAR(c.null_cdf[2], 4.0 / 35, 1e-12);
		sb_vd_cell_free(&c);
	}
	/* printing: outward rounding */
	EXPECT(sb_vd_round(1.0049, 2, -1) == 1.00 && sb_vd_round(1.0049, 3, -1) == 1.004);
	EXPECT(sb_vd_round(0.9951, 2, 1) == 1.00 && sb_vd_round(0.9951, 3, 1) == 0.996);
	EXPECT(sb_vd_round(1.25, 2, 1) == 1.25);
	/* the Benjamini-Yekutieli level: R q / m, and q / m without marks */
	EXPECT(fabs(sb_vd_family_alpha(2, 8, 0.05) - 0.0125) < 1e-15);
	EXPECT(fabs(sb_vd_family_alpha(0, 8, 0.05) - 0.05 / 8) < 1e-15);
}

/* BH's R on p-values, through real cells: n reps, n_up of them above 1. */
static void make_cell(struct sb_vd_cell *c, int n, int n_up)
{
	double v[64], b[64];

	for (int i = 0; i < n; i++) {
		b[i] = 1;
		v[i] = i < n_up ? 1.05 + 0.001 * i : 0.95 - 0.001 * i;
	}
	sb_vd_cell_paired(c, v, b, n);
}

static void test_family(void)
{
	struct sb_vd_cell cs[4], *ptr[4];
	int fam, r;

	/* 10/10 (p .002), 9/10 (.021), 8/10 (.109), and 5 reps (cannot reach .05) */
	make_cell(&cs[0], 10, 10);
	make_cell(&cs[1], 10, 9);
	make_cell(&cs[2], 10, 8);
	make_cell(&cs[3], 5, 5);
	for (int i = 0; i < 4; i++)
		ptr[i] = &cs[i];
	fam = sb_vd_family_decide(ptr, 4, 0.05, &r);
	/* family of 3; thresholds .0167 .0333 .05: .002 and .021 pass */
	EXPECT(fam == 3 && r == 2);
	EXPECT(cs[0].mark == 1 && cs[1].mark == 1 && cs[2].mark == 0 && cs[3].mark == 0);
	CHECK_NEAR(cs[0].alpha, 2 * 0.05 / 3, 1e-12);
	for (int i = 0; i < 4; i++) {
		EXPECT(cs[i].mark == 0 || cs[i].lo > 1 || cs[i].hi < 1);
		sb_vd_cell_free(&cs[i]);
	}
}

int main(void)
{
	alarm(120);
	test_exact();
	test_family();
	test_aa();
	test_power_coverage();
	test_detectable(&correlated, "correlated episodes");
	test_detectable(&clustered, "clustered");
	test_sequential();
	return check_report();
}
