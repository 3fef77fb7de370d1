/* SPDX-License-Identifier: MIT */
/*
 * stats.c - layer 3: counters: per CPU and per cache (struct slub_percpu_sheaves), summed
 * on read.  The list of items is SHEAFALLOC_STAT_ITEMS in sheafalloc.h.
 */
#include <pthread.h>

#include "internal.h"

const char *const sheafalloc_stat_names[NR_SHEAFALLOC_STATS] = {
#define STAT_NAME(name) #name,
	SHEAFALLOC_STAT_ITEMS(STAT_NAME)
#undef STAT_NAME
};

/* Caches already destroyed; under cache_list_lock(). */
static struct sheafalloc_stats retired;


static void stats_add_item(struct sheafalloc_stats *out, int item, uint64_t v)
{
	switch (item) {
#define CASE(name) case STAT_##name: out->name += v; break;
	SHEAFALLOC_STAT_ITEMS(CASE)
#undef CASE
	}
}

static uint64_t stats_get_item(const struct sheafalloc_stats *in, int item)
{
	switch (item) {
#define CASE(name) case STAT_##name: return in->name;
	SHEAFALLOC_STAT_ITEMS(CASE)
#undef CASE
	}
	return 0;
}

static void stats_add(struct sheafalloc_stats *out, const struct sheafalloc_stats *in)
{
	for (int i = 0; i < NR_SHEAFALLOC_STATS; i++)
		stats_add_item(out, i, stats_get_item(in, i));
	sb_lockstat_add(&out->barn_lock, &in->barn_lock);
	sb_lockstat_add(&out->list_lock, &in->list_lock);
}

/*
 * Raw sums: pcs_trylock holds the successful trylocks that ended in no pop or
 * push until stats_finish() (a hit counts only alloc/free_fastpath).
 */
void cache_stats_sum(struct kmem_cache *s, struct sheafalloc_stats *out)
{
	for (int cpu = 0; cpu < sa.nr_cpus; cpu++) {
		struct slub_percpu_sheaves *pcs = &s->cpu_sheaves[cpu];

		for (int i = 0; i < NR_SHEAFALLOC_STATS; i++)
			stats_add_item(out, i, __atomic_load_n(&pcs->stat[i], __ATOMIC_RELAXED));
		sb_lockstat_read_shared(&out->barn_lock, &pcs->barn_lock);
		sb_lockstat_read_shared(&out->list_lock, &pcs->list_lock);
	}
}

/* One item of one cache, every CPU. */
uint64_t cache_stat_sum(struct kmem_cache *s, enum sheafalloc_stat_item item)
{
	uint64_t sum = 0;

	for (int cpu = 0; cpu < sa.nr_cpus; cpu++)
		sum += __atomic_load_n(&s->cpu_sheaves[cpu].stat[item], __ATOMIC_RELAXED);
	return sum;
}

/* Attempts = successes + failures; the barn/list trylock items come from lock_stat. */
static void stats_finish(struct sheafalloc_stats *out)
{
	out->pcs_trylock += out->pcs_trylock_fail + out->alloc_fastpath + out->free_fastpath;
	out->barn_trylock = out->barn_lock.trylock_attempts;
	out->barn_trylock_fail = out->barn_lock.trylock_failures;
	out->list_trylock = out->list_lock.trylock_attempts;
	out->list_trylock_fail = out->list_lock.trylock_failures;
}

static void stats_retire_cache_nodes(struct kmem_cache *s);
static void stats_reset_retired_nodes(void);

/* Takes s off the cache list and adds its counters to the retired totals, atomically for readers. */
void stats_retire_cache(struct kmem_cache *s)
{
	cache_list_lock();
	cache_list_del_locked(s);
	cache_stats_sum(s, &retired);
	stats_retire_cache_nodes(s);
	cache_list_unlock();
}

void stats_reset_retired(void)
{
	cache_list_lock();
	memset(&retired, 0, sizeof(retired));
	stats_reset_retired_nodes();
	cache_list_unlock();
}

void sheafalloc_stats_read(struct sheafalloc_stats *out)
{
	memset(out, 0, sizeof(*out));
	cache_list_lock();
	for (struct kmem_cache *s = cache_list_first(); s; s = s->next)
		cache_stats_sum(s, out);
	stats_add(out, &retired);
	cache_list_unlock();
	stats_finish(out);
	if (sa.up)
		page_alloc_read_stats(&out->page);
}

void kmem_cache_stats_read(struct kmem_cache *s, struct sheafalloc_stats *out)
{
	memset(out, 0, sizeof(*out));
	cache_stats_sum(s, out);
	stats_finish(out);
}

/*
 * Per node: the counters counted on that node's CPUs.  Each CPU counts what it
 * did (its sheaves, its trylocks, whichever node's lock it tried), so the
 * nodes partition the totals of sheafalloc_stats_read() exactly.
 */
static struct sheafalloc_stats *retired_node;	/* [retired_nr]; under cache_list_lock() */
static int retired_nr;

static void cache_stats_sum_node(struct kmem_cache *s, int node, struct sheafalloc_stats *out)
{
	for (int cpu = 0; cpu < sa.nr_cpus; cpu++) {
		struct slub_percpu_sheaves *pcs = &s->cpu_sheaves[cpu];

		if (cpu_to_node(cpu) != node)
			continue;
		for (int i = 0; i < NR_SHEAFALLOC_STATS; i++)
			stats_add_item(out, i, __atomic_load_n(&pcs->stat[i], __ATOMIC_RELAXED));
		sb_lockstat_read_shared(&out->barn_lock, &pcs->barn_lock);
		sb_lockstat_read_shared(&out->list_lock, &pcs->list_lock);
	}
}

static void stats_retire_cache_nodes(struct kmem_cache *s)
{
	if (retired_nr != sa.nr_nodes) {
		free(retired_node);
		retired_node = calloc((size_t)sa.nr_nodes, sizeof(*retired_node));
		retired_nr = retired_node ? sa.nr_nodes : 0;
	}
	for (int n = 0; n < retired_nr; n++)
		cache_stats_sum_node(s, n, &retired_node[n]);
}

static void stats_reset_retired_nodes(void)
{
	free(retired_node);
	retired_node = NULL;
	retired_nr = 0;
}

int sheafalloc_nr_nodes(void)
{
	return sa.up ? sa.nr_nodes : 0;
}

void sheafalloc_stats_read_node(int node, struct sheafalloc_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!sa.up || node < 0 || node >= sa.nr_nodes)
		return;
	cache_list_lock();
	for (struct kmem_cache *s = cache_list_first(); s; s = s->next)
		cache_stats_sum_node(s, node, out);
	if (node < retired_nr)
		stats_add(out, &retired_node[node]);
	cache_list_unlock();
	stats_finish(out);
	for (int cpu = 0; cpu < sa.nr_cpus; cpu++)
		if (cpu_to_node(cpu) == node)
			page_alloc_read_stats_cpu(cpu, &out->page);
}

/* Pages held by s's slabs on one node (partial and full). */
uint64_t kmem_cache_node_slab_pages(struct kmem_cache *s, int node)
{
	if (node < 0 || node >= sa.nr_nodes)
		return 0;
	return (uint64_t)__atomic_load_n(&s->node[node].nr_slabs, __ATOMIC_RELAXED) << s->order;
}
