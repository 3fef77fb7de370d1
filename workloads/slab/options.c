/*
 * Options of `slab <workload>`: one table of option names, each parsed with the
 * harness helpers so that bad input is one line on stderr and exit 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slab_workload.h"

const struct slab_workload *const slab_workloads[] = {
	&slab_churn, &slab_remote, &slab_larson, &slab_cache_scratch, &slab_nmi, NULL,
};

static const char *const allocator_names[] = {
	"sheaf", "glibc", "jemalloc", "tcmalloc", "mimalloc", NULL,
};

static const char *const order_names[] = { "in", "shuffled", NULL };

void slab_usage(FILE *out)
{
	fprintf(out,
"usage: sheafbench slab WORKLOAD [OPTIONS]\n"
"workloads:\n");
	for (int i = 0; slab_workloads[i]; i++)
		fprintf(out, "  %-14s %s\n", slab_workloads[i]->name, slab_workloads[i]->summary);
	fprintf(out,
"options:\n"
"  --pattern P            must be this worker's pattern (%s)\n"
"  --threads N            worker threads (default 2)\n"
"  --pin none|compact|scatter|LIST   thread placement (default compact)\n"
"  --duration T           time-bounded run, e.g. 1s, 300ms (default 1s)\n"
"  --iterations N         instead: N allocator calls per thread\n"
"  --size N | --sizes A-B object size, or uniform range (default 64; larson 16-128,\n"
"                         cache-scratch 8)\n"
"  --batch N              objects per round / larson slots / ring chunk (default 100)\n"
"  --order in|shuffled    free order of a churn batch (default in)\n"
"  --sheaf-capacity N     objects per sheaf, 0 disables sheaves (default: per size)\n"
"  --allocator sheaf|glibc|jemalloc|tcmalloc|mimalloc   (default sheaf)\n"
"  --nmi-hz N             nmi: timer signals per second per thread (default 20000)\n"
"  --nolock-fraction F    share of ordinary calls using kmalloc_nolock/kfree_nolock\n"
"  --writes N             cache-scratch: write passes per object (default 100)\n"
"  --format table|csv|json\n"
"An op is one allocator call (alloc or free); latency is sampled on 1 op in %d.\n",
		SB_PATTERN_NAME, SLAB_LAT_SAMPLE_MASK + 1);
}

static void opts_defaults(struct slab_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->workload = -1;
	o->threads = 2;
	o->pin = SB_PIN_COMPACT;
	o->pin_str = "compact";
	o->duration_ns = 1000000000ull;
	o->size_min = o->size_max = 64;
	o->batch = 100;
	o->sheaf_capacity = -1;
	o->allocator = SLAB_ALLOC_SHEAF;
	o->format = SB_FMT_TABLE;
	o->nmi_hz = 20000;
	o->writes = 100;
}

static int workload_from_name(const char *name)
{
	for (int i = 0; slab_workloads[i]; i++)
		if (!strcmp(slab_workloads[i]->name, name))
			return i;
	return -1;
}

static void parse_sizes(struct slab_opts *o, const char *opt, const char *val)
{
	const char *dash = strchr(val, '-');
	char lo[32];

	if (!dash || dash == val || (size_t)(dash - val) >= sizeof(lo))
		sb_die_usage(SLAB_CMD, "%s: '%s' must be a range MIN-MAX, e.g. 16-128", opt, val);
	memcpy(lo, val, dash - val);
	lo[dash - val] = '\0';
	o->size_min = sb_parse_size(SLAB_CMD, opt, lo, 8, SLAB_SIZE_MAX);
	o->size_max = sb_parse_size(SLAB_CMD, opt, dash + 1, 8, SLAB_SIZE_MAX);
	if (o->size_min > o->size_max)
		sb_die_usage(SLAB_CMD, "%s: '%s' has MIN above MAX", opt, val);
}

/* Returns false if @opt is not one of ours. */
static bool parse_one(struct slab_opts *o, const char *opt, const char *val)
{
	if (!strcmp(opt, "--pattern")) {
		if (strcmp(val, SB_PATTERN_NAME))
			sb_die_usage(SLAB_CMD, "--pattern: '%s' is not the pattern of this worker "
				     "(sheafbench-%s runs only '%s')", val, SB_PATTERN_NAME, SB_PATTERN_NAME);
	} else if (!strcmp(opt, "--threads")) {
		o->threads = sb_parse_long(SLAB_CMD, opt, val, 1, 1024);
	} else if (!strcmp(opt, "--pin")) {
		o->pin_list_len = sb_parse_pin(SLAB_CMD, val, &o->pin, o->pin_list, 256);
		o->pin_str = val;
	} else if (!strcmp(opt, "--duration")) {
		o->duration_ns = sb_parse_duration_ns(SLAB_CMD, opt, val);
		o->iterations = 0;
	} else if (!strcmp(opt, "--iterations")) {
		o->iterations = sb_parse_long(SLAB_CMD, opt, val, 1, 1L << 40);
	} else if (!strcmp(opt, "--size")) {
		o->size_min = o->size_max = sb_parse_size(SLAB_CMD, opt, val, 8, SLAB_SIZE_MAX);
		o->size_given = true;
	} else if (!strcmp(opt, "--sizes")) {
		parse_sizes(o, opt, val);
		o->size_given = true;
	} else if (!strcmp(opt, "--batch")) {
		o->batch = sb_parse_long(SLAB_CMD, opt, val, 1, 1 << 20);
	} else if (!strcmp(opt, "--order")) {
		o->shuffled = sb_parse_choice(SLAB_CMD, opt, val, order_names) == 1;
	} else if (!strcmp(opt, "--sheaf-capacity")) {
		o->sheaf_capacity = sb_parse_long(SLAB_CMD, opt, val, 0, 1024);
	} else if (!strcmp(opt, "--allocator")) {
		o->allocator = sb_parse_choice(SLAB_CMD, opt, val, allocator_names);
	} else if (!strcmp(opt, "--format")) {
		o->format = sb_parse_format(SLAB_CMD, val);
	} else if (!strcmp(opt, "--nmi-hz")) {
		o->nmi_hz = sb_parse_long(SLAB_CMD, opt, val, 0, 1000000);
	} else if (!strcmp(opt, "--nolock-fraction")) {
		o->nolock_fraction = sb_parse_double(SLAB_CMD, opt, val, 0.0, 1.0);
	} else if (!strcmp(opt, "--writes")) {
		o->writes = sb_parse_long(SLAB_CMD, opt, val, 1, 1 << 20);
	} else {
		return false;
	}
	return true;
}

