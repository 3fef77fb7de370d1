/*
 * topo.c - `sheafbench topo`: what a study must record about the machine:
 * the topology and pin orders, whether hardware counters work (and why not),
 * kernel, CPU model, and the calibrated clocks.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "frontend.h"
#include "harness.h"

static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(buf, len, "unknown");
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!colon || strncmp(line, "model name", 10))
			continue;
		colon += 1 + strspn(colon + 1, " \t");
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(buf, len, "%s", colon);
		break;
	}
	if (f)
		fclose(f);
}

static void kernel_name(char *buf, size_t len)
{
	struct utsname u;

	if (uname(&u))
		snprintf(buf, len, "unknown");
	else
		snprintf(buf, len, "%s %s %s", u.sysname, u.release, u.machine);
}

/* "0 2 1 3": a pin order as one string. */
static void order_string(const struct sb_topology *t, enum sb_pin pin, char *buf, size_t len)
{
	int n = sb_topology_nr_cpus(t), *cpus = calloc(n, sizeof(int));
	size_t used = 0;

	buf[0] = '\0';
	if (!cpus || sb_topology_pin_order(t, pin, cpus, n) != n)
		snprintf(buf, len, "unknown");
	for (int i = 0; cpus && i < n && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%d", i ? " " : "", cpus[i]);
	free(cpus);
}

static void add_topology(struct sb_report *r, const struct sb_topology *t, const char *synthetic)
{
	size_t len = 16 * (size_t)sb_topology_nr_cpus(t) + 16;
	char *order = malloc(len);

	sb_report_str(r, "topology", synthetic ? synthetic : "this machine");
	sb_report_u64(r, "packages", sb_topology_nr_packages(t));
	sb_report_u64(r, "nodes", sb_topology_nr_nodes(t));
	sb_report_u64(r, "cores", sb_topology_nr_cores(t));
	sb_report_u64(r, "cpus", sb_topology_nr_cpus(t));
	if (!order)
		return;
	order_string(t, SB_PIN_COMPACT, order, len);
	sb_report_str(r, "compact_order", order);
	order_string(t, SB_PIN_SCATTER, order, len);
	sb_report_str(r, "scatter_order", order);
	free(order);
}

static void add_machine(struct sb_report *r)
{
	char buf[512];
	bool pmu = sb_pmu_available(buf, sizeof(buf));

	sb_report_str(r, "pmu", pmu ? "yes" : "no");
	sb_report_str(r, "pmu_reason", buf);
	kernel_name(buf, sizeof(buf));
	sb_report_str(r, "kernel", buf);
	cpu_model(buf, sizeof(buf));
	sb_report_str(r, "cpu_model", buf);
	sb_report_f64(r, "tsc_ns_per_tick", sb_tsc_ns_per_tick());
	sb_report_f64(r, "busy_loops_per_ns", sb_busy_loops_per_ns());
}

int cmd_topo(int argc, char **argv)
{
	const char *synthetic = NULL;
	enum sb_format fmt = SB_FMT_TABLE;
	struct sb_option opts[] = {
		SB_OPT_STRING("synthetic", &synthetic, "DESC",
			      "describe an hwloc synthetic topology instead of this machine,\n"
			      "e.g. \"pack:2 numa:2 core:4 pu:2\" ($SHEAFBENCH_TOPOLOGY also works)"),
		SB_OPT_FORMAT(&fmt),
		SB_OPT_END,
	};
	struct sb_topology *t;
	struct sb_report *r;
	char err[256];

	if (sb_parse_options("topo", opts, argc, argv,
			     "usage: sheafbench topo [--synthetic DESC] [--format table|csv|json]")
	    == SB_OPTIONS_HELP)
		return 0;
	t = sb_topology_load(synthetic, err, sizeof(err));
	if (!t)
		sb_die_usage("topo", "%s: %s", synthetic ? "--synthetic" : "SHEAFBENCH_TOPOLOGY", err);
	r = sb_report_new();
	sb_report_str(r, "workload", "topo");
	if (!synthetic && sb_topology_is_synthetic(t))
		synthetic = getenv("SHEAFBENCH_TOPOLOGY");
	add_topology(r, t, synthetic);
	add_machine(r);
	if (fmt == SB_FMT_TABLE) {
		sb_topology_describe(t, stdout);
		putchar('\n');
	}
	sb_report_print(r, fmt, stdout);
	sb_report_free(r);
	sb_topology_free(t);
	return 0;
}
