/*
 * report.c - the texts made from a comparison: the changelog block (what
 * `sheafbench compare` prints) and `sheafbench report RESULTS_DIR`'s
 * report.md, the page a reviewer reads: the machine, the changelog blocks of
 * the metrics the ttl/sb/tro question turns on, the plots, and which runs
 * exist or failed.
 *
 * Written to a temporary file and renamed, so a reader never sees half a
 * report, and a failed write leaves the previous one in place.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "analysis.h"
#include "pattern_list.h"

static bool sb_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* ---- the changelog block: <= 72 columns, fixed width ---- */

#define TEXT_WIDTH	72

struct unit {
	double scale;
	char name[48];
};

static const char *si_prefix(double max, double *scale)
{
	static const struct { double f; const char *p; } pre[] = {
		{ 1e9, "G" }, { 1e6, "M" }, { 1e3, "k" }, { 1, "" },
	};

	for (int i = 0; i < 4; i++)
		if (max >= pre[i].f || i == 3) {
			*scale = pre[i].f;
			return pre[i].p;
		}
	return "";
}

/* acq_per_s -> "Macq/s"; ns_per_acq -> "ns/acq"; wait_p99_ns -> "us"; rmw_per_acq -> "rmw/acq" */
static void metric_unit(const char *metric, double max, struct unit *u)
{
	const char *per = strstr(metric, "_per_");
	const char *p;

	u->scale = 1;
	u->name[0] = '\0';
	if (sb_has_suffix(metric, "_per_s")) {
		p = si_prefix(max, &u->scale);
		snprintf(u->name, sizeof(u->name), "%s%.*s/s", p, (int)(per - metric), metric);
	} else if (!strncmp(metric, "ns_per_", 7) || sb_has_suffix(metric, "_ns")) {
		bool us = max >= 1e4;

		u->scale = us ? 1e3 : 1;
		snprintf(u->name, sizeof(u->name), "%s%s%s", us ? "us" : "ns",
			 per ? "/" : "", per ? per + 5 : "");
	} else if (per) {
		snprintf(u->name, sizeof(u->name), "%.*s/%s", (int)(per - metric), metric, per + 5);
	}
}

static void fmt3(char *b, size_t n, double v)
{
	double a = fabs(v);

	if (isnan(v))
		snprintf(b, n, "n/a");
	else if (a >= 100)
		snprintf(b, n, "%.0f", v);
	else if (a >= 10)
		snprintf(b, n, "%.1f", v);
	else if (a >= 1)
		snprintf(b, n, "%.2f", v);
	else if (a >= 0.01 || a == 0)
		snprintf(b, n, "%.3f", v);
	else
		snprintf(b, n, "%.2g", v);
}

/* A ratio with d decimals, rounded towards dir (0: nearest). */
static void fmt_ratio(char *b, size_t n, double v, int d, int dir)
{
	if (isnan(v) || isinf(v))
		snprintf(b, n, "n/a");
	else if (fabs(v) >= 100)
		snprintf(b, n, "%.0f", dir ? sb_vd_round(v, 0, dir) : v);
	else
		snprintf(b, n, "%.*f", d, dir ? sb_vd_round(v, d, dir) : v);
}

static void base_cell_text(const struct sb_cmp_cell *c, const struct unit *u, char *b, size_t n)
{
	char m[32], lo[32], hi[32];

	if (!c->n) {
		snprintf(b, n, "n/a");
		return;
	}
	fmt3(m, sizeof(m), c->med.est / u->scale);
	if (!c->med.valid) {
		snprintf(b, n, "%s (n=%d)", m, c->n);
		return;
	}
	fmt3(lo, sizeof(lo), c->med.lo / u->scale);
	fmt3(hi, sizeof(hi), c->med.hi / u->scale);
	snprintf(b, n, "%s [%s,%s]", m, lo, hi);
}

