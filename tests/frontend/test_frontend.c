/*
 * test_frontend.c - `sheafbench` (path in argv[1]) as a user meets it: bad
 * options and commands exit 2 with one line naming what was wrong; good ones
 * exit 0 with the promised output; failures that are not bad input (out of
 * memory, no /proc/self/exe, no topology; forced by the fault shim in argv[2])
 * exit 1 with one line.
 */
#define _GNU_SOURCE
#include "check.h"

#include <sched.h>
#include <sys/stat.h>

static const char *sheafbench;
static const char *fault_shim;		/* NULL: sanitizer build, faults not injected */

struct run {
	int status;               /* exit code, or -1 if killed */
	char out[8192], err[2048];
};

static void slurp(FILE *f, char *buf, size_t len)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static void run(struct run *r, const char *const *args)
{
	const char *argv[48] = { sheafbench };
	FILE *out = tmpfile(), *err = tmpfile();
	int status, n = 1;
	pid_t pid;

	CHECK(out && err);
	for (; args[n - 1]; n++) {
		CHECK(n < 47);
		argv[n] = args[n - 1];
	}
	argv[n] = NULL;
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		dup2(fileno(out), 1);
		dup2(fileno(err), 2);
		execv(sheafbench, (char **)argv);
		_exit(127);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	slurp(out, r->out, sizeof(r->out));
	slurp(err, r->err, sizeof(r->err));
}

struct bad {
	const char *args[6];
	const char *needle;
};

static const struct bad bad_cases[] = {
	{ { "lock", "--pattern", "xyz", NULL }, "--pattern: 'xyz' is not allowed (one of: lock, ttl, sb, tro)" },
	{ { "lock", "--pattern=xyz", NULL }, "'xyz'" },
	{ { "page", "--pattern", NULL }, "--pattern" },
	{ { "slab", "--allocator", "hoard", NULL }, "--allocator: 'hoard'" },
	{ { "topo", "--format", "xml", NULL }, "--format: 'xml' is not allowed (one of: table, csv, json)" },
	{ { "topo", "--synthetic", "pack:x", NULL }, "--synthetic" },
	{ { "topo", "--bogus", NULL }, "--bogus: is not an option of topo (allowed: --synthetic, --format, --help)" },
	{ { "topo", "--format", NULL }, "--format: needs a value" },
	{ { "c2c", "--bogus=1", NULL }, "--bogus: is not an option of c2c (allowed: --cpus, --mode, --samples, --format, --help)" },
	{ { "frobnicate", NULL }, "'frobnicate' is not a command" },
	{ { NULL }, "a command is required" },
	{ { "c2c", "--samples", "0", NULL }, "--samples: '0'" },
	{ { "c2c", "--mode", "xchg", NULL }, "--mode: 'xchg'" },
	{ { "c2c", "--cpus", "0,0", NULL }, "--cpus: '0,0'" },
	{ { "c2c", "--cpus", "4000", NULL }, "--cpus: '4000'" },
};

static void check_bad(void)
{
	struct run r;

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const char *nl;

		run(&r, bad_cases[i].args);
		nl = strchr(r.err, '\n');
		if (r.status != 2 || !nl || nl[1] || !strstr(r.err, bad_cases[i].needle) ||
		    strncmp(r.err, "sheafbench", 10) || r.out[0]) {
			fprintf(stderr, "case %zu: status %d, stdout '%s', stderr '%s'\n",
				i, r.status, r.out, r.err);
			exit(1);
		}
	}
}

static void check_good(void)
{
	static const char *const version[] = { "--version", NULL };
	static const char *const help[] = { "topo", "--help", NULL };
	static const char *const topo[] = {
		"topo", "--format", "json", "--synthetic", "pack:2 core:1 pu:1", NULL,
	};
	struct run r;

	run(&r, version);
	CHECK(r.status == 0 && !strncmp(r.out, "sheafbench ", 11));
	run(&r, help);
	CHECK(r.status == 0 && strstr(r.out, "usage: sheafbench topo"));
	run(&r, topo);
	CHECK(r.status == 0 && r.out[0] == '[' && strstr(r.out, "\"cpus\": 2"));
	CHECK(strstr(r.out, "\"scatter_order\": \"0 1\"") && strstr(r.out, "\"pmu_reason\": \""));
}

