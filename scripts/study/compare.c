/*
 * compare.c - group the runs of a results directory into configurations and
 * compare the variants of one dimension (the pattern, by default) metric by
 * metric: medians, ratios to a baseline, bootstrap intervals, verdicts.
 *
 * A runs file has the columns study,variant,rep, then workload, pattern, the
 * workload's parameters, then its figures (HACKING.md).  Parameters are told
 * from figures by position and name, and by one property that does not depend
 * on names: a parameter has one value across all repetitions of a variant.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "study.h"

void *sb_cmp_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p) {
		fprintf(stderr, "sheafbench: out of memory\n");
		exit(1);
	}
	return p;
}

char *sb_cmp_strdup(const char *s)
{
	char *d = strdup(s);

	if (!d) {
		fprintf(stderr, "sheafbench: out of memory\n");
		exit(1);
	}
	return d;
}

/* "lock", or "churn+nmi" when a runs file holds several workloads */
static char *workloads_of(const struct sb_csv_doc *doc)
{
	int wc = sb_csv_col(doc, "workload"), *idx;
	char buf[256] = "";

	if (!doc->nr_rows)
		return sb_cmp_strdup("none");
	idx = sb_runs_rows_by(doc, wc);
	for (int i = 0; i < doc->nr_rows; i++) {
		const char *w = sb_csv_cell(doc, idx[i], wc);

		if (!i || strcmp(w, sb_csv_cell(doc, idx[i - 1], wc)))
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? "+" : "", w);
	}
	free(idx);
	return sb_cmp_strdup(buf);
}

