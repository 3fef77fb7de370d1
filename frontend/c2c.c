/*
 * c2c.c - `sheafbench c2c`: the core-to-core cache-line transfer matrix
 * (design.md section 3, tier 3) over pairs of this machine's CPUs.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "frontend.h"
#include "harness.h"

#define MAX_CPUS	4096

struct c2c_args {
	int cpus[MAX_CPUS];       /* logical CPUs of this machine's topology */
	int nr_cpus;
	enum sb_c2c_mode mode;
	int samples;
	enum sb_format fmt;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: sheafbench c2c [--cpus LIST] [--mode cas|store] [--samples N] [--format F]\n"
		"  One line bounced between two pinned threads, per pair of CPUs; a sample is 100\n"
		"  round trips timed with the TSC; one-way latency = half a round trip.\n"
		"  --cpus LIST     CPUs (logical, as in `sheafbench topo`), e.g. 0,2,4-7 (default: all)\n"
		"  --mode M        cas: spin with compare-and-swap (default); store: spin on loads,\n"
		"                  then a plain store (load after remote store)\n"
		"  --samples N     samples per pair, 10 to 100000 (default 200)\n"
		"  --format F      table (default: a matrix of median [p10-p90] ns), csv or json\n");
}

static void parse_args(int argc, char **argv, struct c2c_args *a)
{
	static const char *const modes[] = { "cas", "store", NULL };
	const char *v;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			exit(0);
		} else if ((v = option_value("c2c", argc, argv, &i, "--cpus"))) {
			a->nr_cpus = sb_parse_cpu_list("c2c", "--cpus", v, a->cpus, MAX_CPUS);
		} else if ((v = option_value("c2c", argc, argv, &i, "--mode"))) {
			a->mode = sb_parse_choice("c2c", "--mode", v, modes) ? SB_C2C_STORE : SB_C2C_CAS;
		} else if ((v = option_value("c2c", argc, argv, &i, "--samples"))) {
			a->samples = (int)sb_parse_long("c2c", "--samples", v, 10, 100000);
		} else if ((v = option_value("c2c", argc, argv, &i, "--format"))) {
			a->fmt = sb_parse_format("c2c", v);
		} else {
			die_unknown_option("c2c", argv[i], "--cpus, --mode, --samples, --format, --help");
		}
	}
}

/* Every listed CPU must exist and appear once; default is all of them. */
static void check_cpus(struct c2c_args *a, const struct sb_topology *t, const char *list)
{
	int n = sb_topology_nr_cpus(t);

	if (!a->nr_cpus) {
		for (int c = 0; c < n && c < MAX_CPUS; c++)
			a->cpus[a->nr_cpus++] = c;
		return;
	}
	for (int i = 0; i < a->nr_cpus; i++) {
		bool dup = false;

		for (int j = 0; j < i; j++)
			dup |= a->cpus[j] == a->cpus[i];
		if (a->cpus[i] >= n || dup)
			sb_die_usage("c2c", "--cpus: '%s' is not allowed (distinct CPUs from 0 to %d)",
				     list, n - 1);
	}
	if (a->nr_cpus < 2)
		sb_die_usage("c2c", "--cpus: '%s' is not allowed (at least two CPUs)", list);
}

static const char *cpu_list_arg(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--cpus=", 7))
			return argv[i] + 7;
		if (!strcmp(argv[i], "--cpus") && i + 1 < argc)
			return argv[i + 1];
	}
	return "";
}

/* results[i * n + j] for i < j: cpus[i] initiates, cpus[j] responds. */
static void measure_pairs(const struct c2c_args *a, const struct sb_topology *t,
			  struct sb_c2c_result *res)
{
	int n = a->nr_cpus;

