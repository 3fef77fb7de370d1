/* test_engine - the coherence engine and replay on hand-written access
 * sequences whose counts are known.
 */
#include <stdlib.h>

#include "../check.h"
#include "coherence.h"

#define LINE 100

#define EXPECT_EQ(got, want) EXPECT_MSG((unsigned long long)(got) == (unsigned long long)(want), \
					"%s = %llu, want %llu", #got,			\
					(unsigned long long)(got), (unsigned long long)(want))

static struct coh_engine *engine(enum coh_protocol p, int nr_cpus)
{
	struct coh_engine *e = coh_engine_new(p, nr_cpus, NULL, NULL);

	CHECK(e);
	return e;
}

static uint64_t total(const struct coh_engine *e, enum coh_counter c)
{
	struct coh_counts t;

	coh_engine_total(e, &t);
	return t.n[c];
}

/* Two CPUs alternating RMWs: every RMW after the first moves the line once. */
static void test_alternating_rmw(enum coh_protocol p)
{
	struct coh_engine *e = engine(p, 2);

	for (int i = 0; i < 20; i++)
		CHECK(coh_access(e, i & 1, LINE, COH_RMW));
	EXPECT_EQ(total(e, COH_C_xfers), 19);
	EXPECT_EQ(total(e, COH_C_rfos), 20);
	EXPECT_EQ(total(e, COH_C_invals), 19);
	EXPECT_EQ(total(e, COH_C_upgrades), 0);
	EXPECT_EQ(total(e, COH_C_rmws), 20);
	coh_engine_free(e);
}

/* One writer, one polling reader: one dirty (HITM) fill per write. */
static void test_writer_poller(enum coh_protocol p)
{
	struct coh_engine *e = engine(p, 2);

	for (int w = 0; w < 10; w++) {
		CHECK(coh_access(e, 0, LINE, COH_WRITE));
		for (int r = 0; r < 3; r++)	/* re-reads hit */
			CHECK(coh_access(e, 1, LINE, COH_READ));
	}
	EXPECT_EQ(total(e, COH_C_hitm_fills), 10);
	EXPECT_EQ(total(e, COH_C_mem_fills), 0);
	EXPECT_EQ(total(e, COH_C_upgrades), 9);	/* each write after the first: S/O -> M */
	EXPECT_EQ(total(e, COH_C_invals), 9);
	coh_engine_free(e);
}

/* Ticket release: N CPUs share the line, the holder's store invalidates N-1. */
static void test_ticket_release(enum coh_protocol p, int n)
{
	struct coh_engine *e = engine(p, n);

	for (int c = 0; c < n; c++)
		CHECK(coh_access(e, c, LINE, COH_READ));
	CHECK(coh_access(e, 0, LINE, COH_WRITE));
	EXPECT_EQ(total(e, COH_C_invals), n - 1);
	EXPECT_EQ(total(e, COH_C_upgrades), 1);
	for (int c = 1; c < n; c++)
		EXPECT(coh_engine_state(e, c, LINE) == 'I');
	EXPECT(coh_engine_state(e, 0, LINE) == 'M');
	coh_engine_free(e);
}

/* Dirty line read by two others, then written: where MESI and MOESI differ. */
static void test_dirty_share(void)
{
	struct { enum coh_protocol p; uint64_t hitm, mem, clean, xfers, wb; } want[] = {
		{ COH_mesi,  1, 1, 0, 1, 1 },	/* A writes back at B's read; C from memory */
		{ COH_moesi, 2, 0, 0, 2, 0 },	/* A keeps it in O and supplies B and C */
		{ COH_mesif, 1, 0, 1, 2, 1 },	/* B holds F after its read and supplies C */
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct coh_engine *e = engine(want[i].p, 3);

		CHECK(coh_access(e, 0, LINE, COH_WRITE));
		CHECK(coh_access(e, 1, LINE, COH_READ));
		CHECK(coh_access(e, 2, LINE, COH_READ));
		EXPECT(coh_engine_state(e, 0, LINE) == (want[i].p == COH_moesi ? 'O' : 'S'));
		CHECK(coh_access(e, 1, LINE, COH_WRITE));
		EXPECT_EQ(total(e, COH_C_hitm_fills), want[i].hitm);
		EXPECT_EQ(total(e, COH_C_mem_fills), want[i].mem);
		EXPECT_EQ(total(e, COH_C_clean_fills), want[i].clean);
		EXPECT_EQ(total(e, COH_C_xfers), want[i].xfers);
		EXPECT_EQ(total(e, COH_C_writebacks), want[i].wb);
		EXPECT_EQ(total(e, COH_C_upgrades), 1);
		EXPECT_EQ(total(e, COH_C_invals), 2);
		coh_engine_free(e);
	}
}

