/*
 * parse_options.c - one option table per command, in the style of perf's
 * parse_options(): the same table parses argv and prints the usage, so the
 * help text, the accepted names and the "allowed" part of an error line
 * cannot drift apart.  Values go through the strict parsers of options.c.
 */
#include "harness.h"

#include <inttypes.h>
#include <string.h>

#define USAGE_COL	25	/* help text starts in this column */

/*
 * The one "--name VALUE" / "--name=VALUE" matcher.  argv[*i] names option
 * @name (without the dashes): returns its value and leaves *i on the last word
 * used; a missing value is a usage error.  NULL if argv[*i] is another word.
 */
const char *sb_option_match(const char *cmd, int argc, char **argv, int *i, const char *name)
{
	const char *arg = argv[*i];
	size_t n = strlen(name);

	if (strncmp(arg, "--", 2) || strncmp(arg + 2, name, n))
		return NULL;
	if (arg[2 + n] == '=')
		return arg + 2 + n + 1;
	if (arg[2 + n] != '\0')
		return NULL;
	if (*i + 1 >= argc)
		sb_die_usage(cmd, "--%s: needs a value (see --help)", name);
	return argv[++*i];
}

static bool option_is_flag(const struct sb_option *o)
{
	return o->type == SB_OPTT_BOOL;
}

/* The option named by argv[i] ("--name" or "--name=..."), NULL if none. */
static struct sb_option *option_find(struct sb_option *table, const char *arg)
{
	size_t len;

	if (strncmp(arg, "--", 2))
		return NULL;
	arg += 2;
	len = strcspn(arg, "=");
	for (struct sb_option *o = table; o->type != SB_OPTT_END; o++)
		if (o->type != SB_OPTT_ARG && strlen(o->name) == len && !strncmp(o->name, arg, len))
			return o;
	return NULL;
}

static void store_int(const struct sb_option *o, long v)
{
	switch (o->ctype) {
	case SB_OPT_CT_INT:	*(int *)o->value = (int)v; break;
	case SB_OPT_CT_LONG:	*(long *)o->value = v; break;
	case SB_OPT_CT_UINT:	*(unsigned int *)o->value = (unsigned int)v; break;
	case SB_OPT_CT_ULONG:	*(unsigned long *)o->value = (unsigned long)v; break;
	}
}

static void option_set(const char *cmd, struct sb_option *o, const char *val)
{
	char opt[80];

	snprintf(opt, sizeof(opt), "--%s", o->name);
	switch (o->type) {
	case SB_OPTT_BOOL:
		*(bool *)o->value = true;
		break;
	case SB_OPTT_INT:
		store_int(o, sb_parse_long(cmd, opt, val, o->imin, o->imax));
		break;
	case SB_OPTT_DOUBLE:
		*(double *)o->value = sb_parse_double(cmd, opt, val, o->dmin, o->dmax);
		break;
	case SB_OPTT_DURATION: {
		uint64_t ns = sb_parse_duration_ns(cmd, opt, val);

		if (ns < (uint64_t)o->imin)
			sb_die_usage(cmd, "%s: '%s' is not allowed (a duration of at least %ld ns)",
				     opt, val, o->imin);
		*(uint64_t *)o->value = ns;
		break;
	}
	case SB_OPTT_SIZE:
		*(uint64_t *)o->value = sb_parse_size(cmd, opt, val, (uint64_t)o->imin,
						      (uint64_t)o->imax);
		break;
	case SB_OPTT_STRING:
	case SB_OPTT_ARG:
		*(const char **)o->value = val;
		break;
	case SB_OPTT_CHOICE: {
		int idx = sb_parse_choice(cmd, opt, val, o->choices);

		if (o->value)
			*(int *)o->value = idx;
		break;
	}
	case SB_OPTT_FORMAT:
		*(enum sb_format *)o->value = sb_parse_format(cmd, val);
		break;
	case SB_OPTT_PIN: {
		struct sb_pin_arg *p = o->value;

		p->len = sb_parse_pin(cmd, val, &p->pin, p->list, (int)o->imax);
		p->text = val;
		break;
	}
	case SB_OPTT_CALLBACK:
		o->fn(cmd, opt, val, o->value);
		break;
	case SB_OPTT_END:
		break;
	}
	o->given++;
}