/* "1.11 [1.10,1.13] +", "1.00 [0.98,1.01] =3%": the interval rounded outwards */
static void ratio_cell_text(const struct sb_cmp_ratio *rt, char *b, size_t n)
{
	char r[32], lo[32], hi[32], mark[16];

	fmt_ratio(r, sizeof(r), rt->ci.est, rt->digits, 0);
	if (!rt->ci.valid) {
		snprintf(b, n, "%s%s", r, isnan(rt->ci.est) ? "" : " ?");
		return;
	}
	fmt_ratio(lo, sizeof(lo), rt->ci.lo, rt->digits, -1);
	fmt_ratio(hi, sizeof(hi), rt->ci.hi, rt->digits, 1);
	if (rt->verdict == SB_VERDICT_SAME && isfinite(rt->mde))
		/* rounded up: "detects >= N %" must not promise more than it has */
		snprintf(mark, sizeof(mark), "=%.*f%%", rt->mde < 0.01 ? 1 : 0,
			 sb_vd_round(100 * rt->mde, rt->mde < 0.01 ? 1 : 0, 1));
	else
		snprintf(mark, sizeof(mark), "%c", sb_verdict_mark(rt->verdict));
	snprintf(b, n, "%s [%s,%s] %s", r, lo, hi, mark);
}

/* Where to cut text to fit room: after the last ", ", else at the last space. */
static int wrap_point(const char *text, int room)
{
	for (int cut = room - 1; cut > room / 3; cut--)
		if (text[cut] == ',' && text[cut + 1] == ' ')
			return cut + 1;
	for (int cut = room; cut > room / 3; cut--)
		if (text[cut] == ' ')
			return cut;
	return room;
}

/* Print text in lines of at most TEXT_WIDTH, continuation lines indented. */
static void print_wrapped(FILE *out, const char *text)
{
	const char *indent = "";

	while (strlen(indent) + strlen(text) > TEXT_WIDTH) {
		int cut = wrap_point(text, TEXT_WIDTH - (int)strlen(indent));

		fprintf(out, "%s%.*s\n", indent, cut, text);
		text += cut;
		while (*text == ' ')
			text++;
		indent = "  ";
	}
	fprintf(out, "%s%s\n", indent, text);
}

struct text_table {
	int nr_cols, nr_rows;
	char **cells;		/* (nr_rows + 1) * nr_cols, row 0 is the header */
	int *width;
};

static char **tt_cell(struct text_table *t, int r, int c)
{
	return &t->cells[r * t->nr_cols + c];
}

static void tt_fill(struct text_table *t, const struct sb_cmp *cmp,
		    const struct sb_cmp_block *blk, const struct unit *u, bool calm)
{
	char b[160];

	t->nr_cols = cmp->nr_levels + 1;
	t->nr_rows = blk->nr_rows + 1;
	t->cells = sb_xcalloc(t->nr_cols * t->nr_rows, sizeof(char *));
	t->width = sb_xcalloc(t->nr_cols, sizeof(int));
	*tt_cell(t, 0, 0) = sb_xstrdup(cmp->row_param);
	for (int l = 0; l < cmp->nr_levels; l++) {
		if (l == cmp->base)
			snprintf(b, sizeof(b), "%s%s%s", cmp->levels[l], *u->name ? " " : "", u->name);
		else
			snprintf(b, sizeof(b), "%s/%s", cmp->levels[l], cmp->levels[cmp->base]);
		*tt_cell(t, 0, l + 1) = sb_xstrdup(b);
	}
	for (int r = 0; r < blk->nr_rows; r++) {
		const struct sb_cmp_row *row = &blk->rows[r];

		*tt_cell(t, r + 1, 0) = sb_xstrdup(row->label);
		for (int l = 0; l < cmp->nr_levels; l++) {
			if (l == cmp->base)
				base_cell_text(&row->cells[l], u, b, sizeof(b));
			else
				ratio_cell_text(calm ? &row->cells[l].calm : &row->cells[l].all,
						b, sizeof(b));
			*tt_cell(t, r + 1, l + 1) = sb_xstrdup(b);
		}
	}
	for (int i = 0; i < t->nr_cols * t->nr_rows; i++) {
		int w = strlen(t->cells[i]);

		if (w > t->width[i % t->nr_cols])
			t->width[i % t->nr_cols] = w;
	}
}

static void tt_free(struct text_table *t)
{
	for (int i = 0; i < t->nr_cols * t->nr_rows; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->width);
}

/* Columns [from, to) after the label column; the label is right-aligned. */
static void tt_print(const struct text_table *t, int from, int to, FILE *out)
{
	for (int r = 0; r < t->nr_rows; r++) {
		char line[1024];
		int n = snprintf(line, sizeof(line), "%*s", t->width[0], t->cells[r * t->nr_cols]);

		for (int c = from; c < to && n < (int)sizeof(line); c++)
			n += snprintf(line + n, sizeof(line) - n, "  %-*s", t->width[c],
				      t->cells[r * t->nr_cols + c]);
		while (n > 0 && line[n - 1] == ' ')
			line[--n] = '\0';
		fprintf(out, "%s\n", line);
	}
}

