/*
 * csv.c - strict reader for the results directory's runs*.csv files.
 *
 * RFC 4180: comma separated, a header row, fields optionally quoted with
 * '"' ("" inside quotes is one quote; quoted fields may span lines).  Being
 * strict is the point: a truncated or hand-edited file must be rejected with
 * the file and line of the first problem, never half-read as if complete.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"

struct csv_parser {
	const char *path;
	const char *p, *end;
	int line;		/* line of the parse position, 1-based */
	char *err;
	size_t errlen;
	char **fields;		/* fields of the record being read */
	int nr_fields, cap_fields;
};

static int parse_error(struct csv_parser *ps, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(ps->err, ps->errlen, "%s:%d: ", ps->path, line);
	if (n < 0 || (size_t)n >= ps->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

static void push_field(struct csv_parser *ps, char *f)
{
	if (ps->nr_fields == ps->cap_fields) {
		ps->cap_fields = ps->cap_fields ? 2 * ps->cap_fields : 16;
		ps->fields = sb_xrealloc(ps->fields, ps->cap_fields * sizeof(*ps->fields));
	}
	ps->fields[ps->nr_fields++] = f;
}

/* A quoted field; ps->p is just past the opening quote. */
static char *read_quoted(struct csv_parser *ps)
{
	int start_line = ps->line;
	size_t cap = 32, n = 0;
	char *out = sb_xrealloc(NULL, cap);

	for (;;) {
		if (ps->p == ps->end) {
			free(out);
			parse_error(ps, start_line, "quoted field is never closed (truncated file?)");
			return NULL;
		}
		char c = *ps->p++;
		if (c == '"') {
			if (ps->p < ps->end && *ps->p == '"') {
				ps->p++;
			} else {
				break;
			}
		} else if (c == '\n') {
			ps->line++;
		}
		if (n + 2 > cap)
			out = sb_xrealloc(out, cap *= 2);
		out[n++] = c;
	}
	out[n] = '\0';
	if (ps->p < ps->end && *ps->p != ',' && *ps->p != '\n' && *ps->p != '\r') {
		free(out);
		parse_error(ps, ps->line, "unexpected '%c' after a closing quote", *ps->p);
		return NULL;
	}
	return out;
}

static char *read_plain(struct csv_parser *ps)
{
	const char *s = ps->p;

	while (ps->p < ps->end && *ps->p != ',' && *ps->p != '\n' && *ps->p != '\r') {
		if (*ps->p == '"') {
			parse_error(ps, ps->line, "quote inside an unquoted field");
			return NULL;
		}
		ps->p++;
	}
	return strndup(s, ps->p - s);
}

static void drop_fields(struct csv_parser *ps)
{
	for (int i = 0; i < ps->nr_fields; i++)
		free(ps->fields[i]);
	ps->nr_fields = 0;
}

/*
 * Read one record into ps->fields.  Returns 1 on a record, 0 at end of input,
 * -1 on error.  Every record must end with a newline: a missing last newline
 * means the writer was interrupted mid-row.
 */
static int read_record(struct csv_parser *ps)
{
	int line = ps->line;

	drop_fields(ps);
	if (ps->p == ps->end)
		return 0;
	for (;;) {
		char *f;

		if (ps->p < ps->end && *ps->p == '"') {
			ps->p++;
			f = read_quoted(ps);
		} else {
			f = read_plain(ps);
		}
		if (!f)
			return -1;
		push_field(ps, f);
		if (ps->p == ps->end)
			return parse_error(ps, line, "last row has no final newline (truncated file?)");
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p == '\r')
			ps->p++;
		if (ps->p == ps->end || *ps->p != '\n')
			return parse_error(ps, ps->line, "carriage return not followed by a newline");
		ps->p++;
		ps->line++;
		return 1;
	}
}

static int check_header(struct csv_parser *ps, struct sb_csv_doc *doc)
{
	for (int i = 0; i < doc->nr_cols; i++) {
		if (!doc->cols[i][0])
			return parse_error(ps, 1, "header column %d has no name", i + 1);
		for (int j = 0; j < i; j++)
			if (!strcmp(doc->cols[i], doc->cols[j]))
				return parse_error(ps, 1, "header names column '%s' twice",
						   doc->cols[i]);
	}
	return 0;
}

static int take_header(struct csv_parser *ps, struct sb_csv_doc *doc)
{
	int r = read_record(ps);

	if (r == 0)
		return parse_error(ps, 1, "empty file, expected a header row");
	if (r < 0)
		return -1;
	doc->nr_cols = ps->nr_fields;
	doc->cols = sb_xrealloc(NULL, ps->nr_fields * sizeof(char *));
	memcpy(doc->cols, ps->fields, ps->nr_fields * sizeof(char *));
	ps->nr_fields = 0;	/* ownership moved to doc */
	return check_header(ps, doc);
}

static int take_rows(struct csv_parser *ps, struct sb_csv_doc *doc)
{
	int cap = 0;

	for (;;) {
		int line = ps->line;
		int r = read_record(ps);

		if (r <= 0)
			return r;
		if (ps->nr_fields != doc->nr_cols)
			return parse_error(ps, line, "%d fields, but the header has %d%s",
					   ps->nr_fields, doc->nr_cols,
					   ps->nr_fields < doc->nr_cols ? " (truncated row?)" : "");
		if (doc->nr_rows == cap) {
			cap = cap ? 2 * cap : 64;
			doc->cells = sb_xrealloc(doc->cells, (size_t)cap * doc->nr_cols * sizeof(char *));
			doc->lines = sb_xrealloc(doc->lines, cap * sizeof(int));
		}
		memcpy(doc->cells + (size_t)doc->nr_rows * doc->nr_cols, ps->fields,
		       doc->nr_cols * sizeof(char *));
		doc->lines[doc->nr_rows++] = line;
		ps->nr_fields = 0;
	}
}

static char *slurp(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16, n = 0;
	char *buf;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = sb_xrealloc(NULL, cap);
	for (;;) {
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (n < cap)
			break;
		buf = sb_xrealloc(buf, cap *= 2);
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

char *sb_read_text_file(const char *path)
{
	char err[256];
	size_t len;
	char *buf = slurp(path, &len, err, sizeof(err));

	if (buf)
		buf[len] = '\0';	/* slurp() stops with len < its buffer's size */
	return buf;
}

static int line_of(const char *buf, const char *at)
{
	int line = 1;

	for (; buf < at; buf++)
		line += *buf == '\n';
	return line;
}

struct sb_csv_doc *sb_csv_load(const char *path, char *err, size_t errlen)
{
	struct csv_parser ps = { .path = path, .line = 1, .err = err, .errlen = errlen };
	struct sb_csv_doc *doc;
	size_t len;
	char *buf = slurp(path, &len, err, errlen);

	if (!buf)
		return NULL;
	doc = sb_xrealloc(NULL, sizeof(*doc));
	memset(doc, 0, sizeof(*doc));
	doc->path = strdup(path);
	ps.p = buf;
	ps.end = buf + len;
	if (memchr(buf, '\0', len)) {
		parse_error(&ps, line_of(buf, memchr(buf, '\0', len)), "NUL byte in a text file");
		goto fail;
	}
	if (take_header(&ps, doc) < 0 || take_rows(&ps, doc) < 0)
		goto fail;
	drop_fields(&ps);
	free(ps.fields);
	free(buf);
	return doc;
fail:
	drop_fields(&ps);
	free(ps.fields);
	free(buf);
	sb_csv_doc_free(doc);
	return NULL;
}

void sb_csv_doc_free(struct sb_csv_doc *doc)
{
	if (!doc)
		return;
	for (size_t i = 0; i < (size_t)doc->nr_rows * doc->nr_cols; i++)
		free(doc->cells[i]);
	for (int i = 0; i < doc->nr_cols; i++)
		free(doc->cols[i]);
	free(doc->cells);
	free(doc->cols);
	free(doc->lines);
	free(doc->path);
	free(doc);
}

int sb_csv_col(const struct sb_csv_doc *doc, const char *name)
{
	for (int i = 0; i < doc->nr_cols; i++)
		if (!strcmp(doc->cols[i], name))
			return i;
	return -1;
}

const char *sb_csv_cell(const struct sb_csv_doc *doc, int row, int col)
{
	return doc->cells[(size_t)row * doc->nr_cols + col];
}

/* No quoting: for the worker's own csv lines and perf stat output. */
int sb_csv_split(char *line, char **fields, int max)
{
	int n = 0;
	size_t len = strlen(line);

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	while (n < max) {
		fields[n++] = line;
		line = strchr(line, ',');
		if (!line)
			break;
		*line++ = '\0';
	}
	return n;
}