	for (int i = 0; i < n; i++) {
		for (int j = i + 1; j < n; j++) {
			int err = sb_c2c_measure(sb_topology_os_cpu(t, a->cpus[i]),
						 sb_topology_os_cpu(t, a->cpus[j]),
						 a->mode, a->samples, &res[i * n + j]);

			if (err)
				fprintf(stderr, "sheafbench c2c: cpus %d,%d: not measured (%s)\n",
					a->cpus[i], a->cpus[j], strerror(-err));
		}
	}
}

static void print_matrix(const struct c2c_args *a, const struct sb_c2c_result *res)
{
	int n = a->nr_cpus;
	char cell[64];

	printf("c2c %s: one-way cache-line transfer latency, ns: median [p10-p90] of %d samples\n",
	       a->mode == SB_C2C_CAS ? "cas" : "store", a->samples);
	printf("%6s", "cpu");
	for (int j = 0; j < n; j++)
		printf(" %18d", a->cpus[j]);
	putchar('\n');
	for (int i = 0; i < n; i++) {
		printf("%6d", a->cpus[i]);
		for (int j = 0; j < n; j++) {
			const struct sb_c2c_result *r = &res[i < j ? i * n + j : j * n + i];

			if (i == j)
				snprintf(cell, sizeof(cell), "-");
			else if (isnan(r->median_ns))
				snprintf(cell, sizeof(cell), "n/a");
			else
				snprintf(cell, sizeof(cell), "%.0f [%.0f-%.0f]", r->median_ns,
					 r->p10_ns, r->p90_ns);
			printf(" %18s", cell);
		}
		putchar('\n');
	}
}

static void print_rows(const struct c2c_args *a, const struct sb_c2c_result *res)
{
	struct sb_report *r = sb_report_new();
	int n = a->nr_cpus;

	for (int i = 0; i < n; i++) {
		for (int j = i + 1; j < n; j++) {
			const struct sb_c2c_result *p = &res[i * n + j];

			sb_report_row(r);
			sb_report_str(r, "workload", "c2c");
			sb_report_str(r, "mode", a->mode == SB_C2C_CAS ? "cas" : "store");
			sb_report_u64(r, "cpu_a", a->cpus[i]);
			sb_report_u64(r, "cpu_b", a->cpus[j]);
			sb_report_f64(r, "median_ns", p->median_ns);
			sb_report_f64(r, "p10_ns", p->p10_ns);
			sb_report_f64(r, "p90_ns", p->p90_ns);
			sb_report_u64(r, "samples", p->samples);
		}
	}
	sb_report_print(r, a->fmt, stdout);
	sb_report_free(r);
}

int cmd_c2c(int argc, char **argv)
{
	struct c2c_args *a = sb_xcalloc(1, sizeof(*a));	/* exit 1 if out of memory */
	const char *synthetic = getenv("SHEAFBENCH_TOPOLOGY");
	struct sb_c2c_result *res;
	struct sb_topology *t;
	char err[256];

	a->samples = 200;
	parse_args(argc, argv, a);
	if (synthetic && *synthetic)
		sb_die_usage("c2c", "SHEAFBENCH_TOPOLOGY: '%s' is not allowed (c2c measures this "
			     "machine; unset it)", synthetic);
	/* this machine's topology failing to load is not bad input: exit 1 */
	t = sb_topology_load(NULL, err, sizeof(err));
	if (!t) {
		fprintf(stderr, "sheafbench c2c: topology: %s\n", err);
		free(a);
		return 1;
	}
	check_cpus(a, t, cpu_list_arg(argc, argv));
	if (a->nr_cpus < 2)
		sb_die_usage("c2c", "--cpus: this machine has %d CPU (at least two needed)", a->nr_cpus);
	res = sb_xcalloc((size_t)a->nr_cpus * a->nr_cpus, sizeof(*res));
	measure_pairs(a, t, res);
	if (a->fmt == SB_FMT_TABLE)
		print_matrix(a, res);
	else
		print_rows(a, res);
	free(res);
	sb_topology_free(t);
	free(a);
	return 0;
}
