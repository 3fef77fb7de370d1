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
	const char *cpu_list;     /* --cpus as given, for messages */
	int samples;
	enum sb_format fmt;
};

static const char c2c_usage[] =
	"usage: sheafbench c2c [--cpus LIST] [--mode cas|store] [--samples N] [--format F]\n"
	"  One line bounced between two pinned threads, per pair of CPUs; a sample is 100\n"
	"  round trips timed with the TSC; one-way latency = half a round trip.  --mode cas\n"
	"  spins with compare-and-swap; store spins on loads, then a plain store (load after\n"
	"  remote store).  --format table is a matrix of median [p10-p90] ns.";

static void cpus_arg(const char *cmd, const char *opt, const char *val, void *data)
{
	struct c2c_args *a = data;

	a->nr_cpus = sb_parse_cpu_list(cmd, opt, val, a->cpus, MAX_CPUS);
	a->cpu_list = val;
}

static void parse_args(int argc, char **argv, struct c2c_args *a)
{
	static const char *const modes[] = { "cas", "store", NULL };
	int mode = 0;
	struct sb_option opts[] = {
		SB_OPT_CALLBACK("cpus", "LIST", cpus_arg, a,
				"CPUs (logical, as in `sheafbench topo`), e.g. 0,2,4-7 (default: all)"),
		SB_OPT_CHOICE("mode", &mode, modes, "how the line is bounced"),
		SB_OPT_INT("samples", &a->samples, 10, 100000, "samples per pair"),
		SB_OPT_FORMAT(&a->fmt),
		SB_OPT_END,
	};

	if (sb_parse_options("c2c", opts, argc, argv, c2c_usage) == SB_OPTIONS_HELP)
		exit(0);
	a->mode = mode ? SB_C2C_STORE : SB_C2C_CAS;
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
	check_cpus(a, t, a->cpu_list ? a->cpu_list : "");
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
