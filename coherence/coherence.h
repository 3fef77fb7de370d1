/* coherence.h - a cache-coherence model for counting what lock words cost:
 * per line and per CPU, a MESI (or MOESI, MESIF) state machine fed one
 * time-ordered access stream, counting misses, dirty fills, RFOs, upgrades,
 * invalidations and line transfers, each by the distance between the CPUs
 * involved.  Used by trace replay (lockpatterns/lockmem.h buffers, merged by
 * TSC) and meant for a simulator alike: coh_access() is all it needs.
 *
 * The model: one private cache per CPU, large enough never to evict; a line's
 * data comes from memory or from one other cache.  Reads that find the line
 * dirty in another cache (M, or O under MOESI) are "HITM" fills.  A clean copy
 * supplies the data when it is E (any protocol) or F (MESIF); under MESI and
 * MOESI a line held only in S comes from memory.  A write or RMW needs M: from
 * I it is an RFO (data from the owner if there is one), from S/O/F an upgrade;
 * E->M is silent.  Every other copy is invalidated.
 */
#ifndef SB_COHERENCE_H
#define SB_COHERENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lockmem.h"

#define COH_LINE_SHIFT 6		/* 64-byte lines */

/* X(name, what) - the protocols. */
#define COH_FOR_EACH_PROTOCOL(X)					\
	X(mesi,  "MESI: a read of a dirty line writes it back, both share")	\
	X(moesi, "MOESI: the dirty owner keeps it in O and supplies readers")	\
	X(mesif, "MESIF: the latest reader holds F and supplies the next")

enum coh_protocol {
#define COH_PROTOCOL_ENUM(name, what) COH_##name,
	COH_FOR_EACH_PROTOCOL(COH_PROTOCOL_ENUM)
#undef COH_PROTOCOL_ENUM
	COH_NR_PROTOCOLS
};

const char *coh_protocol_name(enum coh_protocol p);
int coh_protocol_from_name(const char *name);		/* -1 if unknown */

/* X(name) - distance classes between a requester and the other CPU involved. */
#define COH_FOR_EACH_DIST(X)	\
	X(same_core)		\
	X(same_l3)		\
	X(same_package)		\
	X(other_package)	\
	X(memory)		/* nobody else: memory supplied or nothing to do */

enum coh_dist {
#define COH_DIST_ENUM(name) COH_DIST_##name,
	COH_FOR_EACH_DIST(COH_DIST_ENUM)
#undef COH_DIST_ENUM
	COH_NR_DIST
};

const char *coh_dist_name(enum coh_dist d);

/* Distance class of two CPUs (OS numbers); supplied by the caller (hwloc). */
typedef enum coh_dist (*coh_dist_fn)(int cpu_a, int cpu_b, void *arg);

/* X(name, what) - the counters, per line and per requesting CPU. */
#define COH_FOR_EACH_COUNTER(X)						\
	X(reads,       "loads")							\
	X(writes,      "plain stores")						\
	X(rmws,        "atomic read-modify-writes")				\
	X(mem_fills,   "read misses filled from memory")			\
	X(hitm_fills,  "read misses filled from a dirty copy (HITM-like)")	\
	X(clean_fills, "read misses filled from a clean copy (E, F)")		\
	X(rfos,        "write/RMW misses (read for ownership)")			\
	X(upgrades,    "writes/RMWs to a shared copy (S/O/F -> M)")		\
	X(invals,      "copies invalidated in other caches")			\
	X(xfers,       "line transfers: data moved between caches")		\
	X(writebacks,  "dirty data written back to memory")

enum coh_counter {
#define COH_COUNTER_ENUM(name, what) COH_C_##name,
	COH_FOR_EACH_COUNTER(COH_COUNTER_ENUM)
#undef COH_COUNTER_ENUM
	COH_NR_COUNTERS
};

const char *coh_counter_name(enum coh_counter c);

struct coh_counts {
	uint64_t n[COH_NR_COUNTERS];
	uint64_t by_dist[COH_NR_COUNTERS][COH_NR_DIST];	/* events that involve a 2nd party */
};

void coh_counts_add(struct coh_counts *sum, const struct coh_counts *c);

