/* lockmem.h - the one door through which lock kinds touch shared lock memory:
 * their lock words, queue slots and the lock line's last_cpu.
 *
 *   sb_lm_load(p, mo)            a load the caller acts on once
 *   sb_lm_load_spin(p, mo)       a load inside a wait loop (re-read until it changes)
 *   sb_lm_store(p, v, mo)
 *   sb_lm_xchg(p, v, mo)         RMWs: each is one locked instruction on x86
 *   sb_lm_cmpxchg(p, expp, v, mo_ok, mo_fail)   -> bool; *expp updated on failure
 *   sb_lm_fetch_add(p, v, mo)
 *   sb_lm_bts(p, bit, mo)        -> old value of the one-bit mask @bit (lock bts)
 *   sb_lm_note_load(p) / sb_lm_note_store(p)    a plain C access the caller makes
 *   sb_lm_mark_acquired(p, contended)  not an access: marks an acquisition of the
 *                                lock at p in the trace (per-acquisition figures)
 *   sb_lm_relax()                the pause of a wait loop
 *   sb_lm_site_register(p, len, name)  not an access: [p, p+len) is lock site
 *                                @name (a string literal), so a trace's records
 *                                can be told apart by site; sb_lm_site_of(addr)
 *                                looks one up (trace builds; native: nothing)
 *
 * Three backends, chosen at compile time so the lock code never dispatches:
 *  - native (default): exactly the __atomic builtins the kinds used before, so
 *    the measured loop's machine code is unchanged (tests/locks/loop_disasm.sh
 *    diffs it);
 *  - SB_LOCKMEM_TRACE=1: native, and each access also appends a struct sb_lm_rec
 *    (tsc, cpu, address, op, value) to the calling thread's buffer
 *    (sb_lm_tbuf_cur; no buffer: nothing recorded).  A spin load is recorded only
 *    when its value differs from the thread's previous spin load of that address:
 *    re-reading an unchanged line hits under every invalidation protocol;
 *  - SB_LOCKMEM_BACKEND="file.h": that header defines every sb_lm_* above
 *    itself (a simulator running the lock code on virtual CPUs over a simulated
 *    memory; its sb_lm_relax() is where a virtual CPU yields).  The lock code
 *    assumes nothing else about threads.
 * The operand type follows the pointer (typeof); sizes 1, 2, 4 and 8 occur.
 */
#ifndef SB_LOCKMEM_H
#define SB_LOCKMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Access kinds, in the order a trace stores them.  X(name, class) where class is
 * 'r' read, 'w' plain write, 'x' atomic read-modify-write, 'm' a marker. */
#define SB_LM_OPS(X)			\
	X(load, 'r')			\
	X(load_spin, 'r')		\
	X(note_load, 'r')		\
	X(store, 'w')			\
	X(note_store, 'w')		\
	X(xchg, 'x')			\
	X(cmpxchg, 'x')			\
	X(fetch_add, 'x')		\
	X(bts, 'x')			\
	X(acquired, 'm')

enum sb_lm_op {
#define SB_LM_OP_ENUM(name, cls) SB_LM_##name,
	SB_LM_OPS(SB_LM_OP_ENUM)
#undef SB_LM_OP_ENUM
	SB_LM_NR_OPS
};

static inline char sb_lm_op_class(unsigned int op)
{
	static const char cls[SB_LM_NR_OPS] = {
#define SB_LM_OP_CLASS(name, c) c,
		SB_LM_OPS(SB_LM_OP_CLASS)
#undef SB_LM_OP_CLASS
	};

	return op < SB_LM_NR_OPS ? cls[op] : '?';
}

static inline const char *sb_lm_op_name(unsigned int op)
{
	static const char *const names[SB_LM_NR_OPS] = {
#define SB_LM_OP_NAME(name, c) #name,
		SB_LM_OPS(SB_LM_OP_NAME)
#undef SB_LM_OP_NAME
	};

	return op < SB_LM_NR_OPS ? names[op] : "?";
}

/* One traced access: 32 bytes. */
struct sb_lm_rec {
	uint64_t tsc;			/* rdtscp right after the access */
	uint64_t addr;			/* its line is addr / 64 */
	uint64_t val;			/* value read (RMW: the old value), or stored */
	uint32_t cpu;			/* OS CPU from rdtscp's TSC_AUX */
	uint8_t op;			/* enum sb_lm_op */
	uint8_t size;			/* bytes */
	uint16_t pad;
};

