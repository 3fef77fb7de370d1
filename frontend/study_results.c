/*
 * study_results.c - the runs*.csv files of a results directory.
 *
 * Scheme (also written to the directory's README): every distinct csv header
 * gets a file of its own.  The first header seen owns runs.csv; a row whose
 * header differs goes to runs-<command>.csv (the run line's workload: lock,
 * slab, page), then runs-<command>-2.csv, ...
 * A row is appended with one write() on an O_APPEND descriptor after its run
 * has finished, so a killed study leaves whole rows only, except perhaps a
 * partial last line if the machine itself went down: resume drops it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "study.h"

static char *path_join(const char *dir, const char *name)
{
	size_t len = strlen(dir) + strlen(name) + 2;
	char *p = sb_xrealloc(NULL, len);

	snprintf(p, len, "%s/%s", dir, name);
	return p;
}

static void add_file(struct sb_results *r, const char *name, const char *header)
{
	r->files = sb_xrealloc(r->files, (size_t)(r->nr_files + 1) * sizeof(*r->files));
	r->files[r->nr_files].name = sb_xstrdup(name);
	r->files[r->nr_files].header = sb_xstrdup(header);
	r->nr_files++;
}

static void add_done(struct sb_results *r, const char *variant, int rep)
{
	r->done = sb_xrealloc(r->done, (size_t)(r->nr_done + 1) * sizeof(*r->done));
	r->done[r->nr_done].variant = sb_xstrdup(variant);
	r->done[r->nr_done].rep = rep;
	r->nr_done++;
}

bool sb_results_done(const struct sb_results *r, const char *variant, int rep)
{
	for (int i = 0; i < r->nr_done; i++)
		if (r->done[i].rep == rep && !strcmp(r->done[i].variant, variant))
			return true;
	return false;
}

static char *read_whole(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		return NULL;
	n = getdelim(&buf, &cap, '\0', f);
	fclose(f);
	if (n < 0) {
		free(buf);
		buf = sb_xstrdup("");
		n = 0;
	}
	*len = (size_t)n;
	return buf;
}

/* A line without its '\n' was cut by a crash: cut the file back to whole lines. */
static int drop_partial_line(const char *path, char *text, size_t *len)
{
	char *nl = memrchr(text, '\n', *len);
	size_t keep = nl ? (size_t)(nl - text) + 1 : 0;

	if (keep == *len)
		return 0;
	fprintf(stderr, "sheafbench study: %s: dropping a partial last line (%zu bytes) "
		"left by an interrupted run\n", path, *len - keep);
	if (truncate(path, (off_t)keep))
		return -1;
	text[keep] = '\0';
	*len = keep;
	return 0;
}

/* Record the header and every (variant, rep) already in one runs*.csv file. */
static int load_runs_file(struct sb_results *r, const char *name, char *err, size_t errlen)
{
	char *path = path_join(r->dir, name), *text, *line, *next;
	size_t len;
	int ret = -1;

	text = read_whole(path, &len);
	if (!text) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (drop_partial_line(path, text, &len)) {
		snprintf(err, errlen, "%s: truncate: %s", path, strerror(errno));
		goto out;
	}
	ret = 0;
	if (!len) {			/* even the header was cut: start the file anew */
		unlink(path);
		goto out;
	}
	line = text;
	next = strchr(line, '\n');
	*next++ = '\0';
	add_file(r, name, line);
	for (line = next; *line; line = next) {
		char *f[SB_RUNS_NR_LEADING + 1];

		next = strchr(line, '\n');
		*next++ = '\0';
		if (sb_csv_split(line, f, SB_RUNS_NR_LEADING + 1) > SB_RUNS_NR_LEADING)
			add_done(r, f[1], atoi(f[2]));
	}
out:
	free(text);
	free(path);
	return ret;
}

static bool is_runs_file(const char *name)
{
	size_t n = strlen(name);

	return !strcmp(name, "runs.csv") ||
	       (!strncmp(name, "runs-", 5) && n > 9 && !strcmp(name + n - 4, ".csv"));
}

