/* SPDX-License-Identifier: MIT */
/*
 * The one list of acquisition patterns (design.md section 1).  Everything that
 * names, dispatches on or builds per pattern is generated from it: the CMake
 * list SB_PATTERNS (read from this file), pattern.h's ids, the front end's
 * --pattern values and the study and compare tooling.
 *
 * X(name, id, what): id is the value of SB_PATTERN a build of that pattern gets.
 */
#ifndef SB_PATTERN_LIST_H
#define SB_PATTERN_LIST_H

#define SB_FOR_EACH_PATTERN(X)						\
	X(lock, 0, "always lock(); nolock callers trylock (A/A control)")	\
	X(ttl,  1, "trylock, then lock() unless nolock")			\
	X(sb,   2, "separate branches: nolock trylocks, others lock()")	\
	X(tro,  3, "trylock, then the lock's slow path told it was held")

#define SB_NR_PATTERNS 4

#endif
