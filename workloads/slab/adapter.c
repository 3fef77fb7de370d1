/*
 * Allocator adapters: the sheaf allocator (kmalloc/kfree, with its nolock API)
 * and the malloc of this process.  glibc, jemalloc, tcmalloc and mimalloc all
 * come in as malloc/free: the front end execs the worker with LD_PRELOAD set,
 * and slab_adapter_check_active() makes sure the preload really took effect.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sheafalloc.h"
#include "slab_workload.h"

static void *sheaf_alloc(size_t size)
{
	return kmalloc(size, GFP_KERNEL);
}

static void sheaf_free(void *p)
{
	kfree(p);
}

static void *sheaf_alloc_nolock(size_t size)
{
	return kmalloc_nolock(size, NUMA_NO_NODE);
}

static void sheaf_free_nolock(void *p)
{
	kfree_nolock(p);
}

static void *libc_alloc(size_t size)
{
	return malloc(size);
}

static void libc_free(void *p)
{
	free(p);
}

static const struct slab_adapter sheaf_adapter = {
	.name = "sheaf", .alloc = sheaf_alloc, .free = sheaf_free,
	.alloc_nolock = sheaf_alloc_nolock, .free_nolock = sheaf_free_nolock,
	.has_stats = true,
};

/* One block per thread: stamps and cache-scratch's writes land somewhere real. */
static __thread _Alignas(64) unsigned char null_block[SLAB_SIZE_MAX];

static void *null_alloc(size_t size)
{
	(void)size;
	return null_block;
}

static void null_free(void *p)
{
	(void)p;
}

const struct slab_adapter slab_null_adapter = {
	.name = "null", .alloc = null_alloc, .free = null_free,
	.alloc_nolock = null_alloc, .free_nolock = null_free,
};

/* A symbol only the allocator exports, and the Debian package that ships it. */
struct malloc_identity {
	const char *name;
	const char *symbol;
	const char *package;
};

static const struct malloc_identity malloc_ids[SLAB_NR_ALLOCATORS] = {
#define MALLOC_ID(name, soname, symbol, package) [SLAB_ALLOCATOR_##name] = { #name, symbol, package },
	SB_FOR_EACH_ALLOCATOR(MALLOC_ID)
#undef MALLOC_ID
};

const char *const slab_allocator_names[] = {
#define ALLOCATOR_NAME(name, soname, symbol, package) [SLAB_ALLOCATOR_##name] = #name,
	SB_FOR_EACH_ALLOCATOR(ALLOCATOR_NAME)
#undef ALLOCATOR_NAME
	[SLAB_NR_ALLOCATORS] = NULL,
};

static struct slab_adapter libc_adapters[SLAB_NR_ALLOCATORS];

const struct slab_adapter *slab_adapter_get(enum slab_allocator which)
{
	struct slab_adapter *a = &libc_adapters[which];

	if (which == SLAB_ALLOC_SHEAF)
		return &sheaf_adapter;
	a->name = malloc_ids[which].name;
	a->alloc = libc_alloc;
	a->free = libc_free;
	return a;
}

static const char *preloaded_other(enum slab_allocator which)
{
	for (int i = 0; i < SLAB_NR_ALLOCATORS; i++)
		if (i != (int)which && malloc_ids[i].symbol &&
		    dlsym(RTLD_DEFAULT, malloc_ids[i].symbol))
			return malloc_ids[i].name;
	return NULL;
}

void slab_adapter_check_active(enum slab_allocator which)
{
	const struct malloc_identity *id = &malloc_ids[which];
	const char *other = which == SLAB_ALLOC_SHEAF ? NULL : preloaded_other(which);
	const char *preload = getenv("LD_PRELOAD");

	if (other) {
		fprintf(stderr, "sheafbench slab: --allocator: '%s' requested but %s is the malloc "
			"of this process (LD_PRELOAD='%s')\n", id->name, other, preload ? preload : "");
		exit(2);
	}
	if (!id->symbol || dlsym(RTLD_DEFAULT, id->symbol))
		return;
	fprintf(stderr, "sheafbench slab: --allocator: '%s' is not loaded (LD_PRELOAD='%s'); "
		"install the Debian package %s and run through the sheafbench front end\n",
		id->name, preload ? preload : "", id->package);
	exit(2);
}

void slab_sheaf_init(const struct slab_opts *o, struct sb_topology *topo)
{
	struct sheafalloc_config cfg;
	int err;

	if (o->allocator != SLAB_ALLOC_SHEAF)
		return;
	sheafalloc_config_init(&cfg);
	cfg.topo = topo;
	cfg.sheaf_capacity = o->sheaf_capacity < 0 ? SHEAF_CAPACITY_DEFAULT : o->sheaf_capacity;
	err = sheafalloc_init(&cfg);
	if (err) {
		fprintf(stderr, "sheafbench slab: sheafalloc_init: %s\n", strerror(-err));
		exit(1);
	}
}

/* Returns 0, or -1 if the allocator found objects or pages not given back. */
int slab_sheaf_exit(const struct slab_opts *o)
{
	if (o->allocator != SLAB_ALLOC_SHEAF)
		return 0;
	return sheafalloc_exit();
}
