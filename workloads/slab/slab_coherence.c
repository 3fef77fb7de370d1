/*
 * `slab WORKLOAD --coherence`: before the measured run, a traced run of the
 * same workload in a child process running sheafbench-trace-<pattern> (the
 * worker linked with the allocator built with SB_LOCKMEM_TRACE=1, so the
 * measured worker's allocator has no tracing branch).  The child records every
 * lock-site access (lockpatterns/lockmem.h), replays the merged trace through
 * the coherence model, charges each event to the lock site whose word the
 * access touched (the sites the allocator registered: sb_lm_site_register())
 * and sends the counts back through a pipe.  Per op: per allocator call of the
 * traced run's measured section.
 */
#define _GNU_SOURCE
#define SB_LOCKMEM_TRACE 1	/* this file's own view: buffers, site table */
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "coherence.h"
#include "sheafalloc.h"
#include "slab_coherence.h"
#include "slab_workload.h"

#define COH_ENV			"SHEAFBENCH_COHERENCE_FD"
#define COH_TRACE_BUDGET	(8u << 20)	/* records over all threads (256 MiB) */
#define COH_TRACE_PER_THREAD	(4u << 20)
#define COH_SKEW_ROUNDS		2000
#define COH_SITE_CACHE		256

static const char *const site_names[] = {
#define SLAB_COH_SITE_NAME(name) #name,
	SLAB_COH_SITES(SLAB_COH_SITE_NAME)
#undef SLAB_COH_SITE_NAME
};

static struct sb_lm_tbuf *bufs;		/* one per thread in the traced child */
static int nr_bufs;
static const char *coh_cmd = "slab";	/* for messages: slab or page */

#define coh_err(fmt, ...) \
	fprintf(stderr, "sheafbench %s: --coherence: " fmt "\n", coh_cmd, ##__VA_ARGS__)

/* ---- the measured process: run the traced child, read its result ---- */

static int trace_worker_path(char *path, size_t len)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return -1;
	self[n] = '\0';
	snprintf(path, len, "%s/sheafbench-trace-%s", dirname(self), SB_PATTERN_NAME);
	return 0;
}

static void child_exec(int fd, int argc, char **argv, const char *path)
{
	char **args = calloc((size_t)argc + 2, sizeof(*args));
	char fdstr[16];

	if (!args)
		_exit(1);
	args[0] = (char *)path;
	for (int i = 0; i < argc; i++)
		args[i + 1] = argv[i];
	snprintf(fdstr, sizeof(fdstr), "%d", fd);
	setenv(COH_ENV, fdstr, 1);
	execv(path, args);
	coh_err("cannot run %s: %s (build target sheafbench-trace-%s)", path, strerror(errno),
		SB_PATTERN_NAME);
	_exit(1);
}

static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * The measured process, before anything else of the run (no thread, no
 * allocator yet): the traced run in a child, its result in *out.  0, or 1
 * after a message.
 */
int alloc_coherence_parent(const char *cmd, int argc, char **argv, struct slab_coh **out)
{
	char path[4200];
	int fds[2], status, got;
	struct slab_coh *c;
	pid_t pid;

	coh_cmd = cmd;
	if (alloc_coherence_is_child())
		return 0;
	c = *out = calloc(1, sizeof(*c));
	if (!c || trace_worker_path(path, sizeof(path)) || pipe(fds)) {
		coh_err("cannot set up the traced run");
		return 1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		coh_err("fork: %s", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		close(fds[0]);
		child_exec(fds[1], argc, argv, path);
	}
	close(fds[1]);
	got = read_all(fds[0], c, sizeof(*c));
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got || !WIFEXITED(status) || WEXITSTATUS(status) || !c->ok) {
		/* the child said why, unless it died */
		if (!WIFEXITED(status))
			coh_err("the traced run died");
		else if (!WEXITSTATUS(status))
			coh_err("no result from the traced run");
		return 1;
	}
	return 0;
}

/* ---- the traced child (sheafbench-trace-<pattern>) ---- */

bool alloc_coherence_is_child(void)
{
#if SB_WORKER_TRACE
	return getenv(COH_ENV) != NULL;
#else
	return false;
#endif
}

