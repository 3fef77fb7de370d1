/*
 * Options of the lock workload.  Every bad value ends in sb_die_usage(): one
 * line naming the option, the value and what is allowed, exit 2, before any
 * thread starts or anything is printed on stdout.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lock.h"
#include "lock_coherence.h"

enum lock_opt {
	OPT_KIND = 256, OPT_PATTERN, OPT_THREADS, OPT_DURATION, OPT_ITERATIONS,
	OPT_CS_NS, OPT_PS_NS, OPT_CS_LINES, OPT_CS_SAME_LINE, OPT_NOLOCK_FRACTION,
	OPT_PIN, OPT_LATENCY, OPT_FORMAT, OPT_NO_C2C, OPT_HELP,
};

static const struct option lock_options[] = {
	{ "kind",		required_argument,	NULL, OPT_KIND },
	{ "pattern",		required_argument,	NULL, OPT_PATTERN },
	{ "threads",		required_argument,	NULL, OPT_THREADS },
	{ "duration",		required_argument,	NULL, OPT_DURATION },
	{ "iterations",		required_argument,	NULL, OPT_ITERATIONS },
	{ "cs-ns",		required_argument,	NULL, OPT_CS_NS },
	{ "ps-ns",		required_argument,	NULL, OPT_PS_NS },
	{ "cs-lines",		required_argument,	NULL, OPT_CS_LINES },
	{ "cs-same-line",	no_argument,		NULL, OPT_CS_SAME_LINE },
	{ "nolock-fraction",	required_argument,	NULL, OPT_NOLOCK_FRACTION },
	{ "pin",		required_argument,	NULL, OPT_PIN },
	{ "latency",		required_argument,	NULL, OPT_LATENCY },
	{ "format",		required_argument,	NULL, OPT_FORMAT },
	{ "no-c2c",		no_argument,		NULL, OPT_NO_C2C },
	{ "help",		no_argument,		NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

void lock_usage(FILE *out)
{
	fprintf(out,
"usage: sheafbench lock [OPTIONS]   (this worker: pattern '%s')\n"
"N threads hammer one lock of one kind through the build's acquisition pattern.\n"
"  --kind K              tas|ttas|ticket|mcs|qspin|pspin|pmutex (default qspin)\n"
"  --pattern P           must be '%s' (the front end picks the worker by it)\n"
"  --threads N           1..%d, may exceed the CPUs (default: online CPUs); then\n"
"                        a preempted waiter stalls queued kinds (ticket, mcs,\n"
"                        qspin) and a run can last far past --duration\n"
"  --duration T          run time, e.g. 2s, 500ms (default 1s)\n"
"  --iterations N        acquisition attempts per thread instead of --duration\n"
"  --cs-ns NS            calibrated busy work inside the critical section (default 0)\n"
"  --ps-ns NS            calibrated busy work between acquisitions (default 0)\n"
"  --cs-lines K          write K cache lines inside the critical section (0..%d)\n"
"  --cs-same-line        ... all of them on the lock's own line instead of K other lines\n"
"  --nolock-fraction F   share of acquisitions made in nolock mode, 0..1 (default 0)\n"
"  --pin P               compact|scatter|none|LIST like 0,1 (default compact)\n"
"  --latency L           on|off|sample=N: time every / no / 1 in N acquisitions\n"
"                        (default sample=%d)\n"
"  --format F            table|csv|json (default table)\n"
"  --no-c2c              skip the core-to-core calibration (c2c columns n/a)\n"
"  --help                this text\n",
		SB_PATTERN_NAME, SB_PATTERN_NAME, LOCK_MAX_THREADS, LOCK_MAX_CS_LINES,
		LOCK_DEFAULT_SAMPLE);
	lock_coherence_usage(out);
}

static void lock_args_defaults(struct lock_args *a)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(a, 0, sizeof(*a));
	a->kind = SB_QSPIN;
	a->threads = cpus < 1 ? 1 : cpus > LOCK_MAX_THREADS ? LOCK_MAX_THREADS : (int)cpus;
	a->duration_ns = 1000000000ULL;
	a->pin = SB_PIN_COMPACT;
	a->pin_text = "compact";
	a->sample_period = LOCK_DEFAULT_SAMPLE;
	a->latency_text = "sample=16";
	a->c2c = true;
	a->format = SB_FMT_TABLE;
}

static enum sb_lock_kind parse_kind(const char *val)
{
	int k = sb_lock_kind_from_name(val);

	if (k < 0)
		sb_die_usage(LOCK_CMD, "--kind: '%s' is not a lock kind "
			     "(allowed: tas, ttas, ticket, mcs, qspin, pspin, pmutex)", val);
	return (enum sb_lock_kind)k;
}

static void check_pattern(const char *val)
{
	if (strcmp(val, SB_PATTERN_NAME))
		sb_die_usage(LOCK_CMD, "--pattern: '%s' is not this worker's pattern "
			     "(allowed: %s; run it through sheafbench --pattern)",
			     val, SB_PATTERN_NAME);
}

/* on | off | sample=N with N >= 1; returns the sampling period, 0 for off. */
static uint64_t parse_latency(const char *val)
{
	char *end;
	long n;

	if (!strcmp(val, "on"))
		return 1;
	if (!strcmp(val, "off"))
		return 0;
	if (!strncmp(val, "sample=", 7)) {
		errno = 0;
		n = strtol(val + 7, &end, 10);
		if (val[7] && !*end && !errno && n >= 1 && n <= (1L << 30))
			return (uint64_t)n;
	}
	sb_die_usage(LOCK_CMD, "--latency: '%s' is not allowed "
		     "(allowed: on, off, sample=N with N from 1 to %ld)", val, 1L << 30);
}

