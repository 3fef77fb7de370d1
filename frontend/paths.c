/*
 * paths.c - where this binary is, and where its studies and plot templates
 * are: <dir of the binary>/../share/sheafbench/{studies,plots} once installed
 * (SB_BIN_TO_DATA, derived from the install dirs); the source tree compiled
 * in (SB_SOURCE_DIR) only as a fallback, for a binary run from the build tree.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontend.h"

#ifndef SB_SOURCE_DIR
#define SB_SOURCE_DIR "."
#endif
#ifndef SB_BIN_TO_DATA
#define SB_BIN_TO_DATA "../share/sheafbench"
#endif

/* Where each kind of data file lives in the source tree. */
static const char *const source_dirs[] = {
	[SB_DATA_STUDIES] = SB_SOURCE_DIR "/scripts/studies",
	[SB_DATA_PLOTS] = SB_SOURCE_DIR "/plots",
};
static const char *const installed_names[] = {
	[SB_DATA_STUDIES] = "studies",
	[SB_DATA_PLOTS] = "plots",
};

int sb_self_exe(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	if (n < 0)
		return -errno;
	if ((size_t)n >= len - 1)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return 0;
}

const char *sb_data_dir(enum sb_data what)
{
	static char found[SB_NR_DATA][PATH_MAX];
	char self[PATH_MAX], installed[PATH_MAX + 64];

	if (found[what][0])
		return found[what];
	if (!sb_self_exe(self, sizeof(self))) {
		snprintf(installed, sizeof(installed), "%s/" SB_BIN_TO_DATA "/%s",
			 dirname(self), installed_names[what]);
		if (realpath(installed, found[what]))
			return found[what];
	}
	if (realpath(source_dirs[what], found[what]))
		return found[what];
	found[what][0] = '\0';
	return NULL;
}