/* The traced child's main thread, before the threads start: buffers, *out.  0, or 1. */
int alloc_coherence_child_begin(const char *cmd, int nthreads, int *stop, struct slab_coh **out)
{
	size_t per = COH_TRACE_BUDGET / (unsigned int)nthreads;
	char why[256];

	coh_cmd = cmd;
	if (!coh_tsc_invariant(why, sizeof(why))) {
		coh_err("%s", why);
		return 1;
	}
	if (per > COH_TRACE_PER_THREAD)
		per = COH_TRACE_PER_THREAD;
	*out = calloc(1, sizeof(**out));
	if (!*out) {
		coh_err("out of memory for the trace");
		return 1;
	}
	nr_bufs = nthreads;
	bufs = calloc((size_t)nthreads, sizeof(*bufs));
	for (int i = 0; bufs && i < nthreads; i++) {
		bufs[i].rec = malloc(per * sizeof(struct sb_lm_rec));
		if (!bufs[i].rec)
			break;
		memset(bufs[i].rec, 0, per * sizeof(struct sb_lm_rec));	/* fault in now */
		bufs[i].cap = per;
		bufs[i].full_flag = stop;
	}
	for (int i = 0; i < SLAB_COH_NR_SITES; i++)
		(*out)->lockstat_rmw[i] = UINT64_MAX;
	if (!bufs || !bufs[nthreads - 1].rec) {
		coh_err("out of memory for the trace");
		return 1;
	}
	return 0;
}

/* Each thread, around its measured loop (nothing outside the traced child). */
void alloc_coherence_thread(int id, bool on)
{
	if (bufs)
		sb_lm_tbuf_cur = on ? &bufs[id] : NULL;
}

/* ---- slab's hooks ---- */

static struct sheafalloc_stats stats0;

int slab_coherence_run(struct slab_run *r, int argc, char **argv)
{
	return r->o->coherence ? alloc_coherence_parent(SLAB_CMD, argc, argv, &r->coh) : 0;
}

int slab_coherence_child_begin(struct slab_run *r)
{
	if (alloc_coherence_child_begin(SLAB_CMD, r->nthreads, &r->threads.stop, &r->coh))
		return 1;
	sheafalloc_stats_read(&stats0);
	return 0;
}

void slab_coherence_thread(struct slab_thread *t, bool on)
{
	alloc_coherence_thread(t->id, on);
}

/* Main thread, at the stop barrier: the lockstat counts of the traced section. */
void slab_coherence_at_stop(struct slab_run *r)
{
	struct sheafalloc_stats st;

	if (!bufs || !r->coh)
		return;
	sheafalloc_stats_read(&st);
	r->coh->lockstat_rmw[SLAB_COH_barn] = st.barn_lock.rmw - stats0.barn_lock.rmw;
	r->coh->lockstat_rmw[SLAB_COH_list_lock] = st.list_lock.rmw - stats0.list_lock.rmw;
	r->coh->lockstat_rmw[SLAB_COH_zone] = st.page.zone_lock.rmw - stats0.page.zone_lock.rmw;
}

int slab_coherence_child_finish(struct slab_run *r, uint64_t ops, double secs)
{
	return alloc_coherence_child_finish(r->coh, r->topo, r->wl_cpus, ops, secs);
}

void slab_coherence_report(struct sb_report *rep, const struct slab_run *r)
{
	alloc_coherence_report(rep, r->o->coherence ? r->coh : NULL);
}

/* ---- the traced child's replay ---- */

/* A small cache of address -> site index: a run touches few lock words. */
struct site_cache {
	uint64_t addr[COH_SITE_CACHE];
	int site[COH_SITE_CACHE];
};

static int site_of(struct site_cache *c, uint64_t addr)
{
	unsigned int h = (unsigned int)(addr >> 3) % COH_SITE_CACHE;
	const char *name;
	int s = SLAB_COH_other;

	if (c->addr[h] == addr)
		return c->site[h];
	name = sb_lm_site_of(addr);
	for (int i = 0; name && i < SLAB_COH_NR_SITES; i++)
		if (!strcmp(name, site_names[i]))
			s = i;
	c->addr[h] = addr;
	c->site[h] = s;
	return s;
}

