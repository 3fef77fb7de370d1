/*
 * check.h - the few assertions the harness tests share.
 */
#ifndef SB_TEST_CHECK_H
#define SB_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(cond) do {							\
	if (!(cond)) {								\
		fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
		exit(1);							\
	}									\
} while (0)

#define CHECK_STR(got, want) do {						\
	const char *g_ = (got), *w_ = (want);					\
	if (strcmp(g_, w_)) {							\
		fprintf(stderr, "%s:%d: got\n%s\nwant\n%s\n", __FILE__, __LINE__, g_, w_); \
		exit(1);							\
	}									\
} while (0)

#define CHECK_NEAR(got, want, tol) do {						\
	double g_ = (got), w_ = (want);						\
	if (!(g_ >= w_ - (tol) && g_ <= w_ + (tol))) {				\
		fprintf(stderr, "%s:%d: %s = %g, want %g +- %g\n", __FILE__, __LINE__, \
			#got, g_, w_, (double)(tol));				\
		exit(1);							\
	}									\
} while (0)

/*
 * Runs fn(arg) in a child with stderr captured; checks that it exits 2 having
 * written exactly one line that contains every string in needles (NULL-ended).
 */
static inline void expect_usage_exit(void (*fn)(const void *), const void *arg,
				     const char *const *needles)
{
	char buf[1024];
	int fds[2], status, lines = 0;
	ssize_t n, len = 0;
	pid_t pid;

	CHECK(pipe(fds) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		fn(arg);
		_exit(0);                      /* returned: did not reject */
	}
	close(fds[1]);
	while ((n = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	buf[len] = '\0';
	close(fds[0]);
	CHECK(waitpid(pid, &status, 0) == pid);
	for (ssize_t i = 0; i < len; i++)
		lines += buf[i] == '\n';
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 2 || lines != 1 ||
	    buf[len - 1] != '\n') {
		fprintf(stderr, "expected one line and exit 2, got status %d, stderr:\n%s\n",
			status, buf);
		exit(1);
	}
	for (int i = 0; needles && needles[i]; i++) {
		if (!strstr(buf, needles[i])) {
			fprintf(stderr, "stderr line lacks '%s': %s", needles[i], buf);
			exit(1);
		}
	}
}

#endif /* SB_TEST_CHECK_H */
