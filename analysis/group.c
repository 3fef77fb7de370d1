/*
 * group.c - group the runs of one runs file for comparison: the levels of
 * the compared dimension (baseline first), the key columns that identify a
 * configuration, the block (non-row parameters) and row (the row parameter)
 * each run belongs to, and the values of one metric in each cell.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "pattern_list.h"

/* "lock", or "churn+nmi" when a runs file holds several workloads */
static char *workloads_of(const struct sb_csv_doc *doc)
{
	int wc = sb_csv_col(doc, "workload"), *idx;
	char buf[256] = "";

	if (!doc->nr_rows)
		return sb_xstrdup("none");
	idx = sb_runs_rows_by(doc, wc);
	for (int i = 0; i < doc->nr_rows; i++) {
		const char *w = sb_csv_cell(doc, idx[i], wc);

		if (!i || strcmp(w, sb_csv_cell(doc, idx[i - 1], wc)))
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? "+" : "", w);
	}
	free(idx);
	return sb_xstrdup(buf);
}

/* "cs_ns" "50" -> "cs 50ns"; "kind" "qspin" -> "kind qspin" */
static void param_words(const char *name, const char *val, char *out, size_t len)
{
	static const char *const units[] = { "_ns", "_us", "_ms", "_s", NULL };

	for (int i = 0; units[i]; i++)
		if (sb_has_suffix(name, units[i]) && strlen(name) > strlen(units[i])) {
			snprintf(out, len, "%.*s %s%s", (int)(strlen(name) - strlen(units[i])),
				 name, val, units[i] + 1);
			return;
		}
	snprintf(out, len, "%s %s", name, val);
}

/*
 * Append to a key or label.  Keys identify configurations, so a truncated
 * one could merge two of them: refuse instead (only absurd files get there).
 */
static void append(char *buf, size_t len, const char *sep, const char *s)
{
	size_t n = strlen(buf);

	if ((size_t)snprintf(buf + n, len - n, "%s%s", n ? sep : "", s) >= len - n) {
		fprintf(stderr, "sheafbench: parameter values longer than %zu characters;"
			" cannot group the runs\n", len);
		exit(2);
	}
}

static int count_distinct(const struct sb_csv_doc *doc, int c)
{
	int *idx = sb_runs_rows_by(doc, c), n = doc->nr_rows > 0;

	for (int i = 1; i < doc->nr_rows; i++)
		n += strcmp(sb_csv_cell(doc, idx[i - 1], c), sb_csv_cell(doc, idx[i], c)) != 0;
	free(idx);
	return n;
}

static bool has_na(const struct sb_csv_doc *doc, int c)
{
	for (int r = 0; r < doc->nr_rows; r++)
		if (!strcmp(sb_csv_cell(doc, r, c), "n/a"))
			return true;
	return false;
}

/*
 * Baseline first, then the patterns in pattern_list.h order with the
 * always-lock() control (id 0) after the others, then other values by name.
 */
