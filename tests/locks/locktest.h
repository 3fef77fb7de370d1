/* locktest.h - adapters that plug every lock kind into the generic lock tests
 * (ck's validate/ style), plus the small helpers they share.
 *
 * Tests may dispatch through function pointers: they check behaviour, not speed.
 */
#ifndef LOCKTEST_H
#define LOCKTEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* sched_getaffinity, CPU_SET; CMake also defines it */
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lockpatterns.h"

/* Storage big enough and aligned for any kind. */
union lt_lock {
#define LT_LOCK_MEMBER(k, KIND) struct sb_##k k;
	SB_FOR_EACH_LOCK_KIND(LT_LOCK_MEMBER)
#undef LT_LOCK_MEMBER
};

struct lt_kind {
	const char *name;
	enum sb_lock_kind kind;
	unsigned int uncontended_rmw;	/* per acquire + release */
	unsigned int trylock_test_reads;
	bool exact;			/* rmw/contended observed, not inferred */
	void (*init)(union lt_lock *);
	bool (*acquire)(union lt_lock *, bool nolock, struct sb_lockctx *);
	void (*release)(union lt_lock *, struct sb_lockctx *);
	void (*lock)(union lt_lock *, struct sb_lockctx *);
	bool (*trylock)(union lt_lock *, struct sb_lockctx *);
	void (*unlock)(union lt_lock *, struct sb_lockctx *);
	bool (*is_locked)(const union lt_lock *);
};

#define LT_ADAPTERS(k, KIND)							\
static void lt_init_##k(union lt_lock *l) { sb_##k##_init(&l->k); }		\
static bool lt_acquire_##k(union lt_lock *l, bool nolock, struct sb_lockctx *c)	\
{ return sb_##k##_acquire(&l->k, nolock, c); }					\
static void lt_release_##k(union lt_lock *l, struct sb_lockctx *c)		\
{ sb_##k##_release(&l->k, c); }						\
static void lt_lock_##k(union lt_lock *l, struct sb_lockctx *c)		\
{ sb_##k##_lock(&l->k, c); }							\
static bool lt_trylock_##k(union lt_lock *l, struct sb_lockctx *c)		\
{ return sb_##k##_trylock(&l->k, c); }						\
static void lt_unlock_##k(union lt_lock *l, struct sb_lockctx *c)		\
{ sb_##k##_unlock(&l->k, c); }							\
static bool lt_is_locked_##k(const union lt_lock *l)				\
{ return sb_##k##_is_locked(&l->k); }
SB_FOR_EACH_LOCK_KIND(LT_ADAPTERS)
#undef LT_ADAPTERS

static const struct lt_kind lt_kinds[SB_NR_KINDS] = {
#define LT_KIND_ENTRY(k, KIND) [KIND] = {						\
	.name = #k, .kind = KIND,							\
	.uncontended_rmw = KIND##_UNCONTENDED_RMW,					\
	.trylock_test_reads = KIND##_TRYLOCK_TEST_READS,				\
	.exact = KIND##_COUNTS_EXACT,							\
	.init = lt_init_##k, .acquire = lt_acquire_##k, .release = lt_release_##k,	\
	.lock = lt_lock_##k, .trylock = lt_trylock_##k, .unlock = lt_unlock_##k,	\
	.is_locked = lt_is_locked_##k },
	SB_FOR_EACH_LOCK_KIND(LT_KIND_ENTRY)
#undef LT_KIND_ENTRY
};

static int lt_failures;

/* Record a failed check with its context; the test exits non-zero at the end. */
#define LT_CHECK(cond, ...)							\
	do {									\
		if (!(cond)) {							\
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__,	\
				__LINE__, #cond);				\
			fprintf(stderr, __VA_ARGS__);				\
			fputc('\n', stderr);					\
			lt_failures++;						\
		}								\
	} while (0)

static cpu_set_t lt_allowed_cpus;	/* the process's CPUs before any pinning */
static pthread_once_t lt_allowed_once = PTHREAD_ONCE_INIT;

static void lt_read_allowed_cpus(void)
{
	if (sched_getaffinity(0, sizeof(lt_allowed_cpus), &lt_allowed_cpus))
		CPU_ZERO(&lt_allowed_cpus);
}

/* Pin the caller to the idx-th CPU the process may run on (mod the count); -1 if
 * pinning is not possible.  The first call must come before any thread pins. */
static __attribute__((unused)) int lt_pin_nth(int idx)
{
	cpu_set_t one;
	int n = 0, want;

	pthread_once(&lt_allowed_once, lt_read_allowed_cpus);
	if (!CPU_COUNT(&lt_allowed_cpus))
		return -1;
	want = idx % CPU_COUNT(&lt_allowed_cpus);
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &lt_allowed_cpus) || n++ != want)
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		return pthread_setaffinity_np(pthread_self(), sizeof(one), &one) ? -1 : cpu;
	}
	return -1;
}

static __attribute__((unused)) uint64_t lt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static __attribute__((unused)) void lt_sleep_ns(long ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000L, .tv_nsec = ns % 1000000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* A deadlock must fail the test, not hang ctest. */
static void lt_watchdog(unsigned int seconds)
{
	alarm(seconds);
}

static int lt_exit_status(const char *test)
{
	if (lt_failures) {
		fprintf(stderr, "%s (%s): %d check(s) failed\n", test, sb_pattern_name(),
			lt_failures);
		return 1;
	}
	printf("%s (%s): ok\n", test, sb_pattern_name());
	return 0;
}

#endif /* LOCKTEST_H */