/* runs.csv first, so the name-to-header mapping is rebuilt as it was written. */
static int cmp_runs_name(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;

	if (!strcmp(x, "runs.csv") || !strcmp(y, "runs.csv"))
		return strcmp(x, "runs.csv") ? 1 : (strcmp(y, "runs.csv") ? -1 : 0);
	return strcmp(x, y);
}

int sb_results_load(struct sb_results *r, char *err, size_t errlen)
{
	DIR *d = opendir(r->dir);
	struct dirent *de;
	char **names = NULL;
	int n = 0, ret = 0;

	if (!d) {
		snprintf(err, errlen, "%s: %s", r->dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)))
		if (is_runs_file(de->d_name)) {
			names = sb_xrealloc(names, (size_t)(n + 1) * sizeof(char *));
			names[n++] = sb_xstrdup(de->d_name);
		}
	closedir(d);
	if (n)
		qsort(names, (size_t)n, sizeof(char *), cmp_runs_name);
	for (int i = 0; i < n; i++) {
		if (!ret)
			ret = load_runs_file(r, names[i], err, errlen);
		free(names[i]);
	}
	free(names);
	return ret;
}

void sb_results_init(struct sb_results *r, const char *dir)
{
	memset(r, 0, sizeof(*r));
	r->dir = sb_xstrdup(dir);
}

void sb_results_free(struct sb_results *r)
{
	for (int i = 0; i < r->nr_files; i++) {
		free(r->files[i].name);
		free(r->files[i].header);
	}
	for (int i = 0; i < r->nr_done; i++)
		free(r->done[i].variant);
	free(r->files);
	free(r->done);
	free(r->dir);
	memset(r, 0, sizeof(*r));
}

static bool name_taken(const struct sb_results *r, const char *name)
{
	for (int i = 0; i < r->nr_files; i++)
		if (!strcmp(r->files[i].name, name))
			return true;
	return false;
}

static void new_file_name(const struct sb_results *r, const char *workload, char *name,
			  size_t len)
{
	if (!r->nr_files) {
		snprintf(name, len, "runs.csv");
		return;
	}
	snprintf(name, len, "runs-%s.csv", workload);
	for (int k = 2; name_taken(r, name); k++)
		snprintf(name, len, "runs-%s-%d.csv", workload, k);
}

static int write_all(const char *path, int flags, const char *buf, size_t len)
{
	int fd = open(path, flags | O_WRONLY | O_APPEND | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, buf, len);
	close(fd);
	if (n != (ssize_t)len) {
		errno = n < 0 ? errno : EIO;
		return -1;
	}
	return 0;
}

/* Workload names go into file names: keep them to [a-z0-9-_]. */
static void safe_name(const char *in, char *out, size_t len)
{
	size_t n = 0;

	for (; *in && n + 1 < len; in++)
		out[n++] = (strchr("abcdefghijklmnopqrstuvwxyz0123456789-_", *in) && *in) ? *in : '_';
	out[n] = '\0';
	if (!n)
		snprintf(out, len, "other");
}

int sb_results_append(struct sb_results *r, const char *workload, const char *header,
		      const char *row)
{
	size_t hl = strlen(header), rl = strlen(row);
	char name[128], wl[64], *path, *buf;
	int ret;

	for (int i = 0; i < r->nr_files; i++) {
		if (strcmp(r->files[i].header, header))
			continue;
		path = path_join(r->dir, r->files[i].name);
		buf = sb_xrealloc(NULL, rl + 2);
		ret = write_all(path, 0, buf, (size_t)sprintf(buf, "%s\n", row));
		free(buf);
		free(path);
		return ret;
	}
	safe_name(workload, wl, sizeof(wl));
	new_file_name(r, wl, name, sizeof(name));
	path = path_join(r->dir, name);
	/* header and first row in one write: a new file never holds a header alone */
	buf = sb_xrealloc(NULL, hl + rl + 3);
	ret = write_all(path, O_CREAT | O_EXCL, buf, (size_t)sprintf(buf, "%s\n%s\n", header, row));
	free(buf);
	free(path);
	if (!ret)
		add_file(r, name, header);
	return ret;
}
