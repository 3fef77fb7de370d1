/*
 * threads.c - the one thread runner of the workloads: start N threads, each
 * placed on its CPU, release them together, stop them after the duration,
 * optionally hold them at a stop barrier while the main thread reads what
 * the measured section left, then join.
 *
 * The barriers spin with sched_yield() rather than sleep: every thread is
 * runnable when the start opens, so they begin together, and with more
 * threads than CPUs the main thread still gets to run and open them.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

struct sb_thread_slot {
	struct sb_threads *ts;
	int index;
	bool pinned;
	pthread_t tid;
};

static void gate_arrive_and_wait(int *arrived, const int *open)
{
	__atomic_add_fetch(arrived, 1, __ATOMIC_ACQ_REL);
	while (!__atomic_load_n(open, __ATOMIC_ACQUIRE))
		sched_yield();
}

static void gate_wait_for(const int *arrived, int n)
{
	while (__atomic_load_n(arrived, __ATOMIC_ACQUIRE) < n)
		sched_yield();
}

/* On a synthetic topology the CPU is virtual; on this machine pin to it. */
static bool thread_place(const struct sb_threads *ts, int cpu)
{
	if (cpu < 0 || !ts->topo)
		return false;
	if (sb_topology_is_synthetic(ts->topo)) {
		sb_set_virtual_cpu(cpu);
		return true;
	}
	return sb_pin_self(sb_topology_os_cpu(ts->topo, cpu)) == 0;
}

static void *thread_main(void *arg)
{
	struct sb_thread_slot *slot = arg;
	struct sb_threads *ts = slot->ts;

	slot->pinned = thread_place(ts, ts->cpus ? ts->cpus[slot->index] : -1);
	ts->fn(ts, slot->index);
	return NULL;
}

void sb_threads_start(struct sb_threads *ts)
{
	gate_arrive_and_wait(&ts->started, &ts->go);
	__atomic_add_fetch(&ts->running, 1, __ATOMIC_RELEASE);
}

void sb_threads_stopped(struct sb_threads *ts)
{
	gate_arrive_and_wait(&ts->stopped, &ts->released);
}

bool sb_threads_pinned(const struct sb_threads *ts, int index)
{
	return ts->slots[index].pinned;
}

/* One line and exit 1: a run that lacks a thread is not reported at all. */
static _Noreturn void die_create(const struct sb_threads *ts, int index, int err)
{
	fflush(stdout);
	fprintf(stderr, "sheafbench %s: cannot start thread %d of %d: %s\n",
		ts->cmd, index + 1, ts->nr, strerror(err));
	exit(1);
}

static void threads_create(struct sb_threads *ts)
{
	pthread_attr_t attr;
	int err = 0;

	pthread_attr_init(&attr);
	if (ts->stack_size && (err = pthread_attr_setstacksize(&attr, ts->stack_size)))
		die_create(ts, 0, err);
	for (int i = 0; i < ts->nr; i++) {
		ts->slots[i] = (struct sb_thread_slot){ .ts = ts, .index = i };
		err = pthread_create(&ts->slots[i].tid, &attr, thread_main, &ts->slots[i]);
		if (err)
			die_create(ts, i, err);
	}
	pthread_attr_destroy(&attr);
}

/* The OS CPUs the threads are pinned to; 0 (the whole machine) if any is not. */
static int run_os_cpus(const struct sb_threads *ts, int *os_cpus)
{
	if (!ts->cpus || !ts->topo || sb_topology_is_synthetic(ts->topo))
		return 0;
	for (int i = 0; i < ts->nr; i++) {
		if (ts->cpus[i] < 0)
			return 0;
		os_cpus[i] = sb_topology_os_cpu(ts->topo, ts->cpus[i]);
	}
	return ts->nr;
}

void sb_run_threads(struct sb_threads *ts)
{
	int *os_cpus = calloc(ts->nr, sizeof(*os_cpus)), nr_os_cpus;
	double steal0;

	ts->started = ts->go = ts->running = ts->stopped = ts->released = 0;
	ts->stop = 0;
	ts->slots = calloc(ts->nr, sizeof(*ts->slots));
	if (!ts->slots || !os_cpus)
		die_create(ts, 0, ENOMEM);
	nr_os_cpus = run_os_cpus(ts, os_cpus);
	threads_create(ts);
	gate_wait_for(&ts->started, ts->nr);
	steal0 = sb_steal_ms(os_cpus, nr_os_cpus);
	ts->start_ns = sb_now_ns();
	__atomic_store_n(&ts->go, 1, __ATOMIC_RELEASE);
	/*
	 * The duration counts once every thread is past the gate: on a loaded
	 * machine a released thread may wait longer than the whole duration
	 * for a CPU, and would then see the stop flag before its first step.
	 */
	gate_wait_for(&ts->running, ts->nr);
	if (ts->duration_ns) {
		sb_sleep_ns(ts->duration_ns);
		__atomic_store_n(&ts->stop, 1, __ATOMIC_RELAXED);
	}
	if (ts->at_stop) {
		gate_wait_for(&ts->stopped, ts->nr);
		ts->steal_ms = sb_steal_ms(os_cpus, nr_os_cpus) - steal0;
		ts->at_stop(ts);
		__atomic_store_n(&ts->released, 1, __ATOMIC_RELEASE);
	}
	for (int i = 0; i < ts->nr; i++)
		pthread_join(ts->slots[i].tid, NULL);
	if (!ts->at_stop)
		ts->steal_ms = sb_steal_ms(os_cpus, nr_os_cpus) - steal0;
	free(ts->slots);
	ts->slots = NULL;
	free(os_cpus);
}
