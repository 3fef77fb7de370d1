/*
 * `slabinfo`: a short churn over a few kmalloc sizes, holding half of the
 * objects, then the allocator's per-cache dump (objects, slabs, sheaves on
 * CPUs and in barns, counters), so the state being described is not empty.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sheafalloc.h"
#include "slab_workload.h"
#include "worker.h"

#define SLABINFO_CMD	"slabinfo"
#define SLABINFO_OBJS	512	/* SLABINFO_USAGE says so */

static const uint32_t slabinfo_sizes[] = { 32, 192, 1024, 4096 };
#define NR_SIZES	(sizeof(slabinfo_sizes) / sizeof(slabinfo_sizes[0]))

#define SLABINFO_USAGE								\
"usage: sheafbench slabinfo [OPTIONS]\n"						\
"Allocates 512 objects of each of 32, 192, 1024 and 4096 bytes, frees every\n"	\
"other one, prints the per-cache state, then frees the rest."

/* Returns 1 after --help, 0 otherwise; exits 2 on bad input. */
static int parse_args(int argc, char **argv, struct sheafalloc_config *cfg)
{
	struct sb_option opts[] = {
		SB_OPT_WORKER_PATTERN(),
		SB_OPT_INT("sheaf-capacity", &cfg->sheaf_capacity, 0, SHEAF_CAPACITY_MAX,
			   "objects per sheaf, 0 disables sheaves (default: per size)"),
		SB_OPT_END,
	};

	return sb_parse_options(SLABINFO_CMD, opts, argc, argv, SLABINFO_USAGE) == SB_OPTIONS_HELP;
}

static void *alloc_or_die(uint32_t size)
{
	void *p = kmalloc(size, GFP_KERNEL);

	if (!p)
		slab_die_oom(size);
	slab_stamp(p, size);
	return p;
}

int cmd_slabinfo(int argc, char **argv)
{
	static void *objs[NR_SIZES][SLABINFO_OBJS];
	struct sheafalloc_config cfg;
	uint64_t bad = 0;
	int err;

	sheafalloc_config_init(&cfg);
	if (parse_args(argc, argv, &cfg))
		return 0;
	err = sheafalloc_init(&cfg);
	if (err) {
		fprintf(stderr, "sheafbench slabinfo: sheafalloc_init: %s\n", strerror(-err));
		return 1;
	}
	for (size_t s = 0; s < NR_SIZES; s++)
		for (int i = 0; i < SLABINFO_OBJS; i++)
			objs[s][i] = alloc_or_die(slabinfo_sizes[s]);
	for (size_t s = 0; s < NR_SIZES; s++)
		for (int i = 0; i < SLABINFO_OBJS; i += 2) {
			bad += !slab_stamp_check(objs[s][i]);
			kfree(objs[s][i]);
		}
	sheafalloc_print_slabinfo(stdout);
	for (size_t s = 0; s < NR_SIZES; s++)
		for (int i = 1; i < SLABINFO_OBJS; i += 2) {
			bad += !slab_stamp_check(objs[s][i]);
			kfree(objs[s][i]);
		}
	if (sheafalloc_exit()) {
		fprintf(stderr, "sheafbench slabinfo: the allocator did not get every object back\n");
		return 1;
	}
	if (bad) {
		fprintf(stderr, "sheafbench slabinfo: %llu objects had a damaged stamp\n",
			(unsigned long long)bad);
		return 1;
	}
	return 0;
}