/* Wider than TEXT_WIDTH: split the columns into several tables. */
static void tt_print_fitted(const struct text_table *t, FILE *out)
{
	int from = 1;

	while (from < t->nr_cols) {
		int w = t->width[0], to = from;

		while (to < t->nr_cols && (to == from || w + 2 + t->width[to] <= TEXT_WIDTH))
			w += 2 + t->width[to++];
		if (from > 1)
			fputc('\n', out);
		tt_print(t, from, to, out);
		from = to;
	}
}

static double block_max_median(const struct sb_cmp *cmp)
{
	double max = 0;

	for (int b = 0; b < cmp->nr_blocks; b++)
		for (int r = 0; r < cmp->blocks[b].nr_rows; r++) {
			double m = cmp->blocks[b].rows[r].cells[cmp->base].med.est;

			if (isfinite(m) && fabs(m) > max)
				max = fabs(m);
		}
	return max;
}

static void print_heading(const struct sb_cmp *cmp, const char *machine, FILE *out)
{
	char line[1024], reps[32];

	if (cmp->min_n == cmp->max_n)
		snprintf(reps, sizeof(reps), "%d", cmp->max_n);
	else
		snprintf(reps, sizeof(reps), "%d-%d", cmp->min_n, cmp->max_n);
	snprintf(line, sizeof(line), "%s: %s, %s reps%s%s", cmp->workload, cmp->metric, reps,
		 *cmp->fixed ? "; " : "", cmp->fixed);
	print_wrapped(out, line);
	print_wrapped(out, machine);
}

/* The most confidence n paired reps can give: [min, max] */
static double best_level(int n)
{
	return 1 - ldexp(1, 1 - n);
}

static void print_family(const struct sb_cmp *cmp, const struct sb_cmp_family *f, FILE *out)
{
	char line[512];
	int small = f->nr_cells - f->size;

	if (!f->size) {
		snprintf(line, sizeof(line), "X/%s: median of the per-rep ratios X/%s [min..max"
			 " of them: %d paired reps give at most %.1f%%; no verdict under 6]",
			 cmp->levels[cmp->base], cmp->levels[cmp->base], cmp->min_n,
			 100 * best_level(cmp->min_n));
		print_wrapped(out, line);
		return;
	}
	snprintf(line, sizeof(line), "X/%s: median of the per-rep ratios X/%s [exact"
		 " %.1f%% interval]; Benjamini-Hochberg FDR %.0f%% over %d ratio%s: %d marked",
		 cmp->levels[cmp->base], cmp->levels[cmp->base], 100 * (1 - f->alpha),
		 100 * f->q, f->size, f->size == 1 ? "" : "s", f->marked);
	if (small > 0)
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
			 " (and %d with too few reps for any verdict)", small);
	print_wrapped(out, line);
}

static void print_pairing(const struct sb_cmp *cmp, FILE *out)
{
	char line[512];
	int shown = 0;

	if (!cmp->nr_unpaired) {
		print_wrapped(out, "paired: every ratio formed within one rep");
		return;
	}
	snprintf(line, sizeof(line), "paired, except %d ratio%s (unpaired: Hodges-Lehmann"
		 " interval):", cmp->nr_unpaired, cmp->nr_unpaired > 1 ? "s" : "");
	print_wrapped(out, line);
	for (int b = 0; b < cmp->nr_blocks; b++)
		for (int r = 0; r < cmp->blocks[b].nr_rows; r++)
			for (int l = 0; l < cmp->nr_levels; l++) {
				const struct sb_cmp_cell *c = &cmp->blocks[b].rows[r].cells[l];

				if (!c->unpaired[0] || shown++ >= 5)
					continue;
				snprintf(line, sizeof(line), "  %s%s%s %s, %s/%s: unpaired: %s",
					 cmp->blocks[b].title, *cmp->blocks[b].title ? ", " : "",
					 cmp->row_param, cmp->blocks[b].rows[r].label,
					 cmp->levels[l], cmp->levels[cmp->base], c->unpaired);
				print_wrapped(out, line);
			}
	if (shown > 5)
		fprintf(out, "  and %d more\n", shown - 5);
}

