/* test_live - real lock code, traced (SB_LOCKMEM_TRACE=1), replayed.
 *
 * For every lock kind whose counts are exact, through the build's pattern:
 *  - one pinned thread: after the first touch of each line nothing moves
 *    (0 transfers, 0 HITM fills; RFOs and memory fills at most one per line);
 *  - two threads pinned to two CPUs: the RMWs in the traces equal the lockstat
 *    rmw counters, the engine sees every one of them, and no RMW costs more
 *    than one RFO or upgrade.
 * Each record's CPU (rdtscp's TSC_AUX) must be the CPU the thread is pinned to.
 */
#include "../locks/locktest.h"
#include "../check.h"
#include "coherence.h"

#define ROUNDS		3000
#define TRACE_RECS	(1u << 20)

struct tracer {
	const struct lt_kind *k;
	union lt_lock *lock;
	int idx;
	int os_cpu;			/* -1: could not pin */
	struct sb_lockstat st;
	struct sb_lm_tbuf tbuf;
	pthread_barrier_t *start;
	pthread_t tid;
};

static void *tracer_main(void *arg)
{
	struct tracer *t = arg;
	struct sb_qnode qnode;
	struct sb_lockctx ctx = { .st = &t->st, .qnode = &qnode };

	t->os_cpu = lt_pin_nth(t->idx);
	ctx.cpu = t->os_cpu;
	sb_qnode_init(&qnode);
	sb_lm_tbuf_cur = &t->tbuf;
	pthread_barrier_wait(t->start);
	for (int i = 0; i < ROUNDS; i++) {
		t->k->acquire(t->lock, false, &ctx);
		t->k->release(t->lock, &ctx);
	}
	sb_lm_tbuf_cur = NULL;
	sb_qnode_fini(&qnode);
	return NULL;
}

/* Run @n tracers on @k, replay, check; returns the engine's totals. */
static void run_kind(const struct lt_kind *k, int n)
{
	static union lt_lock lock __attribute__((aligned(128)));
	struct tracer t[2];
	struct coh_trace tr[2];
	struct coh_replay_result res;
	struct coh_replay_cfg cfg = { .proto = COH_mesi,
				      .nr_cpus = (int)sysconf(_SC_NPROCESSORS_CONF) };
	struct coh_engine *e = NULL;
	pthread_barrier_t start;
	uint64_t rmw_counted = 0, rmw_traced = 0, acquired = 0;

	k->init(&lock);
	pthread_barrier_init(&start, NULL, n);
	for (int i = 0; i < n; i++) {
		t[i] = (struct tracer){ .k = k, .lock = &lock, .idx = i, .start = &start };
		t[i].tbuf.rec = calloc(TRACE_RECS, sizeof(*t[i].tbuf.rec));
		CHECK(t[i].tbuf.rec);
		t[i].tbuf.cap = TRACE_RECS;
		CHECK(pthread_create(&t[i].tid, NULL, tracer_main, &t[i]) == 0);
	}
	for (int i = 0; i < n; i++)
		pthread_join(t[i].tid, NULL);
	pthread_barrier_destroy(&start);

	for (int i = 0; i < n; i++) {
		EXPECT_MSG(t[i].tbuf.dropped == 0, "%s: %llu records dropped", k->name,
			   (unsigned long long)t[i].tbuf.dropped);
		rmw_counted += t[i].st.rmw;
		acquired += t[i].st.acquisitions;
		for (size_t j = 0; j < t[i].tbuf.n; j++) {
			rmw_traced += sb_lm_op_class(t[i].tbuf.rec[j].op) == 'x';
			if (t[i].os_cpu >= 0 && t[i].tbuf.rec[j].cpu != (uint32_t)t[i].os_cpu) {
				EXPECT_MSG(0, "%s: record on cpu %u, thread pinned to %d", k->name,
					   t[i].tbuf.rec[j].cpu, t[i].os_cpu);
				break;
			}
		}
		tr[i] = (struct coh_trace){ t[i].tbuf.rec, t[i].tbuf.n };
	}
	CHECK(coh_replay(tr, n, &cfg, &res, &e) == 0);
	EXPECT_MSG(rmw_traced == rmw_counted, "%s x%d: %llu RMWs traced, %llu counted", k->name,
		   n, (unsigned long long)rmw_traced, (unsigned long long)rmw_counted);
	EXPECT_MSG(res.acquisitions == acquired, "%s: %llu acquisition marks, %llu counted",
		   k->name, (unsigned long long)res.acquisitions, (unsigned long long)acquired);
	EXPECT_MSG(res.counts.n[COH_C_rmws] == rmw_traced, "%s: engine saw %llu RMWs of %llu",
		   k->name, (unsigned long long)res.counts.n[COH_C_rmws],
		   (unsigned long long)rmw_traced);
	EXPECT_MSG(res.counts.n[COH_C_rfos] + res.counts.n[COH_C_upgrades] <=
		   res.counts.n[COH_C_rmws] + res.counts.n[COH_C_writes],
		   "%s: more ownership requests than writes", k->name);
	if (n == 1) {
		EXPECT_MSG(res.counts.n[COH_C_xfers] == 0 && res.counts.n[COH_C_hitm_fills] == 0,
			   "%s alone: %llu transfers, %llu HITM", k->name,
			   (unsigned long long)res.counts.n[COH_C_xfers],
			   (unsigned long long)res.counts.n[COH_C_hitm_fills]);
		EXPECT_MSG(res.counts.n[COH_C_rfos] + res.counts.n[COH_C_mem_fills] <=
			   coh_engine_nr_lines(e), "%s alone: misses after first touch", k->name);
	}
	printf("%-7s x%d: records %llu rmw %llu xfers %llu hitm %llu rfos %llu upgrades %llu "
	       "invals %llu\n", k->name, n, (unsigned long long)res.records,
	       (unsigned long long)res.counts.n[COH_C_rmws],
	       (unsigned long long)res.counts.n[COH_C_xfers],
	       (unsigned long long)res.counts.n[COH_C_hitm_fills],
	       (unsigned long long)res.counts.n[COH_C_rfos],
	       (unsigned long long)res.counts.n[COH_C_upgrades],
	       (unsigned long long)res.counts.n[COH_C_invals]);
	coh_engine_free(e);
	for (int i = 0; i < n; i++)
		free(t[i].tbuf.rec);
}

int main(void)
{
	lt_watchdog(100);
	for (int kind = 0; kind < SB_NR_KINDS; kind++) {
		if (!lt_kinds[kind].exact)
			continue;		/* glibc's own accesses are not traced */
		run_kind(&lt_kinds[kind], 1);
		run_kind(&lt_kinds[kind], 2);
	}
	return check_report() | lt_exit_status("test_live");
}