/* "--a, --b, ..." for the unknown-option line; truncated, never overflows. */
static void option_names(const struct sb_option *table, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (const struct sb_option *o = table; o->type != SB_OPTT_END && used < len; o++) {
		if (o->type == SB_OPTT_ARG)
			continue;
		used += snprintf(buf + used, len - used, "%s--%s", used ? ", " : "", o->name);
	}
	if (used >= len && len > 4)
		strcpy(buf + len - 4, "...");
}

static void die_unknown(const char *cmd, const struct sb_option *table, const char *arg)
{
	char names[512];
	size_t len = strcspn(arg, "=");

	option_names(table, names, sizeof(names));
	sb_die_usage(cmd, "%.*s: is not an option of %s (allowed: %s, --help)",
		     (int)len, arg, cmd, names);
}

static void take_positional(const char *cmd, struct sb_option *table, const char *arg)
{
	if (arg[0] == '-')
		die_unknown(cmd, table, arg);
	for (struct sb_option *o = table; o->type != SB_OPTT_END; o++) {
		if (o->type == SB_OPTT_ARG && !o->given) {
			option_set(cmd, o, arg);
			return;
		}
	}
	sb_die_usage(cmd, "'%s': unexpected argument (options only; see --help)", arg);
}

int sb_parse_options(const char *cmd, struct sb_option *table, int argc, char **argv,
		     const char *usage)
{
	for (struct sb_option *o = table; o->type != SB_OPTT_END; o++)
		o->given = 0;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *val;
		struct sb_option *o;

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			sb_options_usage(table, usage, stdout);
			return SB_OPTIONS_HELP;
		}
		o = option_find(table, arg);
		if (!o) {
			take_positional(cmd, table, arg);
			continue;
		}
		if (option_is_flag(o)) {
			if (strchr(arg, '='))
				sb_die_usage(cmd, "--%s: '%s' is not allowed (a flag, it takes no value)",
					     o->name, strchr(arg, '=') + 1);
			val = NULL;
		} else {
			val = sb_option_match(cmd, argc, argv, &i, o->name);
		}
		option_set(cmd, o, val);
	}
	return SB_OPTIONS_RUN;
}

int sb_option_given(const struct sb_option *table, const char *name)
{
	for (const struct sb_option *o = table; o->type != SB_OPTT_END; o++)
		if (!strcmp(o->name, name))
			return o->given;
	return 0;
}

/* ---- usage, generated from the table ---- */

static void format_duration(char *buf, size_t len, uint64_t ns)
{
	static const struct { const char *unit; uint64_t ns; } units[] = {
		{ "s", 1000000000ull }, { "ms", 1000000 }, { "us", 1000 }, { "ns", 1 },
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ns && ns % units[i].ns == 0) {
			snprintf(buf, len, "%" PRIu64 "%s", ns / units[i].ns, units[i].unit);
			return;
		}
	}
	snprintf(buf, len, "0");
}

static long load_int(const struct sb_option *o)
{
	switch (o->ctype) {
	case SB_OPT_CT_INT:	return *(int *)o->value;
	case SB_OPT_CT_LONG:	return *(long *)o->value;
	case SB_OPT_CT_UINT:	return (long)*(unsigned int *)o->value;
	case SB_OPT_CT_ULONG:	return (long)*(unsigned long *)o->value;
	}
	return 0;
}