static int level_rank(const char *v)
{
#define PATTERN_RANK(name, id, what)						\
	if (!strcmp(v, #name))							\
		return id ? id - 1 : SB_NR_PATTERNS - 1;
	SB_FOR_EACH_PATTERN(PATTERN_RANK)
#undef PATTERN_RANK
	return 100;
}

static const char *sort_base;

static int level_cmp(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	int rx, ry;

	if (sort_base && (!strcmp(x, sort_base) || !strcmp(y, sort_base)))
		return strcmp(x, sort_base) ? 1 : strcmp(y, sort_base) ? -1 : 0;
	rx = level_rank(x);
	ry = level_rank(y);
	if (rx != ry)
		return rx - ry;
	return strcmp(x, y);
}

static int collect_levels(struct sb_cmp *cmp, int bc, const char *baseline,
			  char *err, size_t len)
{
	const struct sb_csv_doc *doc = cmp->doc;

	cmp->levels = sb_xcalloc(doc->nr_rows, sizeof(char *));
	for (int r = 0; r < doc->nr_rows; r++) {
		const char *v = sb_csv_cell(doc, r, bc);
		int i;

		for (i = 0; i < cmp->nr_levels; i++)
			if (!strcmp(cmp->levels[i], v))
				break;
		if (i == cmp->nr_levels)
			cmp->levels[cmp->nr_levels++] = sb_xstrdup(v);
	}
	sort_base = baseline ? baseline : "ttl";
	qsort(cmp->levels, cmp->nr_levels, sizeof(char *), level_cmp);
	sort_base = NULL;
	cmp->base = 0;
	if (baseline && (!cmp->nr_levels || strcmp(cmp->levels[0], baseline))) {
		char have[512] = "";

		for (int i = 0; i < cmp->nr_levels && strlen(have) + 64 < sizeof(have); i++)
			snprintf(have + strlen(have), sizeof(have) - strlen(have), "%s%s",
				 i ? ", " : "", cmp->levels[i]);
		return sb_err_not_applicable(err, len,
					     "--baseline: '%s' is not a value of column %s in %s (values: %s)",
					     baseline, cmp->by, doc->path, have);
	}
	return 0;
}

static int level_index(const struct sb_cmp *cmp, const char *v)
{
	for (int i = 0; i < cmp->nr_levels; i++)
		if (!strcmp(cmp->levels[i], v))
			return i;
	return -1;
}

struct key_cols {
	int *cols;		/* doc column of each key column */
	int nr;
	int row;		/* index into cols of the row parameter, -1: none */
	bool *varies;
};

static void choose_key_cols(struct sb_cmp *cmp, struct key_cols *k, int bc)
{
	const struct sb_csv_doc *doc = cmp->doc;

	k->cols = sb_xcalloc(doc->nr_cols, sizeof(int));
	k->varies = sb_xcalloc(doc->nr_cols, sizeof(bool));
	k->nr = 0;
	for (int c = 0; c < doc->nr_cols; c++) {
		int distinct;

		if (c == bc || !sb_runs_is_param(doc, c))
			continue;
		/*
		 * A parameter that applies to some variants only (sheaf_capacity
		 * is n/a for glibc, jemalloc, ...) must not split them into
		 * different configurations when it has one value wherever it applies.
		 */
		distinct = count_distinct(doc, c);
		if (distinct <= 2 && has_na(doc, c))
			continue;
		k->varies[k->nr] = distinct > 1;
		k->cols[k->nr++] = c;
	}
	cmp->key_cols = sb_xcalloc(k->nr, sizeof(char *));
	cmp->nr_key_cols = k->nr;
	for (int i = 0; i < k->nr; i++)
		cmp->key_cols[i] = sb_xstrdup(doc->cols[k->cols[i]]);
}

static int choose_row_param(struct sb_cmp *cmp, struct key_cols *k, const char *want,
			    char *err, size_t len)
{
	const struct sb_csv_doc *doc = cmp->doc;

	k->row = -1;
	for (int i = 0; i < k->nr; i++) {
		const char *name = doc->cols[k->cols[i]];

		if (want ? !strcmp(name, want) : k->varies[i] && !strcmp(name, "threads"))
			k->row = i;
	}
	/* no threads axis: rows along the first parameter that varies */
	for (int i = 0; !want && k->row < 0 && i < k->nr; i++)
		if (k->varies[i])
			k->row = i;
	if (want && k->row < 0)
		return sb_err_not_applicable(err, len, "--rows: '%s' is not a parameter column of %s",
					     want, doc->path);
	cmp->row_param = sb_xstrdup(k->row >= 0 ? doc->cols[k->cols[k->row]] : "all");
	return 0;
}

static void describe_fixed(struct sb_cmp *cmp, const struct key_cols *k)
{
	char buf[1024] = "", w[256];

	for (int i = 0; i < k->nr; i++) {
		const char *name = cmp->doc->cols[k->cols[i]];

		if (k->varies[i] || i == k->row || !strcmp(name, "workload"))
			continue;
		param_words(name, sb_csv_cell(cmp->doc, 0, k->cols[i]), w, sizeof(w));
		append(buf, sizeof(buf), ", ", w);
	}
	cmp->fixed = sb_xstrdup(buf);
}

static void block_of_row(const struct sb_cmp *cmp, const struct key_cols *k, int r,
			 char *title, char *tag, size_t len)
{
	char w[256];

	title[0] = tag[0] = '\0';
	for (int i = 0; i < k->nr; i++) {
		const char *name = cmp->doc->cols[k->cols[i]];
		const char *v = sb_csv_cell(cmp->doc, r, k->cols[i]);

		if (!k->varies[i] || i == k->row)
			continue;
		param_words(name, v, w, sizeof(w));
		append(title, len, ", ", w);
		snprintf(w, sizeof(w), "%s=%s", name, v);
		append(tag, len, ",", w);
	}
	if (!tag[0])
		snprintf(tag, len, "all");
}

static struct sb_cmp_block *find_block(struct sb_cmp *cmp, const char *title, const char *tag)
{
	for (int i = 0; i < cmp->nr_blocks; i++)
		if (!strcmp(cmp->blocks[i].tag, tag))
			return &cmp->blocks[i];
	cmp->blocks[cmp->nr_blocks].title = sb_xstrdup(title);
	cmp->blocks[cmp->nr_blocks].tag = sb_xstrdup(tag);
	cmp->blocks[cmp->nr_blocks].rows = sb_xcalloc(cmp->doc->nr_rows, sizeof(struct sb_cmp_row));
	return &cmp->blocks[cmp->nr_blocks++];
}

static struct sb_cmp_row *find_row(struct sb_cmp *cmp, struct sb_cmp_block *b,
				   const struct key_cols *k, int r)
{
	char key[2048] = "";
	struct sb_cmp_row *row;

	for (int i = 0; i < k->nr; i++)
		append(key, sizeof(key), "\x1f", sb_csv_cell(cmp->doc, r, k->cols[i]));
	for (int i = 0; i < b->nr_rows; i++)
		if (!strcmp(b->rows[i].key, key))
			return &b->rows[i];
	row = &b->rows[b->nr_rows++];
	row->key = sb_xstrdup(key);
	row->label = sb_xstrdup(k->row >= 0 ? sb_csv_cell(cmp->doc, r, k->cols[k->row]) : "all");
	row->params = sb_xcalloc(k->nr, sizeof(char *));
	for (int i = 0; i < k->nr; i++)
		row->params[i] = sb_xstrdup(sb_csv_cell(cmp->doc, r, k->cols[i]));
	row->cells = sb_xcalloc(cmp->nr_levels, sizeof(struct sb_cmp_cell));
	for (int l = 0; l < cmp->nr_levels; l++) {
		row->cells[l].v = sb_xcalloc(cmp->doc->nr_rows, sizeof(double));
		row->cells[l].rep = sb_xcalloc(cmp->doc->nr_rows, sizeof(int));
		row->cells[l].disturbed = sb_xcalloc(cmp->doc->nr_rows, sizeof(bool));
	}
	return row;
}

/*
 * wild[l * k->nr + i]: key column i is n/a in every row of level l, so that
 * parameter does not apply to l (sheaf_capacity for glibc, jemalloc, ...).
 */
static bool *inapplicable_params(const struct sb_cmp *cmp, const struct key_cols *k, int bc)
{
	const struct sb_csv_doc *doc = cmp->doc;
	bool *wild = sb_xcalloc((size_t)cmp->nr_levels * (k->nr ? k->nr : 1), sizeof(bool));

	for (int l = 0; l < cmp->nr_levels; l++)
		for (int i = 0; i < k->nr; i++)
			wild[l * k->nr + i] = true;
	for (int r = 0; r < doc->nr_rows; r++) {
		int l = level_index(cmp, sb_csv_cell(doc, r, bc));

		for (int i = 0; i < k->nr; i++)
			if (strcmp(sb_csv_cell(doc, r, k->cols[i]), "n/a"))
				wild[l * k->nr + i] = false;
	}
	return wild;
}

static bool row_has_wildcard(const struct key_cols *k, const bool *wild, int l)
{
	for (int i = 0; i < k->nr; i++)
		if (wild[l * k->nr + i])
			return true;
	return false;
}

/* One run: its value, the rep it ran in (for pairing), whether it was disturbed. */
struct run {
	double v;
	int rep;
	bool disturbed;
};

static void cell_add(struct sb_cmp_row *row, int l, const struct run *run)
{
	struct sb_cmp_cell *cell = &row->cells[l];

	if (isnan(run->v))
		return;
	cell->v[cell->n] = run->v;
	cell->rep[cell->n] = run->rep;
	cell->disturbed[cell->n++] = run->disturbed;
}

/* The rep number of row r; -1 if the file has none (or it is not a count). */
static int rep_of(const struct sb_csv_doc *doc, int r)
{
	int c = sb_csv_col(doc, "rep");
	const char *s = c >= 0 ? sb_csv_cell(doc, r, c) : "";
	char *end;
	long v = strtol(s, &end, 10);

	return *s && !*end && v >= 0 && v < 1000000000 ? (int)v : -1;
}

/*
 * A run of level l whose inapplicable parameters are n/a joins every
 * configuration that matches it on the others: glibc's churn runs are the
 * baseline for sheaf at every sheaf_capacity.  False if there is none.
 */
static bool add_to_matching(struct sb_cmp *cmp, const struct key_cols *k, const bool *wild,
			    int r, int l, const struct run *run)
{
	bool found = false;

	for (int b = 0; b < cmp->nr_blocks; b++) {
		for (int j = 0; j < cmp->blocks[b].nr_rows; j++) {
			struct sb_cmp_row *row = &cmp->blocks[b].rows[j];
			bool match = true;

			for (int i = 0; i < k->nr && match; i++)
				match = wild[l * k->nr + i] ||
					!strcmp(row->params[i], sb_csv_cell(cmp->doc, r, k->cols[i]));
			if (match) {
				cell_add(row, l, run);
				found = true;
			}
		}
	}
	return found;
}

static int fill_cells(struct sb_cmp *cmp, const struct key_cols *k, int bc, int mc,
		      char *err, size_t len)
{
	const struct sb_csv_doc *doc = cmp->doc;
	bool *wild = inapplicable_params(cmp, k, bc);

	cmp->blocks = sb_xcalloc(doc->nr_rows, sizeof(struct sb_cmp_block));
	/* pass 0: runs every parameter applies to; pass 1: the others join them */
	for (int pass = 0; pass < 2; pass++) {
		for (int r = 0; r < doc->nr_rows; r++) {
			int l = level_index(cmp, sb_csv_cell(doc, r, bc));
			char title[1024], tag[1024];
			struct run run = { .rep = rep_of(doc, r), .disturbed = cmp->dist.row[r] };

			if (row_has_wildcard(k, wild, l) != (pass == 1))
				continue;
			if (sb_runs_value(doc, r, mc, &run.v, err, len) < 0) {
				free(wild);
				return -1;
			}
			if (pass == 1 && add_to_matching(cmp, k, wild, r, l, &run))
				continue;
			block_of_row(cmp, k, r, title, tag, sizeof(title));
			cell_add(find_row(cmp, find_block(cmp, title, tag), k, r), l, &run);
		}
	}
	free(wild);
	return 0;
}

int sb_cmp_group(struct sb_cmp *cmp, const struct sb_cmp_opts *o, int bc, int mc,
		 char *err, size_t len)
{
	struct key_cols k = { 0 };
	int rc = collect_levels(cmp, bc, o->baseline, err, len);

	if (!rc) {
		choose_key_cols(cmp, &k, bc);
		rc = choose_row_param(cmp, &k, o->rows, err, len);
	}
	if (!rc) {
		describe_fixed(cmp, &k);
		cmp->workload = workloads_of(cmp->doc);
		sb_disturb_find(cmp->doc, &cmp->dist);
		rc = fill_cells(cmp, &k, bc, mc, err, len);
	}
	free(k.cols);
	free(k.varies);
	return rc;
}
