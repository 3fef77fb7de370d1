/* SPDX-License-Identifier: MIT */
/*
 * slabinfo.c - layer 8: a /proc/slabinfo-like dump: per cache, objects and slabs, sheaves
 * on CPUs and in barns, and the counters.
 */
#include <inttypes.h>

#include "internal.h"

static void node_count(struct kmem_cache *s, struct kmem_cache_info *out)
{
	for (int n = 0; n < sa.nr_nodes; n++) {
		struct kmem_cache_node *kn = &s->node[n];
		struct lock_site ls;

		lock_site_begin(&ls, false);
		slab_lock_acquire(&kn->list_lock, false, &ls.ctx);
		out->nr_slabs += kn->nr_slabs;
		out->nr_partial += kn->nr_partial;
		out->objects_in_use += __atomic_load_n(&kn->inuse, __ATOMIC_RELAXED);
		slab_lock_release(&kn->list_lock, &ls.ctx);
		lock_site_end(&ls, &s->cpu_sheaves[ls.ctx.cpu].list_lock);
	}
}

void kmem_cache_info_read(struct kmem_cache *s, struct kmem_cache_info *out)
{
	struct sheafalloc_stats st;
	uint64_t cpu_objects = 0, barn_objects = 0;

	memset(out, 0, sizeof(*out));
	out->name = s->name;
	out->object_size = s->object_size;
	out->size = s->size;
	out->objs_per_slab = s->objects;
	out->slab_order = s->order;
	out->sheaf_capacity = s->sheaf_capacity;
	node_count(s, out);
	out->objects_total = out->nr_slabs * s->objects;
	pcs_count(s, &out->cpu_sheaves, &cpu_objects);
	barn_count(s, &out->barn_full, &out->barn_empty, &barn_objects);
	kmem_cache_stats_read(s, &st);
	out->deferred = st.deferred_queued - st.deferred_drained;
	out->objects_in_sheaves = cpu_objects + barn_objects;
	out->objects_allocated = out->objects_in_use - out->objects_in_sheaves - out->deferred;
}

static void print_cache(FILE *f, struct kmem_cache *s)
{
	struct kmem_cache_info in;
	struct sheafalloc_stats st;

	kmem_cache_info_read(s, &in);
	kmem_cache_stats_read(s, &st);
	fprintf(f, "%-16s %6u %6u %5u %3u %4d %8" PRIu64 " %8" PRIu64 " %10" PRIu64 " %10" PRIu64
		" %10" PRIu64 " %5" PRIu64 " %4" PRIu64 "/%-4" PRIu64 " %12" PRIu64 " %12" PRIu64
		" %9" PRIu64 " %9" PRIu64 "\n",
		in.name, in.object_size, in.size, in.objs_per_slab, in.slab_order, in.sheaf_capacity,
		in.nr_slabs, in.nr_partial, in.objects_in_use, in.objects_allocated,
		in.objects_in_sheaves, in.cpu_sheaves, in.barn_full, in.barn_empty,
		st.alloc_fastpath, st.free_fastpath, st.alloc_slowpath + st.free_slowpath,
		st.pcs_trylock_fail);
}

static void print_totals(FILE *f, const struct sheafalloc_stats *st)
{
	const struct sb_lockstat *sites[3] = { &st->barn_lock, &st->list_lock, &st->page.zone_lock };
	const char *site_names[3] = { "barn_lock", "list_lock", "zone_lock" };

	fprintf(f, "\ncounters (all caches):\n");
	for (int i = 0; i < NR_SHEAFALLOC_STATS; i++) {
		uint64_t v;

		switch (i) {
#define CASE(name) case STAT_##name: v = st->name; break;
		SHEAFALLOC_STAT_ITEMS(CASE)
#undef CASE
		default: v = 0;
		}
		fprintf(f, "  %-28s %14" PRIu64 "\n", sheafalloc_stat_names[i], v);
	}
	fprintf(f, "\nlock sites: %-10s %12s %10s %12s %10s %12s\n", "", "acquired", "contended",
		"trylocks", "failed", "rmw");
	for (int i = 0; i < 3; i++)
		fprintf(f, "  %-20s %12" PRIu64 " %10" PRIu64 " %12" PRIu64 " %10" PRIu64 " %12" PRIu64 "\n",
			site_names[i], sites[i]->acquisitions, sites[i]->contended,
			sites[i]->trylock_attempts, sites[i]->trylock_failures, sites[i]->rmw);
	fprintf(f, "  %-20s %12s %10s %12" PRIu64 " %10" PRIu64 " %12s\n", "pcs (per-CPU trylock)",
		"-", "-", st->pcs_trylock, st->pcs_trylock_fail, "-");
	fprintf(f, "\npages: %" PRIu64 " free of %" PRIu64 " backed\n", st->page.pages_free,
		st->page.pages_total);
}

void sheafalloc_print_slabinfo(FILE *f)
{
	struct sheafalloc_stats st;

	fprintf(f, "# sheafalloc slabinfo (pattern %s)\n", SB_PATTERN_NAME);
	fprintf(f, "%-16s %6s %6s %5s %3s %4s %8s %8s %10s %10s %10s %5s %9s %12s %12s %9s %9s\n",
		"# name", "objsz", "size", "objs", "ord", "shf", "slabs", "partial", "in_use",
		"allocated", "in_sheaves", "cpush", "barn f/e", "alloc_fast", "free_fast",
		"slowpath", "pcs_busy");
	cache_list_lock();
	for (struct kmem_cache *s = cache_list_first(); s; s = s->next)
		print_cache(f, s);
	cache_list_unlock();
	sheafalloc_stats_read(&st);
	print_totals(f, &st);
}
