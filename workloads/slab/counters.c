/*
 * The sheaf allocator's counters as report columns: a snapshot before and
 * after the measured section, the difference normalised per 1000 allocator
 * calls (per kop: the measured ops plus any signal-handler calls), per nolock
 * call or per second.  For other allocators every one of
 * these columns is n/a: they have no such counters.
 */
#include <math.h>
#include <stdlib.h>

#include "sheafalloc.h"
#include "slab_workload.h"

struct counter_snaps {
	struct sheafalloc_stats begin, end;
	struct slab_node_snaps *nodes;	/* counters_node.c, in the same allocation */
};

static const unsigned int kmalloc_bucket_sizes[KMALLOC_NR_BUCKETS] = {
	8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192,
};

void slab_counters_begin(struct slab_run *r)
{
	struct counter_snaps *c;

	if (!r->a->has_stats)
		return;
	c = calloc(1, sizeof(*c) + slab_node_snaps_size(sb_topology_nr_nodes(r->topo)));
	if (!c)
		slab_die_oom(sizeof(*c));
	c->nodes = (struct slab_node_snaps *)(c + 1);
	slab_node_counters_begin(c->nodes, sb_topology_nr_nodes(r->topo));
	sheafalloc_stats_read(&c->begin);
	r->counters = c;
}

void slab_counters_end(struct slab_run *r)
{
	struct counter_snaps *c = r->counters;

	if (c) {
		sheafalloc_stats_read(&c->end);
		slab_node_counters_end(c->nodes);
	}
}

#define DELTA(field)	((double)(c->end.field - c->begin.field))

static double ratio(double num, double den)
{
	return den > 0 ? num / den : NAN;
}

static void report_paths(struct sb_report *rep, const struct counter_snaps *c, double kops)
{
	sb_report_f64(rep, "fastpath_hit_rate",
		      ratio(DELTA(alloc_fastpath) + DELTA(free_fastpath), kops * 1000));
	sb_report_f64(rep, "sheaf_swaps_per_kop", ratio(DELTA(sheaf_swap), kops));
	sb_report_f64(rep, "barn_hits_per_kop",
		      ratio(DELTA(barn_take_full) + DELTA(barn_take_empty), kops));
	sb_report_f64(rep, "barn_misses_per_kop",
		      ratio(DELTA(barn_take_full_miss) + DELTA(barn_take_empty_miss), kops));
	sb_report_f64(rep, "refills_per_kop", ratio(DELTA(sheaf_refill), kops));
	sb_report_f64(rep, "new_slabs_per_kop", ratio(DELTA(new_slab), kops));
	sb_report_f64(rep, "flushes_per_kop", ratio(DELTA(sheaf_flush), kops));
	sb_report_f64(rep, "remote_frees_per_kop", ratio(DELTA(free_remote), kops));
}

/* The four lock sites a never-spinning try can fail at. */
struct lock_site {
	const char *name;
	double tries, fails;
};

static void report_lock_sites(struct sb_report *rep, const struct counter_snaps *c)
{
	struct lock_site site[4] = {
		{ "pcs", DELTA(pcs_trylock), DELTA(pcs_trylock_fail) },
		{ "barn", DELTA(barn_trylock), DELTA(barn_trylock_fail) },
		{ "list", DELTA(list_trylock), DELTA(list_trylock_fail) },
		{ "zone", DELTA(page.zone_lock.nolock_attempts), DELTA(page.zone_lock.nolock_failures) },
	};
	double all_fails = 0;
	char col[64];

	for (int i = 0; i < 4; i++)
		all_fails += site[i].fails;
	for (int i = 0; i < 4; i++) {
		snprintf(col, sizeof(col), "trylock_fail_rate_%s", site[i].name);
		sb_report_f64(rep, col, ratio(site[i].fails, site[i].tries));
	}
	for (int i = 0; i < 4; i++) {
		snprintf(col, sizeof(col), "trylock_fail_share_%s", site[i].name);
		sb_report_f64(rep, col, ratio(site[i].fails, all_fails));
	}
}

