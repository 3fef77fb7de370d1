/*
 * plot.c - `sheafbench plot RESULTS_DIR`: aggregated data files and gnuplot
 * drawings in RESULTS_DIR/plots/.
 *
 * Each plot is a .dat file (medians and 95% bootstrap bounds, the numbers
 * compare prints) plus one run of a template from plots/ per output format,
 * so a plot can be redrawn or restyled by hand from the .dat alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "internal.h"

extern char **environ;

/* The front end's templates directory (installed or source tree); NULL: none. */
static const char *templates_dir;

void sb_plot_set_templates(const char *dir)
{
	templates_dir = dir;
}

/* $SHEAFBENCH_PLOTS_DIR overrides what the front end found. */
static const char *templates_path(void)
{
	const char *env = getenv("SHEAFBENCH_PLOTS_DIR");

	return env ? env : templates_dir ? templates_dir : "(none found)";
}

struct plot_ctx {
	const struct sb_rundir *res;
	char dir[4096];		/* RESULTS_DIR/plots */
	char templates[4096];	/* directory of the .gp files */
	FILE *notes;
	int drawn, failed;
};

/* One drawing: which template, its labels and where its data goes. */
struct plot_spec {
	const char *name;	/* file stem: "lock-acq_per_s" */
	const char *tmpl;	/* "vs_threads.gp" */
	char title[256];
	char subtitle[512];	/* the fixed parameters */
	char xlabel[128];
	char ylabel[96];
	bool logy;
	bool siformat;		/* y tics as 12M, 500k */
};

/* The blocks of a comparison drawn into one file, one panel each. */
struct page {
	const int *blocks;	/* indices into sb_cmp.blocks */
	int nr;
};

static bool gnuplot_in_path(void)
{
	const char *path = getenv("PATH");
	char buf[4096];

	while (path && *path) {
		const char *colon = strchr(path, ':');
		int n = colon ? (int)(colon - path) : (int)strlen(path);

		snprintf(buf, sizeof(buf), "%.*s/gnuplot", n, n ? path : ".");
		if (!access(buf, X_OK))
			return true;
		path = colon ? colon + 1 : NULL;
	}
	return false;
}

/* gnuplot single-quoted string: a quote is written twice. */
static void gp_string(char *out, size_t len, const char *name, const char *v)
{
	size_t n = snprintf(out, len, "%s='", name);

	for (; *v && n + 3 < len; v++) {
		if (*v == '\'')
			out[n++] = '\'';
		out[n++] = *v;
	}
	snprintf(out + n, len - n, "'; ");
}

static void append_var(char *buf, size_t len, const char *name, const char *v)
{
	size_t n = strlen(buf);

	gp_string(buf + n, len - n, name, v);
}

static int run_gnuplot(struct plot_ctx *pc, const char *vars, const char *tmpl)
{
	char *argv[] = { "gnuplot", "-e", (char *)vars, (char *)tmpl, NULL };
	char log[4200];
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status, rc;

	snprintf(log, sizeof(log), "%s/gnuplot.log", pc->dir);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		return -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static bool file_nonempty(const char *path)
{
	struct stat st;

	return !stat(path, &st) && st.st_size > 0;
}

static void draw(struct plot_ctx *pc, const struct plot_spec *sp, const char *series,
		 const char *panels, int npanels)
{
	static const char *const terms[] = { "png", "svg" };
	char vars[8192], path[4200], tmpl[4200], n[64];

	snprintf(tmpl, sizeof(tmpl), "%s/%s", pc->templates, sp->tmpl);
	for (int t = 0; t < 2; t++) {
		vars[0] = '\0';
		append_var(vars, sizeof(vars), "dir", pc->templates);
		snprintf(path, sizeof(path), "%s/%s.dat", pc->dir, sp->name);
		append_var(vars, sizeof(vars), "datafile", path);
		snprintf(path, sizeof(path), "%s/%s.%s", pc->dir, sp->name, terms[t]);
		append_var(vars, sizeof(vars), "outfile", path);
		append_var(vars, sizeof(vars), "term", terms[t]);
		append_var(vars, sizeof(vars), "title", sp->title);
		append_var(vars, sizeof(vars), "subtitle", sp->subtitle);
		append_var(vars, sizeof(vars), "xlabel", sp->xlabel);
		append_var(vars, sizeof(vars), "ylabel", sp->ylabel);
		append_var(vars, sizeof(vars), "series", series);
		append_var(vars, sizeof(vars), "panels", panels);
		snprintf(n, sizeof(n), "npanels=%d; logy=%d; siformat=%d", npanels, sp->logy,
			 sp->siformat);
		strncat(vars, n, sizeof(vars) - strlen(vars) - 1);
		if (run_gnuplot(pc, vars, tmpl) < 0 || !file_nonempty(path)) {
			fprintf(pc->notes, "plot: %s.%s: gnuplot failed, see %s/gnuplot.log\n",
				sp->name, terms[t], pc->dir);
			pc->failed++;
			return;
		}
	}
	fprintf(pc->notes, "plot: wrote %s/%s.png and .svg\n", pc->dir, sp->name);
	pc->drawn++;
}

/* ---- data files ---- */

static void dat_value(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, " %.6g", v);
	else
		fprintf(f, " NaN");
}

