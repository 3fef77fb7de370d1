/*
 * options.c - option values: strict parsing, and one line + exit 2 on bad input.
 *
 * Every parser rejects empty strings, trailing garbage and out-of-range values,
 * naming the option, the value and what is allowed, as HACKING.md requires.
 */
#include "harness.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_DAY	(86400ull * 1000000000ull)

_Noreturn void sb_die_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	if (cmd && *cmd)
		fprintf(stderr, "sheafbench %s: ", cmd);
	else
		fprintf(stderr, "sheafbench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

long sb_parse_long(const char *cmd, const char *opt, const char *val, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = val && *val && !isspace((unsigned char)*val) ? strtol(val, &end, 10) : 0;
	if (!val || !*val || isspace((unsigned char)*val) || *end || errno || v < min || v > max)
		sb_die_usage(cmd, "%s: '%s' is not allowed (an integer from %ld to %ld)",
			     opt, val ? val : "", min, max);
	return v;
}

double sb_parse_double(const char *cmd, const char *opt, const char *val, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = val && *val && !isspace((unsigned char)*val) ? strtod(val, &end) : NAN;
	if (!val || !*val || isspace((unsigned char)*val) || *end || errno || !isfinite(v) ||
	    v < min || v > max)
		sb_die_usage(cmd, "%s: '%s' is not allowed (a number from %g to %g)",
			     opt, val ? val : "", min, max);
	return v;
}

struct unit { const char *name; double scale; };

static const struct unit duration_units[] = {
	{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { NULL, 0 },
};

static double unit_scale(const struct unit *units, const char *suffix)
{
	for (; units->name; units++)
		if (!strcmp(units->name, suffix))
			return units->scale;
	return 0;
}

uint64_t sb_parse_duration_ns(const char *cmd, const char *opt, const char *val)
{
	double v = NAN, scale = 0;
	char *end;

	errno = 0;
	if (val && *val && strchr("0123456789.", val[0])) {
		v = strtod(val, &end);
		scale = !strcmp(val, "0") ? 1 : unit_scale(duration_units, end);
	}
	v *= scale;
	if (!val || errno || !scale || !(v >= 0) || v > (double)NS_PER_DAY)
		sb_die_usage(cmd, "%s: '%s' is not allowed (a duration with a unit ns, us, ms "
			     "or s, e.g. 500ms, at most 1 day)", opt, val ? val : "");
	return (uint64_t)(v + 0.5);
}

uint64_t sb_parse_size(const char *cmd, const char *opt, const char *val, uint64_t min, uint64_t max)
{
	unsigned long long v = 0;
	int shift = -1;
	char *end = NULL;

	errno = 0;
	if (val && val[0] >= '0' && val[0] <= '9') {
		v = strtoull(val, &end, 10);
		shift = !*end ? 0 : !strcmp(end, "k") || !strcmp(end, "K") ? 10 :
			!strcmp(end, "m") || !strcmp(end, "M") ? 20 :
			!strcmp(end, "g") || !strcmp(end, "G") ? 30 : -1;
	}
	if (shift < 0 || errno || v > (UINT64_MAX >> shift) || (v << shift) < min ||
	    (v << shift) > max)
		sb_die_usage(cmd, "%s: '%s' is not allowed (a size from %llu to %llu bytes, "
			     "suffix k, M or G allowed)", opt, val ? val : "",
			     (unsigned long long)min, (unsigned long long)max);
	return v << shift;
}

int sb_parse_choice(const char *cmd, const char *opt, const char *val, const char *const *choices)
{
	char allowed[512];
	size_t used = 0;

	for (int i = 0; choices[i]; i++) {
		if (val && !strcmp(val, choices[i]))
			return i;
		used += snprintf(allowed + used, used < sizeof(allowed) ? sizeof(allowed) - used : 0,
				 "%s%s", i ? ", " : "", choices[i]);
		if (used >= sizeof(allowed))
			used = sizeof(allowed) - 1;
	}
	sb_die_usage(cmd, "%s: '%s' is not allowed (one of: %s)", opt, val ? val : "",
		     used ? allowed : "nothing");
}

enum sb_format sb_parse_format(const char *cmd, const char *val)
{
	static const char *const formats[] = { "table", "csv", "json", NULL };

	return (enum sb_format)sb_parse_choice(cmd, "--format", val, formats);
}

/* One "N" or "N-M" of a CPU list; returns the characters consumed, 0 on error. */
static int parse_cpu_range(const char *s, long *lo, long *hi)
{
	char *end;

	if (*s < '0' || *s > '9')
		return 0;
	*lo = *hi = strtol(s, &end, 10);
	if (*end == '-') {
		if (end[1] < '0' || end[1] > '9')
			return 0;
		*hi = strtol(end + 1, &end, 10);
	}
	return (int)(end - s);
}

#define SB_MAX_CPU	4095

int sb_parse_cpu_list(const char *cmd, const char *opt, const char *val, int *list, int maxlist)
{
	const char *s = val ? val : "";
	int n = 0;

	for (;;) {
		long lo, hi;
		int used = parse_cpu_range(s, &lo, &hi);

		if (!used || lo > hi || hi > SB_MAX_CPU || hi - lo + 1 > maxlist - n)
			goto bad;
		for (long c = lo; c <= hi; c++)
			list[n++] = (int)c;
		s += used;
		if (!*s)
			return n;
		if (*s++ != ',')
			goto bad;
	}
bad:
	sb_die_usage(cmd, "%s: '%s' is not allowed (a CPU list like 0,2,4-7 of at most %d "
		     "CPUs, each from 0 to %d)", opt, val ? val : "", maxlist, SB_MAX_CPU);
}

int sb_parse_pin(const char *cmd, const char *val, enum sb_pin *pin, int *list, int maxlist)
{
	static const struct { const char *name; enum sb_pin pin; } orders[] = {
		{ "none", SB_PIN_NONE }, { "compact", SB_PIN_COMPACT }, { "scatter", SB_PIN_SCATTER },
	};

	for (size_t i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
		if (val && !strcmp(val, orders[i].name)) {
			*pin = orders[i].pin;
			return 0;
		}
	}
	if (!val || val[0] < '0' || val[0] > '9')
		sb_die_usage(cmd, "--pin: '%s' is not allowed (none, compact, scatter or a CPU "
			     "list like 0,2,4-7)", val ? val : "");
	*pin = SB_PIN_LIST;
	return sb_parse_cpu_list(cmd, "--pin", val, list, maxlist);
}