static void check_combination(struct slab_opts *o)
{
	const struct slab_workload *w = slab_workloads[o->workload];

	if (o->threads < w->min_threads)
		sb_die_usage(SLAB_CMD, "--threads: '%d' is too few for %s (at least %d)",
			     o->threads, w->name, w->min_threads);
	if (o->allocator != SLAB_ALLOC_SHEAF && w->sheaf_only)
		sb_die_usage(SLAB_CMD, "--allocator: '%s' cannot run %s (sheaf only)",
			     allocator_names[o->allocator], w->name);
	if (o->allocator != SLAB_ALLOC_SHEAF && o->nolock_fraction > 0)
		sb_die_usage(SLAB_CMD, "--nolock-fraction: '%g' needs --allocator sheaf "
			     "(no nolock API in %s)", o->nolock_fraction, allocator_names[o->allocator]);
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

/* Returns 1 if --help was asked (usage printed), else 0; exits 2 on bad input. */
int slab_parse_options(struct slab_opts *o, int argc, char **argv)
{
	opts_defaults(o);
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *val;
		char opt[64];

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			slab_usage(stdout);
			return 1;
		}
		if (strncmp(arg, "--", 2)) {
			if (o->workload >= 0)
				sb_die_usage(SLAB_CMD, "'%s' is not an option (one workload only)", arg);
			o->workload = workload_from_name(arg);
			if (o->workload < 0)
				sb_die_usage(SLAB_CMD, "workload: '%s' is not one of churn, remote, "
					     "larson, cache-scratch, nmi", arg);
			continue;
		}
		val = sb_option_value(SLAB_CMD, argc, argv, &i, opt, sizeof(opt));
		if (!parse_one(o, opt, val))
			sb_die_usage(SLAB_CMD, "%s: is not an option of slab (see --help)", opt);
	}
	if (o->workload < 0)
		sb_die_usage(SLAB_CMD, "workload: missing (churn, remote, larson, cache-scratch, nmi)");
	check_combination(o);
	return 0;
}
