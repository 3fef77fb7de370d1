/*
 * compare_stats.c - stats.c and csv.c on data whose answers are known:
 * medians and quantiles of fixed arrays, bootstrap intervals that cover a
 * true ratio at about their nominal rate, no verdict between identical
 * variants, verdict words by metric direction, and the CSV reader's
 * acceptance of RFC 4180 quoting and rejection of damaged files.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis.h"
#include "check.h"


static bool near(double a, double b, double eps)
{
	return fabs(a - b) <= eps;
}

static void test_median_quantile(void)
{
	double odd[] = { 5, 1, 4, 2, 3 }, even[] = { 10, 40, 20, 30 }, one[] = { 7 };

	EXPECT(sb_median(odd, 5) == 3);
	EXPECT(sb_median(even, 4) == 25);
	EXPECT(sb_median(one, 1) == 7);
	EXPECT(isnan(sb_median(odd, 0)));
	EXPECT(sb_quantile(odd, 5, 0) == 1);
	EXPECT(sb_quantile(odd, 5, 1) == 5);
	EXPECT(near(sb_quantile(even, 4, 0.25), 17.5, 1e-12));	/* type 7: 10 + 0.75 * 10 */
	EXPECT(odd[0] == 5);	/* the input is not reordered */
}

/* n draws of mean * (1 + uniform(-rel, rel)) */
static void draw(double *x, int n, double mean, double rel, uint64_t *s)
{
	for (int i = 0; i < n; i++)
		x[i] = mean * (1 + rel * (2 * sb_rng_uniform(s) - 1));
}

static void test_ratio_coverage(void)
{
	uint64_t s = 1;
	int covered = 0, trials = 200, n = 7;

	for (int t = 0; t < trials; t++) {
		double a[7], b[7];
		struct sb_ci ci;

		draw(a, n, 120, 0.05, &s);
		draw(b, n, 100, 0.05, &s);
		ci = sb_boot_ratio(a, n, b, n, 1000, t + 1);
		EXPECT(ci.valid);
		EXPECT(ci.lo <= ci.est && ci.est <= ci.hi);
		covered += ci.lo <= 1.2 && 1.2 <= ci.hi;
	}
	/* nominal 95%; small-sample percentile intervals run a little short */
	EXPECT(covered >= trials * 85 / 100);
	fprintf(stderr, "ratio 1.2: covered in %d of %d trials\n", covered, trials);
}

static void test_no_verdict_when_alike(void)
{
	double a[] = { 10.1, 9.9, 10.0, 10.2, 9.8 };
	struct sb_ci ci = sb_boot_ratio(a, 5, a, 5, 2000, 7);

	EXPECT(ci.valid && ci.lo <= 1 && ci.hi >= 1);
	EXPECT(sb_verdict_of(&ci, +1) == SB_VERDICT_SAME);
}

/* Share of A/A comparisons (n runs a side) whose ratio interval excludes 1. */
static double aa_false_positive_rate(int n, int trials, uint64_t seed)
{
	uint64_t s = seed;
	int fp = 0;

	for (int t = 0; t < trials; t++) {
		double x[16], y[16];
		struct sb_ci ci;

		draw(x, n, 50, 0.03, &s);
		draw(y, n, 50, 0.03, &s);
		ci = sb_boot_ratio(x, n, y, n, 1000, seed + t);
		fp += sb_verdict_of(&ci, +1) != SB_VERDICT_SAME;
	}
	return (double)fp / trials;
}

/* At SB_MIN_REPS_FOR_VERDICT runs a side, A/A verdicts stay near the nominal 5%. */
static void test_verdict_threshold(void)
{
	int n = SB_MIN_REPS_FOR_VERDICT;
	double rate = aa_false_positive_rate(n, 1000, 5);

	fprintf(stderr, "A/A verdicts with %d runs a side: %.1f%% of 1000 trials\n", n, 100 * rate);
	EXPECT(n >= 5);
	EXPECT(rate <= 0.065);
}

static void test_reproducible_and_small_n(void)
{
	double a[] = { 3, 1, 2, 5, 4, 6 }, b[] = { 1, 2 };
	struct sb_ci x = sb_boot_median(a, 6, 2000, 42), y = sb_boot_median(a, 6, 2000, 42);

	EXPECT(x.valid && x.lo == y.lo && x.hi == y.hi);
	EXPECT(x.est == 3.5 && x.lo >= 1 && x.hi <= 6 && x.lo < x.hi);
	x = sb_boot_median(b, 2, 2000, 1);	/* under SB_MIN_REPS_FOR_CI */
	EXPECT(!x.valid && x.est == 1.5);
	x = sb_boot_ratio(a, 6, (double[]){ 0, 0, 0 }, 3, 500, 1);
	EXPECT(!x.valid);	/* zero denominator: no interval, not inf */
}

