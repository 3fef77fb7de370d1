/*
 * sheafbench - the front end: one command, git-style subcommands.
 *
 * topo and c2c run here; lock, slab, page and slabinfo are exec'd in the
 * worker built for the chosen acquisition pattern (dispatch.c); study,
 * compare and plot come from lib sb_study (scripts/study/).
 */
#include <stdio.h>
#include <string.h>

#include "frontend.h"
#include "study.h"

struct command {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
};

static const struct command commands[] = {
	{ "topo",     cmd_topo,           "describe the topology, pin orders, PMU and clocks" },
	{ "c2c",      cmd_c2c,            "core-to-core cache-line transfer latency matrix" },
	{ "lock",     dispatch_to_worker, "N threads hammer one lock (kind x pattern)" },
	{ "slab",     dispatch_to_worker, "allocator workloads, also on glibc/jemalloc/tcmalloc/mimalloc" },
	{ "page",     dispatch_to_worker, "zone-lock workload over the page allocator" },
	{ "slabinfo", dispatch_to_worker, "short churn, then per-cache state and counters" },
	{ "study",    cmd_study,          "run a study matrix, interleaved, resumable" },
	{ "compare",  cmd_compare,        "medians, ratios with 95% CIs, changelog text" },
	{ "plot",     cmd_plot,           "gnuplot figures from a study directory" },
	{ "report",   cmd_report,         "write report.md: machine, changelog blocks, plots" },
	{ "run",      cmd_run,            "run any program on an allocator (preload), with its counters" },
};

#define NR_COMMANDS	(sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fprintf(out, "usage: sheafbench COMMAND [OPTIONS]   (sheafbench COMMAND --help for its options)\n\n");
	for (size_t i = 0; i < NR_COMMANDS; i++)
		fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nlock, slab, page and slabinfo take --pattern lock|ttl|sb|tro (default sb).\n");
}


int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "sheafbench: a command is required (see sheafbench --help)\n");
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("sheafbench %s\n", SB_VERSION);
		return 0;
	}
	for (size_t i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "sheafbench: '%s' is not a command (allowed: topo, c2c, lock, slab, page, "
		"slabinfo, study, compare, plot, report, run)\n", argv[1]);
	return 2;
}