static int set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* An option that does not fit this file (sb_cmp_build's -2), not bad data. */
static int not_applicable(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -2;
}

/* ---- which columns are parameters, which are figures ---- */

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static bool name_is_figure(const char *c)
{
	static const char *const parts[] = {
		"_per_", "bounces", "jain", "fairness", "share", "elapsed",
		"runtime", "overhead", "_p50", "_p90", "_p99", "_max_ns",
		"duration_s", "_time_s", NULL
	};
	static const char *const prefixes[] = {
		"wait_", "hold_", "lat_", "perf_", NULL
	};

	if (has_suffix(c, "_rate"))
		return true;
	for (int i = 0; parts[i]; i++)
		if (strstr(c, parts[i]))
			return true;
	for (int i = 0; prefixes[i]; i++)
		if (!strncmp(c, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

/* Row indices ordered by the values of one column, to find equal values fast. */
static const struct sb_csv_doc *order_doc;
static int order_col;

static int row_order(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	int c = strcmp(sb_csv_cell(order_doc, x, order_col), sb_csv_cell(order_doc, y, order_col));

	return c ? c : x - y;
}

/* Rows sorted by column c (stable); free() the result. */
int *sb_runs_rows_by(const struct sb_csv_doc *doc, int c)
{
	int *idx = sb_cmp_calloc(doc->nr_rows, sizeof(int));

	for (int r = 0; r < doc->nr_rows; r++)
		idx[r] = r;
	order_doc = doc;
	order_col = c;
	qsort(idx, doc->nr_rows, sizeof(int), row_order);
	order_doc = NULL;
	return idx;
}

/* Does column c take more than one value among the reps of one variant? */
static bool varies_within_variant(const struct sb_csv_doc *doc, const int *by_variant,
				  int vc, int c)
{
	for (int i = 1; i < doc->nr_rows; i++) {
		int p = by_variant[i - 1], r = by_variant[i];

		if (!strcmp(sb_csv_cell(doc, p, vc), sb_csv_cell(doc, r, vc)) &&
		    strcmp(sb_csv_cell(doc, p, c), sb_csv_cell(doc, r, c)))
			return true;
	}
	return false;
}

/* Index one past the last parameter column; computed once per file. */
static int first_figure_col(const struct sb_csv_doc *doc)
{
	int c = sb_csv_col(doc, "pattern") + 1, vc = sb_csv_col(doc, "variant");
	int *by_variant;

	if (doc->first_figure > 0)
		return doc->first_figure;
	by_variant = vc >= 0 ? sb_runs_rows_by(doc, vc) : NULL;
	while (c < doc->nr_cols && !name_is_figure(doc->cols[c]) &&
	       !(by_variant && varies_within_variant(doc, by_variant, vc, c)))
		c++;
	free(by_variant);
	((struct sb_csv_doc *)doc)->first_figure = c;	/* a cache, not a change */
	return c;
}

static bool is_param_col(const struct sb_csv_doc *doc, int c)
{
	if (c == sb_csv_col(doc, "workload") || c == sb_csv_col(doc, "pattern"))
		return true;
	return c > sb_csv_col(doc, "pattern") && c < first_figure_col(doc);
}

bool sb_runs_has_figure(const struct sb_csv_doc *doc, const char *metric)
{
	int c = sb_csv_col(doc, metric);

	return c >= 0 && c >= first_figure_col(doc);
}

const char *sb_runs_throughput_metric(const struct sb_csv_doc *doc)
{
	if (sb_runs_has_figure(doc, "acq_per_s"))
		return "acq_per_s";
	for (int c = first_figure_col(doc); c < doc->nr_cols; c++)
		if (has_suffix(doc->cols[c], "_per_s"))
			return doc->cols[c];
	return NULL;
}

/* "n/a" and "" are not measured (NaN); anything else must be a number. */
static int parse_value(const struct sb_csv_doc *doc, int r, int c, double *v,
		       char *err, size_t len)
{
	const char *s = sb_csv_cell(doc, r, c);
	char *end;

	if (!*s || !strcmp(s, "n/a")) {
		*v = NAN;
		return 0;
	}
	errno = 0;
	*v = strtod(s, &end);
	if (end == s || *end || errno == ERANGE || !isfinite(*v))
		return set_err(err, len, "%s:%d: column %s: '%s' is not a number or n/a",
			       doc->path, doc->lines[r], doc->cols[c], s);
	return 0;
}

/* ---- the results directory ---- */

static int runs_file_order(const struct dirent **a, const struct dirent **b)
{
	/* runs.csv first, then runs-<workload>.csv by name */
	bool ma = !strcmp((*a)->d_name, "runs.csv"), mb = !strcmp((*b)->d_name, "runs.csv");

	if (ma != mb)
		return ma ? -1 : 1;
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_runs_file(const struct dirent *d)
{
	return !strncmp(d->d_name, "runs", 4) && has_suffix(d->d_name, ".csv") &&
	       (d->d_name[4] == '.' || d->d_name[4] == '-');
}

static int check_runs_columns(const struct sb_csv_doc *doc, char *err, size_t len)
{
	int w = sb_csv_col(doc, "workload"), p = sb_csv_col(doc, "pattern");

	if (w < 0 || p < 0)
		return set_err(err, len, "%s:1: header lacks the workload and pattern columns",
			       doc->path);
	if (p < w)
		return set_err(err, len, "%s:1: column pattern comes before workload", doc->path);
	return 0;
}

static int load_doc(struct sb_rundir *res, const char *path, char *err, size_t len)
{
	struct sb_csv_doc *doc = sb_csv_load(path, err, len);

	if (!doc)
		return -1;
	if (check_runs_columns(doc, err, len) < 0) {
		sb_csv_doc_free(doc);
		return -1;
	}
	res->docs = realloc(res->docs, (res->nr_docs + 1) * sizeof(*res->docs));
	if (!res->docs) {
		fprintf(stderr, "sheafbench: out of memory\n");
		exit(1);
	}
	res->docs[res->nr_docs++] = doc;
	return 0;
}

static int load_dir(struct sb_rundir *res, const char *dir, char *err, size_t len)
{
	struct dirent **list;
	int n = scandir(dir, &list, is_runs_file, runs_file_order), rc = 0;

	if (n < 0)
		return set_err(err, len, "%s: %s", dir, strerror(errno));
	for (int i = 0; i < n; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		if (!rc)
			rc = load_doc(res, path, err, len);
		free(list[i]);
	}
	free(list);
	if (!rc && !res->nr_docs)
		return set_err(err, len, "%s: no runs.csv (not a results directory?)", dir);
	return rc;
}

/*
 * Minimal JSON lookup: the first member named key anywhere in the text.
 * Strings come back unescaped (\" and \\ only; meta.json holds plain text),
 * numbers and true/false/null as written; objects and arrays are not values.
 */
static const char *json_string_end(const char *p)
{
	for (; *p && *p != '"'; p++)
		if (*p == '\\' && p[1])
			p++;
	return p;
}

static void json_copy_string(const char *s, const char *e, char *out, size_t len)
{
	size_t n = 0;

	for (; s < e && n + 1 < len; s++) {
		if (*s == '\\' && s + 1 < e)
			s++;
		out[n++] = *s;
	}
	out[n] = '\0';
}

bool sb_json_lookup(const char *json, const char *key, char *out, size_t len)
{
	size_t klen = strlen(key);

	for (const char *p = json; *p; p++) {
		const char *s, *e;

		if (*p != '"')
			continue;
		s = p + 1;
		e = json_string_end(s);
		if (!*e)
			return false;
		p = e;
		if ((size_t)(e - s) != klen || strncmp(s, key, klen))
			continue;
		for (e++; *e == ' ' || *e == '\t' || *e == '\n' || *e == '\r'; e++)
			;
		if (*e != ':')
			continue;
		for (e++; *e == ' ' || *e == '\t' || *e == '\n' || *e == '\r'; e++)
			;
		if (*e == '"') {
			const char *ve = json_string_end(e + 1);

			json_copy_string(e + 1, ve, out, len);
			return true;
		}
		if (*e == '{' || *e == '[' || !*e)
			return false;
		s = e;
		while (*e && *e != ',' && *e != '}' && *e != ']' && *e != '\n')
			e++;
		while (e > s && e[-1] == ' ')
			e--;
		snprintf(out, len, "%.*s", (int)(e - s), s);
		return true;
	}
	return false;
}

/* First of several spellings of a key that the meta.json writer may use. */
static bool meta_get(const char *json, const char *const *keys, char *out, size_t len)
{
	for (int i = 0; keys[i]; i++)
		if (sb_json_lookup(json, keys[i], out, len) && *out && strcmp(out, "null"))
			return true;
	return false;
}

static const char *pmu_words(const char *v)
{
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1"))
		return "PMU";
	return "no PMU";
}

/* "Linux 6.1.0-27-amd64 #1 SMP ..." (uname -srvm) -> "6.1.0-27-amd64" */
static void kernel_release(char *k)
{
	char *s = k, *e;

	if (!strncmp(s, "Linux ", 6))
		s += 6;
	e = strchr(s, ' ');
	if (e)
		*e = '\0';
	memmove(k, s, strlen(s) + 1);
}

static void describe_machine(const char *dir, char *out, size_t len)
{
	static const char *const cpu_keys[] = { "cpu_model", "model_name", "cpu", NULL };
	static const char *const nr_keys[] = { "nr_cpus_online", "nr_cpus", NULL };
	static const char *const kern_keys[] = { "kernel", "kernel_release", "uname_r", NULL };
	static const char *const pmu_keys[] = { "pmu_available", "pmu", NULL };
	char path[4096], cpu[128] = "unknown CPU", nr[16] = "?", kern[96] = "?", pmu[16] = "";
	char *json;

	snprintf(path, sizeof(path), "%s/meta.json", dir);
	json = sb_read_text_file(path);
	if (!json) {
		snprintf(out, len, "machine unknown (no meta.json)");
		return;
	}
	meta_get(json, cpu_keys, cpu, sizeof(cpu));
	meta_get(json, nr_keys, nr, sizeof(nr));
	if (meta_get(json, kern_keys, kern, sizeof(kern)))
		kernel_release(kern);
	meta_get(json, pmu_keys, pmu, sizeof(pmu));
	snprintf(out, len, "%s (%s CPUs, kernel %s, %s)", cpu, nr, kern, pmu_words(pmu));
	free(json);
}

int sb_rundir_load(const char *dir, struct sb_rundir *res, char *err, size_t errlen)
{
	struct stat st;
	int rc;

	memset(res, 0, sizeof(*res));
	res->dir = sb_cmp_strdup(dir);
	if (stat(dir, &st) < 0) {
		rc = set_err(err, errlen, "%s: %s", dir, strerror(errno));
	} else if (S_ISDIR(st.st_mode)) {
		rc = load_dir(res, dir, err, errlen);
		describe_machine(dir, res->machine, sizeof(res->machine));
	} else {
		/* a single runs file: its directory holds meta.json */
		char *slash = strrchr(res->dir, '/');

		rc = load_doc(res, dir, err, errlen);
		if (slash)
			*slash = '\0';
		else
			strcpy(res->dir, ".");
		describe_machine(res->dir, res->machine, sizeof(res->machine));
	}
	if (rc)
		sb_rundir_free(res);
	return rc;
}

void sb_rundir_free(struct sb_rundir *res)
{
	for (int i = 0; i < res->nr_docs; i++)
		sb_csv_doc_free(res->docs[i]);
	free(res->docs);
	free(res->dir);
	memset(res, 0, sizeof(*res));
}

/* ---- grouping ---- */

/* "cs_ns" "50" -> "cs 50ns"; "kind" "qspin" -> "kind qspin" */
static void param_words(const char *name, const char *val, char *out, size_t len)
{
	static const char *const units[] = { "_ns", "_us", "_ms", "_s", NULL };

	for (int i = 0; units[i]; i++)
		if (has_suffix(name, units[i]) && strlen(name) > strlen(units[i])) {
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

/* Baseline first, then the patterns in their design.md order, then by name. */
static int level_rank(const char *v)
{
	static const char *const order[] = { "ttl", "sb", "tro", "lock", NULL };

	for (int i = 0; order[i]; i++)
		if (!strcmp(v, order[i]))
			return i;
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

	cmp->levels = sb_cmp_calloc(doc->nr_rows, sizeof(char *));
	for (int r = 0; r < doc->nr_rows; r++) {
		const char *v = sb_csv_cell(doc, r, bc);
		int i;

		for (i = 0; i < cmp->nr_levels; i++)
			if (!strcmp(cmp->levels[i], v))
				break;
		if (i == cmp->nr_levels)
			cmp->levels[cmp->nr_levels++] = sb_cmp_strdup(v);
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
		return not_applicable(err, len,
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

	k->cols = sb_cmp_calloc(doc->nr_cols, sizeof(int));
	k->varies = sb_cmp_calloc(doc->nr_cols, sizeof(bool));
	k->nr = 0;
	for (int c = 0; c < doc->nr_cols; c++) {
		int distinct;

		if (c == bc || !is_param_col(doc, c))
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
	cmp->key_cols = sb_cmp_calloc(k->nr, sizeof(char *));
	cmp->nr_key_cols = k->nr;
	for (int i = 0; i < k->nr; i++)
		cmp->key_cols[i] = sb_cmp_strdup(doc->cols[k->cols[i]]);
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
		return not_applicable(err, len, "--rows: '%s' is not a parameter column of %s",
				      want, doc->path);
	cmp->row_param = sb_cmp_strdup(k->row >= 0 ? doc->cols[k->cols[k->row]] : "all");
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
	cmp->fixed = sb_cmp_strdup(buf);
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
	cmp->blocks[cmp->nr_blocks].title = sb_cmp_strdup(title);
	cmp->blocks[cmp->nr_blocks].tag = sb_cmp_strdup(tag);
	cmp->blocks[cmp->nr_blocks].rows = sb_cmp_calloc(cmp->doc->nr_rows, sizeof(struct sb_cmp_row));
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
	row->key = sb_cmp_strdup(key);
	row->label = sb_cmp_strdup(k->row >= 0 ? sb_csv_cell(cmp->doc, r, k->cols[k->row]) : "all");
	row->params = sb_cmp_calloc(k->nr, sizeof(char *));
	for (int i = 0; i < k->nr; i++)
		row->params[i] = sb_cmp_strdup(sb_csv_cell(cmp->doc, r, k->cols[i]));
	row->cells = sb_cmp_calloc(cmp->nr_levels, sizeof(struct sb_cmp_cell));
	for (int l = 0; l < cmp->nr_levels; l++)
		row->cells[l].v = sb_cmp_calloc(cmp->doc->nr_rows, sizeof(double));
	return row;
}

/*
 * wild[l * k->nr + i]: key column i is n/a in every row of level l, so that
 * parameter does not apply to l (sheaf_capacity for glibc, jemalloc, ...).
 */
static bool *inapplicable_params(const struct sb_cmp *cmp, const struct key_cols *k, int bc)
{
	const struct sb_csv_doc *doc = cmp->doc;
	bool *wild = sb_cmp_calloc((size_t)cmp->nr_levels * (k->nr ? k->nr : 1), sizeof(bool));

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

static void cell_add(struct sb_cmp_row *row, int l, double v)
{
	struct sb_cmp_cell *cell = &row->cells[l];

	if (!isnan(v))
		cell->v[cell->n++] = v;
}

/*
 * A run of level l whose inapplicable parameters are n/a joins every
 * configuration that matches it on the others: glibc's churn runs are the
 * baseline for sheaf at every sheaf_capacity.  False if there is none.
 */
static bool add_to_matching(struct sb_cmp *cmp, const struct key_cols *k, const bool *wild,
			    int r, int l, double v)
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
				cell_add(row, l, v);
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

	cmp->blocks = sb_cmp_calloc(doc->nr_rows, sizeof(struct sb_cmp_block));
	/* pass 0: runs every parameter applies to; pass 1: the others join them */
	for (int pass = 0; pass < 2; pass++) {
		for (int r = 0; r < doc->nr_rows; r++) {
			int l = level_index(cmp, sb_csv_cell(doc, r, bc));
			char title[1024], tag[1024];
			double v;

			if (row_has_wildcard(k, wild, l) != (pass == 1))
				continue;
			if (parse_value(doc, r, mc, &v, err, len) < 0) {
				free(wild);
				return -1;
			}
			if (pass == 1 && add_to_matching(cmp, k, wild, r, l, v))
				continue;
			block_of_row(cmp, k, r, title, tag, sizeof(title));
			cell_add(find_row(cmp, find_block(cmp, title, tag), k, r), l, v);
		}
	}
	free(wild);
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	const struct sb_cmp_row *x = a, *y = b;
	char *ex, *ey;
	double dx = strtod(x->label, &ex), dy = strtod(y->label, &ey);

	if (*ex || *ey || ex == x->label || ey == y->label)
		return 0;
	return (dx > dy) - (dx < dy);
}

static void summarize_row(struct sb_cmp *cmp, struct sb_cmp_row *row, int nr_boot)
{
	struct sb_cmp_cell *base = &row->cells[cmp->base];
	int dir = sb_metric_direction(cmp->metric);

	for (int l = 0; l < cmp->nr_levels; l++) {
		struct sb_cmp_cell *c = &row->cells[l];
		char label[2300];

		snprintf(label, sizeof(label), "%s\x1f%s", row->key, cmp->levels[l]);
		c->med = sb_boot_median(c->v, c->n, nr_boot, sb_seed_of(cmp->metric, label));
		c->ratio = sb_boot_ratio(c->v, c->n, base->v, base->n, nr_boot,
					 sb_seed_of(label, cmp->levels[cmp->base]));
		if (l == cmp->base)
			c->verdict = SB_VERDICT_SAME;
		else if (c->n < SB_MIN_REPS_FOR_VERDICT || base->n < SB_MIN_REPS_FOR_VERDICT)
			c->verdict = SB_VERDICT_UNKNOWN;
		else
			c->verdict = sb_verdict_of(&c->ratio, dir);
		if (c->n && (!cmp->min_n || c->n < cmp->min_n))
			cmp->min_n = c->n;
		if (c->n > cmp->max_n)
			cmp->max_n = c->n;
	}
}

static int resolve_columns(struct sb_cmp *cmp, const struct sb_cmp_opts *o, int *bc,
			   int *mc, char *err, size_t len)
{
	const struct sb_csv_doc *doc = cmp->doc;
	const char *metric = o->metric ? o->metric : sb_runs_throughput_metric(doc);

	if (!metric)
		return not_applicable(err, len,
				      "%s: no throughput (*_per_s) column; choose one with --metric",
				      doc->path);
	*mc = sb_csv_col(doc, metric);
	if (*mc < 0 || !sb_runs_has_figure(doc, metric))
		return not_applicable(err, len, "--metric: '%s' is not a figure column of %s",
				      metric, doc->path);
	*bc = sb_csv_col(doc, cmp->by);
	if (*bc < 0 || !is_param_col(doc, *bc))
		return not_applicable(err, len, "--by: '%s' is not a parameter column of %s",
				      cmp->by, doc->path);
	cmp->metric = sb_cmp_strdup(metric);
	return 0;
}

static void block_free(struct sb_cmp *cmp, struct sb_cmp_block *blk)
{
	for (int r = 0; r < blk->nr_rows; r++) {
		for (int l = 0; l < cmp->nr_levels; l++)
			free(blk->rows[r].cells[l].v);
		for (int i = 0; i < cmp->nr_key_cols; i++)
			free(blk->rows[r].params[i]);
		free(blk->rows[r].params);
		free(blk->rows[r].cells);
		free(blk->rows[r].label);
		free(blk->rows[r].key);
	}
	free(blk->rows);
	free(blk->title);
	free(blk->tag);
}

/*
 * A configuration the baseline never ran in (sheaf-only settings next to an
 * allocator comparison) would print a row of n/a: leave it out, counted.
 */
static void drop_rows_without_baseline(struct sb_cmp *cmp, struct sb_cmp_block *blk)
{
	struct sb_cmp_block gone = { .rows = sb_cmp_calloc(blk->nr_rows, sizeof(*blk->rows)) };
	int kept = 0;

	for (int r = 0; r < blk->nr_rows; r++) {
		if (blk->rows[r].cells[cmp->base].n > 0)
			blk->rows[kept++] = blk->rows[r];
		else
			gone.rows[gone.nr_rows++] = blk->rows[r];
	}
	cmp->nr_omitted += gone.nr_rows;
	blk->nr_rows = kept;
	block_free(cmp, &gone);
}

static void drop_blocks_without_baseline(struct sb_cmp *cmp)
{
	int kept = 0;

	cmp->nr_omitted = 0;
	for (int b = 0; b < cmp->nr_blocks; b++) {
		struct sb_cmp_block *blk = &cmp->blocks[b];

		drop_rows_without_baseline(cmp, blk);
		if (blk->nr_rows)
			cmp->blocks[kept++] = *blk;
		else
			block_free(cmp, blk);
	}
	cmp->nr_blocks = kept;
}

int sb_cmp_build(const struct sb_csv_doc *doc, const struct sb_cmp_opts *o,
		 struct sb_cmp *cmp, char *err, size_t len)
{
	struct key_cols k = { 0 };
	int bc = -1, mc = -1, rc;

	memset(cmp, 0, sizeof(*cmp));
	cmp->doc = doc;
	cmp->by = sb_cmp_strdup(o->by ? o->by : "pattern");
	rc = resolve_columns(cmp, o, &bc, &mc, err, len);
	if (!rc)
		rc = collect_levels(cmp, bc, o->baseline, err, len);
	if (!rc) {
		choose_key_cols(cmp, &k, bc);
		rc = choose_row_param(cmp, &k, o->rows, err, len);
	}
	if (!rc) {
		describe_fixed(cmp, &k);
		cmp->workload = workloads_of(doc);
		rc = fill_cells(cmp, &k, bc, mc, err, len);
	}
	if (!rc) {
		drop_blocks_without_baseline(cmp);
		if (!cmp->nr_blocks)
			rc = not_applicable(err, len, "%s: no configuration has a run with %s %s",
					    doc->path, cmp->by, cmp->levels[cmp->base]);
	}
	for (int b = 0; !rc && b < cmp->nr_blocks; b++) {
		struct sb_cmp_block *blk = &cmp->blocks[b];

		qsort(blk->rows, blk->nr_rows, sizeof(*blk->rows), row_cmp);
		for (int r = 0; r < blk->nr_rows; r++)
			summarize_row(cmp, &blk->rows[r], o->nr_boot > 0 ? o->nr_boot : SB_NR_BOOT);
	}
	free(k.cols);
	free(k.varies);
	if (rc)
		sb_cmp_free(cmp);
	return rc;
}

void sb_cmp_free(struct sb_cmp *cmp)
{
	for (int b = 0; b < cmp->nr_blocks; b++)
		block_free(cmp, &cmp->blocks[b]);
	for (int l = 0; l < cmp->nr_levels; l++)
		free(cmp->levels[l]);
	for (int i = 0; i < cmp->nr_key_cols; i++)
		free(cmp->key_cols[i]);
	free(cmp->key_cols);
	free(cmp->levels);
	free(cmp->blocks);
	free(cmp->workload);
	free(cmp->metric);
	free(cmp->by);
	free(cmp->row_param);
	free(cmp->fixed);
	memset(cmp, 0, sizeof(*cmp));
}

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

static void compare_usage(FILE *out)
{
	fprintf(out,
		"usage: sheafbench compare RESULTS_DIR|RUNS_CSV [options]\n"
		"  --metric COL     figure to compare (default: the throughput column, *_per_s)\n"
		"  --by COL         compared dimension (default: pattern)\n"
		"  --baseline V     value of --by the others are divided by (default: ttl)\n"
		"  --rows COL       parameter along the rows (default: threads)\n"
		"  --format F       table (changelog text, <= 72 columns), csv or json\n"
		"Medians of the repetitions with 95%% percentile-bootstrap intervals (%d\n"
		"resamples, fixed seeds: the same directory always prints the same text);\n"
		"a verdict only where the ratio's interval excludes 1.\n", SB_NR_BOOT);
}

struct compare_args {
	struct sb_cmp_opts o;
	enum sb_format format;
	const char *dir;
};

static void parse_compare_args(int argc, char **argv, struct compare_args *a)
{
	static const struct option longopts[] = {
		{ "metric", required_argument, NULL, 'm' },
		{ "by", required_argument, NULL, 'b' },
		{ "baseline", required_argument, NULL, 'B' },
		{ "rows", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(a, 0, sizeof(*a));
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'm': a->o.metric = optarg; break;
		case 'b': a->o.by = optarg; break;
		case 'B': a->o.baseline = optarg; break;
		case 'r': a->o.rows = optarg; break;
		case 'f': a->format = sb_parse_format(argv[0], optarg); break;
		case 'h': compare_usage(stdout); exit(0);
		default:
			sb_die_usage(argv[0], "%s: unknown option or missing value (see --help)",
				     argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		sb_die_usage(argv[0], "expected one RESULTS_DIR, got %d arguments (see --help)",
			     argc - optind);
	a->dir = argv[optind];
}

/*
 * Build the comparison of every runs file the options apply to; a file they
 * do not apply to (no such metric, dimension or baseline) is skipped with a
 * note, unless no file is left.  Damaged data is always fatal.
 */
static int build_all(const struct sb_rundir *res, const struct sb_cmp_opts *o,
		     struct sb_cmp *cmps, const char *cmd)
{
	char (*why)[1024] = sb_cmp_calloc(res->nr_docs, sizeof(*why));
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
	struct compare_args a;
	struct sb_rundir res;
	struct sb_cmp *cmps;
	int n;

	parse_compare_args(argc, argv, &a);
	{
		char err[1024];

		if (sb_rundir_load(a.dir, &res, err, sizeof(err)) < 0)
			sb_die_usage(argv[0], "%s", err);
	}
	cmps = sb_cmp_calloc(res.nr_docs, sizeof(*cmps));
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