static void print_legend(const struct sb_cmp *cmp, FILE *out)
{
	char line[512];

	snprintf(line, sizeof(line), "%s: median [95%% bootstrap CI]", cmp->levels[cmp->base]);
	print_wrapped(out, line);
	if (cmp->nr_levels < 2)
		return;
	print_family(cmp, &cmp->fam, out);
	snprintf(line, sizeof(line), "+ %s  - %s  =N%%: no difference shown where one of N%%"
		 " or more would have shown (%.0f%% power)  ? too few reps for a verdict",
		 sb_verdict_word(SB_VERDICT_BETTER, cmp->metric),
		 sb_verdict_word(SB_VERDICT_WORSE, cmp->metric), 100 * SB_VD_POWER);
	print_wrapped(out, line);
	print_pairing(cmp, out);
}

static void print_disturbance(const struct sb_cmp *cmp, FILE *out)
{
	char line[512];

	if (!cmp->dist.recorded) {
		print_wrapped(out, "disturbance: not recorded (none of the columns steal_ms"
			      " invol_ctxsw cpu_migrations cpu_wall_ratio)");
		return;
	}
	snprintf(line, sizeof(line), "disturbance: %d of %d runs beyond the thresholds (%s)%s",
		 cmp->dist.nr_disturbed, cmp->dist.nr_rows, cmp->dist.rules,
		 cmp->dist.nr_disturbed ? "; the verdicts without them follow" : "");
	print_wrapped(out, line);
}

static void print_tables(const struct sb_cmp *cmp, const struct unit *u, bool calm, FILE *out)
{
	for (int b = 0; b < cmp->nr_blocks; b++) {
		struct text_table t;

		fputc('\n', out);
		if (cmp->nr_blocks > 1 || *cmp->blocks[b].title)
			print_wrapped(out, cmp->blocks[b].title);
		tt_fill(&t, cmp, &cmp->blocks[b], u, calm);
		tt_print_fitted(&t, out);
		tt_free(&t);
	}
}

void sb_cmp_print_text(const struct sb_cmp *cmp, const char *machine, FILE *out)
{
	struct unit u;

	metric_unit(cmp->metric, block_max_median(cmp), &u);
	print_heading(cmp, machine, out);
	print_tables(cmp, &u, false, out);
	if (cmp->nr_omitted)
		fprintf(out, "\n%d configuration%s without %s %s runs not shown\n", cmp->nr_omitted,
			cmp->nr_omitted > 1 ? "s" : "", cmp->by, cmp->levels[cmp->base]);
	fputc('\n', out);
	print_legend(cmp, out);
	if (cmp->nr_levels < 2)
		return;
	print_disturbance(cmp, out);
	if (!cmp->dist.nr_disturbed)
		return;
	fprintf(out, "\nWithout the %d disturbed run%s:\n", cmp->dist.nr_disturbed,
		cmp->dist.nr_disturbed > 1 ? "s" : "");
	print_tables(cmp, &u, true, out);
	fputc('\n', out);
	print_family(cmp, &cmp->fam_calm, out);
}

/* ---- report.md ---- */

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
	if (res->emulated[0])
		fprintf(out, "**times emulated (%s): compare counts only** - the runs were made in a "
			"guest (scripts/numa-vm.sh); its times say nothing about a real machine.\n\n",
			res->emulated);
	snprintf(path, sizeof(path), "%s/meta.json", res->dir);
	json = sb_read_text_file(path);
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

/*
 * Every comparison table of the report, built first and decided as one
 * family (Benjamini-Hochberg over all their ratio cells), then printed: the
 * summary's tallies and the blocks read the same verdicts, and the report's
 * number of tables does not raise its share of false marks.
 */
struct report_table {
	const struct sb_csv_doc *doc;
	const char *metric;
	bool seed;		/* by pattern against ttl: the summary tallies it */
	bool built;
	struct sb_cmp cmp;
	char err[1024];		/* !built: why not compared */
};

struct report_tables {
	struct report_table *t;
	int n, cap;
	int nr_cells;		/* the family's size */
};

/*
 * Besides throughput, the costs the ttl/sb argument is about: RMWs on the lock
 * word, the plain reads a failed test-first trylock adds (qspin, ticket), and
 * lock_stat's acquisition bounces.
 */
/* lock --coherence: line transfers per contended acquisition, the seed's own unit */
#define SEED_COHERENCE_METRIC	"xfers_per_con_acq"

