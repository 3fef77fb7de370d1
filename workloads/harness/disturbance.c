/*
 * disturbance.c - every run records what disturbed it (design.md section 6):
 * steal time of its CPUs, involuntary context switches, CPU migrations and
 * CPU time against wall time, so that the analysis can show results with
 * and without disturbed runs.  The software events go through the same
 * perf group code as the hardware events, so that path runs on any Linux.
 */
#define _GNU_SOURCE		/* RUSAGE_THREAD */
#include "harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static const char *const sw_events[SB_NR_SW_EVENTS] = {
	[SB_SW_TASK_CLOCK] = "task-clock",
	[SB_SW_CTXSW] = "context-switches",
	[SB_SW_MIGRATIONS] = "cpu-migrations",
};

/* ---- -e/--events ---- */

void sb_events_parse(const char *cmd, const char *opt, const char *val, void *data)
{
	struct sb_events *ev = data;
	char why[256], names[256], *save = NULL, *tok;

	snprintf(ev->buf, sizeof(ev->buf), "%s", val);
	ev->n = 0;
	for (tok = strtok_r(ev->buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (ev->n == SB_PERF_MAX)
			sb_die_usage(cmd, "%s: '%s' is not allowed (at most %d events)",
				     opt, val, SB_PERF_MAX);
		if (!sb_perf_event_known(tok, why, sizeof(why))) {
			sb_perf_generic_names(names, sizeof(names));
			sb_die_usage(cmd, "%s: '%s' is not allowed (%s; perf's names: %s; or a "
				     "libpfm4 name this CPU has)", opt, tok, why, names);
		}
		ev->name[ev->n++] = tok;
	}
	if (!ev->n || strlen(val) >= sizeof(ev->buf))
		sb_die_usage(cmd, "%s: '%s' is not allowed (a comma-separated list of event "
			     "names, at most %zu characters)", opt, val, sizeof(ev->buf) - 1);
}

/* ---- per thread ---- */

static uint64_t thread_invol_ctxsw(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_THREAD, &ru) ? 0 : (uint64_t)ru.ru_nivcsw;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void sb_counters_open(struct sb_thread_counters *c, const struct sb_events *events)
{
	char why[256] = "";

	memset(c, 0, sizeof(*c));
	c->sw = sb_perf_open(sw_events, SB_NR_SW_EVENTS, c->why, sizeof(c->why));
	if (events && events->n) {
		c->hw = sb_perf_open(events->name, events->n, why, sizeof(why));
		if (why[0])
			snprintf(c->why + strlen(c->why), sizeof(c->why) - strlen(c->why), "%s%s",
				 c->why[0] ? "; " : "", why);
	}
}

void sb_counters_start(struct sb_thread_counters *c)
{
	c->invol_ctxsw = thread_invol_ctxsw();
	c->cpu_ns = thread_cpu_ns();
	sb_perf_start(c->hw);
	sb_perf_start(c->sw);
}

static void group_read(struct sb_perf *p, uint64_t *vals, int n)
{
	for (int i = 0; i < n; i++)
		vals[i] = SB_PERF_NA;
	if (p)
		sb_perf_read(p, vals);
	sb_perf_close(p);
}

void sb_counters_stop(struct sb_thread_counters *c)
{
	sb_perf_stop(c->sw);
	sb_perf_stop(c->hw);
	c->cpu_ns = thread_cpu_ns() - c->cpu_ns;
	c->invol_ctxsw = thread_invol_ctxsw() - c->invol_ctxsw;
	group_read(c->sw, c->sw_vals, SB_NR_SW_EVENTS);
	group_read(c->hw, c->hw_vals, SB_PERF_MAX);
	c->sw = c->hw = NULL;
}

/* ---- summed over threads, and reported ---- */

void sb_counters_sum_init(struct sb_counters_sum *s, const struct sb_events *events)
{
	memset(s, 0, sizeof(*s));
	s->sw_ok = true;
	for (int e = 0; e < SB_PERF_MAX; e++)
		s->hw[e] = events && e < events->n ? 0 : NAN;
}

void sb_counters_add(struct sb_counters_sum *s, const struct sb_thread_counters *c,
		     const struct sb_events *events)
{
	for (int e = 0; e < SB_NR_SW_EVENTS; e++) {
		if (c->sw_vals[e] == SB_PERF_NA)
			s->sw_ok = false;
		else
			s->sw[e] += c->sw_vals[e];
	}
	for (int e = 0; events && e < events->n; e++)
		s->hw[e] += c->hw_vals[e] == SB_PERF_NA ? NAN : (double)c->hw_vals[e];
	s->invol_ctxsw += c->invol_ctxsw;
	s->cpu_ns += c->cpu_ns;
	if (!s->why[0] && c->why[0])
		snprintf(s->why, sizeof(s->why), "%s", c->why);
	s->threads++;
}

/* "ls_any_fills_from_sys.remote_cache" -> "ls_any_fills_from_sys_remote_cache_per_acq" */
static void event_column(char *col, size_t len, const char *event, const char *unit)
{
	size_t i = 0, tail = strlen(unit) + sizeof("_per_");

	for (; *event && i + tail < len; event++) {
		unsigned char ch = (unsigned char)*event;

		col[i++] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') :
			   ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) ? (char)ch : '_';
	}
	snprintf(col + i, len - i, "_per_%s", unit);
}

