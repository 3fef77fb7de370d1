/* lockmem_count.h - a SB_LOCKMEM_BACKEND for validate_backend.c: the native
 * atomics, each also counted by kind.  It stands for the simulator that will
 * plug in here: if the lock code touched its words any other way, the counts
 * would miss it. */
#ifndef LOCKMEM_COUNT_H
#define LOCKMEM_COUNT_H

static unsigned long lm_count[SB_LM_NR_OPS];

#define LM_COUNT(op)	(lm_count[SB_LM_##op]++)
#define sb_lm_load(p, mo)		(LM_COUNT(load), __atomic_load_n((p), (mo)))
#define sb_lm_load_spin(p, mo)		(LM_COUNT(load_spin), __atomic_load_n((p), (mo)))
#define sb_lm_store(p, v, mo)		(LM_COUNT(store), __atomic_store_n((p), (v), (mo)))
#define sb_lm_xchg(p, v, mo)		(LM_COUNT(xchg), __atomic_exchange_n((p), (v), (mo)))
#define sb_lm_cmpxchg(p, expp, v, mo_ok, mo_fail)				\
	(LM_COUNT(cmpxchg),							\
	 __atomic_compare_exchange_n((p), (expp), (v), false, (mo_ok), (mo_fail)))
#define sb_lm_fetch_add(p, v, mo)	(LM_COUNT(fetch_add), __atomic_fetch_add((p), (v), (mo)))
#define sb_lm_bts(p, bit, mo)		(LM_COUNT(bts), __atomic_fetch_or((p), (bit), (mo)) & (bit))
#define sb_lm_note_load(p)		((void)LM_COUNT(note_load))
#define sb_lm_note_store(p)		((void)LM_COUNT(note_store))
#define sb_lm_mark_acquired(p, c)	((void)LM_COUNT(acquired))
#define sb_lm_relax()			sb_lock_relax()

#endif
