/*
 * study_child.c - run one benchmark command and capture what it prints.
 *
 * The child leads its own process group so that a timeout (or a ^C to the
 * study) ends everything under it, including the workload that `perf stat`
 * forks.  Both pipes are drained together so neither can fill and stall it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "study.h"

static volatile sig_atomic_t child_pgid;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void on_fatal_signal(int sig)
{
	if (child_pgid > 0)
		kill(-child_pgid, SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

void sb_child_forward_signals(void)
{
	struct sigaction sa = { .sa_handler = on_fatal_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

struct capture {
	int fd;
	char *buf;
	size_t len, cap;
};

/* Read what is there; returns false at EOF (or error). */
static bool capture_read(struct capture *c)
{
	char tmp[4096];
	ssize_t n = read(c->fd, tmp, sizeof(tmp));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	if (c->len + (size_t)n + 1 > c->cap) {
		c->cap = (c->len + (size_t)n + 1) * 2;
		c->buf = realloc(c->buf, c->cap);
		if (!c->buf) {
			perror("sheafbench study");
			exit(1);
		}
	}
	memcpy(c->buf + c->len, tmp, (size_t)n);
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	return true;
}

static _Noreturn void exec_child(char *const argv[], int out, int err)
{
	int null = open("/dev/null", O_RDONLY);

	setpgid(0, 0);
	if (null >= 0)		/* a run never reads the study's terminal */
		dup2(null, STDIN_FILENO);
	dup2(out, STDOUT_FILENO);
	dup2(err, STDERR_FILENO);
	execvp(argv[0], argv);
	fprintf(stderr, "sheafbench study: exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Drain both pipes until EOF on both or the deadline; returns false on timeout. */
static bool drain(struct capture *cap, uint64_t deadline)
{
	struct pollfd pfd[2] = { { .fd = cap[0].fd, .events = POLLIN },
				 { .fd = cap[1].fd, .events = POLLIN } };
	int open_fds = 2;

	while (open_fds) {
		int ms = -1;

		if (deadline) {
			uint64_t now = now_ns();

			if (now >= deadline)
				return false;
			ms = (int)((deadline - now) / 1000000) + 1;
		}
		if (poll(pfd, 2, ms) < 0 && errno != EINTR)
			return false;
		for (int i = 0; i < 2; i++) {
			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			if (!capture_read(&cap[i])) {
				pfd[i].fd = -1;
				open_fds--;
			}
		}
	}
	return true;
}

int sb_child_run(char *const argv[], uint64_t timeout_ns, struct sb_child *c)
{
	struct capture cap[2] = { { .fd = -1 }, { .fd = -1 } };
	int out[2], err[2], status;
	uint64_t start = now_ns();
	pid_t pid;

	memset(c, 0, sizeof(*c));
	if (pipe2(out, O_CLOEXEC))
		return -1;
	if (pipe2(err, O_CLOEXEC)) {
		close(out[0]);
		close(out[1]);
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		exec_child(argv, out[1], err[1]);
	close(out[1]);
	close(err[1]);
	if (pid < 0) {
		close(out[0]);
		close(err[0]);
		return -1;
	}
	setpgid(pid, pid);	/* also here: no race with a signal before the child runs */
	child_pgid = pid;
	cap[0].fd = out[0];
	cap[1].fd = err[0];
	c->timed_out = !drain(cap, timeout_ns ? start + timeout_ns : 0);
	if (c->timed_out)
		kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	child_pgid = 0;
	close(out[0]);
	close(err[0]);
	c->wall_ns = now_ns() - start;
	c->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	c->out = cap[0].buf ? cap[0].buf : strdup("");
	c->err = cap[1].buf ? cap[1].buf : strdup("");
	return 0;
}

void sb_child_free(struct sb_child *c)
{
	free(c->out);
	free(c->err);
	memset(c, 0, sizeof(*c));
}