static void dat_cell(FILE *f, const struct sb_cmp_cell *c)
{
	dat_value(f, c->n ? c->med.est : NAN);
	/* no interval (under 3 runs): whiskers collapse on the median */
	dat_value(f, c->med.valid ? c->med.lo : c->n ? c->med.est : NAN);
	dat_value(f, c->med.valid ? c->med.hi : c->n ? c->med.est : NAN);
}

static void dat_header(FILE *f, const struct sb_cmp *cmp, const char *what)
{
	fprintf(f, "# %s: %s of %s, by %s; median and 95%% bootstrap CI\n# %s",
		cmp->workload, cmp->metric, what, cmp->by, cmp->row_param);
	for (int l = 0; l < cmp->nr_levels; l++)
		fprintf(f, " %s %s_lo %s_hi", cmp->levels[l], cmp->levels[l], cmp->levels[l]);
	fputc('\n', f);
}

static FILE *dat_open(struct plot_ctx *pc, const char *name)
{
	char path[4200];
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/%s.dat", pc->dir, name) >= (int)sizeof(path)) {
		fprintf(pc->notes, "plot: %s/%s.dat: path too long\n", pc->dir, name);
		return NULL;
	}
	f = fopen(path, "w");
	if (!f)
		fprintf(pc->notes, "plot: %s: %s\n", path, strerror(errno));
	return f;
}

/* Rows of each block, one gnuplot index per block. */
static int write_rows_dat(struct plot_ctx *pc, const char *name, const struct sb_cmp *cmp,
			  const struct page *pg)
{
	FILE *f = dat_open(pc, name);

	if (!f)
		return -1;
	dat_header(f, cmp, cmp->row_param);
	for (int i = 0; i < pg->nr; i++) {
		int b = pg->blocks[i];

		fprintf(f, "%s# %s\n", i ? "\n\n" : "", cmp->blocks[b].tag);
		for (int r = 0; r < cmp->blocks[b].nr_rows; r++) {
			fprintf(f, "%s", cmp->blocks[b].rows[r].label);
			for (int l = 0; l < cmp->nr_levels; l++)
				dat_cell(f, &cmp->blocks[b].rows[r].cells[l]);
			fputc('\n', f);
		}
	}
	return fclose(f);
}

static void series_and_panels(const struct sb_cmp *cmp, const struct page *pg, char *series,
			      char *panels, size_t len)
{
	series[0] = panels[0] = '\0';
	for (int l = 0; l < cmp->nr_levels; l++)
		snprintf(series + strlen(series), len - strlen(series), "%s%s", l ? " " : "",
			 cmp->levels[l]);
	for (int i = 0; i < pg->nr; i++)
		snprintf(panels + strlen(panels), len - strlen(panels), "%s%s", i ? " " : "",
			 cmp->blocks[pg->blocks[i]].tag);
}

