/* lockpatterns.h - the one public header of the lock library: every lock kind,
 * lock_stat counters and the build's acquisition pattern (SB_PATTERN).
 *
 * Workloads instantiate one specialized loop per kind with the X-macro
 *   #define RUN(k, KIND) case KIND: return run_##k(args);
 *   switch (kind) { SB_FOR_EACH_LOCK_KIND(RUN) default: break; }
 * so the kind is chosen once, outside the measured loop, never inside the lock path.
 * Needs SB_PATTERN (see pattern.h) unless SB_LOCKPATTERNS_NO_PATTERN is defined.
 */
#ifndef SB_LOCKPATTERNS_H
#define SB_LOCKPATTERNS_H

#include <string.h>

#include "lockstat.h"
#include "tas.h"
#include "ttas.h"
#include "ticket.h"
#include "mcs.h"
#include "qspin.h"
#include "pspin.h"
#include "pmutex.h"

/* X(name, ENUM): every kind; SB_<ENUM>_UNCONTENDED_RMW, _TRYLOCK_TEST_READS and
 * _COUNTS_EXACT exist for each. */
#define SB_FOR_EACH_LOCK_KIND(X)		\
	X(tas, SB_TAS)				\
	X(ttas, SB_TTAS)			\
	X(ticket, SB_TICKET)			\
	X(mcs, SB_MCS)				\
	X(qspin, SB_QSPIN)			\
	X(pspin, SB_PSPIN)			\
	X(pmutex, SB_PMUTEX)

enum sb_lock_kind {
#define SB_LOCK_KIND_ENUM(k, KIND) KIND,
	SB_FOR_EACH_LOCK_KIND(SB_LOCK_KIND_ENUM)
#undef SB_LOCK_KIND_ENUM
	SB_NR_KINDS
};

static inline const char *sb_lock_kind_name(enum sb_lock_kind kind)
{
	static const char *const names[SB_NR_KINDS] = {
#define SB_LOCK_KIND_NAME(k, KIND) [KIND] = #k,
		SB_FOR_EACH_LOCK_KIND(SB_LOCK_KIND_NAME)
#undef SB_LOCK_KIND_NAME
	};

	return (unsigned int)kind < SB_NR_KINDS ? names[kind] : "?";
}

/* -1 if unknown. */
static inline int sb_lock_kind_from_name(const char *name)
{
	for (int k = 0; k < SB_NR_KINDS; k++)
		if (name && strcmp(name, sb_lock_kind_name((enum sb_lock_kind)k)) == 0)
			return k;
	return -1;
}

/* RMWs on the lock word of one uncontended acquire + release. */
static inline unsigned int sb_lock_kind_uncontended_rmw(enum sb_lock_kind kind)
{
	switch (kind) {
#define SB_LOCK_KIND_RMW(k, KIND) case KIND: return KIND##_UNCONTENDED_RMW;
	SB_FOR_EACH_LOCK_KIND(SB_LOCK_KIND_RMW)
#undef SB_LOCK_KIND_RMW
	default:
		return 0;
	}
}

/* false: rmw and contended are inferred from glibc's code (pthread kinds). */
static inline bool sb_lock_kind_counts_exact(enum sb_lock_kind kind)
{
	switch (kind) {
#define SB_LOCK_KIND_EXACT(k, KIND) case KIND: return KIND##_COUNTS_EXACT;
	SB_FOR_EACH_LOCK_KIND(SB_LOCK_KIND_EXACT)
#undef SB_LOCK_KIND_EXACT
	default:
		return false;
	}
}

/* Pattern-independent code (the front end) defines SB_LOCKPATTERNS_NO_PATTERN. */
#ifndef SB_LOCKPATTERNS_NO_PATTERN
#include "pattern.h"
#endif

#endif /* SB_LOCKPATTERNS_H */
