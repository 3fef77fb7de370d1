/* SPDX-License-Identifier: MIT */
/*
 * The one list of allocators the malloc-compatible workloads run on.  The
 * front end's --allocator values, the preload path, the slab adapter's
 * identity check and the error lines are generated from it.
 *
 * X(name, soname, symbol, package):
 *   soname  - library preloaded into the worker (NULL: none needed)
 *   symbol  - a symbol only that allocator exports, to check the preload took
 *   package - the Debian package that ships soname
 */
#ifndef SB_ALLOCATOR_LIST_H
#define SB_ALLOCATOR_LIST_H

#define SB_FOR_EACH_ALLOCATOR(X)						\
	X(sheaf,    NULL,                       NULL,        NULL)		\
	X(glibc,    NULL,                       NULL,        NULL)		\
	X(jemalloc, "libjemalloc.so.2",         "mallocx",   "libjemalloc2")	\
	X(tcmalloc, "libtcmalloc_minimal.so.4", "tc_malloc", "libtcmalloc-minimal4") \
	X(mimalloc, "libmimalloc.so.2",         "mi_malloc", "libmimalloc2.0")

#endif