/*
 * A big study has hundreds of blocks (kind x cs x ps x pin ...): draw them
 * PANELS_PER_PAGE to a file, name-p1, name-p2, ..., rather than one unreadable
 * image.  A plot that fits on one page keeps its plain name.
 */
#define PANELS_PER_PAGE	8

static bool block_has_values(const struct sb_cmp *cmp, int b)
{
	for (int r = 0; r < cmp->blocks[b].nr_rows; r++)
		for (int l = 0; l < cmp->nr_levels; l++)
			if (cmp->blocks[b].rows[r].cells[l].n)
				return true;
	return false;
}

/*
 * Split the blocks that have data into pages; a block with none (a nolock
 * figure of a run without nolock callers) would only be an empty panel.
 * Returns the number of pages, *pages malloc'ed.
 */
static int paginate(const struct sb_cmp *cmp, struct page **pages)
{
	int n = 0, nr = 0;
	int *all = sb_xcalloc(cmp->nr_blocks, sizeof(int));

	for (int b = 0; b < cmp->nr_blocks; b++)
		if (block_has_values(cmp, b))
			all[n++] = b;
	*pages = sb_xcalloc(n / PANELS_PER_PAGE + 1, sizeof(**pages));
	for (int i = 0; i < n; i += PANELS_PER_PAGE) {
		(*pages)[nr].blocks = all + i;
		(*pages)[nr++].nr = n - i < PANELS_PER_PAGE ? n - i : PANELS_PER_PAGE;
	}
	if (!nr)
		free(all);
	return nr;
}

static void pages_free(struct page *pages, int nr)
{
	if (nr)
		free((int *)pages[0].blocks);
	free(pages);
}

static void page_name(char *out, size_t len, const char *name, int page, int pages)
{
	if (pages > 1)
		snprintf(out, len, "%s-p%d", name, page + 1);
	else
		snprintf(out, len, "%s", name);
}

/* Data and drawing of every page of a rows plot. */
static void draw_row_pages(struct plot_ctx *pc, struct plot_spec *sp, const struct sb_cmp *cmp)
{
	char name[300], series[2048], panels[2048];
	const char *stem = sp->name;
	struct page *pages;
	int nr = paginate(cmp, &pages);

	for (int pg = 0; pg < nr; pg++) {
		page_name(name, sizeof(name), stem, pg, nr);
		sp->name = name;
		series_and_panels(cmp, &pages[pg], series, panels, sizeof(series));
		if (write_rows_dat(pc, name, cmp, &pages[pg]) == 0)
			draw(pc, sp, series, panels, pages[pg].nr);
	}
	pages_free(pages, nr);
	sp->name = stem;
}

static bool cmp_has_values(const struct sb_cmp *cmp)
{
	for (int b = 0; b < cmp->nr_blocks; b++)
		for (int r = 0; r < cmp->blocks[b].nr_rows; r++)
			for (int l = 0; l < cmp->nr_levels; l++)
				if (cmp->blocks[b].rows[r].cells[l].n)
					return true;
	return false;
}

/* Group one metric; false (with a note) when there is nothing to draw. */
static bool build_cmp(struct plot_ctx *pc, const struct sb_csv_doc *doc, const char *metric,
		      const char *by, struct sb_cmp *cmp)
{
	struct sb_cmp_opts o = { .metric = metric, .by = by };
	char err[1024];

	if (!sb_runs_has_figure(doc, metric)) {
		fprintf(pc->notes, "plot: skipped %s in %s: no such column\n", metric, doc->path);
		return false;
	}
	if (sb_cmp_build(doc, &o, cmp, err, sizeof(err)) < 0) {
		fprintf(pc->notes, "plot: skipped %s: %s\n", metric, err);
		return false;
	}
	if (!cmp_has_values(cmp)) {
		fprintf(pc->notes, "plot: skipped %s in %s: not measured (all n/a)\n", metric,
			doc->path);
		sb_cmp_free(cmp);
		return false;
	}
	return true;
}