static const char *const cost_metrics[] = {
	"rmw_per_acq", "test_reads_per_acq", "acq_bounces_per_acq", NULL
};

static void table_add(struct report_tables *rt, const struct sb_csv_doc *doc,
		      const struct sb_cmp_opts *o, bool seed)
{
	struct report_table *t;

	if (!o->metric || !sb_runs_has_figure(doc, o->metric) || !doc->nr_rows)
		return;
	if (rt->n == rt->cap) {
		rt->cap = rt->cap ? 2 * rt->cap : 8;
		rt->t = sb_xrealloc(rt->t, (size_t)rt->cap * sizeof(*rt->t));
	}
	t = &rt->t[rt->n++];
	memset(t, 0, sizeof(*t));
	t->doc = doc;
	t->metric = o->metric;
	t->seed = seed;
	t->built = sb_cmp_build(doc, o, &t->cmp, t->err, sizeof(t->err)) >= 0;
}

/* Allocator comparison against glibc malloc, what users have by default. */
static void allocator_table(struct report_tables *rt, const struct sb_csv_doc *doc)
{
	struct sb_cmp_opts o = { .metric = sb_runs_throughput_metric(doc), .by = "allocator" };
	int c = sb_csv_col(doc, "allocator");
	bool glibc = false;

	if (c < 0)
		return;
	for (int r = 0; r < doc->nr_rows; r++)
		glibc |= !strcmp(sb_csv_cell(doc, r, c), "glibc");
	o.baseline = glibc ? "glibc" : NULL;
	table_add(rt, doc, &o, false);
}

static void tables_build(const struct sb_rundir *res, struct report_tables *rt)
{
	struct sb_cmp **ptrs;
	int n = 0;

	memset(rt, 0, sizeof(*rt));
	for (int i = 0; i < res->nr_docs; i++) {
		const struct sb_csv_doc *doc = res->docs[i];
		struct sb_cmp_opts o = { .metric = SEED_COHERENCE_METRIC };

		table_add(rt, doc, &o, true);	/* first where present: nothing if absent */
		o.metric = sb_runs_throughput_metric(doc);
		table_add(rt, doc, &o, true);
		for (int m = 0; cost_metrics[m]; m++) {
			o.metric = cost_metrics[m];
			table_add(rt, doc, &o, true);
		}
		allocator_table(rt, doc);
	}
	ptrs = sb_xcalloc(rt->n ? rt->n : 1, sizeof(*ptrs));
	for (int i = 0; i < rt->n; i++)
		if (rt->t[i].built)
			ptrs[n++] = &rt->t[i].cmp;
	sb_cmp_decide(ptrs, n);
	if (n)
		rt->nr_cells = ptrs[0]->fam.size;
	free(ptrs);
}

static void tables_free(struct report_tables *rt)
{
	for (int i = 0; i < rt->n; i++)
		if (rt->t[i].built)
			sb_cmp_free(&rt->t[i].cmp);
	free(rt->t);
}

static void blocks_section(const struct sb_rundir *res, const struct report_tables *rt,
			   FILE *out)
{
	fprintf(out, "## Comparisons (paste-ready for a changelog)\n\n");
	for (int i = 0; i < rt->n; i++) {
		const struct report_table *t = &rt->t[i];

		if (!t->built) {
			fprintf(out, "%s: not compared: %s\n\n", t->metric, t->err);
			continue;
		}
		fprintf(out, "### %s: %s by %s\n\n```\n", t->cmp.workload, t->metric, t->cmp.by);
		sb_cmp_print_text(&t->cmp, res->machine, out);
		fprintf(out, "```\n\n");
	}
}

/* ---- the seed's question: is sb (or tro) better than ttl? ---- */

#define SEED_BASELINE	"ttl"

