/*
 * test_fairness.c - Jain's index and the normalised min/max shares on known
 * inputs (fair share = 1.0).
 */
#include "check.h"
#include "harness.h"

#include <math.h>

int main(void)
{
	const uint64_t fair[] = { 10, 10, 10, 10 }, skew[] = { 30, 10 };
	const uint64_t starved[] = { 5, 0, 0, 0 }, zeros[] = { 0, 0 };
	struct sb_fairness f;

	f = sb_fairness(fair, 4);
	CHECK_NEAR(f.jain, 1.0, 1e-12);
	CHECK_NEAR(f.min_share, 1.0, 1e-12);
	CHECK_NEAR(f.max_share, 1.0, 1e-12);

	f = sb_fairness(skew, 2);           /* 1600 / (2 * 1000) */
	CHECK_NEAR(f.jain, 0.8, 1e-12);
	CHECK_NEAR(f.min_share, 0.5, 1e-12);
	CHECK_NEAR(f.max_share, 1.5, 1e-12);

	f = sb_fairness(starved, 4);        /* one thread did everything: 1/n */
	CHECK_NEAR(f.jain, 0.25, 1e-12);
	CHECK_NEAR(f.min_share, 0.0, 1e-12);
	CHECK_NEAR(f.max_share, 4.0, 1e-12);

	f = sb_fairness(zeros, 2);          /* nothing measured: not "fair" */
	CHECK(isnan(f.jain) && isnan(f.min_share) && isnan(f.max_share));
	f = sb_fairness(fair, 0);
	CHECK(isnan(f.jain));
	printf("fairness: ok\n");
	return 0;
}
