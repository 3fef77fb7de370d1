/*
 * test_pmu.c - hardware counters degrade to a reason, never a crash or a 0:
 * availability comes with an explanation, unknown events are skipped with
 * theirs, every call accepts a NULL group.
 */
#include "check.h"
#include "harness.h"

static void check_available_or_reason(void)
{
	const char *const cycles[] = { "cycles" };
	char why[256] = "", tiny[8];
	bool pmu = sb_pmu_available(why, sizeof(why));
	struct sb_perf *p;
	uint64_t v = 0;

	printf("pmu: %s (%s)\n", pmu ? "available" : "not available", why);
	CHECK(why[0]);
	CHECK(sb_pmu_available(tiny, sizeof(tiny)) == pmu);   /* truncates, no overflow */
	p = sb_perf_open(cycles, 1, why, sizeof(why));
	if (!pmu) {
		CHECK(p == NULL);
		CHECK(strstr(why, "cycles"));
		return;
	}
	CHECK(p);
	sb_perf_start(p);
	sb_busy_loop(100000);
	sb_perf_stop(p);
	CHECK(sb_perf_read(p, &v) == 1 && v != SB_PERF_NA && v > 0);
	sb_perf_close(p);
}

static void check_unknown_and_null(void)
{
	const char *const bogus[] = { "NO_SUCH_EVENT_XYZ" };
	const char *many[17];
	char why[256];
	uint64_t v;

	CHECK(sb_perf_open(bogus, 1, why, sizeof(why)) == NULL);
	CHECK(strstr(why, "NO_SUCH_EVENT_XYZ"));
	for (int i = 0; i < 17; i++)
		many[i] = "cycles";
	CHECK(sb_perf_open(many, 17, why, sizeof(why)) == NULL && why[0]);
	sb_perf_start(NULL);
	sb_perf_stop(NULL);
	CHECK(sb_perf_read(NULL, &v) == -1);
	sb_perf_close(NULL);
}

static void check_default_events(void)
{
	int n = 0;
	const char *const *ev = sb_perf_default_events(&n);
	char why[1024];
	struct sb_perf *p;
	uint64_t vals[16];

	CHECK(n >= 2 && n <= 16);
	CHECK_STR(ev[0], "cycles");
	CHECK_STR(ev[1], "instructions");
	for (int i = 0; i < n; i++)
		printf("default event %d: %s\n", i, ev[i]);
	p = sb_perf_open(ev, n, why, sizeof(why));
	printf("open defaults: %s%s\n", p ? "ok" : "unavailable: ", p ? "" : why);
	if (!p)
		return;
	sb_perf_start(p);
	sb_perf_stop(p);
	CHECK(sb_perf_read(p, vals) >= 0);
	sb_perf_close(p);
}

int main(void)
{
	check_available_or_reason();
	check_unknown_and_null();
	check_default_events();
	printf("pmu: ok\n");
	return 0;
}
