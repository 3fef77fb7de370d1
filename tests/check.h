/*
 * check.h - the one set of test assertions every test folder uses.
 *
 * Two meanings, two names, so a reader can tell them apart:
 *   CHECK*()  stop the test at the first failure (exit 1): later steps depend
 *             on this one.
 *   EXPECT*() count the failure and go on, for tables of independent cases;
 *             the test ends with `return check_report();`.
 */
#ifndef SB_TEST_CHECK_H
#define SB_TEST_CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int check_failures;

/* Starts the failure line with where it failed; the caller ends it. */
#define CHECK_WHERE_() fprintf(stderr, "%s:%d: ", __FILE__, __LINE__)
#define CHECK_FAILED_(...) do {							\
	CHECK_WHERE_();								\
	fprintf(stderr, __VA_ARGS__);						\
	fputc('\n', stderr);							\
} while (0)

#define CHECK(cond) do {							\
	if (!(cond)) {								\
		CHECK_FAILED_("CHECK(%s) failed", #cond);			\
		exit(1);							\
	}									\
} while (0)

/* CHECK_MSG(cond, "printf format", args...): says more when it fails. */
#define CHECK_MSG(cond, ...) do {						\
	if (!(cond)) {								\
		CHECK_WHERE_();						\
		fprintf(stderr, "CHECK(%s) failed: ", #cond);			\
		fprintf(stderr, __VA_ARGS__);					\
		fputc('\n', stderr);						\
		exit(1);							\
	}									\
} while (0)

#define EXPECT(cond) do {							\
	if (!(cond)) {								\
		CHECK_FAILED_("EXPECT(%s) failed", #cond);			\
		check_failures++;						\
	}									\
} while (0)

#define EXPECT_MSG(cond, ...) do {						\
	if (!(cond)) {								\
		CHECK_WHERE_();						\
		fprintf(stderr, "EXPECT(%s) failed: ", #cond);			\
		fprintf(stderr, __VA_ARGS__);					\
		fputc('\n', stderr);						\
		check_failures++;						\
	}									\
} while (0)

#define CHECK_EQ(a, b) do {							\
	unsigned long long a_ = (a), b_ = (b);					\
	if (a_ != b_) {								\
		CHECK_FAILED_("CHECK_EQ(%s, %s): %llu != %llu", #a, #b, a_, b_); \
		exit(1);							\
	}									\
} while (0)

#define CHECK_STR(got, want) do {						\
	const char *g_ = (got), *w_ = (want);					\
	if (!g_ || strcmp(g_, w_)) {						\
		CHECK_FAILED_("got\n%s\nwant\n%s", g_ ? g_ : "(null)", w_);	\
		exit(1);							\
	}									\
} while (0)

#define EXPECT_STR(got, want) do {						\
	const char *g_ = (got), *w_ = (want);					\
	if (!g_ || strcmp(g_, w_)) {						\
		CHECK_FAILED_("got '%s', want '%s'", g_ ? g_ : "(null)", w_);	\
		check_failures++;						\
	}									\
} while (0)

#define CHECK_NEAR(got, want, tol) do {						\
	double g_ = (got), w_ = (want);						\
	if (!(g_ >= w_ - (tol) && g_ <= w_ + (tol))) {				\
		CHECK_FAILED_("%s = %g, want %g +- %g", #got, g_, w_, (double)(tol)); \
		exit(1);							\
	}									\
} while (0)

/* The exit status of a test that used EXPECT*(): 0 only if none failed. */
__attribute__((unused))
static int check_report(void)
{
	if (check_failures)
		fprintf(stderr, "%d check(s) failed\n", check_failures);
	return check_failures ? 1 : 0;
}

/*
 * Runs fn(arg) in a child with its stderr (and stdout too if and_stdout)
 * captured into buf, NUL-terminated; returns the child's wait status.
 */
__attribute__((unused))
static int run_captured(void (*fn)(const void *), const void *arg, bool and_stdout,
			char *buf, size_t size)
{
	int fds[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	CHECK(pipe(fds) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 2);
		if (and_stdout)
			dup2(fds[1], 1);
		close(fds[0]);
		fn(arg);
		_exit(0);                      /* returned */
	}
	close(fds[1]);
	while (len < size - 1 && (n = read(fds[0], buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fds[0]);
	CHECK(waitpid(pid, &status, 0) == pid);
	return status;
}

/*
 * Runs fn(arg) in a child with stderr captured; checks that it exits 2 having
 * written exactly one line that contains every string in needles (NULL-ended).
 */
__attribute__((unused))
static void expect_usage_exit(void (*fn)(const void *), const void *arg,
			      const char *const *needles)
{
	char buf[1024];
	int status = run_captured(fn, arg, false, buf, sizeof(buf)), lines = 0;
	size_t len = strlen(buf);

	for (size_t i = 0; i < len; i++)
		lines += buf[i] == '\n';
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 2 || lines != 1 ||
	    buf[len - 1] != '\n') {
		CHECK_FAILED_("expected one line and exit 2, got status %d, stderr:\n%s",
			      status, buf);
		exit(1);
	}
	for (int i = 0; needles && needles[i]; i++)
		CHECK_MSG(strstr(buf, needles[i]), "stderr line lacks '%s': %s", needles[i], buf);
}

#endif /* SB_TEST_CHECK_H */
