/*
 * compare.c - group the runs of a results directory into configurations and
 * compare the variants of one dimension (the pattern, by default) metric by
 * metric: medians, paired ratios to a baseline, corrected verdicts; several
 * directories side by side, one section each.
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

static const char *verdict_text(const struct sb_cmp *cmp, const struct sb_cmp_ratio *rt, int l)
{
	if (l == cmp->base)
		return "baseline";
	if (rt->verdict == SB_VERDICT_UNKNOWN && isnan(rt->ci.est))
		return "ratio undefined";
	if (rt->verdict == SB_VERDICT_UNKNOWN)
		return "too few reps";
	return sb_verdict_word(rt->verdict, cmp->metric);
}

/* ratio, its interval and level, verdict, detectable change; prefix "" or "calm_" */
static void report_ratio(struct sb_report *rep, const struct sb_cmp *cmp,
			 const struct sb_cmp_ratio *rt, int l, const char *prefix)
{
	char col[64];
	struct sb_ci none = { .est = NAN, .lo = NAN, .hi = NAN };

	snprintf(col, sizeof(col), "%sratio", prefix);
	report_ci(rep, col, l == cmp->base ? &none : &rt->ci);
	snprintf(col, sizeof(col), "%sratio_level", prefix);
	sb_report_f64(rep, col, l == cmp->base ? NAN : rt->vd.level);
	snprintf(col, sizeof(col), "%sverdict", prefix);
	sb_report_str(rep, col, verdict_text(cmp, rt, l));
	snprintf(col, sizeof(col), "%sdetects_pct", prefix);
	sb_report_f64(rep, col, l == cmp->base ? NAN : 100 * rt->mde);
}

static void report_cell(struct sb_report *rep, const struct sb_cmp *cmp, const struct sb_cmp_row *row,
			int l, const char *machine)
{
	const struct sb_cmp_cell *c = &row->cells[l];

	sb_report_row(rep);
	sb_report_str(rep, "metric", cmp->metric);
	for (int i = 0; i < cmp->nr_key_cols; i++)
		sb_report_str(rep, cmp->key_cols[i], row->params[i]);
	sb_report_str(rep, cmp->by, cmp->levels[l]);
	sb_report_str(rep, "baseline", cmp->levels[cmp->base]);
	sb_report_u64(rep, "n", c->n);
	report_ci(rep, "median", &c->med);
	report_ratio(rep, cmp, &c->all, l, "");
	sb_report_str(rep, "pairing", l == cmp->base ? "n/a" : c->unpaired[0] ? "unpaired" : "paired");
	sb_report_u64(rep, "fdr_family", cmp->fam.size);
	sb_report_u64(rep, "disturbed_runs", cmp->dist.nr_disturbed);
	if (cmp->dist.nr_disturbed)
		report_ratio(rep, cmp, &c->calm, l, "calm_");
	sb_report_str(rep, "machine", machine);
}

static void report_cmp(const struct sb_cmp *cmp, struct sb_report *rep, const char *machine)
{
	for (int b = 0; b < cmp->nr_blocks; b++)
		for (int r = 0; r < cmp->blocks[b].nr_rows; r++)
			for (int l = 0; l < cmp->nr_levels; l++)
				report_cell(rep, cmp, &cmp->blocks[b].rows[r], l, machine);
}

/* ---- the command ---- */

#define STR_(x)	#x
#define STR(x)	STR_(x)
#define COMPARE_MAX_DIRS	4

static const char compare_usage[] =
	"usage: sheafbench compare RESULTS_DIR|RUNS_CSV [DIR...] [options]\n"
	"Ratios are formed within each rep (paired): the median of the per-rep ratios\n"
	"with an exact sign-test interval; where reps do not pair, unpaired (Hodges-\n"
	"Lehmann) and said so.  Verdicts survive Benjamini-Hochberg (FDR 5%) over all\n"
	"ratio cells of one results directory; each '=' shows the smallest change it\n"
	"would have detected (80% power).  Runs disturbed beyond thresholds (steal,\n"
	"switches, migrations, CPU/wall) are counted and the verdicts shown with and\n"
	"without them.  Several directories (up to " STR(COMPARE_MAX_DIRS) "): one section each, never\n"
	"pooled.  Baseline medians: 95% percentile bootstrap (" STR(SB_NR_BOOT) " resamples, fixed\n"
	"seeds).  --format table is the changelog text, <= 72 columns.";

struct compare_args {
	struct sb_cmp_opts o;
	enum sb_format format;
	const char *dirs[COMPARE_MAX_DIRS];
	int nr_dirs;
};

