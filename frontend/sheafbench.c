/*
 * sheafbench - the front end: one command, git-style subcommands.
 *
 * The command table below is the one list of commands: dispatch, --help and
 * the "allowed:" part of the unknown-command line are generated from it.
 * topo, c2c and study run here; lock, slab, page and slabinfo are exec'd in
 * the worker built for the chosen acquisition pattern (dispatch.c); compare,
 * plot and report come from lib sb_analysis (analysis/).
 */
#include <stdio.h>
#include <string.h>

#include "analysis.h"
#include "frontend.h"
#include "pattern_list.h"
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

/* "a, b, c" of the names of the commands, or of those with handler fn (fn NULL: all). */
static void print_names(FILE *out, int (*fn)(int, char **), const char *sep, const char *last)
{
	size_t n = 0, printed = 0;

	for (size_t i = 0; i < NR_COMMANDS; i++)
		n += !fn || commands[i].fn == fn;
	for (size_t i = 0; i < NR_COMMANDS; i++) {
		if (fn && commands[i].fn != fn)
			continue;
		printed++;
		fprintf(out, "%s%s", printed == 1 ? "" : printed == n ? last : sep, commands[i].name);
	}
}

static void usage(FILE *out)
{
	fprintf(out, "usage: sheafbench COMMAND [OPTIONS]   (sheafbench COMMAND --help for its options)\n\n");
	for (size_t i = 0; i < NR_COMMANDS; i++)
		fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fputc('\n', out);
	print_names(out, dispatch_to_worker, ", ", " and ");
	fprintf(out, " take --pattern ");
#define PATTERN_WORD(name, id, what) "|" #name
	fprintf(out, "%s", &(SB_FOR_EACH_PATTERN(PATTERN_WORD))[1]);
#undef PATTERN_WORD
	fprintf(out, " (default %s).\n", SB_DEFAULT_PATTERN);
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
	sb_plot_set_templates(sb_data_dir(SB_DATA_PLOTS));
	for (size_t i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "sheafbench: '%s' is not a command (allowed: ", argv[1]);
	print_names(stderr, NULL, ", ", ", ");
	fprintf(stderr, ")\n");
	return 2;
}
