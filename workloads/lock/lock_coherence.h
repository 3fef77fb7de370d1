/*
 * `lock --coherence [--coherence-protocol P]`: before the measured run, the same run once more
 * with the lock words traced (loop_traced.c: loop.c compiled with
 * SB_LOCKMEM_TRACE=1, so the normal loop has no tracing branch), replayed
 * through the coherence model (coherence/) with the machine's hwloc distances.
 * Adds per-acquisition transfer, HITM, RFO, upgrade and invalidation columns,
 * the trace's own cost and how much of it the clocks could not order.
 */
#ifndef SB_LOCK_COHERENCE_H
#define SB_LOCK_COHERENCE_H

#include "coherence.h"
#include "lock.h"

struct lock_coherence {
	bool on;			/* --coherence given */
	enum coh_protocol proto;
	struct coh_replay_result res;	/* of the traced run, cut where a buffer filled */
	double traced_acq_per_s;	/* the traced run's throughput */
	uint64_t trace_bytes;		/* records kept in memory */
	int64_t skew_ticks;		/* TSC skew bound between the threads' CPUs */
};

/* lock_coherence.c */
extern const char *const lock_coherence_protocols[];	/* NULL-ended, by enum coh_protocol */
void lock_coherence_init(struct lock_coherence *c, const struct lock_args *a);
void lock_coherence_check(const struct lock_args *a, const struct lock_coherence *c);
int lock_coherence_run(const struct lock_args *a, const struct sb_topology *topo,
		       struct lock_coherence *c);
void lock_coherence_report(struct sb_report *r, const struct lock_coherence *c);
extern struct sb_lm_tbuf *lock_trace_bufs;	/* one per thread while tracing */

/* loop_traced.c */
lock_loop_fn lock_loop_traced_for(enum sb_lock_kind kind);

#endif /* SB_LOCK_COHERENCE_H */
