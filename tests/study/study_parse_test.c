/*
 * Study-file parser: the shipped studies parse; bad files are rejected with
 * FILE:LINE and the reason; the matrix expands to the cartesian product with
 * stable ids and the right command-line arguments.
 */
#include <glob.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "study.h"

static void expect_error(const char *text, const char *where, const char *what)
{
	struct sb_study st;
	char err[512] = "";

	alarm(10);
	EXPECT(sb_study_parse_text("bad.study", text, &st, err, sizeof(err)) == -1);
	EXPECT_MSG(!strncmp(err, where, strlen(where)) && strstr(err, what),
		   "error '%s' does not start with '%s' and name '%s'", err, where, what);
}

static void test_bad_files(void)
{
	expect_error("name x\nbogus 3\nrun lock threads=1\n", "bad.study:2: ", "unknown key 'bogus'");
	expect_error("reps five\nrun lock threads=1\n", "bad.study:1: ", "bad value 'five' for 'reps'");
	expect_error("reps 0\nrun lock\n", "bad.study:1: ", "bad value '0'");
	expect_error("duration 3 hours\nrun lock\n", "bad.study:1: ", "'duration'");
	expect_error("duration 10parsecs\nrun lock\n", "bad.study:1: ", "bad value '10parsecs'");
	expect_error("# c\n\nrun lock threads=\n", "bad.study:3: ", "empty matrix");
	expect_error("run lock threads=1,,2\n", "bad.study:1: ", "bad value ''");
	expect_error("run lock threads=1 threads=2\n", "bad.study:1: ", "given twice");
	expect_error("run lock kind=a:b\n", "bad.study:1: ", "bad value 'a:b'");
	expect_error("run\n", "bad.study:1: ", "empty matrix");
	expect_error("# nothing but comments\nname x\n", "bad.study:2: ", "no 'run' line");
	expect_error("run lock format=csv\n", "bad.study:1: ", "'format'");
	expect_error("perf-stat maybe\nrun lock\n", "bad.study:1: ", "on or off");
	expect_error("run Lock\n", "bad.study:1: ", "workload");
}

static void test_expand(void)
{
	struct sb_study st;
	struct sb_study_variant *v;
	char err[256];
	int n;

	CHECK(!sb_study_parse_text("dir/t.study",
		"# comment\nreps 3   # trailing comment\nduration 20ms\n"
		"run lock kind=qspin,ticket pattern=ttl,sb threads=2 no-c2c\n"
		"run slab workload=churn,nmi threads=1\n", &st, err, sizeof(err)));
	EXPECT_STR(st.name, "t");
	EXPECT(st.reps == 3);
	EXPECT_STR(st.duration, "20ms");
	EXPECT(st.nr_runs == 2);
	n = sb_study_expand(&st, &v);
	EXPECT(n == 6);
	if (n == 6) {
		/* first axis varies slowest; ids are the workload then key=value */
		EXPECT_STR(v[0].id, "lock:kind=qspin:pattern=ttl:threads=2:no-c2c");
		EXPECT_STR(v[1].id, "lock:kind=qspin:pattern=sb:threads=2:no-c2c");
		EXPECT_STR(v[2].id, "lock:kind=ticket:pattern=ttl:threads=2:no-c2c");
		EXPECT_STR(v[5].id, "slab:workload=nmi:threads=1");
		EXPECT(v[1].nr_args == 8);
		EXPECT_STR(v[1].args[0], "lock");
		EXPECT_STR(v[1].args[1], "--kind");
		EXPECT_STR(v[1].args[2], "qspin");
		EXPECT_STR(v[1].args[3], "--pattern");
		EXPECT_STR(v[1].args[4], "sb");
		EXPECT_STR(v[1].args[7], "--no-c2c");
		EXPECT(v[1].args[8] == NULL);
		/* the positional workload comes right after the command */
		EXPECT_STR(v[4].args[0], "slab");
		EXPECT_STR(v[4].args[1], "churn");
		EXPECT_STR(v[4].args[2], "--threads");
		EXPECT(v[4].run == 1);
	}
	EXPECT(!sb_study_check_unique(&st, v, n, err, sizeof(err)));
	sb_study_variants_free(v, n);
	sb_study_free(&st);
}

static void test_duplicate_variant(void)
{
	struct sb_study st;
	struct sb_study_variant *v;
	char err[256] = "";
	int n;

	CHECK(!sb_study_parse_text("d.study", "run lock threads=1,2\n\nrun lock threads=2,4\n",
				   &st, err, sizeof(err)));
	n = sb_study_expand(&st, &v);
	EXPECT(sb_study_check_unique(&st, v, n, err, sizeof(err)) == -1);
	EXPECT(strstr(err, "d.study:3: variant 'lock:threads=2' is already in the matrix of line 1"));
	sb_study_variants_free(v, n);
	sb_study_free(&st);
}

/* What sb_study_write prints reads back as the same study (resume relies on it). */
static void test_round_trip(void)
{
	struct sb_study a, b;
	char err[256], *text = NULL;
	size_t len = 0;
	FILE *f;

	CHECK(!sb_study_parse_text("r.study", "name rt\nseed 7\nperf-stat on\n"
				   "run lock kind=mcs,tas cs-same-line\n", &a, err, sizeof(err)));
	f = open_memstream(&text, &len);
	sb_study_write(&a, f);
	fclose(f);
	CHECK(!sb_study_parse_text("copy.study", text, &b, err, sizeof(err)));
	EXPECT_STR(b.name, "rt");
	EXPECT(b.has_seed && b.seed == 7);
	EXPECT(b.perf_stat);
	EXPECT(b.nr_runs == 1 && b.runs[0].nr_axes == 2 && b.runs[0].axes[1].nr_values == 0);
	free(text);
	sb_study_free(&a);
	sb_study_free(&b);
}

static void test_shipped_studies(void)
{
	glob_t g;

	CHECK(!glob(SB_SOURCE_DIR "/scripts/studies/*.study", 0, NULL, &g));
	EXPECT(g.gl_pathc >= 5);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct sb_study st;
		struct sb_study_variant *v;
		char err[512];

		if (sb_study_parse_file(g.gl_pathv[i], &st, err, sizeof(err))) {
			EXPECT_MSG(0, "%s", err);
			continue;
		}
		int n = sb_study_expand(&st, &v);

		EXPECT(n > 0);
		sb_study_variants_free(v, n);
		sb_study_free(&st);
	}
	globfree(&g);
}

int main(void)
{
	alarm(20);
	test_bad_files();
	test_expand();
	test_duplicate_variant();
	test_round_trip();
	test_shipped_studies();
	return check_report();
}