/* kmalloc_nolock outcomes, per second and per call the workload made. */
static void report_nolock(struct sb_report *rep, const struct slab_run *r,
			  const struct counter_snaps *c, double secs)
{
	static const char *const names[] = { "attempts", "first_ok", "retries", "retry_ok", "null" };
	double allocs = r->nolock_allocs, v[5] = {
		DELTA(nolock_attempts), DELTA(nolock_first_bucket), DELTA(nolock_retry),
		DELTA(nolock_retry_success), DELTA(nolock_null),
	};
	char col[64];

	sb_report_u64(rep, "nolock_allocs", r->nolock_allocs);
	sb_report_u64(rep, "nolock_frees", r->nolock_frees);
	sb_report_u64(rep, "nolock_attempts", (uint64_t)v[0]);
	sb_report_u64(rep, "nolock_first_ok", (uint64_t)v[1]);
	sb_report_u64(rep, "nolock_retry_ok", (uint64_t)v[3]);
	sb_report_u64(rep, "nolock_null", (uint64_t)v[4]);
	for (int i = 0; i < 5; i++) {
		snprintf(col, sizeof(col), "nolock_%s_per_s", names[i]);
		sb_report_f64(rep, col, ratio(v[i], secs));
		snprintf(col, sizeof(col), "nolock_%s_per_alloc", names[i]);
		sb_report_f64(rep, col, ratio(v[i], allocs));
	}
	sb_report_f64(rep, "nolock_deferred_per_s", ratio(DELTA(deferred_queued), secs));
	sb_report_f64(rep, "nolock_deferred_per_free", ratio(DELTA(deferred_queued), r->nolock_frees));
	if (r->nolock_measured) {
		sb_report_hist(rep, "nolock", &r->nolock_lat);
	} else {
		struct sb_hist none;

		sb_hist_init(&none);	/* empty: every percentile is n/a */
		sb_report_hist(rep, "nolock", &none);
	}
}

static const char *const na_columns[] = {
	"fastpath_hit_rate", "sheaf_swaps_per_kop", "barn_hits_per_kop", "barn_misses_per_kop",
	"refills_per_kop", "new_slabs_per_kop", "flushes_per_kop", "remote_frees_per_kop",
	"trylock_fail_rate_pcs", "trylock_fail_rate_barn", "trylock_fail_rate_list",
	"trylock_fail_rate_zone", "trylock_fail_share_pcs", "trylock_fail_share_barn",
	"trylock_fail_share_list", "trylock_fail_share_zone",
	"nolock_allocs", "nolock_frees", "nolock_attempts", "nolock_first_ok", "nolock_retry_ok",
	"nolock_null",
	"nolock_attempts_per_s", "nolock_attempts_per_alloc", "nolock_first_ok_per_s",
	"nolock_first_ok_per_alloc", "nolock_retries_per_s", "nolock_retries_per_alloc",
	"nolock_retry_ok_per_s", "nolock_retry_ok_per_alloc", "nolock_null_per_s",
	"nolock_null_per_alloc", "nolock_deferred_per_s", "nolock_deferred_per_free",
	"nolock_p50_ns", "nolock_p90_ns", "nolock_p99_ns", "nolock_p999_ns", "nolock_max_ns",
	NULL,
};

void slab_counters_report(struct sb_report *rep, const struct slab_run *r, uint64_t ops,
			  double secs)
{
	const struct counter_snaps *c = r->counters;

	if (!c) {
		for (int i = 0; na_columns[i]; i++)
			sb_report_na(rep, na_columns[i]);
		slab_node_counters_na(rep, sb_topology_nr_nodes(r->topo));
		return;
	}
	report_paths(rep, c, (ops + r->handler_calls) / 1000.0);
	report_lock_sites(rep, c);
	report_nolock(rep, r, c, secs);
	slab_node_counters_report(rep, c->nodes, &c->begin, &c->end,
				  (ops + r->handler_calls) / 1000.0);
}

/*
 * Objects held by callers, from the allocator's own books: what the kmalloc
 * slabs handed out, minus what sits free in sheaves, barns and deferred lists
 * (objects_allocated), minus the sheaf structures, which are kmalloc objects
 * of the allocator itself.
 */
static int64_t objects_held(char *why, size_t len)
{
	struct sheafalloc_stats st;
	int64_t held = 0;
	size_t off = 0;

	sheafalloc_drain_deferred();
	for (int i = 0; i < KMALLOC_NR_BUCKETS; i++) {
		struct kmem_cache *s = kmalloc_cache_for_size(kmalloc_bucket_sizes[i]);
		struct kmem_cache_info info;

		if (!s)
			continue;
		kmem_cache_info_read(s, &info);
		held += info.objects_allocated;
		if (info.objects_allocated && off < len)
			off += snprintf(why + off, len - off, "%s %llu, ", info.name,
					(unsigned long long)info.objects_allocated);
	}
	sheafalloc_stats_read(&st);
	if (off < len)
		snprintf(why + off, len - off, "minus %llu sheaves",
			 (unsigned long long)(st.sheaf_alloc - st.sheaf_free));
	return held - (int64_t)(st.sheaf_alloc - st.sheaf_free);
}

/* Every object the run allocated has been freed: allocs - frees == 0. */
bool slab_counters_balanced(const struct slab_run *r, char *why, size_t len)
{
	char detail[200] = "";
	int64_t held = objects_held(detail, sizeof(detail));

	snprintf(why, len, "%lld objects still allocated (%s)", (long long)held, detail);
	return held == 0;
}