static void axis_label(const char *metric, char *out, size_t len)
{
	const char *per = strstr(metric, "_per_");

	if (!strcmp(metric, "acq_per_s"))
		snprintf(out, len, "lock acquisitions per second");
	else if (!strcmp(metric, "ops_per_s"))
		snprintf(out, len, "operations per second");
	else if (!strncmp(metric, "ns_per_", 7))
		snprintf(out, len, "ns per %s", metric + 7);
	else if (sb_has_suffix(metric, "_ns"))
		snprintf(out, len, "%s (ns)", metric);
	else if (per)
		snprintf(out, len, "%.*s per %s", (int)(per - metric), metric, per + 5);
	else
		snprintf(out, len, "%s (fraction)", metric);
}

static void spec_labels(struct plot_spec *sp, const struct sb_cmp *cmp, const char *what)
{
	snprintf(sp->title, sizeof(sp->title), "%s: %s, %s by %s", cmp->workload, what,
		 cmp->metric, cmp->by);
	snprintf(sp->subtitle, sizeof(sp->subtitle), "%s", cmp->fixed);
	sp->siformat = sb_has_suffix(cmp->metric, "_per_s");
	snprintf(sp->xlabel, sizeof(sp->xlabel), "%s", cmp->row_param);
	axis_label(cmp->metric, sp->ylabel, sizeof(sp->ylabel));
	strncat(sp->ylabel, ", median, 95% CI", sizeof(sp->ylabel) - strlen(sp->ylabel) - 1);
}

/* metric against the row parameter, one line per value of by */
static void plot_vs_rows(struct plot_ctx *pc, const struct sb_csv_doc *doc, const char *metric,
			 const char *by, const char *tmpl, const char *what)
{
	struct plot_spec sp = { .tmpl = tmpl };
	char name[256];
	struct sb_cmp cmp;

	if (!build_cmp(pc, doc, metric, by, &cmp))
		return;
	snprintf(name, sizeof(name), "%s-%s%s%s", cmp.workload, metric,
		 strcmp(by, "pattern") ? "-by-" : "", strcmp(by, "pattern") ? by : "");
	sp.name = name;
	sp.logy = false;
	spec_labels(&sp, &cmp, what);
	draw_row_pages(pc, &sp, &cmp);
	sb_cmp_free(&cmp);
}

#define NR_PCTS 4
static const char *const pct_names[NR_PCTS] = { "p50", "p90", "p99", "p999" };

/* One index per block: the percentiles at the block's last row (most threads). */
static int write_pct_dat(struct plot_ctx *pc, const char *name, struct sb_cmp *cmps,
			 const struct page *pg, char *panels, size_t len)
{
	FILE *f = dat_open(pc, name);

	if (!f)
		return -1;
	dat_header(f, &cmps[0], "percentile");
	panels[0] = '\0';
	for (int i = 0; i < pg->nr; i++) {
		int b = pg->blocks[i];
		const struct sb_cmp_block *blk = &cmps[0].blocks[b];
		const char *label = blk->rows[blk->nr_rows - 1].label;

		snprintf(panels + strlen(panels), len - strlen(panels), "%s%s,%s=%s",
			 i ? " " : "", blk->tag, cmps[0].row_param, label);
		fprintf(f, "%s# %s\n", i ? "\n\n" : "", blk->tag);
		for (int q = 0; q < NR_PCTS; q++) {
			const struct sb_cmp_block *qb = &cmps[q].blocks[b];

			fprintf(f, "%s", pct_names[q]);
			for (int l = 0; l < cmps[q].nr_levels; l++)
				dat_cell(f, &qb->rows[qb->nr_rows - 1].cells[l]);
			fputc('\n', f);
		}
	}
	return fclose(f);
}

