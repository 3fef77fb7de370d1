/*
 * runs_check.c - refuse a runs file that cannot be trusted, before anything
 * is computed from it, with one line naming FILE:LINE and the column:
 *   - a parameter that differs between the rows of one variant, or is n/a
 *     in some of them only: it would merge configurations or turn into a
 *     measurement, and verdicts would flip without a word;
 *   - a (variant, rep) that appears twice: its run would count twice;
 *   - numbers not written in decimal (0x10, inf, nan): strtod reads them,
 *     nothing that wrote a runs file writes them;
 *   - a negative throughput (*_per_s).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* [+-]digits[.digits][e[+-]digits], or [+-].digits[...] */
bool sb_is_decimal(const char *s)
{
	bool digits = false;

	if (*s == '+' || *s == '-')
		s++;
	for (; *s >= '0' && *s <= '9'; s++)
		digits = true;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			digits = true;
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return !*s;
}

/* A value strtod takes for a number that is not written in decimal. */
static bool is_odd_number(const char *s)
{
	char *end;

	if (!*s || !strcmp(s, "n/a") || sb_is_decimal(s))
		return false;
	strtod(s, &end);
	return !*end;
}

/* The most common value of column c among rows idx[from..to). */
static const char *usual_value(const struct sb_csv_doc *doc, const int *idx, int from, int to,
			       int c)
{
	const char *best = sb_csv_cell(doc, idx[from], c);
	int best_n = 0;

	for (int i = from; i < to; i++) {
		const char *v = sb_csv_cell(doc, idx[i], c);
		int n = 0;

		for (int j = from; j < to; j++)
			n += !strcmp(v, sb_csv_cell(doc, idx[j], c));
		if (n > best_n) {
			best_n = n;
			best = v;
		}
	}
	return best;
}

static int check_variant_params(const struct sb_csv_doc *doc, const int *idx, int from, int to,
				char *err, size_t len)
{
	int vc = sb_csv_col(doc, "variant");

	for (int c = sb_csv_col(doc, "workload"); c < doc->nr_cols; c++) {
		const char *usual;

		if (!sb_runs_is_param(doc, c))
			continue;
		usual = usual_value(doc, idx, from, to, c);
		for (int i = from; i < to; i++) {
			int r = idx[i];
			const char *v = sb_csv_cell(doc, r, c);

			if (strcmp(v, usual))
				return sb_err(err, len, "%s:%d: column %s: '%s' where the other runs"
					      " of variant %s have '%s' (a parameter must not vary)",
					      doc->path, doc->lines[r], doc->cols[c], v,
					      sb_csv_cell(doc, r, vc), usual);
		}
	}
	return 0;
}

/* Parameters: one value per variant. */
static int check_params(const struct sb_csv_doc *doc, char *err, size_t len)
{
	int vc = sb_csv_col(doc, "variant"), *idx, from = 0, rc = 0;

	if (vc < 0 || !doc->nr_rows)
		return 0;
	idx = sb_runs_rows_by(doc, vc);
	for (int i = 1; i <= doc->nr_rows && !rc; i++) {
		if (i < doc->nr_rows && !strcmp(sb_csv_cell(doc, idx[i], vc),
						sb_csv_cell(doc, idx[from], vc)))
			continue;
		rc = check_variant_params(doc, idx, from, i, err, len);
		from = i;
	}
	free(idx);
	return rc;
}

static const struct sb_csv_doc *dup_doc;
static int dup_vc, dup_rc;

static int variant_rep_order(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b, c;

	c = strcmp(sb_csv_cell(dup_doc, x, dup_vc), sb_csv_cell(dup_doc, y, dup_vc));
	if (!c)
		c = strcmp(sb_csv_cell(dup_doc, x, dup_rc), sb_csv_cell(dup_doc, y, dup_rc));
	return c ? c : x - y;
}

/* One row per (variant, rep). */
static int check_duplicates(const struct sb_csv_doc *doc, char *err, size_t len)
{
	int vc = sb_csv_col(doc, "variant"), rc = sb_csv_col(doc, "rep"), *idx, ret = 0;

	if (vc < 0 || rc < 0 || doc->nr_rows < 2)
		return 0;
	idx = sb_xcalloc(doc->nr_rows, sizeof(int));
	for (int r = 0; r < doc->nr_rows; r++)
		idx[r] = r;
	dup_doc = doc;
	dup_vc = vc;
	dup_rc = rc;
	qsort(idx, doc->nr_rows, sizeof(int), variant_rep_order);
	dup_doc = NULL;
	for (int i = 1; i < doc->nr_rows && !ret; i++) {
		int p = idx[i - 1], r = idx[i];

		if (!strcmp(sb_csv_cell(doc, p, vc), sb_csv_cell(doc, r, vc)) &&
		    !strcmp(sb_csv_cell(doc, p, rc), sb_csv_cell(doc, r, rc)))
			ret = sb_err(err, len, "%s:%d: column rep: variant %s rep %s appears twice"
				     " (also line %d)", doc->path, doc->lines[r],
				     sb_csv_cell(doc, r, vc), sb_csv_cell(doc, r, rc), doc->lines[p]);
	}
	free(idx);
	return ret;
}

/* Every cell: no hex or inf/nan numbers; throughputs not negative. */
static int check_numbers(const struct sb_csv_doc *doc, char *err, size_t len)
{
	for (int r = 0; r < doc->nr_rows; r++)
		for (int c = 0; c < doc->nr_cols; c++) {
			const char *v = sb_csv_cell(doc, r, c);

			if (is_odd_number(v))
				return sb_err(err, len, "%s:%d: column %s: '%s' is not a decimal"
					      " number", doc->path, doc->lines[r], doc->cols[c], v);
			if (sb_has_suffix(doc->cols[c], "_per_s") && sb_is_decimal(v) &&
			    strtod(v, NULL) < 0)
				return sb_err(err, len, "%s:%d: column %s: '%s' is a negative"
					      " throughput", doc->path, doc->lines[r],
					      doc->cols[c], v);
		}
	return 0;
}

int sb_runs_check(const struct sb_csv_doc *doc, char *err, size_t len)
{
	if (check_numbers(doc, err, len) < 0 || check_duplicates(doc, err, len) < 0)
		return -1;
	return check_params(doc, err, len);
}