/* The patterns set against ttl: every other one but the lock() control (id 0). */
static bool is_challenger(const char *level)
{
#define CHALLENGER(name, id, what)						\
	if (id != 0 && strcmp(#name, SEED_BASELINE) && !strcmp(level, #name))	\
		return true;
	SB_FOR_EACH_PATTERN(CHALLENGER)
#undef CHALLENGER
	return false;
}

/* "sb and tro": the challengers, in pattern_list.h order. */
static void print_challengers(FILE *out)
{
	static const char *const names[] = {
#define PATTERN_NAME(name, id, what) #name,
		SB_FOR_EACH_PATTERN(PATTERN_NAME)
#undef PATTERN_NAME
	};
	int n = 0, printed = 0;

	for (int i = 0; i < SB_NR_PATTERNS; i++)
		n += is_challenger(names[i]);
	for (int i = 0; i < SB_NR_PATTERNS; i++) {
		if (!is_challenger(names[i]))
			continue;
		printed++;
		fprintf(out, "%s%s", printed == 1 ? "" : printed == n ? " and " : ", ", names[i]);
	}
}

struct tally {
	int verdicts[4];	/* indexed by enum sb_verdict */
	double lo, hi;		/* range of the ratios' point estimates */
};

static void tally_level(const struct sb_cmp *cmp, int l, struct tally *t)
{
	memset(t, 0, sizeof(*t));
	t->lo = INFINITY;
	t->hi = -INFINITY;
	for (int b = 0; b < cmp->nr_blocks; b++)
		for (int r = 0; r < cmp->blocks[b].nr_rows; r++) {
			const struct sb_cmp_cell *c = &cmp->blocks[b].rows[r].cells[l];

			t->verdicts[c->all.verdict]++;
			if (isfinite(c->all.ci.est)) {
				t->lo = fmin(t->lo, c->all.ci.est);
				t->hi = fmax(t->hi, c->all.ci.est);
			}
		}
}

static void tally_line(const struct sb_cmp *cmp, int l, FILE *out)
{
	const char *m = cmp->metric;
	struct tally t;

	tally_level(cmp, l, &t);
	fprintf(out, "- %s, %s, %s/%s: %s in %d, %s in %d, no difference shown in %d,"
		" undecided in %d configurations", cmp->workload, m, cmp->levels[l],
		cmp->levels[cmp->base],
		sb_verdict_word(SB_VERDICT_BETTER, m), t.verdicts[SB_VERDICT_BETTER],
		sb_verdict_word(SB_VERDICT_WORSE, m), t.verdicts[SB_VERDICT_WORSE],
		t.verdicts[SB_VERDICT_SAME], t.verdicts[SB_VERDICT_UNKNOWN]);
	if (t.lo <= t.hi)
		fprintf(out, "; ratios %.2f to %.2f", t.lo, t.hi);
	fprintf(out, "\n");
}

/*
 * The seed's question in its own unit: how many more line transfers per
 * contended acquisition ttl makes than a challenger: the difference of the two
 * medians in each configuration, and whether its sign is the same in all.
 */
static void xfers_sentence(const struct sb_cmp *cmp, int l, FILE *out)
{
	double lo = INFINITY, hi = -INFINITY;
	int n = 0;

	for (int b = 0; b < cmp->nr_blocks; b++)
		for (int r = 0; r < cmp->blocks[b].nr_rows; r++) {
			const struct sb_cmp_cell *c = cmp->blocks[b].rows[r].cells;
			double d = c[cmp->base].med.est - c[l].med.est;

			if (isfinite(d)) {
				lo = fmin(lo, d);
				hi = fmax(hi, d);
			}
		}
	if (lo > hi)
		return;
	fprintf(out, "  In the coherence model %s makes %s line transfers per contended"
		" acquisition than %s (median %s minus median %s:", cmp->levels[cmp->base],
		lo > 0 ? "more" : hi < 0 ? "fewer" : "sometimes more, sometimes fewer",
		cmp->levels[l], cmp->levels[cmp->base], cmp->levels[l]);
	for (int b = 0; b < cmp->nr_blocks; b++)
		for (int r = 0; r < cmp->blocks[b].nr_rows; r++) {
			const struct sb_cmp_cell *c = cmp->blocks[b].rows[r].cells;
			double d = c[cmp->base].med.est - c[l].med.est;
			const char *t = cmp->blocks[b].title + strspn(cmp->blocks[b].title, " ");
			const char *lb = cmp->blocks[b].nr_rows > 1 ? cmp->blocks[b].rows[r].label : "";

			if (isfinite(d))
				fprintf(out, "%s%s%s%s%s%s %+.2f", n++ ? ", " : " ", t,
					*t && *lb ? " " : "", *lb && *t ? cmp->row_param : "",
					*lb && *t ? " " : "", lb, d);
		}
	fprintf(out, ").\n");
}

/* Verdicts of the tables against ttl by pattern, decided with the whole report. */
static void summary_section(const struct report_tables *rt, FILE *out)
{
	fprintf(out, "## " SEED_BASELINE " against ");
	print_challengers(out);
	fprintf(out, ", in short\n\n"
		"Does trylock-then-lock (ttl) cost more than separate branches (sb) or a"
		" read-only wait (tro)?  Verdicts over every configuration below"
		" (undecided: too few paired reps for any verdict, or a zero ttl"
		" median):\n\n");
	for (int i = 0; i < rt->n; i++) {
		const struct sb_cmp *cmp = &rt->t[i].cmp;

		if (!rt->t[i].built || !rt->t[i].seed || strcmp(cmp->levels[cmp->base], SEED_BASELINE))
			continue;
		for (int l = 0; l < cmp->nr_levels; l++) {
			if (l == cmp->base || !is_challenger(cmp->levels[l]))
				continue;
			tally_line(cmp, l, out);
			if (!strcmp(rt->t[i].metric, SEED_COHERENCE_METRIC))
				xfers_sentence(cmp, l, out);
		}
	}
	fprintf(out, "\n");
}

static int is_png(const struct dirent *d)
{
	return sb_has_suffix(d->d_name, ".png");
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
	int *idx;

	fprintf(out, "%s: %d runs\n\n", base ? base + 1 : doc->path, doc->nr_rows);
	if (vc < 0 || !doc->nr_rows)
		return;
	idx = sb_runs_rows_by(doc, vc);
	fprintf(out, "| variant | reps |\n|---|---|");
	for (int i = 0; i < doc->nr_rows; i++) {
		const char *v = sb_csv_cell(doc, idx[i], vc);

		if (!i || strcmp(v, sb_csv_cell(doc, idx[i - 1], vc)))
			fprintf(out, "%s\n| `%s` |", i ? " |" : "", v);
		fprintf(out, " %s", rc >= 0 ? sb_csv_cell(doc, idx[i], rc) : "?");
	}
	fprintf(out, " |\n\n");
	free(idx);
}

static void runs_section(const struct sb_rundir *res, FILE *out)
{
	char path[4200];
	char *errors;

	fprintf(out, "## Runs\n\n");
	for (int i = 0; i < res->nr_docs; i++)
		runs_of_doc(res->docs[i], out);
	snprintf(path, sizeof(path), "%s/errors.log", res->dir);
	errors = sb_read_text_file(path);
	if (errors && *errors)
		fprintf(out, "## Failed runs (errors.log)\n\n```\n%s%s```\n", errors,
			sb_has_suffix(errors, "\n") ? "" : "\n");
	else
		fprintf(out, "## Failed runs\n\nNone (errors.log is empty or absent).\n");
	free(errors);
}

static void write_body(const struct sb_rundir *res, FILE *out)
{
	const char *name = strrchr(res->dir, '/');
	struct report_tables rt;

	tables_build(res, &rt);

	fprintf(out, "# sheafbench results: %s\n\n", name ? name + 1 : res->dir);
	fprintf(out, "Medians of the repetitions with 95%% percentile-bootstrap intervals;"
		" ratios are medians of the per-rep ratios (paired) with exact sign-test"
		" intervals, and a ratio gets a verdict only when it survives"
		" Benjamini-Hochberg (FDR %.0f%%) over the ratios of every table of this"
		" report together, one family (%d ratio%s; each table's header repeats"
		" the family), so adding tables does not add false marks; each '='"
		" shows the smallest change it would have detected.\n\n", 100 * SB_VD_FDR,
		rt.nr_cells, rt.nr_cells == 1 ? "" : "s");
	machine_section(res, out);
	summary_section(&rt, out);
	blocks_section(res, &rt, out);
	plots_section(res, out);
	runs_section(res, out);
	tables_free(&rt);
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
	const char *dir = NULL;
	struct sb_option opts[] = {
		SB_OPT_ARG("RESULTS_DIR", &dir, "a results directory"),
		SB_OPT_END,
	};
	struct sb_rundir res;
	char err[1024];

	if (sb_parse_options(argv[0], opts, argc, argv,
			     "usage: sheafbench report RESULTS_DIR\n"
			     "  Writes RESULTS_DIR/report.md: machine, changelog blocks for\n"
			     "  throughput, RMWs and bounces, the plots, the runs and failures.")
	    == SB_OPTIONS_HELP)
		return 0;
	if (!dir)
		sb_die_usage(argv[0], "RESULTS_DIR: missing (see --help)");
	if (sb_rundir_load(dir, &res, err, sizeof(err)) < 0)
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
