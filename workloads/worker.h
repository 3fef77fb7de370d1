/*
 * worker.h - what every command of a sheafbench-<pattern> worker shares.
 */
#ifndef SB_WORKER_H
#define SB_WORKER_H

#include "harness.h"

/* { SB_PATTERN_NAME, NULL }: the one --pattern value this worker runs. */
extern const char *const worker_patterns[];

/* --pattern P: accepted only if it names this worker's pattern. */
#define SB_OPT_WORKER_PATTERN()							\
	SB_OPT_CHOICE("pattern", NULL, worker_patterns,				\
		      "must be this worker's pattern (sheafbench --pattern picks the worker)")

#endif /* SB_WORKER_H */
