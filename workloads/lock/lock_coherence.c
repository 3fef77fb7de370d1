/*
 * `lock --coherence`: the traced run, its replay and its report columns
 * (lock_coherence.h).  Per-acquisition figures divide by the acquisitions the
 * trace itself marks (lockmem.h's acquired marker), so a run cut short by a
 * full buffer is still consistent.  "Per contended acquisition" counts what a
 * thread's own accesses caused from its previous acquisition to a contended
 * one (its release, its wait, its taking of the lock: coherence.h, con).
 */
#include <hwloc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lock_coherence.h"

#define COH_TRACE_BUDGET	(8u << 20)	/* records over all threads (256 MiB) */
#define COH_TRACE_PER_THREAD	(2u << 20)
#define COH_SKEW_ROUNDS		2000

struct sb_lm_tbuf *lock_trace_bufs;

/* ---- options (args.c's table) ---- */

const char *const lock_coherence_protocols[] = {
#define COH_PROTO_NAME(p, what) #p,
	COH_FOR_EACH_PROTOCOL(COH_PROTO_NAME)
#undef COH_PROTO_NAME
	NULL,
};

void lock_coherence_init(struct lock_coherence *c, const struct lock_args *a)
{
	memset(c, 0, sizeof(*c));
	c->on = a->coherence;
	c->proto = (enum coh_protocol)a->coherence_protocol;
}

/* Only the kinds whose every lock-word access is ours can be traced. */
void lock_coherence_check(const struct lock_args *a, const struct lock_coherence *c)
{
	char allowed[128] = "";

	if (!c->on || sb_lock_kind_counts_exact(a->kind))
		return;
	for (int k = 0; k < SB_NR_KINDS; k++)
		if (sb_lock_kind_counts_exact((enum sb_lock_kind)k))
			snprintf(allowed + strlen(allowed), sizeof(allowed) - strlen(allowed),
				 "%s%s", allowed[0] ? ", " : "", sb_lock_kind_name((enum sb_lock_kind)k));
	sb_die_usage(LOCK_CMD, "--coherence: kind '%s' keeps its lock word inside glibc, "
		     "which cannot be traced (allowed: %s)", sb_lock_kind_name(a->kind), allowed);
}

/* ---- hwloc distance classes, by OS CPU number ---- */

static bool same_ancestor(hwloc_topology_t t, hwloc_obj_type_t type, hwloc_obj_t a,
			  hwloc_obj_t b)
{
	hwloc_obj_t x = hwloc_get_ancestor_obj_by_type(t, type, a);

	return x && x == hwloc_get_ancestor_obj_by_type(t, type, b);
}

static enum coh_dist hwloc_dist(int cpu_a, int cpu_b, void *arg)
{
	hwloc_topology_t t = arg;
	hwloc_obj_t a = hwloc_get_pu_obj_by_os_index(t, (unsigned int)cpu_a);
	hwloc_obj_t b = hwloc_get_pu_obj_by_os_index(t, (unsigned int)cpu_b);

	if (!a || !b)
		return COH_DIST_other_package;
	if (a == b || same_ancestor(t, HWLOC_OBJ_CORE, a, b))
		return COH_DIST_same_core;
	if (same_ancestor(t, HWLOC_OBJ_L3CACHE, a, b))
		return COH_DIST_same_l3;
	if (same_ancestor(t, HWLOC_OBJ_PACKAGE, a, b))
		return COH_DIST_same_package;
	return COH_DIST_other_package;
}

/* ---- the traced run ---- */

static bool trace_bufs_alloc(int threads)
{
	size_t per = COH_TRACE_BUDGET / (unsigned int)threads;

	if (per > COH_TRACE_PER_THREAD)
		per = COH_TRACE_PER_THREAD;
	lock_trace_bufs = calloc(threads, sizeof(*lock_trace_bufs));
	if (!lock_trace_bufs)
		return false;
	for (int i = 0; i < threads; i++) {
		lock_trace_bufs[i].rec = malloc(per * sizeof(struct sb_lm_rec));
		if (!lock_trace_bufs[i].rec)
			return false;
		/* fault the pages in now: the traced run should pay for recording only */
		memset(lock_trace_bufs[i].rec, 0, per * sizeof(struct sb_lm_rec));
		lock_trace_bufs[i].cap = per;
	}
	return true;
}

static void trace_bufs_free(int threads)
{
	for (int i = 0; lock_trace_bufs && i < threads; i++)
		free(lock_trace_bufs[i].rec);
	free(lock_trace_bufs);
	lock_trace_bufs = NULL;
}