/* cpu / 2 = core, cpu / 4 = L3, cpu / 8 = package. */
static enum coh_dist dist_fn(int a, int b, void *arg)
{
	(void)arg;
	if (a / 2 == b / 2)
		return COH_DIST_same_core;
	if (a / 4 == b / 4)
		return COH_DIST_same_l3;
	return a / 8 == b / 8 ? COH_DIST_same_package : COH_DIST_other_package;
}

static void test_distance(void)
{
	struct coh_engine *e = coh_engine_new(COH_mesi, 16, dist_fn, NULL);
	struct coh_counts t;

	CHECK(e);
	CHECK(coh_access(e, 0, LINE, COH_RMW));		/* from memory */
	CHECK(coh_access(e, 1, LINE, COH_RMW));		/* same core */
	CHECK(coh_access(e, 3, LINE, COH_RMW));		/* same L3 (1 -> 3) */
	CHECK(coh_access(e, 5, LINE, COH_RMW));		/* same package */
	CHECK(coh_access(e, 9, LINE, COH_RMW));		/* other package */
	coh_engine_total(e, &t);
	EXPECT_EQ(t.by_dist[COH_C_rfos][COH_DIST_memory], 1);
	EXPECT_EQ(t.by_dist[COH_C_xfers][COH_DIST_same_core], 1);
	EXPECT_EQ(t.by_dist[COH_C_xfers][COH_DIST_same_l3], 1);
	EXPECT_EQ(t.by_dist[COH_C_xfers][COH_DIST_same_package], 1);
	EXPECT_EQ(t.by_dist[COH_C_xfers][COH_DIST_other_package], 1);
	EXPECT_EQ(coh_engine_cpu(e, 9)->n[COH_C_xfers], 1);
	coh_engine_free(e);
}

static struct sb_lm_rec rec(uint64_t tsc, int cpu, uint64_t line, enum sb_lm_op op)
{
	return (struct sb_lm_rec){ .tsc = tsc, .cpu = (uint32_t)cpu,
				   .addr = line << COH_LINE_SHIFT, .op = (uint8_t)op, .size = 4 };
}

static char *replay_text(const struct coh_trace *t, int n, uint64_t skew,
			 struct coh_replay_result *res)
{
	struct coh_replay_cfg cfg = { .proto = COH_mesi, .nr_cpus = 4, .skew_ticks = skew };
	struct coh_engine *e = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CHECK(f);
	CHECK(coh_replay(t, n, &cfg, res, &e) == 0);
	coh_engine_print(e, f);
	fclose(f);
	coh_engine_free(e);
	return buf;
}

/* Replay orders by TSC across traces, is byte-for-byte repeatable, and turns
 * accesses closer than the skew into a range. */
