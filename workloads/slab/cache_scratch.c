/*
 * cache-scratch: after Hoard's benchmark of passive false sharing.  The main
 * thread allocates one small object per thread, back to back, so that they
 * share cache lines, and hands one to each thread.  Each thread frees the
 * object it was given, then repeatedly allocates an object, writes every byte
 * of it --writes times, and frees it.  An allocator that hands the freed
 * object straight back to the thread that freed it makes threads write into
 * one another's cache lines; one that keeps per-CPU (per-thread) memory
 * apart does not.
 */
#include "slab_workload.h"

static int scratch_setup(struct slab_run *r)
{
	for (int i = 0; i < r->nthreads; i++)
		r->th[i].wl = slab_alloc_untimed(r, r->o->size_min);
	return 0;
}

static void scratch_write(void *p, uint32_t size, int passes, bool lean)
{
	volatile unsigned char *b = p;

	for (int w = 0; w < passes; w++)
		for (uint32_t i = 0; i < size; i++)
			b[i]++;
	if (!lean)
		slab_stamp(p, size);	/* the writes overwrote it */
}

static void scratch_measure(struct slab_thread *t)
{
	int passes = t->run->o->writes;

	slab_free(t, t->wl);
	t->wl = NULL;
	while (!slab_should_stop(t)) {
		uint32_t size = slab_next_size(t);
		void *p = slab_alloc(t, size);

		scratch_write(p, size, passes, t->lean);
		slab_free(t, p);
	}
}

const struct slab_workload slab_cache_scratch = {
	.name = "cache-scratch",
	.summary = "passive false sharing: free a handed-over object, then alloc/write/free",
	.min_threads = 1,
	.setup = scratch_setup,
	.measure = scratch_measure,
};
