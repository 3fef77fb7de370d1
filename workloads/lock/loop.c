/*
 * The measured loop.
 *
 * lock_loop() is written once and instantiated once per lock kind with that
 * kind's acquire/release as compile-time constants, so after inlining the lock
 * path has no run-time dispatch (the pattern is fixed by the build, the kind
 * by the instantiation).  Read it in the disassembly with
 *   objdump -d --no-show-raw-insn sheafbench-sb | sed -n '/<lock_loop_qspin>:/,/^$/p'
 */
#include <stddef.h>

#include "lock.h"

struct lock_ops {
	bool (*acquire)(void *lock, bool nolock, struct sb_lockctx *c);
	void (*release)(void *lock, struct sb_lockctx *c);
};

/* xorshift64*: a few cycles, per thread, so the nolock draw costs no sharing. */
static inline uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static inline bool stop_requested(const struct lock_run *run)
{
	return sb_threads_should_stop(run->threads);
}

/* A countdown, not a modulo: one decrement and a predictable branch. */
static inline bool sample_due(struct lock_thread_state *t, const struct lock_run *run)
{
	if (__builtin_expect(--t->sample_left != 0, 1))
		return false;
	t->sample_left = run->sample_period;
	return true;
}

/* Plain stores: the lock is held, so these lines move only with ownership. */
static inline void critical_section_writes(const struct lock_run *run)
{
	volatile uint64_t *w = run->cs_data;

	for (int k = 0; k < run->cs_lines; k++)
		w[k * run->cs_stride]++;
}

static inline __attribute__((always_inline))
void lock_loop(struct lock_thread_state *t, const struct lock_run *run,
	       const struct lock_ops ops)
{
	void *lock = run->lock;

	for (uint64_t n = 0; n < run->iterations && !stop_requested(run); n++) {
		bool nolock = (rng_next(&t->rng) >> 11) < run->nolock_threshold;
		bool timed = sample_due(t, run);
		uint64_t rmw0 = t->st.rmw, contended0 = t->st.contended;
		uint64_t t0;

		if (t->track_cpu)
			t->ctx.cpu = sb_current_cpu(run->topo);
		t0 = timed ? sb_rdtsc() : 0;
		if (ops.acquire(lock, nolock, &t->ctx)) {
			uint64_t t1 = timed ? sb_rdtsc() : 0;

			if (t->st.contended != contended0)
				t->rmw_contended += t->st.rmw - rmw0;
			critical_section_writes(run);
			sb_busy_loop(run->cs_loops);
			ops.release(lock, &t->ctx);
			/* booked after release: the histogram is no part of the critical section */
			if (timed)
				sb_hist_add(&t->wait, (uint64_t)((t1 - t0) * run->ns_per_tick));
		}
		sb_busy_loop(run->ps_loops);
	}
}

/*
 * Each kind's lock lives at the start of its own 128-byte area: the last word
 * of its 64-byte line (LOCK_SAME_LINE_OFFSET, past every kind's fields up to
 * last_cpu) is where --cs-same-line writes go, and the second line keeps the
 * adjacent-line prefetcher from pairing the lock with anything else.
 */
#define LOCK_KIND_LOOP(K, ID)							\
static union {									\
	struct sb_##K lock;							\
	char bytes[2 * LOCK_CACHELINE];						\
} lock_area_##K __attribute__((aligned(2 * LOCK_CACHELINE)));			\
_Static_assert(offsetof(struct sb_##K, last_cpu) + sizeof(int) <=		\
	       LOCK_SAME_LINE_OFFSET, "no room for --cs-same-line in " #K);	\
										\
static bool acquire_##K(void *l, bool nolock, struct sb_lockctx *c)		\
{										\
	return sb_##K##_acquire(l, nolock, c);					\
}										\
										\
static void release_##K(void *l, struct sb_lockctx *c)				\
{										\
	sb_##K##_release(l, c);							\
}										\
										\
static void lock_loop_##K(struct lock_thread_state *t,				\
			  const struct lock_run *run)				\
{										\
	lock_loop(t, run, (struct lock_ops){ acquire_##K, release_##K });	\
}										\
										\
static void *init_##K(void)							\
{										\
	sb_##K##_init(&lock_area_##K.lock);					\
	return &lock_area_##K;							\
}

SB_FOR_EACH_LOCK_KIND(LOCK_KIND_LOOP)

struct lock_kind_entry {
	lock_loop_fn loop;
	void *(*init)(void);
};

#define LOCK_KIND_ENTRY(K, ID)							\
	[ID] = { lock_loop_##K, init_##K },

static const struct lock_kind_entry lock_kinds[SB_NR_KINDS] = {
	SB_FOR_EACH_LOCK_KIND(LOCK_KIND_ENTRY)
};

lock_loop_fn lock_loop_for(enum sb_lock_kind kind)
{
	return lock_kinds[kind].loop;
}

/* Initialize the kind's lock; return its area (the lock is at offset 0). */
void *lock_area_init(enum sb_lock_kind kind)
{
	return lock_kinds[kind].init();
}
