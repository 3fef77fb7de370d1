/*
 * `slab WORKLOAD --coherence` (slab_coherence.c): a traced run of the workload
 * in sheafbench-trace-<pattern> before the measured one, replayed through the
 * coherence model, with per-op figures per allocator lock site.
 */
#ifndef SB_SLAB_COHERENCE_H
#define SB_SLAB_COHERENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "coherence.h"

/* X(name): the lock sites the allocator registers (sb_lm_site_register()), then
 * "other" for a traced address outside them (queue nodes of qspin/mcs). */
#define SLAB_COH_SITES(X)	\
	X(pcs)			\
	X(barn)			\
	X(list_lock)		\
	X(zone)			\
	X(defer)		\
	X(zone_defer)		\
	X(other)

enum slab_coh_site {
#define SLAB_COH_SITE_ENUM(name) SLAB_COH_##name,
	SLAB_COH_SITES(SLAB_COH_SITE_ENUM)
#undef SLAB_COH_SITE_ENUM
	SLAB_COH_NR_SITES
};

/* What the traced child sends back (same binary layout: one build). */
struct slab_coh {
	int ok;
	uint64_t ops;			/* allocator calls of the traced section */
	double secs;
	uint64_t trace_bytes, dropped;
	int64_t skew_ticks;
	struct coh_replay_result res;	/* totals, lo/hi, ambiguity (MESI) */
	struct coh_counts site[SLAB_COH_NR_SITES];
	uint64_t traced_rmw[SLAB_COH_NR_SITES];
	uint64_t lockstat_rmw[SLAB_COH_NR_SITES];	/* UINT64_MAX: no lockstat there */
};

struct slab_run;
struct slab_thread;
struct sb_report;

struct sb_topology;

/* The workload-independent part, also used by page.c. */
int alloc_coherence_parent(const char *cmd, int argc, char **argv, struct slab_coh **out);
bool alloc_coherence_is_child(void);
int alloc_coherence_child_begin(const char *cmd, int nthreads, int *stop, struct slab_coh **out);
void alloc_coherence_thread(int id, bool on);
int alloc_coherence_child_finish(struct slab_coh *c, const struct sb_topology *topo,
				 const int *wl, uint64_t ops, double secs);
void alloc_coherence_report(struct sb_report *rep, const struct slab_coh *c);

/* slab.c's hooks */
int slab_coherence_run(struct slab_run *r, int argc, char **argv);
#define slab_coherence_is_child alloc_coherence_is_child
int slab_coherence_child_begin(struct slab_run *r);
void slab_coherence_thread(struct slab_thread *t, bool on);
void slab_coherence_at_stop(struct slab_run *r);
int slab_coherence_child_finish(struct slab_run *r, uint64_t ops, double secs);
void slab_coherence_report(struct sb_report *rep, const struct slab_run *r);

#endif /* SB_SLAB_COHERENCE_H */
