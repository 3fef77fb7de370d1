/* SPDX-License-Identifier: MIT */
/*
 * malloc.c - the malloc family on top of kmalloc (glibc manual, "Replacing
 * malloc"): malloc, free, calloc, realloc, reallocarray, posix_memalign,
 * aligned_alloc, memalign, valloc, pvalloc, malloc_usable_size.
 *
 * kmalloc serves sizes up to KMALLOC_MAX_SIZE; its power-of-two buckets are
 * naturally aligned up to a page and its page runs to their order, so an
 * alignment is a size rounded up.  The result's alignment is checked anyway
 * (a geometry change in alloc/ must not hand out misaligned memory): a miss
 * goes to large.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define PL_API	__attribute__((visibility("default")))

/* The calling thread's way into kmalloc, or NULL: use bootstrap/large memory. */
static struct pl_thread *pl_enter(void)
{
	struct pl_thread *t = &pl_self;

	if (likely(t->state == PL_T_LIVE && !t->in_alloc)) {
		pl_enter_live(t);
		return t;
	}
	if (t->state == PL_T_NEW && pl_ensure_ready() && thread_register(t)) {
		pl_enter_live(t);
		return t;
	}
	return NULL;	/* not up yet, registering, nested, or exiting */
}

static size_t round_pow2(size_t x)
{
	return x <= 1 ? 1 : (size_t)1 << (64 - __builtin_clzl(x - 1));
}

/*
 * Exiting threads may not take a spinning lock path (their queue node is
 * gone): kmalloc_nolock, else mmap.
 */
static void *exiting_alloc(size_t size, size_t align)
{
	void *p = NULL;

	if (align <= PL_MIN_ALIGN && size <= KMALLOC_MAX_CACHE_SIZE) {
		thread_unlisted_enter();
		p = kmalloc_nolock(size, NUMA_NO_NODE);
		thread_unlisted_leave();
	}
	return p ? p : large_alloc(size, align);
}

/* Not up yet, registering, or nested inside the allocator (hwloc, pthread keys). */
static void *fallback_alloc(size_t size, size_t align)
{
	if (pl_self.state == PL_T_EXITING && !pl_self.in_alloc && pl_state == PL_READY)
		return exiting_alloc(size, align);
	return bootstrap_alloc(size, align);
}

/* size >= 1; align a power of two. */
static void *pl_alloc(size_t size, size_t align, bool zero)
{
	struct pl_thread *t;
	size_t want = size;
	void *p;

	if (align > PL_MIN_ALIGN)
		want = round_pow2(size > align ? size : align);
	if (unlikely(want > KMALLOC_MAX_SIZE || want < size))
		return large_alloc(size, align);
	t = pl_enter();
	if (unlikely(!t)) {
		p = fallback_alloc(size, align);
		if (p && zero && page_alloc_owns(p))
			memset(p, 0, size);	/* kmalloc_nolock's; bootstrap and mmap memory is fresh */
		return p;
	}
	p = zero ? kzalloc(want, GFP_KERNEL) : kmalloc(want, GFP_KERNEL);
	if (unlikely(p && ((uintptr_t)p & (align - 1)))) {
		kfree(p);
		p = NULL;
	}
	pl_leave_live(t);
	return p ? p : large_alloc(size, align);	/* zone limit or misaligned: mmap */
}

static void pl_free(const void *p, const char *fn)
{
	struct pl_thread *t;

	if (likely(page_alloc_owns(p))) {
		t = pl_enter();
		if (likely(t)) {
			kfree(p);
			pl_leave_live(t);
			return;
		}
		/* exiting, registering or nested inside the allocator: never spin */
		thread_unlisted_enter();
		kfree_nolock(p);
		thread_unlisted_leave();
		return;
	}
	if (bootstrap_owns(p))
		return;		/* bootstrap memory is never reused */
	if (!large_free(p))
		pl_bad_pointer(fn, p, "not allocated by sheafmalloc (foreign pointer or double free)");
}

static size_t pl_usable_size(const void *p)
{
	if (page_alloc_owns(p))
		return ksize(p);
	if (bootstrap_owns(p))
		return bootstrap_usable_size(p);
	return large_usable_size(p);
}

PL_API void *malloc(size_t size)
{
	void *p = pl_alloc(size ? size : 1, 1, false);

	if (unlikely(!p))
		errno = ENOMEM;
	return p;
}

PL_API void free(void *p)
{
	int saved_errno;

	if (!p)
		return;
	saved_errno = errno;
	pl_free(p, "free");
	errno = saved_errno;
}

PL_API void *calloc(size_t n, size_t size)
{
	size_t bytes;
	void *p;

	if (__builtin_mul_overflow(n, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	p = pl_alloc(bytes ? bytes : 1, 1, true);
	if (unlikely(!p))
		errno = ENOMEM;
	return p;
}

PL_API void *realloc(void *old, size_t size)
{
	size_t have;
	void *p;

	if (!old)
		return malloc(size);
	if (!size) {
		free(old);	/* glibc: realloc(p, 0) frees and returns NULL */
		return NULL;
	}
	have = pl_usable_size(old);
	if (!have && !page_alloc_owns(old) && !bootstrap_owns(old))
		pl_bad_pointer("realloc", old, "not allocated by sheafmalloc (foreign pointer or double free)");
	/* Keep the block if it fits and would not waste more than half of it. */
	if (size <= have && size > have / 2 && !bootstrap_owns(old))
		return old;
	p = pl_alloc(size, 1, false);
	if (unlikely(!p)) {
		errno = ENOMEM;
		return NULL;	/* old stays valid */
	}
	memcpy(p, old, size < have ? size : have);
	free(old);
	return p;
}

PL_API void *reallocarray(void *old, size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(old, bytes);
}

static bool align_valid(size_t align)
{
	return align && !(align & (align - 1));
}

PL_API int posix_memalign(void **out, size_t align, size_t size)
{
	void *p;

	if (!align_valid(align) || align % sizeof(void *))
		return EINVAL;
	p = pl_alloc(size ? size : 1, align, false);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

PL_API void *aligned_alloc(size_t align, size_t size)
{
	void *p;

	if (!align_valid(align)) {
		errno = EINVAL;
		return NULL;
	}
	p = pl_alloc(size ? size : 1, align, false);
	if (!p)
		errno = ENOMEM;
	return p;
}

PL_API void *memalign(size_t align, size_t size)
{
	/* glibc rounds a non-power-of-two alignment up */
	return aligned_alloc(align <= 1 ? 1 : round_pow2(align), size);
}

PL_API void *valloc(size_t size)
{
	return aligned_alloc(PAGE_SIZE, size);
}

PL_API void *pvalloc(size_t size)
{
	size_t rounded = (size + PAGE_SIZE - 1) & PAGE_MASK;

	if (rounded < size) {
		errno = ENOMEM;
		return NULL;
	}
	return aligned_alloc(PAGE_SIZE, rounded ? rounded : PAGE_SIZE);
}

PL_API size_t malloc_usable_size(void *p)
{
	return p ? pl_usable_size(p) : 0;
}
