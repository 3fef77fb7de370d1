/* Tiny assertion helpers shared by the study runner's C tests. */
#ifndef STUDY_TEST_H
#define STUDY_TEST_H
#include <stdio.h>
#include <stdlib.h>

static int study_test_failures;

#define CHECK(cond) do {							\
	if (!(cond)) {								\
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		study_test_failures++;						\
	}									\
} while (0)

#define CHECK_STR(a, b) do {							\
	const char *_a = (a), *_b = (b);					\
	if (!_a || strcmp(_a, _b)) {						\
		fprintf(stderr, "%s:%d: '%s' != '%s'\n", __FILE__, __LINE__,	\
			_a ? _a : "(null)", _b);				\
		study_test_failures++;						\
	}									\
} while (0)

static inline int study_test_result(const char *name)
{
	if (study_test_failures)
		fprintf(stderr, "%s: %d check(s) failed\n", name, study_test_failures);
	else
		printf("%s: ok\n", name);
	return study_test_failures ? 1 : 0;
}
#endif
