/* SPDX-License-Identifier: MIT */
/*
 * sheafalloc.c - layer 8: init and exit of the whole allocator: the config
 * check, then layer 3 (sa_setup), layer 2 (zones) and layer 7 (kmalloc caches).
 */
#include <errno.h>

#include "internal.h"

void sheafalloc_config_init(struct sheafalloc_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->sheaf_capacity = SHEAF_CAPACITY_DEFAULT;
	cfg->barn_max_full = BARN_LIMIT_DEFAULT;
	cfg->barn_max_empty = BARN_LIMIT_DEFAULT;
}

static int config_check(const struct sheafalloc_config *cfg)
{
	if (cfg->sheaf_capacity < SHEAF_CAPACITY_DEFAULT || cfg->sheaf_capacity > SHEAF_CAPACITY_MAX) {
		fprintf(stderr, "sheafalloc_init: sheaf_capacity: '%d' must be -1 (default), 0 (off) or 1..%d\n",
			cfg->sheaf_capacity, SHEAF_CAPACITY_MAX);
		return -EINVAL;
	}
	if (cfg->barn_max_full < 0 || cfg->barn_max_empty < 0 ||
	    cfg->barn_max_full > 100000 || cfg->barn_max_empty > 100000) {
		fprintf(stderr, "sheafalloc_init: barn_max_full/barn_max_empty: '%d/%d' must be 0..100000\n",
			cfg->barn_max_full, cfg->barn_max_empty);
		return -EINVAL;
	}
	return 0;
}

int sheafalloc_init(const struct sheafalloc_config *cfg)
{
	struct sheafalloc_config defaults;
	int err;

	if (sa.up)
		return -EBUSY;
	if (!cfg) {
		sheafalloc_config_init(&defaults);
		cfg = &defaults;
	}
	err = config_check(cfg);
	if (err)
		return err;
	err = sa_setup(cfg);
	if (err)
		return err;
	err = page_alloc_init(sa.topo, &cfg->page);
	if (err)
		goto out_topo;
	err = slab_descs_init();
	if (err)
		goto out_pages;
	sa.up = true;
	stats_reset_retired();
	err = kmalloc_init();
	if (err)
		goto out_page;
	return 0;
out_page:
	sa.up = false;
	slab_descs_exit();
out_pages:
	page_alloc_exit();
out_topo:
	sa_teardown();
	return err;
}

int sheafalloc_exit(void)
{
	unsigned long leaked;
	bool pages_ok;

	if (!sa.up)
		return 0;
	leaked = kmalloc_exit();
	pages_ok = page_alloc_check_all_free();
	if (!pages_ok)
		fprintf(stderr, "sheafalloc_exit: pages still allocated after every cache was destroyed\n");
	sa.up = false;
	slab_descs_exit();
	page_alloc_exit();
	sa_teardown();
	return leaked || !pages_ok ? -1 : 0;
}

const char *sheafalloc_pcs_lock_method(void)
{
	return sa.pcs_rseq ? "rseq" : "xchg";
}

const struct sb_topology *sheafalloc_topology(void)
{
	return sa.topo;
}
