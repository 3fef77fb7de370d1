/*
 * larson: after Larson & Krishnan's server benchmark.  Each thread owns an
 * array of --batch slots holding live objects of random size; it repeatedly
 * frees a random slot and allocates a new random-size object into it.  Every
 * few rounds it parks its array and takes the one parked by another thread,
 * the way a server hands a connection's objects to another worker, so objects
 * allocated on one thread are freed on another.
 */
#include <stdlib.h>

#include "slab_workload.h"

#define HANDOFF_ROUNDS	4	/* replace every slot ~4 times, then hand off */

struct larson_slots {
	void **obj;
};

struct larson_shared {
	struct larson_slots *arrays;	/* nthreads + 1: one is always parked */
	_Alignas(64) _Atomic(struct larson_slots *) parked;
};

static void fill_slots(struct slab_run *r, struct larson_slots *s, uint64_t *rng)
{
	uint32_t span = r->o->size_max - r->o->size_min + 1;

	s->obj = calloc(r->o->batch, sizeof(*s->obj));
	if (!s->obj)
		slab_die_oom(r->o->batch * sizeof(*s->obj));
	for (int i = 0; i < r->o->batch; i++)
		s->obj[i] = slab_alloc_untimed(r, r->o->size_min + slab_rng_below(rng, span));
}

static int larson_setup(struct slab_run *r)
{
	struct larson_shared *sh = aligned_alloc(64, sizeof(*sh));
	uint64_t rng = 0x1a2503;

	if (!sh)
		slab_die_oom(sizeof(*sh));
	sh->arrays = calloc(r->nthreads + 1, sizeof(*sh->arrays));
	if (!sh->arrays)
		slab_die_oom((r->nthreads + 1) * sizeof(*sh->arrays));
	for (int i = 0; i <= r->nthreads; i++)
		fill_slots(r, &sh->arrays[i], &rng);
	atomic_init(&sh->parked, &sh->arrays[r->nthreads]);
	for (int i = 0; i < r->nthreads; i++)
		r->th[i].wl = &sh->arrays[i];
	r->wl = sh;
	return 0;
}

static void larson_measure(struct slab_thread *t)
{
	struct larson_shared *sh = t->run->wl;
	struct larson_slots *s = t->wl;
	uint32_t nslots = t->run->o->batch;
	uint64_t until_handoff = (uint64_t)nslots * HANDOFF_ROUNDS;

	while (!slab_should_stop(t)) {
		uint32_t k = slab_rng_below(&t->rng, nslots);

		slab_free(t, s->obj[k]);
		s->obj[k] = slab_alloc(t, slab_next_size(t));
		if (--until_handoff)
			continue;
		s = atomic_exchange_explicit(&sh->parked, s, memory_order_acq_rel);
		until_handoff = (uint64_t)nslots * HANDOFF_ROUNDS;
	}
	t->wl = s;
}

static void free_slots(struct slab_run *r, struct larson_slots *s, uint64_t *corrupt)
{
	for (int i = 0; i < r->o->batch; i++)
		slab_free_untimed(r, corrupt, s->obj[i]);
	free(s->obj);
	s->obj = NULL;
}

static void larson_drain(struct slab_thread *t)
{
	free_slots(t->run, t->wl, &t->corrupt);
}

static void larson_teardown(struct slab_run *r)
{
	struct larson_shared *sh = r->wl;

	free_slots(r, atomic_load(&sh->parked), &r->corrupt);
	free(sh->arrays);
	free(sh);
}

const struct slab_workload slab_larson = {
	.name = "larson",
	.summary = "server-like: free a random slot, refill it; slot arrays change threads",
	.objects_cross_threads = true,
	.min_threads = 1,
	.setup = larson_setup,
	.measure = larson_measure,
	.drain = larson_drain,
	.teardown = larson_teardown,
};
