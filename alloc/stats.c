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

/* Takes s off the cache list and adds its counters to the retired totals, atomically for readers. */
void stats_retire_cache(struct kmem_cache *s)
{
	cache_list_lock();
	cache_list_del_locked(s);
	cache_stats_sum(s, &retired);
	cache_list_unlock();
}

void stats_reset_retired(void)
{
	cache_list_lock();
	memset(&retired, 0, sizeof(retired));
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
