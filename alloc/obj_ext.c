/* SPDX-License-Identifier: MIT */
/*
 * obj_ext.c - layer 8: per-slab obj_ext arrays, one allocation tag (the caller's
 * address) per object, for caches created with SLAB_OBJ_EXT.
 *
 * The array of a new slab is itself kmalloc'ed.  If that nested allocation were
 * an ordinary one, a bucket that needs a new slab for it would want an array of
 * its own, and so on: SLAB_ALLOC_NO_RECURSE (seed slab-alloc-flags-rfc) makes the
 * nested allocation skip sheaves and obj_ext, so the nesting depth stays 1.
 */
#include "internal.h"

#define OBJ_EXT_DEPTH_LIMIT 32	/* only reachable with the test hook below */

static bool kmalloc_tagging;
static bool ignore_no_recurse;
static SB_TLS int obj_ext_depth;
static int obj_ext_max_depth;

static void depth_enter(void)
{
	int d = ++obj_ext_depth;
	int old = __atomic_load_n(&obj_ext_max_depth, __ATOMIC_RELAXED);

	while (d > old && !__atomic_compare_exchange_n(&obj_ext_max_depth, &old, d, true,
						       __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

void obj_ext_alloc_for_slab(struct kmem_cache *s, struct slab *slab,
			    const struct slab_alloc_context *ctx)
{
	size_t bytes = (size_t)slab->objects * sizeof(unsigned long);
	struct slab_alloc_context nested = {
		.caller_addr = ctx->caller_addr,
		.orig_size = bytes,
		.alloc_flags = (ctx->alloc_flags & SLAB_ALLOC_NOLOCK) | SLAB_ALLOC_NEW_SLAB |
			       SLAB_ALLOC_NO_RECURSE,
	};

	/* The slab holds another slab's metadata: it gets no tags of its own. */
	if ((ctx->alloc_flags & SLAB_ALLOC_NO_RECURSE) && !ignore_no_recurse)
		return;
	if (obj_ext_depth >= OBJ_EXT_DEPTH_LIMIT)
		return;
	if (ignore_no_recurse)
		nested.alloc_flags &= ~SLAB_ALLOC_NO_RECURSE;
	depth_enter();
	slab->obj_exts = kmalloc_flags_ctx(bytes, __GFP_ZERO, NUMA_NO_NODE, &nested);
	obj_ext_depth--;
	(void)s;
}

void obj_ext_free_for_slab(struct slab *slab, bool nolock)
{
	unsigned long *arr = slab->obj_exts;

	if (!arr)
		return;
	slab->obj_exts = NULL;
	metadata_free(arr, nolock);
}

unsigned long obj_ext_alloc_tag(const void *obj)
{
	struct slab *slab;

	if (ZERO_OR_NULL_PTR(obj) || !page_alloc_owns(obj))
		return 0;
	slab = virt_to_slab(obj);
	if (!slab || !slab->obj_exts)
		return 0;
	return __atomic_load_n(&slab->obj_exts[obj_index(slab->cache, slab, obj)], __ATOMIC_RELAXED);
}

int obj_ext_recursion_max_depth(void)
{
	return __atomic_load_n(&obj_ext_max_depth, __ATOMIC_RELAXED);
}

/* Test hooks (single-threaded use): tag kmalloc caches too, as memory profiling would. */
void obj_ext_set_kmalloc_tagging(bool on)
{
	kmalloc_tagging = on;
	for (int i = 0; i < KMALLOC_NR_BUCKETS; i++) {
		if (!kmalloc_caches[i])
			continue;
		if (on)
			kmalloc_caches[i]->flags |= SLAB_OBJ_EXT;
		else
			kmalloc_caches[i]->flags &= ~SLAB_OBJ_EXT;
	}
}

/* Behave as if the nested allocation did not pass SLAB_ALLOC_NO_RECURSE. */
void obj_ext_set_ignore_no_recurse(bool on)
{
	ignore_no_recurse = on;
}

void obj_ext_reset_depth(void)
{
	__atomic_store_n(&obj_ext_max_depth, 0, __ATOMIC_RELAXED);
}