/*
 * The TSC-order replay once more (coh_replay's order: TSC, then trace index,
 * then position), each access's events charged to its site.
 */
static int replay_sites(const struct coh_trace *tr, int n, int nr_cpus, struct slab_coh *out)
{
	struct coh_engine *e = coh_engine_new(COH_mesi, nr_cpus, NULL, NULL);
	struct site_cache *cache = calloc(1, sizeof(*cache));
	size_t *pos = calloc((size_t)n, sizeof(*pos));
	int ret = -1;

	if (!e || !cache || !pos)
		goto out;
	for (;;) {
		const struct sb_lm_rec *rec;
		int best = -1, s;

		for (int i = 0; i < n; i++)
			if (pos[i] < tr[i].n &&
			    (best < 0 || tr[i].rec[pos[i]].tsc < tr[best].rec[pos[best]].tsc))
				best = i;
		if (best < 0)
			break;
		rec = &tr[best].rec[pos[best]++];
		if (sb_lm_op_class(rec->op) == 'm')
			continue;
		s = site_of(cache, rec->addr);
		if (sb_lm_op_class(rec->op) == 'x')
			out->traced_rmw[s]++;
		if (!coh_access_charge(e, (int)rec->cpu, rec->addr >> COH_LINE_SHIFT,
				       coh_access_of(rec), &out->site[s]))
			goto out;
	}
	ret = 0;
out:
	coh_engine_free(e);
	free(cache);
	free(pos);
	return ret;
}

/* The OS CPUs the threads ran on (topology CPUs @wl); every CPU if one was not placed. */
static int trace_cpus(const struct sb_topology *topo, const int *wl, int *cpus)
{
	int n = 0, nr = sb_topology_nr_cpus(topo);

	for (int i = 0; i < nr_bufs; i++)
		if (wl[i] < 0) {
			for (n = 0; n < nr; n++)
				cpus[n] = sb_topology_os_cpu(topo, n);
			return n;
		}
	for (int i = 0; i < nr_bufs; i++) {
		int os = sb_topology_os_cpu(topo, wl[i]), dup = 0;

		for (int j = 0; j < n; j++)
			dup |= cpus[j] == os;
		if (!dup)
			cpus[n++] = os;
	}
	return n;
}

static int child_replay(struct slab_coh *c, const struct sb_topology *topo, const int *wl)
{
	struct coh_trace *tr = calloc((size_t)nr_bufs, sizeof(*tr));
	int *cpus = calloc((size_t)sb_topology_nr_cpus(topo) + nr_bufs, sizeof(*cpus));
	struct coh_replay_cfg cfg = { .proto = COH_mesi };
	long conf = sysconf(_SC_NPROCESSORS_CONF);
	int ret = -1;

	if (!tr || !cpus)
		goto out;
	for (int i = 0; i < nr_bufs; i++) {
		tr[i] = (struct coh_trace){ bufs[i].rec, bufs[i].n };
		c->trace_bytes += bufs[i].n * sizeof(struct sb_lm_rec);
		c->dropped += bufs[i].dropped;
		for (size_t j = 0; j < bufs[i].n; j++)
			if ((int)bufs[i].rec[j].cpu >= cfg.nr_cpus)
				cfg.nr_cpus = (int)bufs[i].rec[j].cpu + 1;
	}
	if (conf > cfg.nr_cpus)
		cfg.nr_cpus = (int)conf;
	c->skew_ticks = coh_tsc_skew(cpus, trace_cpus(topo, wl, cpus), COH_SKEW_ROUNDS);
	if (c->skew_ticks < 0) {
		coh_err("cannot pin to measure the TSC skew");
		goto out;
	}
	cfg.skew_ticks = (uint64_t)c->skew_ticks;
	if (coh_replay(tr, nr_bufs, &cfg, &c->res, NULL) ||
	    replay_sites(tr, nr_bufs, cfg.nr_cpus, c)) {
		coh_err("out of memory replaying the trace");
		goto out;
	}
	ret = 0;
out:
	free(cpus);
	free(tr);
	return ret;
}