static void test_replay(void)
{
	struct sb_lm_rec a[] = { rec(100, 0, LINE, SB_LM_xchg), rec(300, 0, LINE, SB_LM_store),
				 rec(500, 0, LINE + 1, SB_LM_load) };
	struct sb_lm_rec b[] = { rec(105, 1, LINE, SB_LM_load), rec(400, 1, LINE, SB_LM_cmpxchg),
				 rec(600, 1, LINE + 1, SB_LM_fetch_add) };
	struct coh_trace t[] = { { a, 3 }, { b, 3 } };
	struct coh_replay_result r1, r2;
	char *s1, *s2;

	s1 = replay_text(t, 2, 1, &r1);
	s2 = replay_text(t, 2, 1, &r2);
	CHECK_STR(s1, s2);
	EXPECT(!memcmp(&r1, &r2, sizeof(r1)));
	EXPECT_EQ(r1.records, 6);
	EXPECT_EQ(r1.ambiguous_pairs, 0);
	EXPECT(r1.exact);
	/* xchg(0) RFO from memory; load(1) HITM; store(0) upgrade; cmpxchg(1) RFO + xfer */
	EXPECT_EQ(r1.counts.n[COH_C_hitm_fills], 1);
	EXPECT_EQ(r1.counts.n[COH_C_upgrades], 1);
	EXPECT_EQ(r1.counts.n[COH_C_rmws], 3);
	EXPECT_EQ(r1.counts.n[COH_C_xfers], 3);	/* B's load, B's cmpxchg, B's fetch_add */
	free(s1);
	free(s2);

	/* 5 ticks apart with a 10-tick skew: xchg/load may have gone either way */
	s1 = replay_text(t, 2, 10, &r1);
	EXPECT_EQ(r1.ambiguous_pairs, 1);
	EXPECT(!r1.exact);
	EXPECT_EQ(r1.lo.n[COH_C_hitm_fills], 0);	/* load first: from memory, E */
	EXPECT_EQ(r1.hi.n[COH_C_hitm_fills], 1);
	EXPECT_EQ(r1.lo.n[COH_C_rmws], r1.hi.n[COH_C_rmws]);
	free(s1);
}

/* Accesses are charged to the acquisition they lead up to, by its marker. */
static void test_charge(void)
{
	struct sb_lm_rec a[] = { rec(10, 0, LINE, SB_LM_xchg), rec(11, 0, LINE, SB_LM_acquired),
				 rec(20, 0, LINE, SB_LM_store) };
	struct sb_lm_rec b[] = { rec(30, 1, LINE, SB_LM_xchg), rec(40, 1, LINE, SB_LM_xchg),
				 rec(41, 1, LINE, SB_LM_acquired) };
	struct coh_trace t[] = { { a, 3 }, { b, 3 } };
	struct coh_replay_cfg cfg = { .proto = COH_mesi, .nr_cpus = 2, .skew_ticks = 1 };
	struct coh_replay_result r;

	b[2].val = 1;				/* contended */
	CHECK(coh_replay(t, 2, &cfg, &r, NULL) == 0);
	EXPECT_EQ(r.acquisitions, 2);
	EXPECT_EQ(r.contended, 1);
	EXPECT_EQ(r.records, 4);
	EXPECT_EQ(r.uncon.n[COH_C_rfos], 1);	/* A's first xchg, from memory */
	EXPECT_EQ(r.uncon.n[COH_C_xfers], 0);
	EXPECT_EQ(r.con.n[COH_C_rmws], 2);	/* B's two xchgs */
	EXPECT_EQ(r.con.n[COH_C_xfers], 1);	/* the line came from A once */
	EXPECT_EQ(r.con.n[COH_C_invals], 1);
	EXPECT_EQ(r.counts.n[COH_C_writes], 1);	/* A's release: counted, charged to none */
	EXPECT_EQ(r.con.n[COH_C_writes] + r.uncon.n[COH_C_writes], 0);
}

int main(void)
{
	for (int p = 0; p < COH_NR_PROTOCOLS; p++) {
		test_alternating_rmw((enum coh_protocol)p);
		test_writer_poller((enum coh_protocol)p);
		test_ticket_release((enum coh_protocol)p, 2);
		test_ticket_release((enum coh_protocol)p, 8);
	}
	test_dirty_share();
	test_distance();
	test_replay();
	test_charge();
	EXPECT(coh_protocol_from_name("moesi") == COH_moesi);
	EXPECT(coh_protocol_from_name("mosi") == -1);
	return check_report();
}