/*
 * Where a buffer filled, the other threads ran on a little before they saw the
 * stop flag: cut every trace at the earliest time a buffer was full, so that
 * what is replayed is every thread's complete record up to one instant.
 */
static void trace_cut(struct coh_trace *tr, int threads)
{
	uint64_t cut = UINT64_MAX;

	for (int i = 0; i < threads; i++) {
		const struct sb_lm_tbuf *b = &lock_trace_bufs[i];

		if (b->dropped && b->n && b->rec[b->n - 1].tsc < cut)
			cut = b->rec[b->n - 1].tsc;
	}
	for (int i = 0; i < threads; i++) {
		size_t n = 0;

		while (n < lock_trace_bufs[i].n && lock_trace_bufs[i].rec[n].tsc <= cut)
			n++;
		tr[i] = (struct coh_trace){ lock_trace_bufs[i].rec, n };
	}
}

/* The OS CPUs the threads ran on; every CPU if one was not pinned. */
static int trace_cpus(const struct lock_result *res, const struct sb_topology *topo, int *cpus)
{
	int n = 0, nr = sb_topology_nr_cpus(topo);

	for (int i = 0; i < res->nr_threads; i++) {
		if (res->threads[i].cpu < 0) {
			for (n = 0; n < nr; n++)
				cpus[n] = sb_topology_os_cpu(topo, n);
			return n;
		}
	}
	for (int i = 0; i < res->nr_threads; i++) {
		int os = sb_topology_os_cpu(topo, res->threads[i].cpu), dup = 0;

		for (int j = 0; j < n; j++)
			dup |= cpus[j] == os;
		if (!dup)
			cpus[n++] = os;
	}
	return n;
}

static int trace_max_cpu(const struct coh_trace *tr, int threads)
{
	uint32_t max = 0;

	for (int i = 0; i < threads; i++)
		for (size_t j = 0; j < tr[i].n; j++)
			if (tr[i].rec[j].cpu > max)
				max = tr[i].rec[j].cpu;
	return (int)max;
}

static int replay(const struct lock_args *a, struct coh_trace *tr, struct lock_coherence *c)
{
	struct coh_replay_cfg cfg = { .proto = c->proto, .dist = hwloc_dist,
				      .skew_ticks = (uint64_t)c->skew_ticks };
	hwloc_topology_t hw;
	long conf = sysconf(_SC_NPROCESSORS_CONF);
	int ret;

	cfg.nr_cpus = trace_max_cpu(tr, a->threads) + 1;
	if (conf > cfg.nr_cpus)
		cfg.nr_cpus = (int)conf;
	if (hwloc_topology_init(&hw) || hwloc_topology_load(hw)) {
		fprintf(stderr, "sheafbench lock: --coherence: cannot read the hwloc topology\n");
		return -1;
	}
	cfg.dist_arg = hw;
	ret = coh_replay(tr, a->threads, &cfg, &c->res, NULL);
	hwloc_topology_destroy(hw);
	if (ret)
		fprintf(stderr, "sheafbench lock: --coherence: out of memory replaying the trace\n");
	return ret;
}

static int traced_run(const struct lock_args *a, const struct sb_topology *topo,
		      struct lock_coherence *c, struct coh_trace *tr, int *cpus, int *nr_cpus)
{
	struct lock_args *traced = malloc(sizeof(*traced));
	struct lock_result res = { 0 };
	uint64_t acquisitions = 0;
	int ret = -1;

	if (traced) {
		*traced = *a;
		traced->coherence_trace = true;
		traced->c2c = false;		/* measured by the untraced run */
		ret = lock_run(traced, topo, &res);
	}
	if (ret == 0) {
		for (int i = 0; i < res.nr_threads; i++)
			acquisitions += res.threads[i].st.acquisitions;
		c->traced_acq_per_s = res.wall_ns ? acquisitions / (res.wall_ns / 1e9) : 0;
		for (int i = 0; i < a->threads; i++)
			c->trace_bytes += lock_trace_bufs[i].n * sizeof(struct sb_lm_rec);
		trace_cut(tr, a->threads);
		*nr_cpus = trace_cpus(&res, topo, cpus);
	}
	lock_result_free(&res);
	free(traced);
	return ret;
}

/* Nothing to do without --coherence.  0, or 1 after a one-line message. */
int lock_coherence_run(const struct lock_args *a, const struct sb_topology *topo,
		       struct lock_coherence *c)
{
	struct coh_trace *tr = NULL;
	int *cpus = NULL, nr_cpus = 0, ret = 1;
	char why[256];

