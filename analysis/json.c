/*
 * json.c - the minimal JSON reading the analysis needs (meta.json).
 *
 * sb_json_lookup(): the first member named key anywhere in the text.
 * Strings come back unescaped (\" and \\ only; meta.json holds plain text),
 * numbers and true/false/null as written; objects and arrays are not values.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

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
