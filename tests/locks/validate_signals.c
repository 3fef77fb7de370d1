/*
 * validate_signals: a signal handler's nolock acquisition nests inside the
 * interrupted thread's own lock and unlock, as an NMI or a BPF program can in the
 * kernel, and kmalloc_nolock() from a signal handler does here.
 *
 * The thread cycles one lock as fast as it can; a per-thread timer fires every
 * 20 us and its handler takes the same lock in nolock mode through the build's
 * pattern, with the thread's own queue node.  The handler must never wait
 * (watchdog), must never get the lock while the thread holds it, and every
 * acquisition must be matched by a release that leaves the lock free.
 * Regression: mcs unlock once used the interrupted context's queue slot when the
 * handler's trylock succeeded inside the thread's unlock, and spun forever.
 */
#include <signal.h>
#include <sys/syscall.h>

#include "locktest.h"

#define RUN_NS		(150 * 1000 * 1000L)
#define TIMER_NS	20000L

static const struct lt_kind *kind;
static union lt_lock lock;
static struct sb_qnode qnode;
static struct sb_lockstat thread_st, handler_st;
static volatile sig_atomic_t in_cs;		/* the thread holds the lock */
static volatile sig_atomic_t handler_overlap;	/* handler got it while the thread held it */
static volatile long handler_calls, handler_acquired;

static void on_timer(int sig)
{
	struct sb_lockctx c = { .st = &handler_st, .qnode = &qnode, .cpu = 0 };

	(void)sig;
	handler_calls++;
	if (!kind->acquire(&lock, true, &c))
		return;
	if (in_cs)
		handler_overlap = 1;
	handler_acquired++;
	kind->release(&lock, &c);
}

static timer_t start_thread_timer(void)
{
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGRTMIN };
	struct itimerspec its = { .it_interval = { 0, TIMER_NS }, .it_value = { 0, TIMER_NS } };
	timer_t t;

	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &sev, &t) || timer_settime(t, 0, &its, NULL)) {
		perror("validate_signals: timer");
		exit(1);
	}
	return t;
}

static void run_kind(const struct lt_kind *k)
{
	struct sb_lockctx c = { .st = &thread_st, .qnode = &qnode, .cpu = 0 };
	long iterations = 0;
	uint64_t end;
	timer_t t;

	kind = k;
	k->init(&lock);
	handler_calls = handler_acquired = 0;
	handler_overlap = 0;
	t = start_thread_timer();
	end = lt_now_ns() + RUN_NS;
	while (lt_now_ns() < end) {
		for (int i = 0; i < 256; i++, iterations++) {
			k->acquire(&lock, false, &c);
			in_cs = 1;
			in_cs = 0;
			k->release(&lock, &c);
		}
	}
	timer_delete(t);
	LT_CHECK(!handler_overlap, "%s: handler acquired the lock the thread held", k->name);
	LT_CHECK(!k->is_locked(&lock), "%s: lock left held", k->name);
	LT_CHECK(handler_calls > 0, "%s: the timer never fired", k->name);
	LT_CHECK(handler_acquired > 0, "%s: %ld handler calls, none acquired", k->name,
		 handler_calls);
	printf("%-6s %9ld thread acquisitions, %6ld handler calls, %6ld acquired\n",
	       k->name, iterations, handler_calls, handler_acquired);
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_timer, .sa_flags = SA_RESTART };

	lt_watchdog(20);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGRTMIN, &sa, NULL);
	sb_qnode_init(&qnode);
	/* pthread kinds are left out: POSIX does not make them async-signal-safe. */
	for (int k = 0; k < SB_NR_KINDS; k++)
		if (k != SB_PSPIN && k != SB_PMUTEX)
			run_kind(&lt_kinds[k]);
	sb_qnode_fini(&qnode);
	return lt_exit_status("validate_signals");
}
