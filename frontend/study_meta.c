/*
 * study_meta.c - meta.json: what machine and build a results directory came from.
 *
 * Everything a reader needs to judge the figures: CPU, topology, kernel,
 * compiler, git revision, frequency governor, and whether hardware counters
 * existed (and why not).  A field that cannot be read is null with a reason,
 * never a guess.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "study.h"

#ifndef SB_SOURCE_DIR
#define SB_SOURCE_DIR "."
#endif
#define META_CHILD_TIMEOUT_NS	(30ULL * 1000000000ULL)

/* What meta.json says beyond the machine and the build. */
struct sb_study_meta {
	const struct sb_study *study;
	const char *exe;		/* the sheafbench binary the runs exec */
	const char *command;		/* the study's command line */
	const char *skipped;		/* run lines skipped (workload not built), or NULL */
	int nr_variants;
	time_t start;
	bool perf_stat;
	const char *perf_events;
	const char *perf_why;		/* why perf_* columns are n/a, or NULL */
	bool c2c;			/* c2c recordings were made */
	const char *c2c_why;		/* why not (no PMU, not requested, ...) */
};

static void json_field(FILE *f, const char *key, const char *val)
{
	fprintf(f, "  \"%s\": ", key);
	sb_json_string(f, val);
	fputs(",\n", f);
}

static void chomp(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
}

/* Output of a helper command, or NULL if it failed. */
static char *command_output(char *const argv[])
{
	struct sb_child c;
	char *out;

	if (sb_child_run(argv, META_CHILD_TIMEOUT_NS, &c))
		return NULL;
	if (c.status || c.timed_out) {
		sb_child_free(&c);
		return NULL;
	}
	out = c.out;
	c.out = NULL;
	sb_child_free(&c);
	chomp(out);
	return out;
}

static char *first_line_of(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;

	if (!f)
		return NULL;
	if (getline(&line, &cap, f) < 0) {
		free(line);
		line = NULL;
	} else {
		chomp(line);
	}
	fclose(f);
	return line;
}

static char *cpu_model(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char *line = NULL, *model = NULL;
	size_t cap = 0;

	if (!f)
		return NULL;
	while (!model && getline(&line, &cap, f) > 0) {
		char *colon = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && colon) {
			model = strdup(colon + 2);
			chomp(model);
		}
	}
	free(line);
	fclose(f);
	return model;
}

/*
 * Set by scripts/numa-vm.sh in its guest: times there are emulated (TCG) and
 * must never be read as this kind of machine's; the guest's node count too.
 */
static void write_emulation(FILE *f)
{
	const char *how = getenv("SHEAFBENCH_EMULATED"), *nodes = getenv("SHEAFBENCH_VM_NODES");
	char *end = NULL;
	long n = nodes ? strtol(nodes, &end, 10) : 0;

	json_field(f, "emulated", how && *how ? how : NULL);
	if (how && *how && end && end != nodes && !*end && n > 0)
		fprintf(f, "  \"emulated_nodes\": %ld,\n", n);
	else
		fputs("  \"emulated_nodes\": null,\n", f);
}

static void write_machine(FILE *f, const char *exe)
{
	struct utsname u;
	char kernel[4 * sizeof(u.release)], *s;
	char why[256];
	bool pmu = sb_pmu_available(why, sizeof(why));
	char *topo_argv[] = { (char *)exe, "topo", "--format", "json", NULL };
	char *lstopo_argv[] = { "lstopo-no-graphics", "--of", "console", NULL };

	s = cpu_model();
	json_field(f, "cpu_model", s);
	free(s);
	fprintf(f, "  \"nr_cpus_online\": %ld,\n", sysconf(_SC_NPROCESSORS_ONLN));
	fprintf(f, "  \"nr_cpus_configured\": %ld,\n", sysconf(_SC_NPROCESSORS_CONF));
	s = command_output(topo_argv);
	if (s && (s[0] == '{' || s[0] == '[')) {
		fprintf(f, "  \"topology\": %s,\n", s);	/* sheafbench topo's own JSON */
	} else {
		free(s);
		s = command_output(lstopo_argv);
		json_field(f, "topology_lstopo", s);
	}
	free(s);
	if (!uname(&u)) {
		snprintf(kernel, sizeof(kernel), "%s %s %s %s", u.sysname, u.release, u.version,
			 u.machine);
		json_field(f, "kernel", kernel);
	}
	write_emulation(f);
	s = first_line_of("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
	json_field(f, "cpufreq_governor", s);
	if (!s)
		json_field(f, "cpufreq_governor_why", "no cpufreq in sysfs (virtual machine?)");
	free(s);
	fprintf(f, "  \"pmu_available\": %s,\n", pmu ? "true" : "false");
	json_field(f, "pmu_why", pmu ? NULL : why);
}

static void write_build(FILE *f)
{
	char *git_argv[] = { "git", "-C", SB_SOURCE_DIR, "describe", "--always",
			     "--dirty", "--abbrev=40", NULL };
	char *rev = command_output(git_argv);

#ifdef __clang__
	json_field(f, "compiler", "clang " __VERSION__);
#else
	json_field(f, "compiler", "gcc " __VERSION__);
#endif
#ifdef SB_C_FLAGS
	json_field(f, "compiler_flags", SB_C_FLAGS);
#else
	json_field(f, "compiler_flags", NULL);
#endif
	json_field(f, "source_dir", SB_SOURCE_DIR);
	json_field(f, "git_revision", rev);
	free(rev);
}

static void write_study(FILE *f, const struct sb_study_meta *m)
{
	char stamp[64], *text = sb_read_text_file(m->study->path);

	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime(&m->start));
	json_field(f, "start_time", stamp);
	json_field(f, "study", m->study->name);
	json_field(f, "study_file", m->study->path);
	json_field(f, "study_copy", "study.study");
	json_field(f, "study_text", text);
	free(text);
	fprintf(f, "  \"seed\": %llu,\n", (unsigned long long)m->study->seed);
	fprintf(f, "  \"reps\": %d,\n", m->study->reps);
	json_field(f, "duration", m->study->duration);
	fprintf(f, "  \"nr_variants\": %d,\n", m->nr_variants);
	fprintf(f, "  \"order\": \"interleaved by rep, shuffled within each rep by seed%s\",\n",
		m->study->seed ? "" : " (seed 0: not shuffled)");
	json_field(f, "command", m->command);
	json_field(f, "sheafbench", m->exe);
	json_field(f, "skipped_workloads", m->skipped);
}

