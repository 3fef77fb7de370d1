/*
 * Options of `slab <workload>`: one table (harness parse_options), so that
 * the usage, the accepted names and the error lines come from one place.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slab_workload.h"
#include "worker.h"

const struct slab_workload *const slab_workloads[] = {
	&slab_churn, &slab_remote, &slab_larson, &slab_cache_scratch, &slab_nmi, NULL,
};

static const char *const order_names[] = { "in", "shuffled", NULL };

static void opts_defaults(struct slab_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->workload = -1;
	o->threads = 2;
	o->pin.pin = SB_PIN_COMPACT;
	o->pin.text = "compact";
	o->duration_ns = 1000000000ull;
	o->size_min = o->size_max = 64;
	o->batch = 100;
	o->sheaf_capacity = -1;
	o->allocator = SLAB_ALLOC_SHEAF;
	o->format = SB_FMT_TABLE;
	o->nmi_hz = 20000;
	o->writes = 100;
}

/* "churn, remote, ..." from the workload table. */
static void workload_names(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; slab_workloads[i] && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
				 slab_workloads[i]->name);
}

static int workload_from_name(const char *name)
{
	char names[128];

	for (int i = 0; slab_workloads[i]; i++)
		if (!strcmp(slab_workloads[i]->name, name))
			return i;
	workload_names(names, sizeof(names));
	sb_die_usage(SLAB_CMD, "workload: '%s' is not allowed (one of: %s)", name, names);
}

static void parse_size(const char *cmd, const char *opt, const char *val, void *data)
{
	struct slab_opts *o = data;

	o->size_min = o->size_max = sb_parse_size(cmd, opt, val, 8, SLAB_SIZE_MAX);
	o->size_given = true;
}

static void parse_sizes(const char *cmd, const char *opt, const char *val, void *data)
{
	struct slab_opts *o = data;
	const char *dash = strchr(val, '-');
	char lo[32];

	if (!dash || dash == val || (size_t)(dash - val) >= sizeof(lo))
		sb_die_usage(cmd, "%s: '%s' must be a range MIN-MAX, e.g. 16-128", opt, val);
	memcpy(lo, val, dash - val);
	lo[dash - val] = '\0';
	o->size_min = sb_parse_size(cmd, opt, lo, 8, SLAB_SIZE_MAX);
	o->size_max = sb_parse_size(cmd, opt, dash + 1, 8, SLAB_SIZE_MAX);
	if (o->size_min > o->size_max)
		sb_die_usage(cmd, "%s: '%s' has MIN above MAX", opt, val);
	o->size_given = true;
}

static void check_combination(struct slab_opts *o)
{
	const struct slab_workload *w = slab_workloads[o->workload];
	const char *alloc = slab_allocator_names[o->allocator];

	if (o->threads < w->min_threads)
		sb_die_usage(SLAB_CMD, "--threads: '%d' is too few for %s (at least %d)",
			     o->threads, w->name, w->min_threads);
	if (o->allocator != SLAB_ALLOC_SHEAF && w->sheaf_only)
		sb_die_usage(SLAB_CMD, "--allocator: '%s' cannot run %s (sheaf only)", alloc, w->name);
	if (o->allocator != SLAB_ALLOC_SHEAF && o->coherence)
		sb_die_usage(SLAB_CMD, "--coherence: needs --allocator sheaf (only its lock "
			     "sites are traced), not '%s'", alloc);
	if (o->allocator != SLAB_ALLOC_SHEAF && o->nolock_fraction > 0)
		sb_die_usage(SLAB_CMD, "--nolock-fraction: '%g' needs --allocator sheaf "
			     "(no nolock API in %s)", o->nolock_fraction, alloc);
	if (o->allocator != SLAB_ALLOC_SHEAF && o->sheaf_capacity >= 0)
		sb_die_usage(SLAB_CMD, "--sheaf-capacity: '%d' needs --allocator sheaf",
			     o->sheaf_capacity);
	if (w == &slab_remote && o->batch >= SLAB_REMOTE_RING_SLOTS)
		sb_die_usage(SLAB_CMD, "--batch: '%d' too large for remote (below %d, the ring size)",
			     o->batch, SLAB_REMOTE_RING_SLOTS);
	if (o->iterations)
		o->duration_ns = 0;
	if (!o->size_given && w == &slab_larson) {
		o->size_min = 16;
		o->size_max = 128;
	}
	if (!o->size_given && w == &slab_cache_scratch)
		o->size_min = o->size_max = 8;	/* Hoard's default: many objects per line */
}

