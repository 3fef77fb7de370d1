/*
 * Options of the lock workload, one table (harness parse_options).  Every bad
 * value ends in one line naming the option, the value and what is allowed,
 * exit 2, before any thread starts or anything is printed on stdout.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lock.h"
#include "worker.h"

static const char *const kind_names[] = {
#define KIND_NAME(k, KIND) [KIND] = #k,
	SB_FOR_EACH_LOCK_KIND(KIND_NAME)
#undef KIND_NAME
	[SB_NR_KINDS] = NULL,
};

static void lock_args_defaults(struct lock_args *a)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(a, 0, sizeof(*a));
	a->kind = SB_QSPIN;
	a->threads = cpus < 1 ? 1 : cpus > LOCK_MAX_THREADS ? LOCK_MAX_THREADS : (int)cpus;
	a->duration_ns = 1000000000ULL;
	a->pin.pin = SB_PIN_COMPACT;
	a->pin.text = "compact";
	a->sample_period = LOCK_DEFAULT_SAMPLE;
	a->latency_text = "sample=16";
	a->c2c = true;
	a->format = SB_FMT_TABLE;
}

/* on | off | sample=N with N >= 1: the sampling period, 0 for off. */
static void parse_latency(const char *cmd, const char *opt, const char *val, void *data)
{
	struct lock_args *a = data;
	char *end;
	long n;

	a->latency_text = val;
	if (!strcmp(val, "on") || !strcmp(val, "off")) {
		a->sample_period = !strcmp(val, "on");
		return;
	}
	if (!strncmp(val, "sample=", 7)) {
		errno = 0;
		n = strtol(val + 7, &end, 10);
		if (val[7] >= '0' && val[7] <= '9' && !*end && !errno && n >= 1 && n <= (1L << 30)) {
			a->sample_period = (uint64_t)n;
			return;
		}
	}
	sb_die_usage(cmd, "%s: '%s' is not allowed (on, off, sample=N with N from 1 to %ld)",
		     opt, val, 1L << 30);
}

#define LOCK_USAGE								\
"usage: sheafbench lock [OPTIONS]   (this worker: pattern '" SB_PATTERN_NAME "')\n"	\
"N threads hammer one lock of one kind through the build's acquisition pattern."

/* Returns false when --help was printed and there is nothing to run. */
bool lock_args_parse(struct lock_args *a, int argc, char **argv)
{
	int kind = SB_QSPIN;
	bool no_c2c = false;
	struct sb_option opts[] = {
		SB_OPT_CHOICE("kind", &kind, kind_names, "lock kind"),
		SB_OPT_WORKER_PATTERN(),
		SB_OPT_INT("threads", &a->threads, 1, LOCK_MAX_THREADS,
			   "threads (default: online CPUs); more than the CPUs and a\n"
			   "preempted waiter stalls queued kinds (ticket, mcs, qspin):\n"
			   "a run can last far past --duration"),
		SB_OPT_DURATION("duration", &a->duration_ns, 1, "run time, e.g. 2s, 500ms"),
		SB_OPT_UINT("iterations", &a->iterations, 1, 1L << 40,
			    "acquisition attempts per thread instead of --duration (default: time-bounded)"),
		SB_OPT_UINT("cs-ns", &a->cs_ns, 0, 1000000000L,
			    "calibrated busy work inside the critical section"),
		SB_OPT_UINT("ps-ns", &a->ps_ns, 0, 1000000000L,
			    "calibrated busy work between acquisitions"),
		SB_OPT_INT("cs-lines", &a->cs_lines, 0, LOCK_MAX_CS_LINES,
			   "write K cache lines inside the critical section"),
		SB_OPT_BOOL("cs-same-line", &a->cs_same_line,
			    "... all of them on the lock's own line instead of K other lines"),
		SB_OPT_DOUBLE("nolock-fraction", &a->nolock_fraction, 0.0, 1.0,
			      "share of acquisitions made in nolock mode"),
		SB_OPT_PIN(&a->pin, LOCK_MAX_THREADS, "thread placement (LIST like 0,1)"),
		SB_OPT_CALLBACK("latency", "on|off|sample=N", parse_latency, a,
				"time every / no / 1 in N acquisitions (default sample=16)"),
		SB_OPT_FORMAT(&a->format),
		SB_OPT_BOOL("no-c2c", &no_c2c, "skip the core-to-core calibration (c2c columns n/a)"),
		SB_OPT_END,
	};

	lock_args_defaults(a);
	if (sb_parse_options(LOCK_CMD, opts, argc, argv, LOCK_USAGE) == SB_OPTIONS_HELP)
		return false;
	a->kind = (enum sb_lock_kind)kind;
	a->c2c = !no_c2c;
	if (a->iterations && sb_option_given(opts, "duration"))
		sb_die_usage(LOCK_CMD, "--iterations: '%lu' cannot be combined with --duration",
			     (unsigned long)a->iterations);
	if (a->iterations)
		a->duration_ns = 0;
	return true;
}