/* The value the option holds before parsing, "" when it has none to show. */
static void option_default(const struct sb_option *o, char *buf, size_t len)
{
	static const char *const formats[] = { "table", "csv", "json" };

	buf[0] = '\0';
	switch (o->type) {
	case SB_OPTT_INT:
		snprintf(buf, len, "%ld", load_int(o));
		break;
	case SB_OPTT_DOUBLE:
		snprintf(buf, len, "%g", *(double *)o->value);
		break;
	case SB_OPTT_DURATION:
		format_duration(buf, len, *(uint64_t *)o->value);
		break;
	case SB_OPTT_SIZE:
		snprintf(buf, len, "%" PRIu64, *(uint64_t *)o->value);
		break;
	case SB_OPTT_STRING:
		if (*(const char **)o->value)
			snprintf(buf, len, "%s", *(const char **)o->value);
		break;
	case SB_OPTT_CHOICE:
		if (o->value)
			snprintf(buf, len, "%s", o->choices[*(int *)o->value]);
		break;
	case SB_OPTT_FORMAT:
		snprintf(buf, len, "%s", formats[*(enum sb_format *)o->value]);
		break;
	case SB_OPTT_PIN:
		if (((struct sb_pin_arg *)o->value)->text)
			snprintf(buf, len, "%s", ((struct sb_pin_arg *)o->value)->text);
		break;
	default:
		break;
	}
}

/* "--name META": choices and pin orders spelled out, else the metavar. */
static int option_left(const struct sb_option *o, char *buf, size_t len)
{
	int n = snprintf(buf, len, o->type == SB_OPTT_ARG ? "%s" : "--%s", o->name);

	if (o->type == SB_OPTT_CHOICE) {
		for (int i = 0; o->choices[i] && (size_t)n < len; i++)
			n += snprintf(buf + n, len - n, "%c%s", i ? '|' : ' ', o->choices[i]);
	} else if (o->type == SB_OPTT_FORMAT) {
		n += snprintf(buf + n, len - n, " table|csv|json");
	} else if (o->type == SB_OPTT_PIN) {
		n += snprintf(buf + n, len - n, " none|compact|scatter|LIST");
	} else if (o->metavar && o->type != SB_OPTT_ARG) {
		n += snprintf(buf + n, len - n, " %s", o->metavar);
	}
	return n < (int)len ? n : (int)len - 1;
}

/* The allowed range, for numbers: "1..1024". */
static void option_range(const struct sb_option *o, char *buf, size_t len)
{
	buf[0] = '\0';
	if (o->type == SB_OPTT_INT)
		snprintf(buf, len, "%ld..%ld", o->imin, o->imax);
	else if (o->type == SB_OPTT_DOUBLE)
		snprintf(buf, len, "%g..%g", o->dmin, o->dmax);
	else if (o->type == SB_OPTT_SIZE)
		snprintf(buf, len, "%ld..%ld bytes, suffix k M G", o->imin, o->imax);
}

/* Help text with continuation lines indented to the help column. */
static void print_help_text(const char *help, FILE *out)
{
	for (const char *p = help; *p; p++) {
		fputc(*p, out);
		if (*p == '\n' && p[1])
			fprintf(out, "%*s", USAGE_COL, "");
	}
}

static void option_usage(const struct sb_option *o, FILE *out)
{
	char left[256], def[128], range[96];
	int n = option_left(o, left, sizeof(left));

	fprintf(out, "  %s", left);
	if (n + 2 >= USAGE_COL - 1)
		fprintf(out, "\n%*s", USAGE_COL, "");
	else
		fprintf(out, "%*s", USAGE_COL - 2 - n, "");
	print_help_text(o->help ? o->help : "", out);
	option_range(o, range, sizeof(range));
	option_default(o, def, sizeof(def));
	/* A help text that states its own default (a computed one) keeps it. */
	if (o->help && strstr(o->help, "default"))
		def[0] = '\0';
	if (range[0] && def[0])
		fprintf(out, " (%s, default %s)", range, def);
	else if (range[0] || def[0])
		fprintf(out, " (%s%s)", range[0] ? range : "default ", range[0] ? "" : def);
	fputc('\n', out);
}

void sb_options_usage(const struct sb_option *table, const char *usage, FILE *out)
{
	fputs(usage, out);
	if (usage[0] && usage[strlen(usage) - 1] != '\n')
		fputc('\n', out);
	fprintf(out, "options:\n");
	for (const struct sb_option *o = table; o->type != SB_OPTT_END; o++)
		if (o->type != SB_OPTT_ARG)
			option_usage(o, out);
	fprintf(out, "  --help%*sthis text\n", USAGE_COL - 8, "");
}