static void parse_one(struct lock_args *a, int opt, const char *val, bool *have_duration)
{
	switch (opt) {
	case OPT_KIND:		a->kind = parse_kind(val); break;
	case OPT_PATTERN:	check_pattern(val); break;
	case OPT_THREADS:
		a->threads = (int)sb_parse_long(LOCK_CMD, "--threads", val, 1, LOCK_MAX_THREADS);
		break;
	case OPT_DURATION:
		a->duration_ns = sb_parse_duration_ns(LOCK_CMD, "--duration", val);
		if (!a->duration_ns)
			sb_die_usage(LOCK_CMD, "--duration: '%s' must be longer than 0", val);
		*have_duration = true;
		break;
	case OPT_ITERATIONS:
		a->iterations = (uint64_t)sb_parse_long(LOCK_CMD, "--iterations", val,
							1, 1L << 40);
		break;
	case OPT_CS_NS:
		a->cs_ns = (uint64_t)sb_parse_long(LOCK_CMD, "--cs-ns", val, 0, 1000000000L);
		break;
	case OPT_PS_NS:
		a->ps_ns = (uint64_t)sb_parse_long(LOCK_CMD, "--ps-ns", val, 0, 1000000000L);
		break;
	case OPT_CS_LINES:
		a->cs_lines = (int)sb_parse_long(LOCK_CMD, "--cs-lines", val, 0, LOCK_MAX_CS_LINES);
		break;
	case OPT_CS_SAME_LINE:	a->cs_same_line = true; break;
	case OPT_NOLOCK_FRACTION:
		a->nolock_fraction = sb_parse_double(LOCK_CMD, "--nolock-fraction", val, 0.0, 1.0);
		break;
	case OPT_PIN:
		a->pin_list_len = sb_parse_pin(LOCK_CMD, val, &a->pin, a->pin_list,
					       LOCK_MAX_THREADS);
		a->pin_text = val;
		break;
	case OPT_LATENCY:
		a->sample_period = parse_latency(val);
		a->latency_text = val;
		break;
	case OPT_FORMAT:	a->format = sb_parse_format(LOCK_CMD, val); break;
	case OPT_NO_C2C:	a->c2c = false; break;
	}
}

/* Returns false when --help was printed and there is nothing to run. */
bool lock_args_parse(struct lock_args *a, int argc, char **argv)
{
	bool have_duration = false;
	int opt;

	lock_args_defaults(a);
	optind = 0;		/* glibc: full reset, argv is not the process's */
	opterr = 0;		/* our own one-line messages */
	while ((opt = getopt_long(argc, argv, "+h", lock_options, NULL)) != -1) {
		if (opt == OPT_HELP || opt == 'h') {
			lock_usage(stdout);
			return false;
		}
		if (opt == '?' || opt == ':')
			sb_die_usage(LOCK_CMD, "%s: unknown option or missing value (see --help)",
				     argv[optind - 1]);
		parse_one(a, opt, optarg, &have_duration);
	}
	if (optind < argc)
		sb_die_usage(LOCK_CMD, "'%s': unexpected argument (options only; see --help)",
			     argv[optind]);
	if (a->iterations && have_duration)
		sb_die_usage(LOCK_CMD, "--iterations: '%lu' cannot be combined with --duration",
			     (unsigned long)a->iterations);
	if (a->iterations)
		a->duration_ns = 0;
	return true;
}
