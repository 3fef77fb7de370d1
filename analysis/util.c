/*
 * util.c - the analysis layer's one family of allocation helpers, and its
 * error-text helpers.  Out of memory is not bad input: one line, exit 1.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static _Noreturn void out_of_memory(void)
{
	fprintf(stderr, "sheafbench: out of memory\n");
	exit(1);
}

void *sb_xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);

	if (!q)
		out_of_memory();
	return q;
}

void *sb_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		out_of_memory();
	return p;
}

char *sb_xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		out_of_memory();
	return d;
}

bool sb_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

int sb_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

int sb_err_not_applicable(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -2;
}
