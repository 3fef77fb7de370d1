/*
 * The sheaf allocator's counters per NUMA node, as columns suffixed _node<N>
 * for N below the row's `nodes` parameter (the topology's node count).  A
 * counter is split by the node of the CPU that counted it: its sheaves, the
 * barn it traded with (its own node's), whichever node's lock it tried.  So
 * the nodes' columns of a figure sum to the whole-run figure, normalised the
 * same way (per 1000 allocator calls of the whole run).  Slab pages are split
 * by the node the slab lives on, read when the measured section ends.
 *
 * Why one numeric column per node and not one "a/b/c/d" text column: the
 * analysis reads every figure column as a number (analysis/columns.c refuses
 * anything else), and `nodes` is a parameter, so rows with 2 and 4 nodes are
 * different configurations with different headers (separate runs files).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sheafalloc.h"
#include "slab_workload.h"

struct node_snap {
	struct sheafalloc_stats begin, end;
	uint64_t slab_pages;
};

struct slab_node_snaps {
	int nr;
	uint64_t slab_pages;		/* all nodes, from kmem_cache_info */
	struct node_snap node[];
};

#define D(field)	((double)(e->field - b->field))

static double barn_takes(const struct sheafalloc_stats *b, const struct sheafalloc_stats *e)
{
	return D(barn_take_full) + D(barn_take_empty);
}

static double barn_puts(const struct sheafalloc_stats *b, const struct sheafalloc_stats *e)
{
	return D(barn_put);
}

static double barn_misses(const struct sheafalloc_stats *b, const struct sheafalloc_stats *e)
{
	return D(barn_take_full_miss) + D(barn_take_empty_miss);
}

static double remote_frees(const struct sheafalloc_stats *b, const struct sheafalloc_stats *e)
{
	return D(free_remote);
}

static double fails_pcs(const struct sheafalloc_stats *b, const struct sheafalloc_stats *e)
{
	return D(pcs_trylock_fail);
}

static double fails_barn(const struct sheafalloc_stats *b, const struct sheafalloc_stats *e)
{
	return D(barn_trylock_fail);
}

static double fails_list(const struct sheafalloc_stats *b, const struct sheafalloc_stats *e)
{
	return D(list_trylock_fail);
}

static double fails_zone(const struct sheafalloc_stats *b, const struct sheafalloc_stats *e)
{
	return D(page.zone_lock.nolock_failures);
}

/*
 * The per-kop figures split by node.  total: also print the whole-run column
 * (the others are printed by counters.c already).
 */
static const struct node_figure {
	const char *name;
	bool total;
	double (*count)(const struct sheafalloc_stats *b, const struct sheafalloc_stats *e);
} node_figures[] = {
	{ "remote_frees_per_kop", false, remote_frees },
	{ "barn_hits_per_kop", false, barn_takes },
	{ "barn_puts_per_kop", true, barn_puts },
	{ "barn_misses_per_kop", false, barn_misses },
	{ "trylock_fails_per_kop_pcs", true, fails_pcs },
	{ "trylock_fails_per_kop_barn", true, fails_barn },
	{ "trylock_fails_per_kop_list", true, fails_list },
	{ "trylock_fails_per_kop_zone", true, fails_zone },
};
#define NR_NODE_FIGURES	(sizeof(node_figures) / sizeof(node_figures[0]))

size_t slab_node_snaps_size(int nr_nodes)
{
	return sizeof(struct slab_node_snaps) + (size_t)nr_nodes * sizeof(struct node_snap);
}

void slab_node_counters_begin(struct slab_node_snaps *n, int nr_nodes)
{
	n->nr = nr_nodes;
	for (int i = 0; i < n->nr; i++)
		sheafalloc_stats_read_node(i, &n->node[i].begin);
}

static const unsigned int bucket_sizes[KMALLOC_NR_BUCKETS] = {
	8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192,
};

/* Every thread is stopped: the slab lists hold still. */
void slab_node_counters_end(struct slab_node_snaps *n)
{
	for (int i = 0; i < n->nr; i++)
		sheafalloc_stats_read_node(i, &n->node[i].end);
	n->slab_pages = 0;
	for (int b = 0; b < KMALLOC_NR_BUCKETS; b++) {
		struct kmem_cache *s = kmalloc_cache_for_size(bucket_sizes[b]);
		struct kmem_cache_info info;

		if (!s)
			continue;
		kmem_cache_info_read(s, &info);
		n->slab_pages += info.nr_slabs << info.slab_order;
		for (int i = 0; i < n->nr; i++)
			n->node[i].slab_pages += kmem_cache_node_slab_pages(s, i);
	}
}

static void report_node_col(struct sb_report *rep, const char *fig, int node, double v)
{
	char col[80];

	snprintf(col, sizeof(col), "%s_node%d", fig, node);
	sb_report_f64(rep, col, v);
}

/* kops: the whole run's allocator calls / 1000; tb, te: the whole-run snapshots. */
void slab_node_counters_report(struct sb_report *rep, const struct slab_node_snaps *n,
			       const struct sheafalloc_stats *tb, const struct sheafalloc_stats *te,
			       double kops)
{
	for (size_t f = 0; f < NR_NODE_FIGURES; f++) {
		const struct node_figure *fig = &node_figures[f];

		if (fig->total)
			sb_report_f64(rep, fig->name, kops > 0 ? fig->count(tb, te) / kops : NAN);
		for (int i = 0; i < n->nr; i++)
			report_node_col(rep, fig->name, i,
					kops > 0 ? fig->count(&n->node[i].begin, &n->node[i].end) / kops
						 : NAN);
	}
	sb_report_u64(rep, "slab_pages", n->slab_pages);
	for (int i = 0; i < n->nr; i++) {
		char col[40];

		snprintf(col, sizeof(col), "slab_pages_node%d", i);
		sb_report_u64(rep, col, n->node[i].slab_pages);
	}
}

/* Other allocators: the same columns, all n/a, so their rows share the header. */
void slab_node_counters_na(struct sb_report *rep, int nr_nodes)
{
	char col[80];

	for (size_t f = 0; f < NR_NODE_FIGURES; f++) {
		if (node_figures[f].total)
			sb_report_na(rep, node_figures[f].name);
		for (int i = 0; i < nr_nodes; i++) {
			snprintf(col, sizeof(col), "%s_node%d", node_figures[f].name, i);
			sb_report_na(rep, col);
		}
	}
	sb_report_na(rep, "slab_pages");
	for (int i = 0; i < nr_nodes; i++) {
		snprintf(col, sizeof(col), "slab_pages_node%d", i);
		sb_report_na(rep, col);
	}
}
