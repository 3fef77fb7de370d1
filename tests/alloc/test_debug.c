/*
 * test_debug (SB_ALLOC_DEBUG build): bad frees are detected with one clear
 * message and an abort.  Each case runs in a child process; the parent checks
 * the child died of SIGABRT and that its stderr names the problem.  The same
 * library must raise no false alarm on correct use.
 */
#include <signal.h>
#include <sys/wait.h>

#include "alloc_test.h"

static struct sheafalloc_config cfg;

static void case_double_free(void)
{
	void *p = kmalloc(64, GFP_KERNEL);

	kfree(p);
	kfree(p);
}

static void case_double_free_nolock(void)
{
	void *p = kmalloc_nolock(200, NUMA_NO_NODE);

	kfree_nolock(p);
	kfree_nolock(p);
}

static void case_never_allocated(void)
{
	struct kmem_cache *c = kmem_cache_create("dbg", 64, 0, 0);
	char *p = kmem_cache_alloc(c, GFP_KERNEL);

	kmem_cache_free(c, p + 64);	/* the next object: still in the sheaf */
}

static void case_foreign_heap(void)
{
	kfree(calloc(1, 64));
}

static void case_foreign_stack(void)
{
	int x = 0;

	kfree(&x);
}

static void case_interior(void)
{
	char *p = kmalloc(128, GFP_KERNEL);

	kfree(p + 8);
}

static void case_wrong_cache(void)
{
	struct kmem_cache *a = kmem_cache_create("a", 64, 0, 0);
	struct kmem_cache *b = kmem_cache_create("b", 64, 0, 0);

	kmem_cache_free(b, kmem_cache_alloc(a, GFP_KERNEL));
}

static void case_large_double_free(void)
{
	void *p = kmalloc(100000, GFP_KERNEL);

	kfree(p);
	kfree(p);
}

struct bad_case {
	const char *name;
	void (*fn)(void);
	const char *message;
};

static const struct bad_case cases[] = {
	{ "double free", case_double_free, "kfree(" },
	{ "double free nolock", case_double_free_nolock, "kfree_nolock(" },
	{ "never allocated", case_never_allocated, "never allocated" },
	{ "foreign heap pointer", case_foreign_heap, "pointer not from sheafalloc" },
	{ "foreign stack pointer", case_foreign_stack, "pointer not from sheafalloc" },
	{ "interior pointer", case_interior, "not the start of an object" },
	{ "wrong cache", case_wrong_cache, "freed to cache b" },
	{ "large double free", case_large_double_free, "double free, or not an allocated object" },
};

static void bad_case_child(const void *arg)
{
	const struct bad_case *bc = arg;

	signal(SIGABRT, SIG_DFL);
	test_init(NULL, &cfg);
	bc->fn();		/* returning: not detected */
}

static void run_child(const struct bad_case *bc)
{
	char buf[4096];
	int status = run_captured(bad_case_child, bc, false, buf, sizeof(buf));

	printf("%-22s -> %s", bc->name, buf[0] ? buf : "(no message)\n");
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	CHECK(strstr(buf, "sheafalloc: BUG: "));
	CHECK(strstr(buf, bc->message));
}

/* Correct use raises nothing. */
static void no_false_alarm(void)
{
	struct sb_topology *topo = test_init(NULL, &cfg);
	struct kmem_cache *c = kmem_cache_create("ok", 100, 0, 0);
	void *p[500];

	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < 500; i++)
			p[i] = (i & 1) ? kmalloc(i * 17 % 9000 + 1, GFP_KERNEL) : kmem_cache_alloc(c, GFP_KERNEL);
		for (int i = 0; i < 500; i++) {
			if (i & 1)
				(i % 3) ? kfree(p[i]) : kfree_nolock(p[i]);
			else
				kmem_cache_free(c, p[i]);
		}
	}
	CHECK_EQ(kmem_cache_destroy(c), 0);
	test_exit(topo);
}

int main(void)
{
	alarm(30);
	sheafalloc_config_init(&cfg);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_child(&cases[i]);
	no_false_alarm();
	printf("ok\n");
	return 0;
}
