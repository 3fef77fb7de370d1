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

#define SLABINFO_CMD	"slabinfo"
#define SLABINFO_OBJS	512

static const uint32_t slabinfo_sizes[] = { 32, 192, 1024, 4096 };
#define NR_SIZES	(sizeof(slabinfo_sizes) / sizeof(slabinfo_sizes[0]))

static void slabinfo_usage(FILE *out)
{
	fprintf(out, "usage: sheafbench slabinfo [--pattern %s] [--sheaf-capacity N]\n"
		"Allocates %d objects of each of 32, 192, 1024 and 4096 bytes, frees every\n"
		"other one, prints the per-cache state, then frees the rest.\n",
		SB_PATTERN_NAME, SLABINFO_OBJS);
}

static int parse_args(int argc, char **argv, struct sheafalloc_config *cfg)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			slabinfo_usage(stdout);
			return 1;
		}
		if (i + 1 >= argc)
			sb_die_usage(SLABINFO_CMD, "%s: needs a value (options: --pattern, "
				     "--sheaf-capacity)", argv[i]);
		if (!strcmp(argv[i], "--pattern")) {
			if (strcmp(argv[i + 1], SB_PATTERN_NAME))
				sb_die_usage(SLABINFO_CMD, "--pattern: '%s' is not the pattern of "
					     "this worker ('%s')", argv[i + 1], SB_PATTERN_NAME);
		} else if (!strcmp(argv[i], "--sheaf-capacity")) {
			cfg->sheaf_capacity = sb_parse_long(SLABINFO_CMD, argv[i], argv[i + 1], 0,
							    SHEAF_CAPACITY_MAX);
		} else {
			sb_die_usage(SLABINFO_CMD, "%s: is not an option of slabinfo "
				     "(--pattern, --sheaf-capacity)", argv[i]);
		}
		i++;
	}
	return 0;
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