static void check_c2c_csv(void)
{
	static const char *const c2c[] = {
		"c2c", "--cpus", "0,1", "--samples", "10", "--format", "csv", NULL,
	};
	cpu_set_t set;
	struct run r;

	if (sched_getaffinity(0, sizeof(set), &set) || !CPU_ISSET(0, &set) || !CPU_ISSET(1, &set)) {
		printf("c2c: CPUs 0 and 1 not both allowed, not run\n");
		return;
	}
	run(&r, c2c);
	CHECK(r.status == 0);
	static const char head[] = "workload,mode,cpu_a,cpu_b,median_ns,p10_ns,p90_ns,samples\n"
				   "c2c,cas,0,1,";

	CHECK(!strncmp(r.out, head, strlen(head)));
	CHECK(strstr(r.out, ",10\n"));
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	char buf[65536];
	size_t n;

	CHECK(in && out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		CHECK(fwrite(buf, 1, n, out) == n);
	fclose(in);
	CHECK(fclose(out) == 0);
	CHECK(chmod(to, mode) == 0);
}

/*
 * Dispatch, against a copy of sheafbench next to a stand-in worker script
 * that prints its argv and LD_PRELOAD: --pattern is consumed, everything else
 * reaches the worker, comparison allocators are preloaded.
 */
static void check_dispatch(void)
{
	static const char *const lock[] = { "lock", "--pattern", "ttl", "--threads", "4", NULL };
	static const char *const slab[] = { "slab", "--allocator=jemalloc", "--size", "64", NULL };
	static const char *const glibc[] = { "slab", "--allocator", "glibc", "--pattern=sb", NULL };
	static const char *const missing[] = { "page", "--pattern", "tro", NULL };
	const char *saved = sheafbench;
	char dir[] = "/tmp/sb-frontend-XXXXXX", bin[64], worker[2][64];
	struct run r;

	CHECK(mkdtemp(dir));
	snprintf(bin, sizeof(bin), "%s/sheafbench", dir);
	copy_file(sheafbench, bin, 0755);
	for (int i = 0; i < 2; i++) {
		FILE *f;

		snprintf(worker[i], sizeof(worker[i]), "%s/sheafbench-%s", dir, i ? "sb" : "ttl");
		f = fopen(worker[i], "w");
		CHECK(f);
		fprintf(f, "#!/bin/sh\necho \"$*|$LD_PRELOAD\"\n");
		fclose(f);
		CHECK(chmod(worker[i], 0755) == 0);
	}
	sheafbench = bin;
	unsetenv("LD_PRELOAD");
	run(&r, lock);
	CHECK(r.status == 0);
	CHECK_STR(r.out, "lock --threads 4|\n");
	run(&r, slab);
	if (r.status == 0)            /* else libjemalloc2 is not installed: exit 2, one line */
		CHECK(strstr(r.out, "slab --allocator=jemalloc --size 64|/usr/lib/") &&
		      strstr(r.out, "libjemalloc.so.2\n"));
	else
		CHECK(r.status == 2 && strstr(r.err, "libjemalloc2"));
	run(&r, glibc);
	CHECK(r.status == 0);
	CHECK_STR(r.out, "slab --allocator glibc|\n");
	run(&r, missing);		/* a valid pattern whose worker is not built: not bad input */
	CHECK_MSG(r.status == 1 && strstr(r.err, "sheafbench-tro") && !strchr(r.err, '\n')[1],
		  "status %d, stderr '%s'", r.status, r.err);
	sheafbench = saved;
	unlink(worker[0]);
	unlink(worker[1]);
	unlink(bin);
	rmdir(dir);
}

/* --help, dispatch and the unknown-command line come from one table: same names. */
static void check_command_table(void)
{
	static const char *const help[] = { "--help", NULL };
	static const char *const bad[] = { "frobnicate", NULL };
	char names[512] = "", *allowed, *line;
	struct run r;

	run(&r, help);
	CHECK(r.status == 0);
	/* the command lines, "  name  summary", follow the first blank line */
	line = strstr(r.out, "\n\n");
	CHECK(line);
	for (line += 2; !strncmp(line, "  ", 2); line = strchr(line, '\n') + 1) {
		char name[32];

		CHECK(sscanf(line, "%31s", name) == 1 && strchr(line, '\n'));
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			 names[0] ? ", " : "", name);
	}
	run(&r, bad);
	allowed = strstr(r.err, "(allowed: ");
	CHECK_MSG(allowed && !strncmp(allowed + 10, names, strlen(names)) &&
		  allowed[10 + strlen(names)] == ')',
		  "--help lists '%s', the error line says '%s'", names, r.err);
	CHECK(strstr(names, "study") && strstr(names, "compare") && strstr(names, "lock"));
}

/* One forced failure: exit 1, one line on stderr naming what failed. */
static void expect_failure(const char *fault, const char *const *args, const char *needle)
{
	char preload[4096];
	struct run r;

	snprintf(preload, sizeof(preload), "%s", fault_shim);
	setenv("LD_PRELOAD", preload, 1);
	setenv("SB_FAULT", fault, 1);
	run(&r, args);
	unsetenv("LD_PRELOAD");
	unsetenv("SB_FAULT");
	EXPECT_MSG(r.status == 1 && strchr(r.err, '\n') && !strchr(r.err, '\n')[1] &&
		   strstr(r.err, needle),
		   "SB_FAULT=%s: status %d, stderr '%s' (want exit 1, one line with '%s')",
		   fault, r.status, r.err, needle);
}

static void check_faults(void)
{
	static const char *const lock[] = { "lock", "--threads", "1", NULL };
	static const char *const c2c[] = { "c2c", "--samples", "10", NULL };
	/* 35 options after "lock": dispatch's argv copy is calloc(38, sizeof(char *)) */
	const char *many[40] = { "lock" };
	char fault[32];

	if (!fault_shim) {
		printf("fault injection: not run (sanitizer build)\n");
		return;
	}
	for (int i = 1; i <= 35; i++)
		many[i] = "--threads=1";
	snprintf(fault, sizeof(fault), "calloc:%d", 35 + 1 + 2);
	expect_failure(fault, many, "out of memory");
	expect_failure("readlink", lock, "/proc/self/exe");
	expect_failure("hwloc", c2c, "topology");
}

int main(int argc, char **argv)
{
	CHECK(argc == 3);
	sheafbench = argv[1];
	fault_shim = strcmp(argv[2], "none") ? argv[2] : NULL;
	alarm(120);
	check_bad();
	check_good();
	check_command_table();
	check_c2c_csv();
	check_dispatch();
	check_faults();
	printf("frontend: ok\n");
	return check_report();
}
