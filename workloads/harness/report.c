/*
 * report.c - one table of runs (rows) by named columns, printed as a readable
 * table, csv (header row, then one row per run) or json (array of objects).
 *
 * Columns keep the order in which they were first set.  A cell never set in a
 * row, or set with sb_report_na(), or a non-finite double, prints as n/a (csv,
 * table) or null (json): an unmeasured value is never shown as 0.
 */
#include "harness.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum cell_kind { CELL_EMPTY, CELL_NA, CELL_STR, CELL_U64, CELL_F64 };

struct cell {
	enum cell_kind kind;
	char *s;
	uint64_t u;
	double f;
};

struct row {
	struct cell *cells;       /* indexed by column; ncells may lag behind ncols */
	int ncells;
};

struct sb_report {
	char **cols;
	int ncols, cap_cols;
	struct row *rows;
	int nrows, cap_rows;
};

static void *grow(void *p, int *cap, int need, size_t elem)
{
	int cap2;

	if (need <= *cap)
		return p;
	cap2 = *cap ? *cap * 2 : 8;
	while (cap2 < need)
		cap2 *= 2;
	p = realloc(p, cap2 * elem);
	if (!p) {
		perror("sheafbench: report");
		abort();
	}
	memset((char *)p + *cap * elem, 0, (cap2 - *cap) * elem);
	*cap = cap2;
	return p;
}

struct sb_report *sb_report_new(void)
{
	struct sb_report *r = calloc(1, sizeof(*r));

	if (!r) {
		perror("sheafbench: report");
		abort();
	}
	return r;
}

void sb_report_row(struct sb_report *r)
{
	r->rows = grow(r->rows, &r->cap_rows, r->nrows + 1, sizeof(struct row));
	r->nrows++;
}

static int column_index(struct sb_report *r, const char *col)
{
	for (int i = 0; i < r->ncols; i++)
		if (!strcmp(r->cols[i], col))
			return i;
	r->cols = grow(r->cols, &r->cap_cols, r->ncols + 1, sizeof(char *));
	r->cols[r->ncols] = strdup(col);
	return r->ncols++;
}

/* The cell of column col in the current row (a first row is started if none). */
static struct cell *cell_for(struct sb_report *r, const char *col)
{
	int c = column_index(r, col);
	struct row *row;

	if (!r->nrows)
		sb_report_row(r);
	row = &r->rows[r->nrows - 1];
	row->cells = grow(row->cells, &row->ncells, c + 1, sizeof(struct cell));
	free(row->cells[c].s);
	row->cells[c].s = NULL;
	return &row->cells[c];
}

void sb_report_str(struct sb_report *r, const char *col, const char *v)
{
	struct cell *c = cell_for(r, col);

	c->kind = v ? CELL_STR : CELL_NA;
	c->s = v ? strdup(v) : NULL;
}

void sb_report_u64(struct sb_report *r, const char *col, uint64_t v)
{
	struct cell *c = cell_for(r, col);

	c->kind = CELL_U64;
	c->u = v;
}

void sb_report_f64(struct sb_report *r, const char *col, double v)
{
	struct cell *c = cell_for(r, col);

	c->kind = isfinite(v) ? CELL_F64 : CELL_NA;
	c->f = v;
}

void sb_report_na(struct sb_report *r, const char *col)
{
	cell_for(r, col)->kind = CELL_NA;
}

static const struct cell *cell_at(const struct sb_report *r, int row, int col)
{
	static const struct cell empty = { .kind = CELL_EMPTY };
	const struct row *rw = &r->rows[row];

	return col < rw->ncells ? &rw->cells[col] : &empty;
}

/*
 * Numbers: up to 4 significant digits below 10^4, whole numbers up to 10^15 (a
 * throughput of 12345678/s keeps its digits instead of becoming 1.235e+07).
 */
static const char *cell_text(const struct cell *c, char *buf, size_t len)
{
	switch (c->kind) {
	case CELL_STR:
		return c->s;
	case CELL_U64:
		snprintf(buf, len, "%" PRIu64, c->u);
		return buf;
	case CELL_F64:
		snprintf(buf, len, fabs(c->f) >= 1e4 && fabs(c->f) < 1e15 ? "%.0f" : "%.4g", c->f);
		return buf;
	default:
		return NULL;
	}
}

/* ---- table ---- */

static int text_width(const struct cell *c)
{
	char buf[64];
	const char *t = cell_text(c, buf, sizeof(buf));

	return (int)strlen(t ? t : "n/a");
}