static void draw_pct_pages(struct plot_ctx *pc, struct plot_spec *sp, struct sb_cmp *cmps)
{
	char name[300], series[2048], panels[2048];
	const char *stem = sp->name;
	struct page *pages;
	int nr = paginate(&cmps[0], &pages);

	for (int pg = 0; pg < nr; pg++) {
		page_name(name, sizeof(name), stem, pg, nr);
		sp->name = name;
		series_and_panels(&cmps[0], &pages[pg], series, panels, sizeof(series));
		if (write_pct_dat(pc, name, cmps, &pages[pg], panels, sizeof(panels)) == 0)
			draw(pc, sp, series, panels, pages[pg].nr);
	}
	pages_free(pages, nr);
	sp->name = stem;
}

static void plot_percentiles(struct plot_ctx *pc, const struct sb_csv_doc *doc,
			     const char *prefix)
{
	struct plot_spec sp = { .tmpl = "latency.gp", .logy = true };
	char name[256], metric[96];
	struct sb_cmp cmps[NR_PCTS];
	int q;

	for (q = 0; q < NR_PCTS; q++) {
		snprintf(metric, sizeof(metric), "%s_%s_ns", prefix, pct_names[q]);
		if (!build_cmp(pc, doc, metric, "pattern", &cmps[q]))
			break;
	}
	if (q == NR_PCTS) {
		snprintf(name, sizeof(name), "%s-%s_latency", cmps[0].workload, prefix);
		sp.name = name;
		spec_labels(&sp, &cmps[0], "latency percentiles");
		snprintf(sp.title, sizeof(sp.title), "%s: %s latency percentiles at the most %s",
			 cmps[0].workload, prefix, cmps[0].row_param);
		snprintf(sp.ylabel, sizeof(sp.ylabel), "%s latency (ns), median, 95%% CI", prefix);
		snprintf(sp.xlabel, sizeof(sp.xlabel), "percentile of the %s time", prefix);
		draw_pct_pages(pc, &sp, cmps);
	}
	while (q-- > 0)
		sb_cmp_free(&cmps[q]);
}

/* Allocator comparison: throughput by allocator, when the runs have several. */
static void plot_allocators(struct plot_ctx *pc, const struct sb_csv_doc *doc,
			    const char *metric)
{
	struct plot_spec sp = { .tmpl = "bars.gp" };
	char name[256];
	struct sb_cmp cmp;

	if (!build_cmp(pc, doc, metric, "allocator", &cmp))
		return;
	if (cmp.nr_levels < 2) {
		fprintf(pc->notes, "plot: skipped allocator bars in %s: one allocator\n", doc->path);
		sb_cmp_free(&cmp);
		return;
	}
	snprintf(name, sizeof(name), "%s-allocators", cmp.workload);
	sp.name = name;
	spec_labels(&sp, &cmp, "allocators");
	draw_row_pages(pc, &sp, &cmp);
	sb_cmp_free(&cmp);
}

/* trylock-failure, bucket-retry and NULL rates (slab nmi, nolock runs) */
static bool is_rate_column(const char *c)
{
	return strstr(c, "fail_rate") || !strcmp(c, "nolock_retries_per_alloc") ||
	       !strcmp(c, "nolock_null_per_alloc");
}

static void plot_doc(struct plot_ctx *pc, const struct sb_csv_doc *doc)
{
	static const char *const counts[] = { "rmw_per_acq", "acq_bounces_per_acq", NULL };
	const char *tput = sb_runs_throughput_metric(doc);
	bool any_rate = false;

	if (tput)
		plot_vs_rows(pc, doc, tput, "pattern", "vs_threads.gp", "throughput");
	else
		fprintf(pc->notes, "plot: skipped throughput in %s: no *_per_s column\n", doc->path);
	for (int i = 0; counts[i]; i++)
		plot_vs_rows(pc, doc, counts[i], "pattern", "vs_threads.gp", "per acquisition");
	for (int c = 0; c < doc->nr_cols; c++)
		if (sb_has_suffix(doc->cols[c], "_p50_ns")) {
			char prefix[64];

			snprintf(prefix, sizeof(prefix), "%.*s", (int)strlen(doc->cols[c]) - 7,
				 doc->cols[c]);
			plot_percentiles(pc, doc, prefix);
		}
	for (int c = 0; c < doc->nr_cols; c++)
		if (is_rate_column(doc->cols[c]) && sb_runs_has_figure(doc, doc->cols[c])) {
			plot_vs_rows(pc, doc, doc->cols[c], "pattern", "vs_threads.gp", "rate");
			any_rate = true;
		}
	if (!any_rate)
		fprintf(pc->notes, "plot: skipped failure/retry rates in %s: no *fail_rate column\n",
			doc->path);
	if (sb_csv_col(doc, "allocator") >= 0 && tput)
		plot_allocators(pc, doc, tput);
}