#define SB_LM_SPIN_SLOTS 8		/* spin loads remembered per thread */

/* A thread's trace buffer; owned by that thread while it runs. */
struct sb_lm_tbuf {
	struct sb_lm_rec *rec;
	size_t n, cap;
	uint64_t dropped;		/* accesses not recorded: buffer full */
	int *full_flag;			/* if set: 1 stored here when the buffer fills */
	uintptr_t spin_addr[SB_LM_SPIN_SLOTS];
	uint64_t spin_val[SB_LM_SPIN_SLOTS];
};

#if defined(SB_LOCKMEM_BACKEND)
#include SB_LOCKMEM_BACKEND
#else

#ifndef SB_LOCKMEM_TRACE
#define SB_LOCKMEM_TRACE 0
#endif

#if SB_LOCKMEM_TRACE
#include <x86intrin.h>

/* Weak so every translation unit of a program shares one per-thread pointer. */
__attribute__((weak)) __thread struct sb_lm_tbuf *sb_lm_tbuf_cur;

static inline void sb_lm_record(const volatile void *p, unsigned int op, uint64_t v,
				unsigned int size)
{
	struct sb_lm_tbuf *b = sb_lm_tbuf_cur;
	unsigned int aux;
	uint64_t tsc;

	if (!b)
		return;
	if (__builtin_expect(b->n == b->cap, 0)) {
		if (!b->dropped++ && b->full_flag)
			__atomic_store_n(b->full_flag, 1, __ATOMIC_RELAXED);
		return;
	}
	tsc = __rdtscp(&aux);
	b->rec[b->n++] = (struct sb_lm_rec){ .tsc = tsc, .addr = (uintptr_t)p, .val = v,
					     .cpu = aux & 0xfff, .op = (uint8_t)op,
					     .size = (uint8_t)size };
}

/* Any access but a spin load also makes the next spin load of @p recorded. */
static inline void sb_lm_record_any(const volatile void *p, unsigned int op, uint64_t v,
				    unsigned int size)
{
	struct sb_lm_tbuf *b = sb_lm_tbuf_cur;
	uintptr_t a = (uintptr_t)p;

	if (b && b->spin_addr[(a >> 2) % SB_LM_SPIN_SLOTS] == a)
		b->spin_addr[(a >> 2) % SB_LM_SPIN_SLOTS] = 0;
	sb_lm_record(p, op, v, size);
}

static inline void sb_lm_record_spin(const volatile void *p, uint64_t v, unsigned int size)
{
	struct sb_lm_tbuf *b = sb_lm_tbuf_cur;
	uintptr_t a = (uintptr_t)p;
	unsigned int i = (a >> 2) % SB_LM_SPIN_SLOTS;

	if (!b || (b->spin_addr[i] == a && b->spin_val[i] == v))
		return;
	b->spin_addr[i] = a;
	b->spin_val[i] = v;
	sb_lm_record(p, SB_LM_load_spin, v, size);
}

#define SB_LM_REC(p, op, v) sb_lm_record_any((p), SB_LM_##op, (uint64_t)(v), sizeof(*(p)))
#define SB_LM_REC_SPIN(p, v) sb_lm_record_spin((p), (uint64_t)(v), sizeof(*(p)))
#else
#define SB_LM_REC(p, op, v) ((void)0)
#define SB_LM_REC_SPIN(p, v) ((void)0)
#endif /* SB_LOCKMEM_TRACE */

#if SB_LOCKMEM_TRACE
#define sb_lm_load(p, mo) ({							\
	__auto_type lm_v_ = __atomic_load_n((p), (mo));				\
	SB_LM_REC((p), load, lm_v_);						\
	lm_v_;									\
})

#define sb_lm_load_spin(p, mo) ({						\
	__auto_type lm_v_ = __atomic_load_n((p), (mo));				\
	SB_LM_REC_SPIN((p), lm_v_);						\
	lm_v_;									\
})

#define sb_lm_store(p, v, mo) do {						\
	__typeof__(*(p) + 0) lm_v_ = (v);					\
	__atomic_store_n((p), lm_v_, (mo));					\
	SB_LM_REC((p), store, lm_v_);						\
} while (0)

