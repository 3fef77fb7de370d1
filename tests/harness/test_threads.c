/*
 * test_threads.c - the harness thread runner: every thread runs once, is
 * released only when all have started, stops on the flag after the duration
 * or on its own; at_stop runs once, while every thread is held at the stop
 * barrier; a thread that cannot be created is one line and exit 1.
 */
#include <stdatomic.h>
#include <sys/wait.h>

#include "check.h"
#include "harness.h"

#define NR	5

struct state {
	atomic_int in_fn, released, at_stop_calls, drained, seen_at_stop;
	int ran[NR];
	uint64_t loops[NR];
	bool iterations;               /* stop on a count, not on the flag */
};

static void body(struct sb_threads *ts, int index)
{
	struct state *s = ts->data;

	s->ran[index]++;
	atomic_fetch_add(&s->in_fn, 1);
	sb_threads_start(ts);
	/* released only once every thread arrived */
	if (atomic_load(&s->in_fn) != NR)
		s->ran[index] = -100;
	atomic_fetch_add(&s->released, 1);
	while (s->iterations ? s->loops[index] < 1000 : !sb_threads_should_stop(ts))
		s->loops[index]++;
	if (ts->at_stop) {
		sb_threads_stopped(ts);
		atomic_fetch_add(&s->drained, 1);
	}
}

static void at_stop(struct sb_threads *ts)
{
	struct state *s = ts->data;

	atomic_fetch_add(&s->at_stop_calls, 1);
	/* every thread is past its loop, none has drained yet */
	atomic_store(&s->seen_at_stop, atomic_load(&s->drained) == 0 &&
		     atomic_load(&s->released) == NR);
}

static void check_timed_run(void)
{
	struct state s = { 0 };
	struct sb_threads ts = {
		.cmd = "test", .nr = NR, .fn = body, .at_stop = at_stop, .data = &s,
		.duration_ns = 20 * 1000 * 1000,
	};

	sb_run_threads(&ts);
	for (int i = 0; i < NR; i++)
		EXPECT_MSG(s.ran[i] == 1, "thread %d ran %d", i, s.ran[i]);
	EXPECT(s.at_stop_calls == 1 && s.seen_at_stop);
	EXPECT(s.drained == NR);
	EXPECT(ts.start_ns > 0 && ts.stop == 1);
	EXPECT(ts.slots == NULL);
}

static void check_counted_run(void)
{
	struct state s = { .iterations = true };
	int cpus[NR] = { 0, -1, 0, -1, 0 };
	char err[128];
	struct sb_topology *topo = sb_topology_load(NULL, err, sizeof(err));
	struct sb_threads ts = { .cmd = "test", .nr = NR, .fn = body, .data = &s };

	CHECK_MSG(topo, "%s", err);
	ts.cpus = cpus;
	ts.topo = topo;
	sb_run_threads(&ts);
	for (int i = 0; i < NR; i++)
		EXPECT(s.ran[i] == 1 && s.loops[i] == 1000);
	EXPECT(s.at_stop_calls == 0 && s.drained == 0);
	EXPECT(ts.stop == 0);
	sb_topology_free(topo);
}

static void pinned_body(struct sb_threads *ts, int index)
{
	bool *pinned = ts->data;

	pinned[index] = sb_threads_pinned(ts, index);
	sb_threads_start(ts);
}

static void check_pinned(void)
{
	int cpus[2] = { 0, -1 };
	bool pinned[2] = { false, true };
	char err[128];
	struct sb_topology *topo = sb_topology_load(NULL, err, sizeof(err));
	struct sb_threads ts = { .cmd = "test", .nr = 2, .cpus = cpus, .topo = topo,
				 .fn = pinned_body, .data = pinned };

	CHECK_MSG(topo, "%s", err);
	sb_run_threads(&ts);
	EXPECT(pinned[0] && !pinned[1]);
	sb_topology_free(topo);
}

/* A stack no machine can give: pthread_create fails for the first thread. */
static void run_unstartable(const void *arg)
{
	struct state s = { 0 };
	struct sb_threads ts = {
		.cmd = "lock", .nr = 3, .fn = body, .data = &s,
		.stack_size = (size_t)1 << 46,
	};

	(void)arg;
	sb_run_threads(&ts);
}

static void check_create_failure(void)
{
	char buf[512];
	int status = run_captured(run_unstartable, NULL, true, buf, sizeof(buf));
	size_t len = strlen(buf);

	EXPECT_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status %d", status);
	EXPECT_MSG(!strncmp(buf, "sheafbench lock: cannot start thread 1 of 3: ", 45) &&
		   strchr(buf, '\n') == buf + len - 1, "output: %s", buf);
}

int main(void)
{
	alarm(60);
	check_timed_run();
	check_counted_run();
	check_pinned();
	check_create_failure();
	if (!check_report())
		printf("threads: ok\n");
	return check_report();
}
