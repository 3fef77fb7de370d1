/*
 * test_topology.c - synthetic topologies: CPU->node mapping, compact and
 * scatter pin orders, wrap-around, $SHEAFBENCH_TOPOLOGY, virtual CPUs (also
 * from a signal handler), and a bad description.
 */
#include "check.h"
#include "topology.h"

#include <signal.h>

#define TWO_BY_TWO "pack:2 numa:2 core:4 pu:2"   /* 32 PUs, 8 per node, 2 per core */

static struct sb_topology *load(const char *desc)
{
	char err[256] = "";
	struct sb_topology *t = sb_topology_load(desc, err, sizeof(err));

	if (!t)
		fprintf(stderr, "load '%s': %s\n", desc ? desc : "(machine)", err);
	CHECK(t);
	return t;
}

static void check_counts_and_nodes(void)
{
	struct sb_topology *t = load(TWO_BY_TWO);

	CHECK(sb_topology_is_synthetic(t));
	CHECK(sb_topology_nr_cpus(t) == 32);
	CHECK(sb_topology_nr_nodes(t) == 4);
	CHECK(sb_topology_nr_packages(t) == 2);
	CHECK(sb_topology_nr_cores(t) == 16);
	for (int cpu = 0; cpu < 32; cpu++) {
		CHECK(sb_topology_cpu_node(t, cpu) == cpu / 8);
		CHECK(sb_topology_os_cpu(t, cpu) == cpu);
	}
	CHECK(sb_topology_cpu_node(t, 32) == -1 && sb_topology_os_cpu(t, -1) == -1);
	sb_topology_free(t);
}

static void check_compact(void)
{
	struct sb_topology *t = load(TWO_BY_TWO);
	int order[40];

	CHECK(sb_topology_pin_order(t, SB_PIN_COMPACT, order, 40) == 40);
	/* core 0's two PUs, then core 1's, ... node by node */
	for (int i = 0; i < 32; i++)
		CHECK(order[i] == i);
	for (int i = 32; i < 40; i++)            /* oversubscription wraps around */
		CHECK(order[i] == i - 32);
	sb_topology_free(t);
}

static void check_scatter(void)
{
	struct sb_topology *t = load(TWO_BY_TWO);
	int order[32], seen[32] = { 0 };

	CHECK(sb_topology_pin_order(t, SB_PIN_SCATTER, order, 32) == 32);
	for (int i = 0; i < 32; i++)
		seen[order[i]]++;
	for (int cpu = 0; cpu < 32; cpu++)
		CHECK(seen[cpu] == 1);                       /* a permutation */
	/* packages alternate; the first four cover all four nodes */
	for (int i = 0; i < 32; i++)
		CHECK(sb_topology_cpu_node(t, order[i]) / 2 == i % 2);
	CHECK(sb_topology_cpu_node(t, order[0]) == 0 && sb_topology_cpu_node(t, order[1]) == 2);
	CHECK(sb_topology_cpu_node(t, order[2]) == 1 && sb_topology_cpu_node(t, order[3]) == 3);
	/* all 16 cores get one CPU before any core gets its second (pu = cpu % 2) */
	for (int i = 0; i < 32; i++)
		CHECK(order[i] % 2 == (i >= 16));
	CHECK(order[0] == 0 && order[1] == 16 && order[2] == 8 && order[3] == 24 && order[4] == 2);
	sb_topology_free(t);
}

static void check_no_numa_and_other_orders(void)
{
	struct sb_topology *t = load("pack:2 core:2 pu:1");
	int order[4];

	CHECK(sb_topology_nr_nodes(t) == 1);
	for (int cpu = 0; cpu < 4; cpu++)
		CHECK(sb_topology_cpu_node(t, cpu) == 0);
	CHECK(sb_topology_pin_order(t, SB_PIN_SCATTER, order, 4) == 4);
	CHECK(order[0] == 0 && order[1] == 2 && order[2] == 1 && order[3] == 3);
	CHECK(sb_topology_pin_order(t, SB_PIN_NONE, order, 4) == 4 && order[3] == -1);
	CHECK(sb_topology_pin_order(t, SB_PIN_LIST, order, 4) == -1);
	sb_topology_free(t);
}

static void check_env_and_errors(void)
{
	char err[256] = "";
	struct sb_topology *t;

	setenv("SHEAFBENCH_TOPOLOGY", "pack:1 core:3 pu:1", 1);
	t = load(NULL);
	CHECK(sb_topology_is_synthetic(t) && sb_topology_nr_cpus(t) == 3);
	sb_topology_free(t);
	unsetenv("SHEAFBENCH_TOPOLOGY");
	t = load(NULL);
	CHECK(!sb_topology_is_synthetic(t) && sb_topology_nr_cpus(t) >= 1);
	CHECK(sb_current_cpu(t) >= 0 && sb_current_cpu(t) < sb_topology_nr_cpus(t));
	sb_topology_free(t);
	CHECK(sb_topology_load("pack:two", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "pack:two"));
}

static volatile sig_atomic_t cpu_in_handler = -2;
static struct sb_topology *handler_topology;

static void on_signal(int sig)
{
	cpu_in_handler = sb_current_cpu(handler_topology);
}

static void check_virtual_cpu(void)
{
	struct sb_topology *t = load(TWO_BY_TWO);

	sb_set_virtual_cpu(21);
	CHECK(sb_current_cpu(t) == 21);
	handler_topology = t;
	signal(SIGUSR1, on_signal);
	raise(SIGUSR1);
	CHECK(cpu_in_handler == 21);
	sb_set_virtual_cpu(-1);
	CHECK(sb_current_cpu(t) >= 0 && sb_current_cpu(t) < 32);
	sb_topology_free(t);
}

static void check_describe(void)
{
	struct sb_topology *t = load(TWO_BY_TWO);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	sb_topology_describe(t, f);
	fclose(f);
	CHECK(strstr(buf, "2 package(s), 4 NUMA node(s), 16 core(s), 32 PU(s)"));
	CHECK(strstr(buf, "node 3 (os 3): cpus 24-31"));
	CHECK(strstr(buf, "core 0 (os 0): cpus 0-1"));
	free(buf);
	sb_topology_free(t);
}

int main(void)
{
	check_counts_and_nodes();
	check_compact();
	check_scatter();
	check_no_numa_and_other_orders();
	check_env_and_errors();
	check_virtual_cpu();
	check_describe();
	printf("topology: ok\n");
	return 0;
}