enum coh_access { COH_READ, COH_WRITE, COH_RMW };

/* ---- engine.c: the state machine ---- */
struct coh_engine;

/* nr_cpus: OS CPU numbers 0..nr_cpus-1; dist NULL: every pair "other_package". */
struct coh_engine *coh_engine_new(enum coh_protocol proto, int nr_cpus, coh_dist_fn dist,
				  void *dist_arg);
void coh_engine_free(struct coh_engine *e);
/* One access; false (and nothing counted) if cpu is out of range or no memory. */
bool coh_access(struct coh_engine *e, int cpu, uint64_t line, enum coh_access a);
/* The same, and every count of this access also added to *charge (a caller's
 * bucket: per acquisition, per lock site, ...). */
bool coh_access_charge(struct coh_engine *e, int cpu, uint64_t line, enum coh_access a,
		       struct coh_counts *charge);
void coh_engine_total(const struct coh_engine *e, struct coh_counts *out);
const struct coh_counts *coh_engine_cpu(const struct coh_engine *e, int cpu);
size_t coh_engine_nr_lines(const struct coh_engine *e);
/* The i-th line in first-touch order, its counts; false past the end. */
bool coh_engine_line(const struct coh_engine *e, size_t i, uint64_t *line,
		     const struct coh_counts **counts);
/* 'I','S','E','M','O','F': the state of @line in @cpu's cache. */
char coh_engine_state(const struct coh_engine *e, int cpu, uint64_t line);
/* Totals, then per line and per CPU: a stable text form (replay determinism). */
void coh_engine_print(const struct coh_engine *e, FILE *out);

/* ---- replay.c: per-thread trace buffers -> one order -> engine ---- */
struct coh_trace {
	const struct sb_lm_rec *rec;	/* one thread's records, in program order */
	size_t n;
};

struct coh_replay_cfg {
	enum coh_protocol proto;
	int nr_cpus;			/* > every cpu in the records */
	coh_dist_fn dist;
	void *dist_arg;
	uint64_t skew_ticks;		/* accesses closer than this: order unknown */
};

struct coh_replay_result {
	struct coh_counts counts;	/* in TSC order */
	struct coh_counts lo, hi;	/* over TSC order and the order with every
					   ambiguous pair swapped */
	/* TSC order, charged per acquisition: a thread's accesses after one
	 * acquisition marker up to and including the next go to that next
	 * acquisition, as contended or not (the previous release, the wait and
	 * the taking of the lock); accesses after a thread's last marker to none. */
	struct coh_counts con, uncon;
	uint64_t records;		/* accesses replayed (markers not included) */
	uint64_t acquisitions;		/* acquisition markers (lockmem.h) */
	uint64_t contended;		/* ...of contended acquisitions */
	uint64_t ambiguous_pairs;	/* same line, different CPUs, within skew */
	bool exact;			/* lo == hi for every counter */
};

/* Replays in TSC order (ties: trace index, then position).  @engine_out, if not
 * NULL, receives the TSC-order engine (caller frees).  0, or -1 out of memory
 * or a record's cpu >= nr_cpus. */
int coh_replay(const struct coh_trace *traces, int nr_traces, const struct coh_replay_cfg *cfg,
	       struct coh_replay_result *res, struct coh_engine **engine_out);
/* What a record does to its line: COH_READ, COH_WRITE or COH_RMW; markers
 * (sb_lm_op_class 'm') are no access and are skipped by replay. */
enum coh_access coh_access_of(const struct sb_lm_rec *r);

/* ---- tsc.c: can trace timestamps be ordered across CPUs? ---- */
/* true if the TSC is invariant (CPUID 80000007h EDX[8], or /proc/cpuinfo's
 * constant_tsc and nonstop_tsc); else false and a one-line reason. */
bool coh_tsc_invariant(char *why, size_t len);
/* Largest bound, over the pairs of @os_cpus, on how far two CPUs' TSCs can
 * disagree as seen by a message round trip (ticks; 0 for one CPU).  Pins a
 * helper thread to each CPU in turn.  -1 if a CPU cannot be pinned. */
int64_t coh_tsc_skew(const int *os_cpus, int n, int rounds);

#endif /* SB_COHERENCE_H */