static int make_dir(const char *path)
{
	return mkdir(path, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

int sb_plot_results(const struct sb_rundir *res, FILE *notes)
{
	struct plot_ctx pc = { .res = res, .notes = notes };
	char probe[4200];

	snprintf(pc.templates, sizeof(pc.templates), "%s", templates_path());
	snprintf(probe, sizeof(probe), "%s/vs_threads.gp", pc.templates);
	if (access(probe, R_OK)) {
		fprintf(notes, "plot: no templates in %s (set SHEAFBENCH_PLOTS_DIR)\n", pc.templates);
		return 1;
	}
	snprintf(pc.dir, sizeof(pc.dir), "%s/plots", res->dir);
	if (make_dir(pc.dir) < 0) {
		fprintf(notes, "plot: %s: %s\n", pc.dir, strerror(errno));
		return 1;
	}
	for (int i = 0; i < res->nr_docs; i++)
		plot_doc(&pc, res->docs[i]);
	fprintf(notes, "plot: %d plots drawn, %d failed\n", pc.drawn, pc.failed);
	return pc.failed ? 1 : 0;
}

/* The header of --help; the options are listed from the table. */
static void plot_usage(char *buf, size_t len)
{
	snprintf(buf, len,
		 "usage: sheafbench plot RESULTS_DIR [--report]\n"
		 "  Writes RESULTS_DIR/plots/*.dat (medians, 95%% CI bounds) and draws them\n"
		 "  with gnuplot as PNG and SVG: throughput, RMWs and bounces per\n"
		 "  acquisition vs threads, latency percentiles, failure/retry rates and\n"
		 "  allocator bars, each when its data is present.\n"
		 "Templates: $SHEAFBENCH_PLOTS_DIR, else %s.  gnuplot's own messages\n"
		 "go to RESULTS_DIR/plots/gnuplot.log.",
		 templates_dir ? templates_dir : "(none found)");
}

int cmd_plot(int argc, char **argv)
{
	const char *dir = NULL;
	bool report = false;
	struct sb_option opts[] = {
		SB_OPT_ARG("RESULTS_DIR", &dir, "a results directory"),
		SB_OPT_BOOL("report", &report, "also write RESULTS_DIR/report.md (as `sheafbench report`)"),
		SB_OPT_END,
	};
	struct sb_rundir res;
	char err[1024], usage[1024];
	int rc;

	plot_usage(usage, sizeof(usage));
	if (sb_parse_options(argv[0], opts, argc, argv, usage) == SB_OPTIONS_HELP)
		return 0;
	if (!dir)
		sb_die_usage(argv[0], "RESULTS_DIR: missing (see --help)");
	if (!gnuplot_in_path()) {	/* a missing tool, not bad input: exit 1 */
		fprintf(stderr, "sheafbench %s: gnuplot not found in PATH; install the Debian "
			"package gnuplot-nox\n", argv[0]);
		return 1;
	}
	if (sb_rundir_load(dir, &res, err, sizeof(err)) < 0)
		sb_die_usage(argv[0], "%s", err);
	rc = sb_plot_results(&res, stderr);
	if (report && sb_report_write(&res, err, sizeof(err)) < 0) {
		fprintf(stderr, "sheafbench plot: %s\n", err);
		rc = 1;
	}
	sb_rundir_free(&res);
	return rc;
}