void sb_report_events(struct sb_report *r, const struct sb_counters_sum *s,
		      const struct sb_events *events, double ops, const char *unit)
{
	char col[128];

	for (int e = 0; events && e < events->n; e++) {
		event_column(col, sizeof(col), events->name[e], unit);
		sb_report_f64(r, col, ops > 0 ? s->hw[e] / ops : NAN);
	}
}

void sb_report_disturbance(struct sb_report *r, const struct sb_counters_sum *s,
			   double steal_ms, uint64_t wall_ns)
{
	bool ok = s->sw_ok && s->threads > 0;

	sb_report_f64(r, "steal_ms", steal_ms);
	sb_report_u64(r, "invol_ctxsw", s->invol_ctxsw);
	if (ok) {
		sb_report_u64(r, "ctx_switches", s->sw[SB_SW_CTXSW]);
		sb_report_u64(r, "cpu_migrations", s->sw[SB_SW_MIGRATIONS]);
		sb_report_f64(r, "task_clock_ms", s->sw[SB_SW_TASK_CLOCK] / 1e6);
	} else {
		sb_report_na(r, "ctx_switches");
		sb_report_na(r, "cpu_migrations");
		sb_report_na(r, "task_clock_ms");
	}
	/* without task-clock, the threads' own CPU clocks measure the same thing */
	sb_report_f64(r, "cpu_wall_ratio", wall_ns && s->threads ?
		      (ok ? (double)s->sw[SB_SW_TASK_CLOCK] : (double)s->cpu_ns) /
		      ((double)wall_ns * s->threads) : NAN);
}

/* ---- steal time ---- */

/* Field 8 of a "cpu" or "cpuN" line of /proc/stat, in USER_HZ ticks. */
static bool stat_line_steal(const char *line, int *cpu, unsigned long long *steal)
{
	unsigned long long v[8];
	int used = 0;

	if (strncmp(line, "cpu", 3))
		return false;
	*cpu = -1;
	if (line[3] >= '0' && line[3] <= '9')
		*cpu = atoi(line + 3);
	line += 3;
	while (*line && *line != ' ')
		line++;
	if (sscanf(line, "%llu %llu %llu %llu %llu %llu %llu %llu%n", &v[0], &v[1], &v[2],
		   &v[3], &v[4], &v[5], &v[6], &v[7], &used) != 8)
		return false;
	*steal = v[7];
	return true;
}

static bool cpu_in(int cpu, const int *os_cpus, int n)
{
	if (n == 0)
		return cpu < 0;                 /* the machine: the "cpu" line */
	for (int i = 0; i < n; i++)
		if (os_cpus[i] == cpu)
			return true;
	return false;
}

double sb_steal_ms(const int *os_cpus, int n)
{
	FILE *f = fopen("/proc/stat", "r");
	unsigned long long ticks = 0, steal;
	long hz = sysconf(_SC_CLK_TCK);
	char line[512];
	bool seen = false;
	int cpu;

	if (!f || hz <= 0) {
		if (f)
			fclose(f);
		return NAN;
	}
	while (fgets(line, sizeof(line), f)) {
		if (!stat_line_steal(line, &cpu, &steal) || !cpu_in(cpu, os_cpus, n))
			continue;
		ticks += steal;
		seen = true;
	}
	fclose(f);
	return seen ? ticks * 1000.0 / hz : NAN;
}
