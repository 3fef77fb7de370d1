/*
 * compare.c - group the runs of a results directory into configurations and
 * compare the variants of one dimension (the pattern, by default) metric by
 * metric: medians, ratios to a baseline, bootstrap intervals, verdicts.
 *
 * The command only: loading is rundir.c, grouping group.c, statistics
 * summary.c and stats.c, the changelog text report.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "internal.h"

/* ---- csv and json: one row per (configuration, level) ---- */

static void report_ci(struct sb_report *rep, const char *prefix, const struct sb_ci *ci)
{
	char col[64];

	snprintf(col, sizeof(col), "%s", prefix);
	sb_report_f64(rep, col, ci->est);
	snprintf(col, sizeof(col), "%s_ci_lo", prefix);
	sb_report_f64(rep, col, ci->valid ? ci->lo : NAN);
	snprintf(col, sizeof(col), "%s_ci_hi", prefix);
	sb_report_f64(rep, col, ci->valid ? ci->hi : NAN);
}

static const char *verdict_text(const struct sb_cmp *cmp, const struct sb_cmp_cell *c, int l)
{
	if (l == cmp->base)
		return "baseline";
	if (c->verdict == SB_VERDICT_UNKNOWN && isnan(c->ratio.est))
		return "ratio undefined";
	return sb_verdict_word(c->verdict, cmp->metric);
}

static void report_cmp(const struct sb_cmp *cmp, struct sb_report *rep)
{
	for (int b = 0; b < cmp->nr_blocks; b++)
		for (int r = 0; r < cmp->blocks[b].nr_rows; r++) {
			const struct sb_cmp_row *row = &cmp->blocks[b].rows[r];

			for (int l = 0; l < cmp->nr_levels; l++) {
				const struct sb_cmp_cell *c = &row->cells[l];

				sb_report_row(rep);
				sb_report_str(rep, "metric", cmp->metric);
				for (int i = 0; i < cmp->nr_key_cols; i++)
					sb_report_str(rep, cmp->key_cols[i], row->params[i]);
				sb_report_str(rep, cmp->by, cmp->levels[l]);
				sb_report_str(rep, "baseline", cmp->levels[cmp->base]);
				sb_report_u64(rep, "n", c->n);
				report_ci(rep, "median", &c->med);
				report_ci(rep, "ratio", &c->ratio);
				sb_report_str(rep, "verdict", verdict_text(cmp, c, l));
			}
		}
}

/* ---- the command ---- */

#define STR_(x)	#x
#define STR(x)	STR_(x)

static const char compare_usage[] =
	"usage: sheafbench compare RESULTS_DIR|RUNS_CSV [options]\n"
	"Medians of the repetitions with 95% percentile-bootstrap intervals (" STR(SB_NR_BOOT) "\n"
	"resamples, fixed seeds: the same directory always prints the same text);\n"
	"a verdict only where the ratio's interval excludes 1.  --format table is the\n"
	"changelog text, <= 72 columns.";

struct compare_args {
	struct sb_cmp_opts o;
	enum sb_format format;
	const char *dir;
};

static void parse_compare_args(int argc, char **argv, struct compare_args *a)
{
	struct sb_option opts[] = {
		SB_OPT_ARG("RESULTS_DIR", &a->dir, "a results directory, or one runs*.csv"),
		SB_OPT_STRING("metric", &a->o.metric, "COL",
			      "figure to compare (default: the throughput column, *_per_s)"),
		SB_OPT_STRING("by", &a->o.by, "COL", "compared dimension (default: pattern)"),
		SB_OPT_STRING("baseline", &a->o.baseline, "V",
			      "value of --by the others are divided by (default: ttl)"),
		SB_OPT_STRING("rows", &a->o.rows, "COL", "parameter along the rows (default: threads)"),
		SB_OPT_FORMAT(&a->format),
		SB_OPT_END,
	};

	if (sb_parse_options(argv[0], opts, argc, argv, compare_usage) == SB_OPTIONS_HELP)
		exit(0);
	if (!a->dir)
		sb_die_usage(argv[0], "RESULTS_DIR: missing (see --help)");
}

/*
 * Build the comparison of every runs file the options apply to; a file they
 * do not apply to (no such metric, dimension or baseline) is skipped with a
 * note, unless no file is left.  Damaged data is always fatal.
 */
static int build_all(const struct sb_rundir *res, const struct sb_cmp_opts *o,
		     struct sb_cmp *cmps, const char *cmd)
{
	char (*why)[1024] = sb_xcalloc(res->nr_docs, sizeof(*why));
	int n = 0;

	for (int i = 0; i < res->nr_docs; i++) {
		int rc;

		if (!res->docs[i]->nr_rows) {
			snprintf(why[i], sizeof(why[i]), "%s: no runs yet", res->docs[i]->path);
			continue;
		}
		rc = sb_cmp_build(res->docs[i], o, &cmps[n], why[i], sizeof(why[i]));
		if (rc == -1)
			sb_die_usage(cmd, "%s", why[i]);
		if (rc == 0) {
			why[i][0] = '\0';
			n++;
		}
	}
	for (int i = 0; i < res->nr_docs; i++) {
		if (!n)
			sb_die_usage(cmd, "%s", why[0]);
		if (why[i][0])
			fprintf(stderr, "sheafbench %s: skipped: %s\n", cmd, why[i]);
	}
	free(why);
	return n;
}

int cmd_compare(int argc, char **argv)
{
	struct compare_args a = { .format = SB_FMT_TABLE };
	struct sb_rundir res;
	struct sb_cmp *cmps;
	int n;

	parse_compare_args(argc, argv, &a);
	{
		char err[1024];

		if (sb_rundir_load(a.dir, &res, err, sizeof(err)) < 0)
			sb_die_usage(argv[0], "%s", err);
	}
	cmps = sb_xcalloc(res.nr_docs, sizeof(*cmps));
	n = build_all(&res, &a.o, cmps, argv[0]);
	if (a.format == SB_FMT_TABLE) {
		for (int i = 0; i < n; i++) {
			if (i)
				fputc('\n', stdout);
			sb_cmp_print_text(&cmps[i], res.machine, stdout);
		}
	} else {
		struct sb_report *rep = sb_report_new();

		for (int i = 0; i < n; i++)
			report_cmp(&cmps[i], rep);
		sb_report_print(rep, a.format, stdout);
		sb_report_free(rep);
	}
	for (int i = 0; i < n; i++)
		sb_cmp_free(&cmps[i]);
	free(cmps);
	sb_rundir_free(&res);
	return 0;
}