static void test_verdicts(void)
{
	struct sb_ci up = { 1.2, 1.1, 1.3, true }, down = { 0.8, 0.7, 0.9, true };

	EXPECT(sb_metric_direction("acq_per_s") > 0);
	EXPECT(sb_metric_direction("ns_per_acq") < 0);
	EXPECT(sb_metric_direction("rmw_per_acq") < 0);
	EXPECT(sb_metric_direction("acq_bounces_per_acq") < 0);
	EXPECT(sb_metric_direction("trylock_fail_rate") < 0);
	EXPECT(sb_metric_direction("nolock_null_per_s") < 0);
	EXPECT(sb_metric_direction("xfers_per_con_acq") < 0);
	EXPECT(sb_metric_direction("hitm_per_acq") < 0);
	EXPECT(sb_metric_direction("rfo_per_op_list_lock") < 0);
	EXPECT(sb_metric_direction("upgrades_per_acq") < 0);
	EXPECT(sb_metric_direction("invals_per_acq") < 0);
	EXPECT(sb_metric_direction("traced_acq_per_s") > 0);
	EXPECT(sb_verdict_of(&up, +1) == SB_VERDICT_BETTER);
	EXPECT(sb_verdict_of(&up, -1) == SB_VERDICT_WORSE);
	EXPECT(sb_verdict_of(&down, -1) == SB_VERDICT_BETTER);
	EXPECT(!strcmp(sb_verdict_word(SB_VERDICT_BETTER, "acq_per_s"), "faster"));
	EXPECT(!strcmp(sb_verdict_word(SB_VERDICT_WORSE, "wait_p99_ns"), "slower"));
	EXPECT(!strcmp(sb_verdict_word(SB_VERDICT_BETTER, "rmw_per_acq"), "fewer"));
	EXPECT(!strcmp(sb_verdict_word(SB_VERDICT_SAME, "acq_per_s"), "no difference shown"));
}

/* Write text to a temporary file and load it. */
static struct sb_csv_doc *load_text(const char *text, char *err, size_t len)
{
	char path[] = "/tmp/sb_compare_csv_XXXXXX";
	int fd = mkstemp(path);
	struct sb_csv_doc *doc;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		perror("temporary csv");
		exit(1);
	}
	close(fd);
	doc = sb_csv_load(path, err, len);
	unlink(path);
	return doc;
}

static void test_csv_good(void)
{
	char err[512] = "";
	struct sb_csv_doc *doc = load_text("a,b,c\r\n1,\"x,\"\"y\"\"\nz\",\n2,,3\n", err, sizeof(err));

	CHECK_MSG(doc != NULL, "%s", err);
	EXPECT(doc->nr_cols == 3 && doc->nr_rows == 2);
	EXPECT(!strcmp(sb_csv_cell(doc, 0, 1), "x,\"y\"\nz"));
	EXPECT(!strcmp(sb_csv_cell(doc, 0, 2), ""));
	EXPECT(doc->lines[1] == 4);	/* the quoted newline counts */
	EXPECT(sb_csv_col(doc, "c") == 2 && sb_csv_col(doc, "d") == -1);
	sb_csv_doc_free(doc);
}

/* Each damaged text must be refused with an error naming the right line. */
static void test_csv_bad(void)
{
	static const struct { const char *text, *where, *what; } bad[] = {
		{ "", ":1:", "empty" },
		{ "a,b\n1,2\n3\n", ":3:", "header has 2" },
		{ "a,b\n1,2\n3,4", ":3:", "no final newline" },
		{ "a,b\n1,\"2\n", ":2:", "never closed" },
		{ "a,b\n1,\"2\"x\n", ":2:", "after a closing quote" },
		{ "a,b\n1,2\"\n", ":2:", "quote inside" },
		{ "a,a\n1,2\n", ":1:", "twice" },
		{ "a,,b\n1,2,3\n", ":1:", "no name" },
		{ "a,b\n1,2,3\n", ":2:", "3 fields" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[512] = "";
		struct sb_csv_doc *doc = load_text(bad[i].text, err, sizeof(err));

		EXPECT(doc == NULL);
		EXPECT(strstr(err, bad[i].where) && strstr(err, bad[i].what));
		if (doc || !strstr(err, bad[i].what))
			fprintf(stderr, "  case %zu: '%s'\n", i, err);
		sb_csv_doc_free(doc);
	}
}

int main(void)
{
	alarm(60);
	test_median_quantile();
	test_ratio_coverage();
	test_no_verdict_when_alike();
	test_verdict_threshold();
	test_reproducible_and_small_n();
	test_verdicts();
	test_csv_good();
	test_csv_bad();
	return check_report();
}
