/*
 * The measured loop of loop.c once more, with every lock-word access traced
 * (lockpatterns/lockmem.h, SB_LOCKMEM_TRACE=1).  Compiling the same source
 * twice keeps one loop to maintain while the normal build's loop stays free of
 * any tracing test; loop.c's two public names are renamed for this copy.
 */
#define SB_LOCKMEM_TRACE 1
#define lock_loop_for	lock_loop_traced_inner_for
#define lock_area_init	lock_area_traced_init
#include "loop.c"
#undef lock_loop_for
#undef lock_area_init

#include "lock_coherence.h"

static lock_loop_fn traced_inner;	/* set before the threads start */

static void traced_loop(struct lock_thread_state *t, const struct lock_run *run)
{
	struct sb_lm_tbuf *b = &lock_trace_bufs[t->index];

	/* a full buffer ends the run for everyone, so the trace has no holes */
	b->full_flag = (int *)&run->threads->stop;
	sb_lm_tbuf_cur = b;
	traced_inner(t, run);
	sb_lm_tbuf_cur = NULL;
}

lock_loop_fn lock_loop_traced_for(enum sb_lock_kind kind)
{
	traced_inner = lock_loop_traced_inner_for(kind);
	return traced_loop;
}