static void write_perf(FILE *f, const struct sb_study_meta *m)
{
	fprintf(f, "  \"perf_stat\": %s,\n", m->perf_stat ? "true" : "false");
	json_field(f, "perf_stat_events", m->perf_stat ? m->perf_events : NULL);
	json_field(f, "perf_stat_why_na", m->perf_stat ? m->perf_why : "not requested (--perf-stat)");
	fprintf(f, "  \"c2c\": %s,\n", m->c2c ? "true" : "false");
	fprintf(f, "  \"c2c_why_not\": ");
	sb_json_string(f, m->c2c ? NULL : m->c2c_why);
	fputs("\n", f);
}

static int write_meta_file(const char *path, const struct sb_study_meta *m)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs("{\n", f);
	write_study(f, m);
	write_machine(f, m->exe);
	write_build(f);
	write_perf(f, m);
	fputs("}\n", f);
	return fclose(f);
}

/* Can `perf stat` run here at all?  (The events themselves may still be n/a.) */
static bool perf_works(char *why, size_t len)
{
	char *argv[] = { "perf", "stat", "-x,", "-e", "task-clock", "-o", "/dev/null", "--",
			 "true", NULL };
	struct sb_child ch;
	bool ok = !sb_child_run(argv, META_CHILD_TIMEOUT_NS, &ch) && !ch.status;

	if (!ok)
		snprintf(why, len, "perf stat does not run here (%s)",
			 ch.err && ch.err[0] ? strtok(ch.err, "\n") : "perf not installed?");
	sb_child_free(&ch);
	return ok;
}

static bool c2c_works(char *why, size_t len)
{
	char *argv[] = { "perf", "c2c", "record", "-o", "/dev/null", "--", "true", NULL };
	struct sb_child ch;
	bool ok;

	if (!sb_pmu_available(why, len))
		return false;
	ok = !sb_child_run(argv, META_CHILD_TIMEOUT_NS, &ch) && !ch.status;
	if (!ok)
		snprintf(why, len, "perf c2c record failed (%s)",
			 ch.err && ch.err[0] ? strtok(ch.err, "\n") : "perf not installed?");
	sb_child_free(&ch);
	return ok;
}

static char *command_line(int argc, char **argv)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	fprintf(f, "sheafbench");
	for (int i = 0; i < argc; i++)
		fprintf(f, " %s", argv[i]);
	fclose(f);
	return s;
}

/*
 * meta.json (meta-resume.json on --resume); also decides whether perf stat and
 * perf c2c can run here, and records why not.
 */
void sb_study_meta_write(struct sb_study_ctx *c, int argc, char **argv, const char *skipped,
			 bool resume)
{
	char perf_why[512] = "", c2c_why[512] = "not requested (--c2c)", *path, *cmd;
	struct sb_study_meta m = {
		.study = &c->st, .exe = c->exe, .skipped = skipped,
		.nr_variants = c->nr_variants, .start = time(NULL),
		.perf_stat = c->st.perf_stat, .perf_events = c->perf_events,
	};

	if (c->st.perf_stat) {
		char pmu_why[256];

		c->perf_ok = perf_works(perf_why, sizeof(perf_why));
		if (c->perf_ok && !sb_pmu_available(pmu_why, sizeof(pmu_why)))
			snprintf(perf_why, sizeof(perf_why), "hardware events (cycles, instructions, "
				 "cache-*) are n/a: %s; software events are counted", pmu_why);
		m.perf_why = perf_why[0] ? perf_why : NULL;
	}
	if (c->st.c2c)
		m.c2c = c2c_works(c2c_why, sizeof(c2c_why));
	else
		snprintf(c2c_why, sizeof(c2c_why), "not requested (--c2c)");
	m.c2c_why = c2c_why;
	c->st.c2c = m.c2c;
	m.command = cmd = command_line(argc, argv);
	if (asprintf(&path, "%s/%s", c->dir, resume ? "meta-resume.json" : "meta.json") < 0 ||
	    write_meta_file(path, &m)) {
		fprintf(stderr, "sheafbench study: %s/meta.json: %s\n", c->dir, strerror(errno));
		exit(1);
	}
	free(path);
	free(cmd);
}
