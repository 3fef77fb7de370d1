/*
 * fork() from a program whose threads allocate and free without pause: the
 * child must be able to allocate (no allocator lock held across the fork),
 * create a thread that allocates, and exit cleanly; 40 forks, watchdog on
 * both sides (the parent's re-armed per fork: the run's length follows the load).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "preload_test.h"

#define NR_THREADS	4
#define NR_FORKS	40

static atomic_bool stop;

static void *churn(void *arg)
{
	void *ring[64] = { 0 };
	unsigned int i = (unsigned int)(uintptr_t)arg;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		free(ring[i % 64]);
		ring[i % 64] = malloc(8 + (i * 97) % 20000);
		i++;
	}
	for (int j = 0; j < 64; j++)
		free(ring[j]);
	return NULL;
}

static void *child_thread(void *arg)
{
	char *p = malloc(100000);

	if (p)
		p[99999] = 1;
	free(p);
	return arg;
}

static int child_main(void)
{
	void *objs[2000];
	pthread_t t;
	void *ret = NULL;

	alarm(20);
	for (int i = 0; i < 2000; i++) {
		objs[i] = malloc(1 + (size_t)i * 13 % 9000);
		if (!objs[i])
			return 3;
	}
	for (int i = 0; i < 2000; i++)
		free(objs[i]);
	if (pthread_create(&t, NULL, child_thread, (void *)7) || pthread_join(t, &ret) || ret != (void *)7)
		return 4;
	return 0;
}

int main(void)
{
	pthread_t t[NR_THREADS];

	preload_require();
	alarm(60);
	for (int i = 0; i < NR_THREADS; i++)
		CHECK(pthread_create(&t[i], NULL, churn, (void *)(uintptr_t)(i * 1000)) == 0);
	for (int f = 0; f < NR_FORKS; f++) {
		int status;
		pid_t pid;

		alarm(60);
		pid = fork();

		CHECK(pid >= 0);
		if (pid == 0)
			_exit(child_main());
		CHECK(waitpid(pid, &status, 0) == pid);
		CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			  "fork %d: child status %#x", f, status);
		free(malloc(1000));	/* the parent allocates after each fork too */
	}
	atomic_store(&stop, true);
	for (int i = 0; i < NR_THREADS; i++)
		CHECK(pthread_join(t[i], NULL) == 0);
	return check_report();
}