/* After the traced run (@wl: the threads' topology CPUs): replay, send the result.  0, or 1. */
int alloc_coherence_child_finish(struct slab_coh *c, const struct sb_topology *topo,
				 const int *wl, uint64_t ops, double secs)
{
	int fd = atoi(getenv(COH_ENV)), ret = 1;
	const char *p;
	size_t left;

	c->ops = ops;
	c->secs = secs;
	if (child_replay(c, topo, wl) == 0) {
		c->ok = 1;
		ret = 0;
	}
	for (p = (const char *)c, left = sizeof(*c); ret == 0 && left;) {
		ssize_t n = write(fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			coh_err("cannot send the result");
			ret = 1;
			break;
		}
		p += n;
		left -= (size_t)n;
	}
	close(fd);
	for (int i = 0; i < nr_bufs; i++)
		free(bufs[i].rec);
	free(bufs);
	bufs = NULL;
	return ret;
}

/* ---- report columns: n/a without --coherence ---- */

/* X(stem, counter): totals per op; the first three also per site. */
#define SLAB_COH_COLUMNS(X)		\
	X(xfers, xfers)			\
	X(hitm, hitm_fills)		\
	X(rfo, rfos)			\
	X(upgrades, upgrades)		\
	X(invals, invals)
#define SLAB_COH_SITE_COLUMNS(X)	\
	X(xfers, xfers)			\
	X(hitm, hitm_fills)		\
	X(rfo, rfos)

static double per(uint64_t n, uint64_t d)
{
	return d ? (double)n / (double)d : NAN;
}

static void col_f64(struct sb_report *rep, const char *stem, const char *site, double v,
		    bool na)
{
	char col[64];

	snprintf(col, sizeof(col), "%s%s%s", stem, site ? "_" : "", site ? site : "");
	if (na)
		sb_report_na(rep, col);
	else
		sb_report_f64(rep, col, v);
}

static void col_u64(struct sb_report *rep, const char *stem, const char *site, uint64_t v,
		    bool na)
{
	char col[64];

	snprintf(col, sizeof(col), "%s%s%s", stem, site ? "_" : "", site ? site : "");
	if (na || v == UINT64_MAX)
		sb_report_na(rep, col);
	else
		sb_report_u64(rep, col, v);
}

/* @c NULL: without --coherence, every column n/a. */
void alloc_coherence_report(struct sb_report *rep, const struct slab_coh *c)
{
	bool na = !c;
	static const struct slab_coh none;
	uint64_t ops;

	if (na)
		c = &none;
	ops = c->ops;
#define COH_TOTAL(stem, k) col_f64(rep, #stem "_per_op", NULL, per(c->res.counts.n[COH_C_##k], ops), na);
	SLAB_COH_COLUMNS(COH_TOTAL)
#undef COH_TOTAL
	col_f64(rep, "xfers_per_op_lo", NULL, per(c->res.lo.n[COH_C_xfers], ops), na);
	col_f64(rep, "xfers_per_op_hi", NULL, per(c->res.hi.n[COH_C_xfers], ops), na);
	for (int s = 0; s < SLAB_COH_NR_SITES; s++) {
#define COH_SITE(stem, k) col_f64(rep, #stem "_per_op", site_names[s], per(c->site[s].n[COH_C_##k], ops), na);
		SLAB_COH_SITE_COLUMNS(COH_SITE)
#undef COH_SITE
	}
	for (int s = 0; s < SLAB_COH_NR_SITES; s++)
		col_u64(rep, "traced_rmws", site_names[s], c->traced_rmw[s], na);
	for (int s = 0; s < SLAB_COH_NR_SITES; s++)
		col_u64(rep, "lockstat_rmws", site_names[s], c->lockstat_rmw[s], na);
	col_u64(rep, "coh_exact", NULL, c->res.exact, na);
	col_u64(rep, "coh_ambiguous_pairs", NULL, c->res.ambiguous_pairs, na);
	col_u64(rep, "tsc_skew_ticks", NULL, (uint64_t)c->skew_ticks, na);
	col_u64(rep, "traced_ops", NULL, ops, na);
	col_f64(rep, "traced_ops_per_s", NULL, c->secs > 0 ? ops / c->secs : NAN, na);
	col_u64(rep, "trace_bytes", NULL, c->trace_bytes, na);
	col_u64(rep, "trace_dropped", NULL, c->dropped, na);
}
