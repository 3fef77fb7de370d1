/*
 * sheafbench-<pattern>: the worker binary, built once per acquisition pattern.
 *
 * Everything that takes a lock or allocates runs here, so that the pattern is a
 * compile-time constant in every lock path (design.md section 1).  The front end
 * `sheafbench` execs the worker of the pattern a run asks for.
 */
#include <stdio.h>
#include <string.h>

#include "worker.h"

int cmd_lock(int argc, char **argv);
int cmd_slab(int argc, char **argv);
int cmd_page(int argc, char **argv);
int cmd_slabinfo(int argc, char **argv);

const char *const worker_patterns[] = { SB_PATTERN_NAME, NULL };

/* The one list of worker commands: dispatch, usage and the error line. */
#define WORKER_FOR_EACH_CMD(X)								\
	X(lock,     "N threads hammer one lock (kind x pattern)")				\
	X(slab,     "allocator workloads: churn remote larson cache-scratch nmi")		\
	X(page,     "zone-lock workload over the page allocator")				\
	X(slabinfo, "run a short churn and dump per-cache state and counters")

struct worker_cmd {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
};

static const struct worker_cmd worker_cmds[] = {
#define WORKER_CMD(name, summary) { #name, cmd_##name, summary },
	WORKER_FOR_EACH_CMD(WORKER_CMD)
#undef WORKER_CMD
};

#define NR_WORKER_CMDS	(sizeof(worker_cmds) / sizeof(worker_cmds[0]))

static void worker_usage(FILE *out, const char *prog)
{
	fprintf(out, "usage: %s COMMAND [OPTIONS]   (pattern '%s', normally run via sheafbench)\n",
		prog, SB_PATTERN_NAME);
	for (size_t i = 0; i < NR_WORKER_CMDS; i++)
		fprintf(out, "  %-9s %s\n", worker_cmds[i].name, worker_cmds[i].summary);
}

static _Noreturn void die_not_a_command(const char *arg)
{
	static const char allowed[] =
#define WORKER_CMD_NAME(name, summary) " " #name
		WORKER_FOR_EACH_CMD(WORKER_CMD_NAME);
#undef WORKER_CMD_NAME

	sb_die_usage(NULL, "'%s' is not a command (allowed:%s)", arg, allowed);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		sb_die_usage(NULL, "a command is needed (see %s --help)", argv[0]);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		worker_usage(stdout, argv[0]);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("sheafbench %s (pattern %s)\n", SB_VERSION, SB_PATTERN_NAME);
		return 0;
	}
	for (size_t i = 0; i < NR_WORKER_CMDS; i++)
		if (!strcmp(argv[1], worker_cmds[i].name))
			return worker_cmds[i].fn(argc - 1, argv + 1);
	die_not_a_command(argv[1]);
}
