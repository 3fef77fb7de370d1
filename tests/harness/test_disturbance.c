/*
 * test_disturbance.c - each run's disturbance is measured for real here: the
 * software events go through the perf group code on any Linux (no PMU
 * needed), so a busy thread reads task-clock > 0; steal time reads from
 * /proc/stat; -e/--events takes perf's names (also as -e LIST) and refuses
 * an unknown one with one line and exit 2; the columns are numbers, not n/a.
 */
#include <math.h>

#include "check.h"
#include "harness.h"

static void check_busy_thread(void)
{
	static const struct sb_events hw = { .n = 2, .name = { "cycles", "page-faults" } };
	struct sb_thread_counters c;
	struct sb_counters_sum sum;
	char *mem;

	sb_counters_open(&c, &hw);
	CHECK_MSG(c.sw, "software events did not open: %s", c.why);
	sb_counters_start(&c);
	sb_busy_wait_ns(20 * 1000 * 1000);
	mem = malloc(1 << 22);
	CHECK(mem);
	for (int i = 0; i < 1 << 22; i += 4096)
		mem[i] = (char)i;              /* page faults, a software event too */
	sb_counters_stop(&c);
	free(mem);
	CHECK(c.sw == NULL && c.hw == NULL);
	CHECK(c.sw_vals[SB_SW_TASK_CLOCK] != SB_PERF_NA && c.sw_vals[SB_SW_TASK_CLOCK] > 0);
	CHECK(c.sw_vals[SB_SW_CTXSW] != SB_PERF_NA);
	CHECK(c.sw_vals[SB_SW_MIGRATIONS] != SB_PERF_NA);
	CHECK(c.cpu_ns > 0);                   /* no speed asserted: the machine is shared */
	printf("task-clock %.3f ms, thread CPU %.3f ms, ctxsw %llu, migrations %llu, "
	       "invol %llu, page-faults %s\n", c.sw_vals[SB_SW_TASK_CLOCK] / 1e6, c.cpu_ns / 1e6,
	       (unsigned long long)c.sw_vals[SB_SW_CTXSW],
	       (unsigned long long)c.sw_vals[SB_SW_MIGRATIONS],
	       (unsigned long long)c.invol_ctxsw,
	       c.hw_vals[1] == SB_PERF_NA ? "n/a" : "counted");
	/* the --events group: page-faults counts everywhere, cycles only with a PMU */
	CHECK(c.hw_vals[1] != SB_PERF_NA && c.hw_vals[1] >= 1000);
	sb_counters_sum_init(&sum, &hw);
	sb_counters_add(&sum, &c, &hw);
	sb_counters_add(&sum, &c, &hw);
	CHECK(sum.threads == 2 && sum.sw_ok);
	CHECK(sum.sw[SB_SW_TASK_CLOCK] == 2 * c.sw_vals[SB_SW_TASK_CLOCK]);
	CHECK(sum.hw[1] == 2.0 * c.hw_vals[1]);
	CHECK(c.hw_vals[0] == SB_PERF_NA ? isnan(sum.hw[0]) : sum.hw[0] > 0);
}

static void check_steal(void)
{
	int cpu0 = 0;
	double all = sb_steal_ms(NULL, 0), one = sb_steal_ms(&cpu0, 1);

	printf("steal so far: machine %.0f ms, cpu0 %.0f ms\n", all, one);
	CHECK(!isnan(all) && all >= 0);
	CHECK(!isnan(one) && one >= 0 && one <= all);
}

/* The report row: every disturbance column a number, events per op after them. */
static void check_report_columns(void)
{
	static const struct sb_events hw = { .n = 1, .name = { "task-clock" } };
	struct sb_thread_counters c;
	struct sb_counters_sum sum;
	struct sb_report *r = sb_report_new();
	char buf[2048];
	FILE *f = tmpfile();
	size_t n;

	CHECK(r && f);
	sb_counters_open(&c, &hw);
	sb_counters_start(&c);
	sb_busy_wait_ns(2 * 1000 * 1000);
	sb_counters_stop(&c);
	sb_counters_sum_init(&sum, &hw);
	sb_counters_add(&sum, &c, &hw);
	sb_report_row(r);
	sb_report_disturbance(r, &sum, 0.0, 2 * 1000 * 1000);
	sb_report_events(r, &sum, &hw, 1000, "op");
	sb_report_print(r, SB_FMT_CSV, f);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	sb_report_free(r);
	static const char header[] = "steal_ms,invol_ctxsw,ctx_switches,cpu_migrations,"
				     "task_clock_ms,cpu_wall_ratio,task_clock_per_op\n";

	CHECK_MSG(!strncmp(buf, header, strlen(header)), "%s", buf);
	CHECK_MSG(!strstr(buf, "n/a"), "%s", buf);
}

struct events_case { const char *argv[3]; };

static void parse_events(const void *arg)
{
	const struct events_case *c = arg;
	char *argv[4] = { "lock" };
	int argc = 1;
	struct sb_events ev = { 0 };
	struct sb_option opts[] = { SB_OPT_EVENTS(&ev), SB_OPT_END };

	for (int i = 0; c->argv[i]; i++)
		argv[argc++] = (char *)c->argv[i];
	sb_parse_options("lock", opts, argc, argv, "usage");
}

static void check_events_option(void)
{
	char *argv[] = { "lock", "-e", "cycles,cs,task-clock", NULL };
	char *joined[] = { "lock", "-ecpu-migrations", NULL };
	char *long_eq[] = { "lock", "--events=instructions,page-faults", NULL };
	struct sb_events ev = { 0 };
	struct sb_option opts[] = { SB_OPT_EVENTS(&ev), SB_OPT_END };
	static const struct events_case bad[] = {
		{ { "-e", "cycles,no-such-event" } },
		{ { "--events", "" } },
		{ { "--events=,," } },
		{ { "-e" } },
		{ { "-e", "cycles,cycles,cycles,cycles,cycles,cycles,cycles,cycles,cycles,"
			  "cycles,cycles,cycles,cycles,cycles,cycles,cycles,cycles" } },
	};
	const char *needles[][3] = {
		{ "sheafbench lock: --events: 'no-such-event' is not allowed", "task-clock" },
		{ "--events: ''" }, { "--events: ',,'" }, { "-e: needs a value" },
		{ "at most 16 events" },
	};

	CHECK(sb_parse_options("lock", opts, 3, argv, "usage") == SB_OPTIONS_RUN);
	CHECK(ev.n == 3 && !strcmp(ev.name[1], "cs") && !strcmp(ev.name[2], "task-clock"));
	CHECK(sb_parse_options("lock", opts, 2, joined, "usage") == SB_OPTIONS_RUN);
	CHECK(ev.n == 1 && !strcmp(ev.name[0], "cpu-migrations"));
	CHECK(sb_parse_options("lock", opts, 2, long_eq, "usage") == SB_OPTIONS_RUN);
	CHECK(ev.n == 2 && !strcmp(ev.name[1], "page-faults"));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_usage_exit(parse_events, &bad[i], needles[i]);
}

int main(void)
{
	alarm(60);
	check_busy_thread();
	check_steal();
	check_report_columns();
	check_events_option();
	printf("disturbance: ok\n");
	return 0;
}