static void parse_compare_args(int argc, char **argv, struct compare_args *a)
{
	struct sb_option opts[] = {
		SB_OPT_ARG("RESULTS_DIR", &a->dirs[0], "a results directory, or one runs*.csv"),
		SB_OPT_ARG("DIR", &a->dirs[1], "another one (another machine): its own section"),
		SB_OPT_ARG("DIR", &a->dirs[2], "another one"),
		SB_OPT_ARG("DIR", &a->dirs[3], "another one"),
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
	if (!a->dirs[0])
		sb_die_usage(argv[0], "RESULTS_DIR: missing (see --help)");
	while (a->nr_dirs < COMPARE_MAX_DIRS && a->dirs[a->nr_dirs])
		a->nr_dirs++;
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

/* One results directory: its tables, one family over all of them. */
struct section {
	struct sb_rundir res;
	struct sb_cmp *cmps;
	int n;
};

static void section_build(struct section *sec, const char *dir, const struct sb_cmp_opts *o,
			  const char *cmd)
{
	struct sb_cmp **ptrs;
	char err[1024];

	if (sb_rundir_load(dir, &sec->res, err, sizeof(err)) < 0)
		sb_die_usage(cmd, "%s", err);
	sec->cmps = sb_xcalloc(sec->res.nr_docs, sizeof(*sec->cmps));
	sec->n = build_all(&sec->res, o, sec->cmps, cmd);
	ptrs = sb_xcalloc(sec->n, sizeof(*ptrs));
	for (int i = 0; i < sec->n; i++)
		ptrs[i] = &sec->cmps[i];
	sb_cmp_decide(ptrs, sec->n);
	free(ptrs);
}

static void section_free(struct section *sec)
{
	for (int i = 0; i < sec->n; i++)
		sb_cmp_free(&sec->cmps[i]);
	free(sec->cmps);
	sb_rundir_free(&sec->res);
}

static void section_print(const struct section *sec, int nr_sections, FILE *out)
{
	if (nr_sections > 1)
		fprintf(out, "== %s\n\n", sec->res.dir);
	if (sec->res.emulated[0])
		fprintf(out, "times emulated (%s): compare counts only\n\n", sec->res.emulated);
	for (int i = 0; i < sec->n; i++) {
		if (i)
			fputc('\n', out);
		sb_cmp_print_text(&sec->cmps[i], sec->res.machine, out);
	}
}

/* Several directories: say whether they are one machine; never pool them. */
static void print_machines(const struct section *secs, int n, FILE *out)
{
	int distinct = 0;

	for (int i = 0; i < n; i++) {
		bool seen = false;

		for (int j = 0; j < i; j++)
			seen |= !strcmp(secs[i].res.machine, secs[j].res.machine);
		distinct += !seen;
	}
	fprintf(out, "%d results directories from %d machine%s: one section each,"
		" runs not pooled\n\n", n, distinct, distinct > 1 ? "s" : "");
}

/*
 * A guest's times are emulated (TCG: 11-17x slower, unevenly): side by side
 * with native ones they invite a ratio nobody should read.  Refuse the mix.
 */
static void refuse_emulated_mix(const struct section *secs, int n, const char *cmd)
{
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			if (secs[i].res.emulated[0] && !secs[j].res.emulated[0])
				sb_die_usage(cmd, "%s: emulated (%s) and %s: native: never in one "
					     "comparison (compare each alone)", secs[i].res.dir,
					     secs[i].res.emulated, secs[j].res.dir);
}

int cmd_compare(int argc, char **argv)
{
	struct compare_args a = { .format = SB_FMT_TABLE };
	struct section *secs;

	parse_compare_args(argc, argv, &a);
	secs = sb_xcalloc(a.nr_dirs, sizeof(*secs));
	for (int d = 0; d < a.nr_dirs; d++)
		section_build(&secs[d], a.dirs[d], &a.o, argv[0]);
	refuse_emulated_mix(secs, a.nr_dirs, argv[0]);
	if (a.format == SB_FMT_TABLE) {
		if (a.nr_dirs > 1)
			print_machines(secs, a.nr_dirs, stdout);
		for (int d = 0; d < a.nr_dirs; d++) {
			if (d)
				fputc('\n', stdout);
			section_print(&secs[d], a.nr_dirs, stdout);
		}
	} else {
		struct sb_report *rep = sb_report_new();

		for (int d = 0; d < a.nr_dirs; d++)
			for (int i = 0; i < secs[d].n; i++)
				report_cmp(&secs[d].cmps[i], rep, secs[d].res.machine);
		sb_report_print(rep, a.format, stdout);
		sb_report_free(rep);
	}
	for (int d = 0; d < a.nr_dirs; d++)
		section_free(&secs[d]);
	free(secs);
	return 0;
}
