/*
 * compare_cli.c - runs cmd_compare / cmd_plot / cmd_report as the front end
 * would, so the tests exercise the commands without depending on the rest of
 * the sheafbench binary being built.
 */
#include <stdio.h>
#include <string.h>

#include "analysis.h"

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "compare", cmd_compare }, { "plot", cmd_plot }, { "report", cmd_report },
	};

	for (size_t i = 0; argc > 1 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "usage: %s compare|plot|report ARGS...\n", argv[0]);
	return 2;
}
