/*
 * study_matrix.c - expand run lines into variants, and order the runs.
 *
 * A variant is one point of a run line's cartesian product; its id is built
 * only from the workload and the option values, so the same study file gives
 * the same ids on every machine and across --resume.
 */
#include <stdlib.h>
#include <string.h>

#include "study.h"

/* A flag (a bare word in the run line) has no values and no choice to make. */
static bool axis_is_flag(const struct sb_study_axis *ax)
{
	return !ax->nr_values;
}

static int run_nr_variants(const struct sb_study_run *run)
{
	int n = 1;

	for (int a = 0; a < run->nr_axes; a++)
		if (!axis_is_flag(&run->axes[a]))
			n *= run->axes[a].nr_values;
	return n;
}

/* idx[a] is the chosen value of axis a; the first axis varies slowest. */
static void index_to_choice(const struct sb_study_run *run, int k, int *idx)
{
	for (int a = run->nr_axes - 1; a >= 0; a--) {
		idx[a] = 0;
		if (axis_is_flag(&run->axes[a]))
			continue;
		idx[a] = k % run->axes[a].nr_values;
		k /= run->axes[a].nr_values;
	}
}

static char *variant_id(const struct sb_study_run *run, const int *idx)
{
	size_t len = strlen(run->workload) + 1;
	char *id;

	for (int a = 0; a < run->nr_axes; a++)
		len += strlen(run->axes[a].key) + 2 +
		       (axis_is_flag(&run->axes[a]) ? 0 : strlen(run->axes[a].values[idx[a]]));
	id = sb_xrealloc(NULL, len);
	strcpy(id, run->workload);
	for (int a = 0; a < run->nr_axes; a++) {
		strcat(id, ":");
		strcat(id, run->axes[a].key);
		if (axis_is_flag(&run->axes[a]))
			continue;
		strcat(id, "=");
		strcat(id, run->axes[a].values[idx[a]]);
	}
	return id;
}

/* workload [positional workload=] --key value ... ; NULL-terminated. */
static char **variant_args(const struct sb_study_run *run, const int *idx, int *nr)
{
	char **args = sb_xrealloc(NULL, (size_t)(2 * run->nr_axes + 2) * sizeof(char *));
	int n = 0;

	args[n++] = strdup(run->workload);
	for (int a = 0; a < run->nr_axes; a++)
		if (!strcmp(run->axes[a].key, "workload"))
			args[n++] = strdup(run->axes[a].values[idx[a]]);
	for (int a = 0; a < run->nr_axes; a++) {
		size_t len = strlen(run->axes[a].key) + 3;

		if (!strcmp(run->axes[a].key, "workload"))
			continue;
		args[n] = sb_xrealloc(NULL, len);
		snprintf(args[n++], len, "--%s", run->axes[a].key);
		if (!axis_is_flag(&run->axes[a]))
			args[n++] = strdup(run->axes[a].values[idx[a]]);
	}
	args[n] = NULL;
	*nr = n;
	return args;
}

int sb_study_expand(const struct sb_study *st, struct sb_study_variant **out)
{
	struct sb_study_variant *v = NULL;
	int n = 0;

	for (int r = 0; r < st->nr_runs; r++) {
		const struct sb_study_run *run = &st->runs[r];
		int nv = run_nr_variants(run);
		int *idx = sb_xrealloc(NULL, (size_t)(run->nr_axes + 1) * sizeof(int));

		v = sb_xrealloc(v, (size_t)(n + nv) * sizeof(*v));
		for (int k = 0; k < nv; k++, n++) {
			index_to_choice(run, k, idx);
			v[n].id = variant_id(run, idx);
			v[n].run = r;
			v[n].args = variant_args(run, idx, &v[n].nr_args);
		}
		free(idx);
	}
	*out = v;
	return n;
}

static int cmp_variant_id(const void *a, const void *b)
{
	const struct sb_study_variant *x = *(const struct sb_study_variant *const *)a;
	const struct sb_study_variant *y = *(const struct sb_study_variant *const *)b;
	int c = strcmp(x->id, y->id);

	return c ? c : x->run - y->run;
}

/*
 * Two run lines that produce the same variant would share (variant, rep) keys,
 * so resume could not tell their rows apart: refuse the study instead.
 */
int sb_study_check_unique(const struct sb_study *st, const struct sb_study_variant *v, int n,
			  char *err, size_t errlen)
{
	const struct sb_study_variant **p = sb_xrealloc(NULL, (size_t)n * sizeof(*p));
	int ret = 0;

	for (int i = 0; i < n; i++)
		p[i] = &v[i];
	qsort(p, (size_t)n, sizeof(*p), cmp_variant_id);
	for (int i = 1; i < n && !ret; i++) {
		if (strcmp(p[i - 1]->id, p[i]->id))
			continue;
		snprintf(err, errlen, "%s:%d: variant '%s' is already in the matrix of line %d",
			 st->path, st->runs[p[i]->run].line, p[i]->id, st->runs[p[i - 1]->run].line);
		ret = -1;
	}
	free(p);
	return ret;
}

void sb_study_variants_free(struct sb_study_variant *v, int n)
{
	for (int i = 0; i < n; i++) {
		for (int a = 0; a < v[i].nr_args; a++)
			free(v[i].args[a]);
		free(v[i].args);
		free(v[i].id);
	}
	free(v);
}

/* splitmix64: tiny, good enough to decorrelate run order from position. */
static uint64_t prng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void sb_study_schedule(int nr_variants, int reps, uint64_t seed, struct sb_study_slot *slots)
{
	uint64_t state = seed;

	for (int r = 0; r < reps; r++) {
		struct sb_study_slot *rep = slots + (size_t)r * (size_t)nr_variants;

		for (int v = 0; v < nr_variants; v++)
			rep[v] = (struct sb_study_slot){ .variant = v, .rep = r + 1 };
		if (!seed)
			continue;
		/* Fisher-Yates within the rep: reps stay interleaved, order varies. */
		for (int i = nr_variants - 1; i > 0; i--) {
			int j = (int)(prng_next(&state) % (uint64_t)(i + 1));
			struct sb_study_slot t = rep[i];

			rep[i] = rep[j];
			rep[j] = t;
		}
	}
}