/* The usage's head: the command line and the workloads with their summaries. */
static void slab_usage_head(char *buf, size_t len)
{
	size_t used = snprintf(buf, len, "usage: sheafbench slab WORKLOAD [OPTIONS]\n"
			       "An op is one allocator call (alloc or free); latency is sampled "
			       "on 1 op in %d (none with --lean).\nharness_ns_per_op: the same run over a null "
			       "allocator first; ns_per_op_alloc = ns_per_op - harness_ns_per_op.\n"
			       "workloads:\n", SLAB_LAT_SAMPLE_MASK + 1);

	for (int i = 0; slab_workloads[i] && used < len; i++)
		used += snprintf(buf + used, len - used, "  %-14s %s\n", slab_workloads[i]->name,
				 slab_workloads[i]->summary);
}

/* Returns 1 if --help was asked (usage printed), else 0; exits 2 on bad input. */
int slab_parse_options(struct slab_opts *o, int argc, char **argv)
{
	const char *workload = NULL;
	int order = 0, allocator = SLAB_ALLOC_SHEAF;
	char usage[2048], names[128];
	struct sb_option opts[] = {
		SB_OPT_ARG("WORKLOAD", &workload, "the workload to run"),
		SB_OPT_WORKER_PATTERN(),
		SB_OPT_INT("threads", &o->threads, 1, 1024, "worker threads"),
		SB_OPT_PIN(&o->pin, 256, "thread placement"),
		SB_OPT_DURATION("duration", &o->duration_ns, 0, "time-bounded run, e.g. 1s, 300ms"),
		SB_OPT_UINT("iterations", &o->iterations, 1, 1L << 40,
			    "instead: N allocator calls per thread (default: time-bounded)"),
		SB_OPT_CALLBACK("size", "N", parse_size, o,
				"object size (default 64; larson 16-128, cache-scratch 8)"),
		SB_OPT_CALLBACK("sizes", "A-B", parse_sizes, o,
				"object sizes, uniform in A..B (default: --size)"),
		SB_OPT_INT("batch", &o->batch, 1, 1 << 20,
			   "objects per round / larson slots / ring chunk"),
		SB_OPT_CHOICE("order", &order, order_names, "free order of a churn batch"),
		SB_OPT_INT("sheaf-capacity", &o->sheaf_capacity, 0, 1024,
			   "objects per sheaf, 0 disables sheaves (default: per size)"),
		SB_OPT_CHOICE("allocator", &allocator, slab_allocator_names, "allocator to measure"),
		SB_OPT_INT("nmi-hz", &o->nmi_hz, 0, 1000000,
			   "nmi: timer signals per second per thread"),
		SB_OPT_DOUBLE("nolock-fraction", &o->nolock_fraction, 0.0, 1.0,
			      "share of ordinary calls using kmalloc_nolock/kfree_nolock"),
		SB_OPT_INT("writes", &o->writes, 1, 1 << 20,
			   "cache-scratch: write passes per object"),
		SB_OPT_BOOL("lean", &o->lean,
			    "no stamping, no latency sampling: for throughput comparisons"),
		SB_OPT_FORMAT(&o->format),
		SB_OPT_EVENTS(&o->events),
		SB_OPT_BOOL("coherence", &o->coherence,
			    "trace the lock sites in a run before the measured one: per-op "
			    "transfers/HITM/RFOs per site"),
		SB_OPT_END,
	};

	opts_defaults(o);
	slab_usage_head(usage, sizeof(usage));
	if (sb_parse_options(SLAB_CMD, opts, argc, argv, usage) == SB_OPTIONS_HELP)
		return 1;
	if (!workload) {
		workload_names(names, sizeof(names));
		sb_die_usage(SLAB_CMD, "workload: missing (one of: %s)", names);
	}
	o->workload = workload_from_name(workload);
	o->shuffled = order == 1;
	o->allocator = (enum slab_allocator)allocator;
	check_combination(o);
	return 0;
}