static void print_single(const struct sb_report *r, FILE *f)
{
	int w = 0;
	char buf[64];

	for (int c = 0; c < r->ncols; c++)
		if ((int)strlen(r->cols[c]) > w)
			w = (int)strlen(r->cols[c]);
	for (int c = 0; c < r->ncols; c++) {
		const char *t = cell_text(cell_at(r, 0, c), buf, sizeof(buf));

		fprintf(f, "%-*s  %s\n", w, r->cols[c], t ? t : "n/a");
	}
}

static void print_table_line(const struct sb_report *r, int row, const int *w,
			     const bool *left, FILE *f)
{
	char buf[64];

	for (int c = 0; c < r->ncols; c++) {
		const char *t = row < 0 ? r->cols[c] : cell_text(cell_at(r, row, c), buf, sizeof(buf));

		int width = left[c] ? (c + 1 < r->ncols ? -w[c] : 0) : w[c];  /* no trailing blanks */

		fprintf(f, "%s%*s", c ? "  " : "", width, t ? t : "n/a");
	}
	fputc('\n', f);
}

static void print_table(const struct sb_report *r, FILE *f)
{
	int *w = calloc(r->ncols + 1, sizeof(int));
	bool *left = calloc(r->ncols + 1, sizeof(bool));

	if (!w || !left)
		abort();
	for (int c = 0; c < r->ncols; c++) {
		w[c] = (int)strlen(r->cols[c]);
		for (int row = 0; row < r->nrows; row++) {
			const struct cell *cl = cell_at(r, row, c);

			if (text_width(cl) > w[c])
				w[c] = text_width(cl);
			left[c] |= cl->kind == CELL_STR;
		}
	}
	for (int row = -1; row < r->nrows; row++)
		print_table_line(r, row, w, left, f);
	free(w);
	free(left);
}

/* ---- csv ---- */

static void print_csv_field(const char *s, FILE *f)
{
	size_t n = strlen(s);

	if (!strpbrk(s, ",\"\r\n") && !(n && (s[0] == ' ' || s[n - 1] == ' '))) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void print_csv(const struct sb_report *r, FILE *f)
{
	char buf[64];

	if (!r->ncols)
		return;
	for (int c = 0; c < r->ncols; c++) {
		fputs(c ? "," : "", f);
		print_csv_field(r->cols[c], f);
	}
	fputc('\n', f);
	for (int row = 0; row < r->nrows; row++) {
		for (int c = 0; c < r->ncols; c++) {
			const char *t = cell_text(cell_at(r, row, c), buf, sizeof(buf));

			fputs(c ? "," : "", f);
			print_csv_field(t ? t : "n/a", f);
		}
		fputc('\n', f);
	}
}

/* ---- json ---- */

void sb_json_string(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", f);
		else if (ch == '\t')
			fputs("\\t", f);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void print_json(const struct sb_report *r, FILE *f)
{
	char buf[64];

	fputc('[', f);
	for (int row = 0; row < r->nrows; row++) {
		fputs(row ? ",\n  {" : "\n  {", f);
		for (int c = 0; c < r->ncols; c++) {
			const struct cell *cl = cell_at(r, row, c);
			const char *t = cell_text(cl, buf, sizeof(buf));

			fputs(c ? ", " : "", f);
			sb_json_string(f, r->cols[c]);
			fputs(": ", f);
			if (!t)
				fputs("null", f);
			else if (cl->kind == CELL_STR)
				sb_json_string(f, t);
			else
				fputs(t, f);
		}
		fputc('}', f);
	}
	fputs(r->nrows ? "\n]\n" : "]\n", f);
}

void sb_report_print(const struct sb_report *r, enum sb_format fmt, FILE *f)
{
	if (fmt == SB_FMT_CSV)
		print_csv(r, f);
	else if (fmt == SB_FMT_JSON)
		print_json(r, f);
	else if (r->nrows == 1)
		print_single(r, f);
	else if (r->nrows > 1)
		print_table(r, f);
}

void sb_report_free(struct sb_report *r)
{
	if (!r)
		return;
	for (int row = 0; row < r->nrows; row++) {
		for (int c = 0; c < r->rows[row].ncells; c++)
			free(r->rows[row].cells[c].s);
		free(r->rows[row].cells);
	}
	for (int c = 0; c < r->ncols; c++)
		free(r->cols[c]);
	free(r->cols);
	free(r->rows);
	free(r);
}
