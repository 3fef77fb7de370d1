/*
 * rundir.c - load a results directory: every runs*.csv in it (runs.csv
 * first), checked for the workload and pattern columns, and the machine
 * description from its meta.json.  A single runs file may be given instead.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

static int runs_file_order(const struct dirent **a, const struct dirent **b)
{
	/* runs.csv first, then runs-<workload>.csv by name */
	bool ma = !strcmp((*a)->d_name, "runs.csv"), mb = !strcmp((*b)->d_name, "runs.csv");

	if (ma != mb)
		return ma ? -1 : 1;
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_runs_file(const struct dirent *d)
{
	return !strncmp(d->d_name, "runs", 4) && sb_has_suffix(d->d_name, ".csv") &&
	       (d->d_name[4] == '.' || d->d_name[4] == '-');
}

static int check_runs_columns(const struct sb_csv_doc *doc, char *err, size_t len)
{
	int w = sb_csv_col(doc, "workload"), p = sb_csv_col(doc, "pattern");

	if (w < 0 || p < 0)
		return sb_err(err, len, "%s:1: header lacks the workload and pattern columns",
			      doc->path);
	if (p < w)
		return sb_err(err, len, "%s:1: column pattern comes before workload", doc->path);
	return 0;
}

static int load_doc(struct sb_rundir *res, const char *path, char *err, size_t len)
{
	struct sb_csv_doc *doc = sb_csv_load(path, err, len);

	if (!doc)
		return -1;
	if (check_runs_columns(doc, err, len) < 0 || sb_runs_check(doc, err, len) < 0) {
		sb_csv_doc_free(doc);
		return -1;
	}
	res->docs = sb_xrealloc(res->docs, (res->nr_docs + 1) * sizeof(*res->docs));
	res->docs[res->nr_docs++] = doc;
	return 0;
}

static int load_dir(struct sb_rundir *res, const char *dir, char *err, size_t len)
{
	struct dirent **list;
	int n = scandir(dir, &list, is_runs_file, runs_file_order), rc = 0;

	if (n < 0)
		return sb_err(err, len, "%s: %s", dir, strerror(errno));
	for (int i = 0; i < n; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		if (!rc)
			rc = load_doc(res, path, err, len);
		free(list[i]);
	}
	free(list);
	if (!rc && !res->nr_docs)
		return sb_err(err, len, "%s: no runs.csv (not a results directory?)", dir);
	return rc;
}

int sb_rundir_load(const char *dir, struct sb_rundir *res, char *err, size_t errlen)
{
	struct stat st;
	int rc;

	memset(res, 0, sizeof(*res));
	res->dir = sb_xstrdup(dir);
	if (stat(dir, &st) < 0) {
		rc = sb_err(err, errlen, "%s: %s", dir, strerror(errno));
	} else if (S_ISDIR(st.st_mode)) {
		rc = load_dir(res, dir, err, errlen);
		sb_meta_describe_machine(dir, res->machine, sizeof(res->machine));
		sb_meta_emulated(dir, res->emulated, sizeof(res->emulated));
	} else {
		/* a single runs file: its directory holds meta.json */
		char *slash = strrchr(res->dir, '/');

		rc = load_doc(res, dir, err, errlen);
		if (slash)
			*slash = '\0';
		else
			strcpy(res->dir, ".");
		sb_meta_describe_machine(res->dir, res->machine, sizeof(res->machine));
		sb_meta_emulated(res->dir, res->emulated, sizeof(res->emulated));
	}
	if (rc)
		sb_rundir_free(res);
	return rc;
}

void sb_rundir_free(struct sb_rundir *res)
{
	for (int i = 0; i < res->nr_docs; i++)
		sb_csv_doc_free(res->docs[i]);
	free(res->docs);
	free(res->dir);
	memset(res, 0, sizeof(*res));
}
