/*
 * perfstat.c - read `perf stat -x,` output (perf-stat(1), "CSV FORMAT").
 *
 * One counter per line: value, unit, event, run time, percentage running,
 * then an optional metric value and metric unit.  "<not supported>" (no PMU,
 * as in most VMs) and "<not counted>" are not numbers: they become n/a, never 0.
 * perf does not quote commas, and a raw event such as cpu/event=0xd2,umask=0x4/
 * contains one, so the event field is re-joined until its '/' pairs close.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"

enum { PS_VALUE, PS_UNIT, PS_EVENT, PS_MIN_FIELDS = 3, PS_MAX_FIELDS = 32 };

static int count_slashes(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '/';
	return n;
}

/* Join fields[from..] back into one event name while a "pmu/...,.../" is open. */
static int join_event(char **f, int nf, char *event, size_t len)
{
	int i = PS_EVENT;

	snprintf(event, len, "%s", f[i]);
	while (count_slashes(event) % 2 && i + 1 < nf) {
		size_t used = strlen(event);

		snprintf(event + used, len - used, ",%s", f[++i]);
	}
	return i;
}

static bool parse_value(const char *s, double *v)
{
	char *end;

	if (!*s || *s == '<')		/* <not supported>, <not counted> */
		return false;
	errno = 0;
	*v = strtod(s, &end);
	return !errno && end != s && !*end;
}

/* Returns 1 if the line was a counter, 0 if it is to be skipped. */
static int parse_line(char *line, struct sb_perfstat_counter *c)
{
	char *f[PS_MAX_FIELDS];
	int nf = sb_csv_split(line, f, PS_MAX_FIELDS);

	if (nf < PS_MIN_FIELDS || line[0] == '#')
		return 0;
	if (!*f[PS_EVENT])		/* a further metric of the line above */
		return 0;
	memset(c, 0, sizeof(*c));
	join_event(f, nf, c->event, sizeof(c->event));
	snprintf(c->unit, sizeof(c->unit), "%s", f[PS_UNIT]);
	c->measured = parse_value(f[PS_VALUE], &c->value);
	return 1;
}

int sb_perfstat_parse(FILE *in, struct sb_perfstat_counter *c, int max)
{
	char *line = NULL;
	size_t cap = 0;
	int n = 0;

	while (n < max && getline(&line, &cap, in) > 0)
		n += parse_line(line, &c[n]);
	free(line);
	return ferror(in) ? -1 : n;
}

int sb_perfstat_parse_file(const char *path, struct sb_perfstat_counter *c, int max)
{
	FILE *f = fopen(path, "r");
	int n;

	if (!f)
		return -1;
	n = sb_perfstat_parse(f, c, max);
	fclose(f);
	return n;
}

void sb_perfstat_column(const char *event, char *out, size_t len)
{
	size_t n = (size_t)snprintf(out, len, "perf_");
	bool sep = true;		/* no '_' right after the prefix */

	for (const char *p = event; *p && n + 1 < len; p++) {
		if (isalnum((unsigned char)*p)) {
			out[n++] = (char)tolower((unsigned char)*p);
			sep = false;
		} else if (!sep) {
			out[n++] = '_';
			sep = true;
		}
	}
	if (sep && n > 5)
		n--;
	out[n] = '\0';
	/* perf reports the clocks in msec; the unit belongs in the column name */
	if (!strncmp(event, "task-clock", 10) || !strncmp(event, "cpu-clock", 9))
		snprintf(out + n, len - n, "_ms");
}
