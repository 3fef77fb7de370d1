/*
 * sheafbench-<pattern>: the worker binary, built once per acquisition pattern.
 *
 * Everything that takes a lock or allocates runs here, so that the pattern is a
 * compile-time constant in every lock path (design.md section 1).  The front end
 * `sheafbench` execs the worker of the pattern a run asks for.
 */
#include <stdio.h>
#include <string.h>

int cmd_lock(int argc, char **argv);
int cmd_slab(int argc, char **argv);
int cmd_page(int argc, char **argv);
int cmd_slabinfo(int argc, char **argv);

struct worker_cmd {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
};

static const struct worker_cmd worker_cmds[] = {
	{ "lock",     cmd_lock,     "N threads hammer one lock (kind x pattern)" },
	{ "slab",     cmd_slab,     "allocator workloads: churn remote larson cache-scratch nmi" },
	{ "page",     cmd_page,     "zone-lock workload over the page allocator" },
	{ "slabinfo", cmd_slabinfo, "run a short churn and dump per-cache state and counters" },
};

static void worker_usage(FILE *out, const char *prog)
{
	fprintf(out, "usage: %s COMMAND [OPTIONS]   (pattern '%s', normally run via sheafbench)\n",
		prog, SB_PATTERN_NAME);
	for (size_t i = 0; i < sizeof(worker_cmds) / sizeof(worker_cmds[0]); i++)
		fprintf(out, "  %-9s %s\n", worker_cmds[i].name, worker_cmds[i].summary);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		worker_usage(stderr, argv[0]);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		worker_usage(stdout, argv[0]);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("sheafbench %s (pattern %s)\n", SB_VERSION, SB_PATTERN_NAME);
		return 0;
	}
	for (size_t i = 0; i < sizeof(worker_cmds) / sizeof(worker_cmds[0]); i++) {
		if (strcmp(argv[1], worker_cmds[i].name))
			continue;
		return worker_cmds[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "sheafbench: '%s' is not a command (allowed: lock, slab, page, slabinfo)\n",
		argv[1]);
	return 2;
}
