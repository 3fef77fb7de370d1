/*
 * Interleaving: rep r's runs all come before rep r+1's, each rep runs every
 * variant exactly once, seed 0 keeps the order A B C, a seed shuffles within
 * reps reproducibly (resume depends on getting the same order back).
 */
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "study.h"

enum { NV = 7, REPS = 5 };

static void check_interleaved(const struct sb_study_slot *s)
{
	for (int r = 0; r < REPS; r++) {
		int seen[NV] = { 0 };

		for (int i = 0; i < NV; i++) {
			const struct sb_study_slot *x = &s[r * NV + i];

			EXPECT(x->rep == r + 1);
			EXPECT(x->variant >= 0 && x->variant < NV);
			if (x->variant >= 0 && x->variant < NV)
				seen[x->variant]++;
		}
		for (int v = 0; v < NV; v++)
			EXPECT(seen[v] == 1);
	}
}

int main(void)
{
	struct sb_study_slot a[NV * REPS], b[NV * REPS], c[NV * REPS];
	int moved = 0;

	alarm(10);
	sb_study_schedule(NV, REPS, 0, a);
	check_interleaved(a);
	for (int i = 0; i < NV * REPS; i++)	/* A B C ... per rep */
		EXPECT(a[i].variant == i % NV);

	sb_study_schedule(NV, REPS, 42, b);
	check_interleaved(b);
	for (int i = 0; i < NV * REPS; i++)
		moved += b[i].variant != i % NV;
	EXPECT(moved > 0);
	/* not one fixed permutation for every rep: position bias must not stick */
	EXPECT(memcmp(b, b + NV, NV * sizeof(*b)) || memcmp(b + NV, b + 2 * NV, NV * sizeof(*b)));

	sb_study_schedule(NV, REPS, 42, c);
	EXPECT(!memcmp(b, c, sizeof(b)));
	sb_study_schedule(NV, REPS, 43, c);
	EXPECT(memcmp(b, c, sizeof(b)));
	return check_report();
}
