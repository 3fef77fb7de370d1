/*
 * report.c - `sheafbench report RESULTS_DIR`: RESULTS_DIR/report.md, the page
 * a reviewer reads: the machine, the changelog blocks of the metrics the
 * ttl/sb/tro question turns on, the plots, and which runs exist or failed.
 *
 * Written to a temporary file and renamed, so a reader never sees half a
 * report, and a failed write leaves the previous one in place.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "study.h"

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static char *slurp_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = 2 * cap + 4096 + 1);

			if (!nb)
				break;
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got > 0);
	fclose(f);
	if (buf)
		buf[n] = '\0';
	return buf;
}

static void machine_section(const struct sb_rundir *res, FILE *out)
{
	static const char *const keys[] = {
		"cpu_model", "nr_cpus_online", "kernel", "pmu_available", "pmu_why",
		"cpufreq_governor", "compiler", "compiler_flags", "git_revision",
		"start_time", "command", NULL
	};
	char path[4200], v[512];
	char *json;

	fprintf(out, "## Machine\n\n%s\n\n", res->machine);
	snprintf(path, sizeof(path), "%s/meta.json", res->dir);
	json = slurp_text(path);
	if (!json) {
		fprintf(out, "No meta.json in the results directory.\n\n");
		return;
	}
	for (int i = 0; keys[i]; i++)
		if (sb_json_lookup(json, keys[i], v, sizeof(v)) && strcmp(v, "null"))
			fprintf(out, "- %s: `%s`\n", keys[i], v);
	fputc('\n', out);
	free(json);
}

static void block_section(const struct sb_rundir *res, const struct sb_csv_doc *doc,
			  const char *metric, FILE *out)
{
	struct sb_cmp_opts o = { .metric = metric };
	struct sb_cmp cmp;
	char err[1024];

	if (!metric || !sb_runs_has_figure(doc, metric))
		return;
	if (sb_cmp_build(doc, &o, &cmp, err, sizeof(err)) < 0) {
		fprintf(out, "%s: not compared: %s\n\n", metric, err);
		return;
	}
	fprintf(out, "### %s: %s\n\n```\n", cmp.workload, metric);
	sb_cmp_print_text(&cmp, res->machine, out);
	fprintf(out, "```\n\n");
	sb_cmp_free(&cmp);
}

static void blocks_section(const struct sb_rundir *res, FILE *out)
{
	static const char *const metrics[] = { "rmw_per_acq", "acq_bounces_per_acq", NULL };

	fprintf(out, "## Comparisons (paste-ready for a changelog)\n\n");
	for (int i = 0; i < res->nr_docs; i++) {
		const struct sb_csv_doc *doc = res->docs[i];

		block_section(res, doc, sb_runs_throughput_metric(doc), out);
		for (int m = 0; metrics[m]; m++)
			block_section(res, doc, metrics[m], out);
	}
}

static int is_png(const struct dirent *d)
{
	return has_suffix(d->d_name, ".png");
}

static void plots_section(const struct sb_rundir *res, FILE *out)
{
	char dir[4200];
	struct dirent **list;
	int n;

	fprintf(out, "## Plots\n\n");
	snprintf(dir, sizeof(dir), "%s/plots", res->dir);
	n = scandir(dir, &list, is_png, alphasort);
	if (n <= 0) {
		fprintf(out, "No plots yet (run `sheafbench plot %s`).\n\n", res->dir);
		if (n == 0)
			free(list);
		return;
	}
	for (int i = 0; i < n; i++) {
		int stem = (int)strlen(list[i]->d_name) - 4;

		fprintf(out, "![%.*s](plots/%s) ([svg](plots/%.*s.svg), [data](plots/%.*s.dat))\n\n",
			stem, list[i]->d_name, list[i]->d_name, stem, list[i]->d_name,
			stem, list[i]->d_name);
		free(list[i]);
	}
	free(list);
}

/* Runs per variant: the reps that exist, so a gap is visible. */
static void runs_of_doc(const struct sb_csv_doc *doc, FILE *out)
{
	int vc = sb_csv_col(doc, "variant"), rc = sb_csv_col(doc, "rep");
	const char *base = strrchr(doc->path, '/');

	fprintf(out, "%s: %d runs\n\n", base ? base + 1 : doc->path, doc->nr_rows);
	if (vc < 0)
		return;
	fprintf(out, "| variant | reps |\n|---|---|\n");
	for (int r = 0; r < doc->nr_rows; r++) {
		const char *v = sb_csv_cell(doc, r, vc);
		int q;

		for (q = 0; q < r && strcmp(sb_csv_cell(doc, q, vc), v); q++)
			;
		if (q < r)
			continue;	/* listed with its first row */
		fprintf(out, "| `%s` |", v);
		for (q = r; q < doc->nr_rows; q++)
			if (!strcmp(sb_csv_cell(doc, q, vc), v))
				fprintf(out, " %s", rc >= 0 ? sb_csv_cell(doc, q, rc) : "?");
		fprintf(out, " |\n");
	}
	fputc('\n', out);
}

