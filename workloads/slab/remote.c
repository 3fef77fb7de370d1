/*
 * remote: producer-consumer.  Thread i allocates into a single-producer
 * single-consumer ring read by thread i-1 (mod N), which frees the objects:
 * every free happens on another CPU than the alloc.  On a synthetic topology
 * with several nodes consecutive threads sit on different nodes, so every
 * free is also a cross-node free.
 */
#include <stdlib.h>

#include "slab_workload.h"

#define RING_SLOTS	SLAB_REMOTE_RING_SLOTS

struct remote_ring {
	_Alignas(64) atomic_size_t head;	/* written by the producer only */
	_Alignas(64) atomic_size_t tail;	/* written by the consumer only */
	_Alignas(64) void *slot[RING_SLOTS];
};

/* Producer side only. */
static bool ring_has_room(struct remote_ring *q)
{
	return atomic_load_explicit(&q->head, memory_order_relaxed) -
	       atomic_load_explicit(&q->tail, memory_order_acquire) < RING_SLOTS;
}

/* Producer side only, after ring_has_room(). */
static void ring_push(struct remote_ring *q, void *p)
{
	size_t h = atomic_load_explicit(&q->head, memory_order_relaxed);

	q->slot[h & (RING_SLOTS - 1)] = p;
	atomic_store_explicit(&q->head, h + 1, memory_order_release);
}

static void *ring_pop(struct remote_ring *q)
{
	size_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
	void *p;

	if (t == atomic_load_explicit(&q->head, memory_order_acquire))
		return NULL;
	p = q->slot[t & (RING_SLOTS - 1)];
	atomic_store_explicit(&q->tail, t + 1, memory_order_release);
	return p;
}

/* Thread i on node i % nodes, so that the ring i -> i+1 crosses nodes. */
static void place_across_nodes(struct slab_run *r)
{
	int nodes = sb_topology_nr_nodes(r->topo), ncpu = sb_topology_nr_cpus(r->topo);
	int node_cpus[ncpu];

	for (int i = 0; i < r->nthreads; i++) {
		int node = i % nodes, len = 0;

		for (int cpu = 0; cpu < ncpu; cpu++)
			if (sb_topology_cpu_node(r->topo, cpu) == node)
				node_cpus[len++] = cpu;
		r->wl_cpus[i] = len ? node_cpus[(i / nodes) % len] : i % ncpu;
	}
}

static int remote_setup(struct slab_run *r)
{
	struct remote_ring *rings = aligned_alloc(64, sizeof(*rings) * r->nthreads);

	if (!rings)
		slab_die_oom(sizeof(*rings) * r->nthreads);
	for (int i = 0; i < r->nthreads; i++) {
		atomic_init(&rings[i].head, 0);
		atomic_init(&rings[i].tail, 0);
	}
	if (sb_topology_nr_nodes(r->topo) > 1 && r->o->pin.pin != SB_PIN_LIST)
		place_across_nodes(r);
	r->wl = rings;
	return 0;
}

/* Ring i is produced by thread i and consumed by thread i-1. */
static struct remote_ring *ring_in(struct slab_thread *t)
{
	struct remote_ring *rings = t->run->wl;

	return &rings[t->id + 1 == t->run->nthreads ? 0 : t->id + 1];
}

/*
 * A thread that is done (time up, or its --iterations reached) stops
 * producing but keeps consuming until every thread is done: its producer may
 * still be filling its ring, and would spin on a full ring otherwise.
 */
static void remote_measure(struct slab_thread *t)
{
	struct slab_run *r = t->run;
	struct remote_ring *out = &((struct remote_ring *)r->wl)[t->id], *in = ring_in(t);
	int batch = r->o->batch;
	bool done = false;

	for (;;) {
		void *p;

		if (!done && slab_should_stop(t)) {
			done = true;
			atomic_fetch_add(&r->finished, 1);
		}
		if (done && atomic_load(&r->finished) == r->nthreads)
			break;
		for (int k = 0; !done && k < batch && ring_has_room(out); k++)
			ring_push(out, slab_alloc(t, slab_next_size(t)));
		for (int k = 0; k < batch && (p = ring_pop(in)); k++)
			slab_free(t, p);
	}
}

static void remote_drain(struct slab_thread *t)
{
	struct remote_ring *in = ring_in(t);
	void *p;

	while ((p = ring_pop(in)))
		slab_free_untimed(t->run, &t->corrupt, p);
}

static void remote_teardown(struct slab_run *r)
{
	free(r->wl);
}

const struct slab_workload slab_remote = {
	.name = "remote",
	.summary = "producer-consumer rings: every object freed on another CPU (node)",
	.objects_cross_threads = true,
	.min_threads = 2,
	.setup = remote_setup,
	.measure = remote_measure,
	.drain = remote_drain,
	.teardown = remote_teardown,
};