#define sb_lm_xchg(p, v, mo) ({							\
	__auto_type lm_old_ = __atomic_exchange_n((p), (v), (mo));		\
	SB_LM_REC((p), xchg, lm_old_);						\
	lm_old_;								\
})

#define sb_lm_cmpxchg(p, expp, v, mo_ok, mo_fail) ({				\
	__auto_type lm_e_ = *(expp);						\
	bool lm_ok_ = __atomic_compare_exchange_n((p), (expp), (v), false,	\
						  (mo_ok), (mo_fail));		\
	SB_LM_REC((p), cmpxchg, lm_ok_ ? lm_e_ : *(expp));			\
	lm_ok_;									\
})

#define sb_lm_fetch_add(p, v, mo) ({						\
	__auto_type lm_old_ = __atomic_fetch_add((p), (v), (mo));		\
	SB_LM_REC((p), fetch_add, lm_old_);					\
	lm_old_;								\
})

#define sb_lm_bts(p, bit, mo) ({						\
	__auto_type lm_old_ = __atomic_fetch_or((p), (bit), (mo)) & (bit);	\
	SB_LM_REC((p), bts, lm_old_);						\
	lm_old_;								\
})

/* Plain accesses the lock code makes itself (last_cpu): recorded, not replaced. */
#define sb_lm_note_load(p)	SB_LM_REC((p), note_load, *(p))
#define sb_lm_note_store(p)	SB_LM_REC((p), note_store, *(p))
#define sb_lm_mark_acquired(p, contended)					\
	sb_lm_record((p), SB_LM_acquired, (uint64_t)(contended), 0)

#else /* native: exactly the builtins, nothing else */
#define sb_lm_load(p, mo)		__atomic_load_n((p), (mo))
#define sb_lm_load_spin(p, mo)		__atomic_load_n((p), (mo))
#define sb_lm_store(p, v, mo)		__atomic_store_n((p), (v), (mo))
#define sb_lm_xchg(p, v, mo)		__atomic_exchange_n((p), (v), (mo))
#define sb_lm_cmpxchg(p, expp, v, mo_ok, mo_fail)				\
	__atomic_compare_exchange_n((p), (expp), (v), false, (mo_ok), (mo_fail))
#define sb_lm_fetch_add(p, v, mo)	__atomic_fetch_add((p), (v), (mo))
/* GCC emits one `lock bts` for a one-bit fetch_or whose result is masked to it. */
#define sb_lm_bts(p, bit, mo)		(__atomic_fetch_or((p), (bit), (mo)) & (bit))
#define sb_lm_note_load(p)		((void)0)
#define sb_lm_note_store(p)		((void)0)
#define sb_lm_mark_acquired(p, contended) ((void)0)
#endif /* SB_LOCKMEM_TRACE */

#define sb_lm_relax()		sb_lock_relax()

/*
 * Lock sites (the allocator's pcs lock, barn, list_lock, ...): registered once
 * when their memory is set up, looked up after a traced run.  Weak, like
 * sb_lm_tbuf_cur, so every translation unit shares one table.
 */
#define SB_LM_MAX_SITES	16384

struct sb_lm_site {
	uintptr_t addr, len;
	const char *name;
};

#if SB_LOCKMEM_TRACE
__attribute__((weak)) struct sb_lm_site sb_lm_sites[SB_LM_MAX_SITES];
__attribute__((weak)) unsigned int sb_lm_nr_sites;

static inline void sb_lm_site_register(const volatile void *p, size_t len, const char *name)
{
	unsigned int i = __atomic_fetch_add(&sb_lm_nr_sites, 1, __ATOMIC_RELAXED);

	if (i < SB_LM_MAX_SITES)
		sb_lm_sites[i] = (struct sb_lm_site){ (uintptr_t)p, len, name };
}

/* The site of @addr (the latest registration covering it), or NULL. */
static inline const char *sb_lm_site_of(uint64_t addr)
{
	unsigned int n = __atomic_load_n(&sb_lm_nr_sites, __ATOMIC_RELAXED);

	if (n > SB_LM_MAX_SITES)
		n = SB_LM_MAX_SITES;
	while (n--)
		if (addr - sb_lm_sites[n].addr < sb_lm_sites[n].len)
			return sb_lm_sites[n].name;
	return NULL;
}
#else
#define sb_lm_site_register(p, len, name) ((void)0)
#endif

#endif /* SB_LOCKMEM_BACKEND */

#endif /* SB_LOCKMEM_H */