static void runs_section(const struct sb_rundir *res, FILE *out)
{
	char path[4200];
	char *errors;

	fprintf(out, "## Runs\n\n");
	for (int i = 0; i < res->nr_docs; i++)
		runs_of_doc(res->docs[i], out);
	snprintf(path, sizeof(path), "%s/errors.log", res->dir);
	errors = slurp_text(path);
	if (errors && *errors)
		fprintf(out, "## Failed runs (errors.log)\n\n```\n%s%s```\n", errors,
			has_suffix(errors, "\n") ? "" : "\n");
	else
		fprintf(out, "## Failed runs\n\nNone (errors.log is empty or absent).\n");
	free(errors);
}

static void write_body(const struct sb_rundir *res, FILE *out)
{
	const char *name = strrchr(res->dir, '/');

	fprintf(out, "# sheafbench results: %s\n\n", name ? name + 1 : res->dir);
	fprintf(out, "Medians of the repetitions with 95%% percentile-bootstrap intervals;"
		" a ratio gets a verdict only when its interval excludes 1 and both sides"
		" have at least %d runs.\n\n", SB_MIN_REPS_FOR_VERDICT);
	machine_section(res, out);
	blocks_section(res, out);
	plots_section(res, out);
	runs_section(res, out);
}

int sb_report_write(const struct sb_rundir *res, char *err, size_t errlen)
{
	char path[4200], tmp[4300];
	FILE *f;
	int bad;

	snprintf(path, sizeof(path), "%s/report.md", res->dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	f = fopen(tmp, "w");
	if (!f) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	write_body(res, f);
	bad = fflush(f) || ferror(f) || fsync(fileno(f));
	if (fclose(f) || bad || rename(tmp, path)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sb_rundir res;
	char err[1024];
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch == 'h') {
			printf("usage: sheafbench report RESULTS_DIR\n"
			       "  Writes RESULTS_DIR/report.md: machine, changelog blocks for\n"
			       "  throughput, RMWs and bounces, the plots, the runs and failures.\n");
			return 0;
		}
		sb_die_usage(argv[0], "%s: unknown option (see --help)", argv[optind - 1]);
	}
	if (optind != argc - 1)
		sb_die_usage(argv[0], "expected one RESULTS_DIR, got %d arguments (see --help)",
			     argc - optind);
	if (sb_rundir_load(argv[optind], &res, err, sizeof(err)) < 0)
		sb_die_usage(argv[0], "%s", err);
	if (sb_report_write(&res, err, sizeof(err)) < 0) {
		fprintf(stderr, "sheafbench report: %s\n", err);
		sb_rundir_free(&res);
		return 1;
	}
	printf("wrote %s/report.md\n", res.dir);
	sb_rundir_free(&res);
	return 0;
}
