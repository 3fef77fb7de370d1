/*
 * perf stat -x, parsing, on fixtures: one recorded here (KVM guest, no PMU:
 * cycles and instructions are <not supported>) and one in the format perf
 * prints where a PMU exists (perf-stat(1) CSV FORMAT), with a metric-only
 * line, a multiplexed event and a raw event whose name contains a comma.
 */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "analysis.h"

#define FIXTURES SB_SOURCE_DIR "/tests/fixtures/"

static const struct sb_perfstat_counter *find(const struct sb_perfstat_counter *c, int n,
					      const char *event)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(c[i].event, event))
			return &c[i];
	EXPECT_MSG(0, "event '%s' not parsed", event);
	return NULL;
}

static void test_no_pmu(void)
{
	struct sb_perfstat_counter c[16];
	const struct sb_perfstat_counter *x;
	int n = sb_perfstat_parse_file(FIXTURES "perf-stat-nopmu.csv", c, 16);

	EXPECT(n == 4);
	if ((x = find(c, n, "task-clock"))) {
		EXPECT(x->measured && fabs(x->value - 0.62) < 1e-9);
		EXPECT_STR(x->unit, "msec");
	}
	if ((x = find(c, n, "context-switches")))
		EXPECT(x->measured && x->value == 0);	/* a measured 0 stays 0 */
	if ((x = find(c, n, "cycles")))
		EXPECT(!x->measured);			/* <not supported> -> n/a */
	if ((x = find(c, n, "instructions")))
		EXPECT(!x->measured);

	n = sb_perfstat_parse_file(FIXTURES "perf-stat-nopmu-sleep.csv", c, 16);
	EXPECT(n == 7);
	if ((x = find(c, n, "page-faults")))
		EXPECT(x->measured && x->value == 77);
	if ((x = find(c, n, "branch-misses")))
		EXPECT(!x->measured);
}

static void test_pmu(void)
{
	struct sb_perfstat_counter c[16];
	const struct sb_perfstat_counter *x;
	int n = sb_perfstat_parse_file(FIXTURES "perf-stat-pmu.csv", c, 16);

	EXPECT(n == 7);		/* the metric-only line is not a counter */
	if ((x = find(c, n, "cycles")))
		EXPECT(x->measured && x->value == 3861234567.0);
	if ((x = find(c, n, "instructions")))
		EXPECT(x->measured && x->value == 1930617283.0);
	if ((x = find(c, n, "mem_load_l3_hit_retired.xsnp_fwd")))
		EXPECT(x->measured && x->value == 41234);
	if ((x = find(c, n, "cpu/event=0xd2,umask=0x4/u")))
		EXPECT(!x->measured);			/* <not counted> -> n/a */
	EXPECT(sb_perfstat_parse_file(FIXTURES "no-such-file.csv", c, 16) == -1);
}

static void test_columns(void)
{
	char col[96];

	sb_perfstat_column("task-clock", col, sizeof(col));
	EXPECT_STR(col, "perf_task_clock_ms");
	sb_perfstat_column("context-switches", col, sizeof(col));
	EXPECT_STR(col, "perf_context_switches");
	sb_perfstat_column("cpu/event=0xd2,umask=0x4/u", col, sizeof(col));
	EXPECT_STR(col, "perf_cpu_event_0xd2_umask_0x4_u");
	sb_perfstat_column("MEM_LOAD_L3_HIT_RETIRED.XSNP_FWD", col, sizeof(col));
	EXPECT_STR(col, "perf_mem_load_l3_hit_retired_xsnp_fwd");
}

int main(void)
{
	alarm(10);
	test_no_pmu();
	test_pmu();
	test_columns();
	return check_report();
}
