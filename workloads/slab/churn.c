/*
 * churn: each thread allocates a batch of objects and frees it again, on its
 * own CPU, in allocation order or in a per-thread shuffled order.  The sheaf
 * fast path, sheaf swaps and barn trades are all reached by varying --batch
 * against the sheaf capacity.
 */
#include <stdlib.h>

#include "slab_workload.h"

struct churn_thread {
	void **objs;
	uint32_t *order;	/* free order: identity or a fixed random permutation */
};

static void churn_prepare(struct slab_thread *t, struct churn_thread *c, int batch)
{
	c->objs = calloc(batch, sizeof(*c->objs));
	c->order = calloc(batch, sizeof(*c->order));
	if (!c->objs || !c->order)
		slab_die_oom(batch * sizeof(*c->objs));
	for (int i = 0; i < batch; i++)
		c->order[i] = i;
	if (!t->run->o->shuffled)
		return;
	for (int i = batch - 1; i > 0; i--) {
		uint32_t j = slab_rng_below(&t->rng, i + 1), tmp = c->order[i];

		c->order[i] = c->order[j];
		c->order[j] = tmp;
	}
}

void slab_churn_loop(struct slab_thread *t)
{
	int batch = t->run->o->batch;
	struct churn_thread c;

	churn_prepare(t, &c, batch);
	while (!slab_should_stop(t)) {
		for (int i = 0; i < batch; i++)
			c.objs[i] = slab_alloc(t, slab_next_size(t));
		for (int i = 0; i < batch; i++)
			slab_free(t, c.objs[c.order[i]]);
	}
	free(c.objs);
	free(c.order);
}

const struct slab_workload slab_churn = {
	.name = "churn",
	.summary = "alloc a batch then free it, per thread on its own CPU",
	.min_threads = 1,
	.measure = slab_churn_loop,
};
