/*
 * args.c - the front end's "--name VALUE" / "--name=VALUE" matching.
 */
#include "frontend.h"

#include <string.h>

#include "harness.h"

const char *option_value(const char *cmd, int argc, char **argv, int *i, const char *name)
{
	const char *arg = argv[*i];
	size_t n = strlen(name);

	if (strncmp(arg, name, n))
		return NULL;
	if (arg[n] == '=')
		return arg + n + 1;
	if (arg[n] != '\0')
		return NULL;
	if (*i + 1 >= argc)
		sb_die_usage(cmd, "%s: a value is required", name);
	return argv[++*i];
}

_Noreturn void die_unknown_option(const char *cmd, const char *arg, const char *allowed)
{
	sb_die_usage(cmd, "'%s' is not an option of %s (allowed: %s)", arg, cmd, allowed);
}