	if (!c->on)
		return 0;
	if (!coh_tsc_invariant(why, sizeof(why))) {
		fprintf(stderr, "sheafbench lock: --coherence: %s\n", why);
		return 1;
	}
	tr = calloc(a->threads, sizeof(*tr));
	cpus = calloc(sb_topology_nr_cpus(topo) + a->threads, sizeof(*cpus));
	if (!tr || !cpus || !trace_bufs_alloc(a->threads)) {
		fprintf(stderr, "sheafbench lock: --coherence: out of memory for the trace\n");
		goto out;
	}
	if (traced_run(a, topo, c, tr, cpus, &nr_cpus))
		goto out;
	c->skew_ticks = coh_tsc_skew(cpus, nr_cpus, COH_SKEW_ROUNDS);
	if (c->skew_ticks < 0) {
		fprintf(stderr, "sheafbench lock: --coherence: cannot pin to measure the TSC skew\n");
		goto out;
	}
	if (replay(a, tr, c) == 0)
		ret = 0;
out:
	trace_bufs_free(a->threads);
	free(cpus);
	free(tr);
	return ret;
}

/* ---- report columns: n/a without --coherence ---- */

/* X(column, counter): per acquisition, over the traced acquisitions. */
#define COH_PER_ACQ_COLUMNS(X)			\
	X(xfers_per_acq, xfers)			\
	X(hitm_per_acq, hitm_fills)		\
	X(rfo_per_acq, rfos)			\
	X(upgrades_per_acq, upgrades)		\
	X(invals_per_acq, invals)

/* X(stem, counter): per contended acquisition, and the ambiguity range per acquisition. */
#define COH_RANGE_COLUMNS(X)			\
	X(xfers, xfers)				\
	X(hitm, hitm_fills)			\
	X(rfo, rfos)				\
	X(upgrades, upgrades)			\
	X(invals, invals)

static double per(uint64_t n, uint64_t d)
{
	return d ? (double)n / (double)d : NAN;
}

static void report_na(struct sb_report *r)
{
#define COH_NA(col, k) sb_report_na(r, #col);
#define COH_NA_RANGE(stem, k)						\
	sb_report_na(r, #stem "_per_con_acq");				\
	sb_report_na(r, #stem "_per_acq_lo");				\
	sb_report_na(r, #stem "_per_acq_hi");
	COH_PER_ACQ_COLUMNS(COH_NA)
	COH_RANGE_COLUMNS(COH_NA_RANGE)
#undef COH_NA
#undef COH_NA_RANGE
	sb_report_na(r, "coh_protocol");
	sb_report_na(r, "coh_exact");
	sb_report_na(r, "coh_ambiguous_pairs");
	sb_report_na(r, "tsc_skew_ticks");
	sb_report_na(r, "traced_acquisitions");
	sb_report_na(r, "traced_contended");
	sb_report_na(r, "traced_acq_per_s");
	sb_report_na(r, "trace_bytes");
}

void lock_coherence_report(struct sb_report *r, const struct lock_coherence *c)
{
	const struct coh_replay_result *x;
	uint64_t acq;

	if (!c || !c->on) {
		report_na(r);
		return;
	}
	x = &c->res;
	acq = x->acquisitions;
#define COH_COL(col, k) sb_report_f64(r, #col, per(x->counts.n[COH_C_##k], acq));
#define COH_COL_RANGE(stem, k)							\
	sb_report_f64(r, #stem "_per_con_acq", per(x->con.n[COH_C_##k], x->contended));	\
	sb_report_f64(r, #stem "_per_acq_lo", per(x->lo.n[COH_C_##k], acq));		\
	sb_report_f64(r, #stem "_per_acq_hi", per(x->hi.n[COH_C_##k], acq));
	COH_PER_ACQ_COLUMNS(COH_COL)
	COH_RANGE_COLUMNS(COH_COL_RANGE)
#undef COH_COL
#undef COH_COL_RANGE
	sb_report_str(r, "coh_protocol", coh_protocol_name(c->proto));
	sb_report_u64(r, "coh_exact", x->exact);
	sb_report_u64(r, "coh_ambiguous_pairs", x->ambiguous_pairs);
	sb_report_u64(r, "tsc_skew_ticks", (uint64_t)c->skew_ticks);
	sb_report_u64(r, "traced_acquisitions", acq);
	sb_report_u64(r, "traced_contended", x->contended);
	sb_report_f64(r, "traced_acq_per_s", c->traced_acq_per_s);
	sb_report_u64(r, "trace_bytes", c->trace_bytes);
}
