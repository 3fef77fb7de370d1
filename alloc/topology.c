/*
 * topology.c - layer 1: CPU topology from hwloc, dense CPU numbering, CPU->node
 * mapping and pin orders.  Everything is computed once at load time into plain
 * arrays, so lookups (sb_current_cpu in a signal handler included) never call
 * into hwloc.
 */
#define _GNU_SOURCE
#include "topology.h"

#include <errno.h>
#include <hwloc.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

struct sb_topology {
	hwloc_topology_t hw;
	bool synthetic;           /* not this machine: synthetic string or XML */
	int nr_cpus, nr_nodes, nr_packages, nr_cores;
	int *os_cpu;              /* [cpu] OS index, for pinning */
	int *node;                /* [cpu] NUMA node logical index */
	int *compact;             /* [rank] cpu: topology order */
	int *scatter;             /* [rank] cpu: spread-first order */
	int *cpu_of_os;           /* [os index] cpu, -1 if not in the topology */
	int max_os;               /* size of cpu_of_os */
};

/* Initial-exec TLS: a plain %fs-relative load, safe in a signal handler. */
static __thread int virtual_cpu __attribute__((tls_model("initial-exec"))) = -1;

static int nr_objs(hwloc_topology_t hw, hwloc_obj_type_t type)
{
	int n = hwloc_get_nbobjs_by_type(hw, type);

	return n > 0 ? n : 0;
}

static int cpu_of_pu(const struct sb_topology *t, unsigned os)
{
	return (int)os < t->max_os ? t->cpu_of_os[os] : -1;
}

static int alloc_arrays(struct sb_topology *t)
{
	int n = t->nr_cpus;

	t->os_cpu = calloc(n, sizeof(int));
	t->node = calloc(n, sizeof(int));
	t->compact = calloc(n, sizeof(int));
	t->scatter = calloc(n, sizeof(int));
	return t->os_cpu && t->node && t->compact && t->scatter ? 0 : -ENOMEM;
}

static int map_cpus(struct sb_topology *t)
{
	int max_os = 0;

	for (int cpu = 0; cpu < t->nr_cpus; cpu++) {
		hwloc_obj_t pu = hwloc_get_obj_by_type(t->hw, HWLOC_OBJ_PU, cpu);

		t->os_cpu[cpu] = (int)pu->os_index;
		t->compact[cpu] = cpu;    /* logical PU order is the topology order */
		if ((int)pu->os_index >= max_os)
			max_os = (int)pu->os_index + 1;
	}
	t->max_os = max_os;
	t->cpu_of_os = malloc(max_os * sizeof(int));
	if (!t->cpu_of_os)
		return -ENOMEM;
	for (int os = 0; os < max_os; os++)
		t->cpu_of_os[os] = -1;
	for (int cpu = 0; cpu < t->nr_cpus; cpu++)
		t->cpu_of_os[t->os_cpu[cpu]] = cpu;
	return 0;
}

/* hwloc 2 attaches NUMA nodes as memory children; map them via their cpusets. */
static void map_nodes(struct sb_topology *t)
{
	int nodes = nr_objs(t->hw, HWLOC_OBJ_NUMANODE);

	t->nr_nodes = nodes ? nodes : 1;
	for (int i = 0; i < nodes; i++) {
		hwloc_obj_t node = hwloc_get_obj_by_type(t->hw, HWLOC_OBJ_NUMANODE, i);
		unsigned os;

		if (!node->cpuset)
			continue;
		hwloc_bitmap_foreach_begin(os, node->cpuset) {
			int cpu = cpu_of_pu(t, os);

			if (cpu >= 0)
				t->node[cpu] = i;
		} hwloc_bitmap_foreach_end();
	}
}

/*
 * Spread-first order of the PUs below obj: take one PU from each child in
 * turn, each child's own PUs being in its spread-first order.  On a symmetric
 * tree this reverses the digits of the logical index: packages alternate
 * fastest, then nodes, then cores, then hyperthread siblings.
 */
static int scatter_below(const struct sb_topology *t, hwloc_obj_t obj, int *out)
{
	if (obj->type == HWLOC_OBJ_PU) {
		out[0] = cpu_of_pu(t, obj->os_index);
		return out[0] >= 0;
	}
	if (obj->arity == 1)
		return scatter_below(t, obj->children[0], out);

	int total = 0, *len = calloc(obj->arity, sizeof(int));
	int **sub = calloc(obj->arity, sizeof(int *));

	for (unsigned c = 0; c < obj->arity && len && sub; c++) {
		int w = hwloc_bitmap_weight(obj->children[c]->cpuset);

		sub[c] = malloc((w > 0 ? w : 1) * sizeof(int));
		if (sub[c])
			len[c] = scatter_below(t, obj->children[c], sub[c]);
	}
	for (int round = 0, more = 1; more && len && sub; round++) {
		more = 0;
		for (unsigned c = 0; c < obj->arity; c++) {
			if (round < len[c])
				out[total++] = sub[c][round];
			more |= round + 1 < len[c];
		}
	}
	for (unsigned c = 0; sub && c < obj->arity; c++)
		free(sub[c]);
	free(sub);
	free(len);
	return total;
}

static int setup_source(struct sb_topology *t, const char *synthetic, char *err, size_t errlen)
{
	const char *env = getenv("SHEAFBENCH_TOPOLOGY");
	const char *src = synthetic ? synthetic : (env && *env ? env : NULL);
	size_t n;

	if (!src)
		return 0;
	t->synthetic = true;
	n = strlen(src);
	if (src[0] == '/' || (n > 4 && !strcmp(src + n - 4, ".xml"))) {
		if (hwloc_topology_set_xml(t->hw, src) == 0)
			return 0;
		snprintf(err, errlen, "cannot read hwloc XML topology '%s': %s", src, strerror(errno));
		return -1;
	}
	if (hwloc_topology_set_synthetic(t->hw, src) == 0)
		return 0;
	snprintf(err, errlen, "'%s' is not a valid hwloc synthetic topology "
		 "(e.g. \"pack:2 numa:2 core:4 pu:2\")", src);
	return -1;
}

static int build(struct sb_topology *t, char *err, size_t errlen)
{
	t->nr_cpus = nr_objs(t->hw, HWLOC_OBJ_PU);
	t->nr_packages = nr_objs(t->hw, HWLOC_OBJ_PACKAGE);
	t->nr_cores = nr_objs(t->hw, HWLOC_OBJ_CORE);
	if (t->nr_packages == 0)
		t->nr_packages = 1;
	if (t->nr_cores == 0)
		t->nr_cores = t->nr_cpus;
	if (t->nr_cpus <= 0) {
		snprintf(err, errlen, "the topology has no CPUs");
		return -1;
	}
	if (alloc_arrays(t) || map_cpus(t)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	map_nodes(t);
	if (scatter_below(t, hwloc_get_root_obj(t->hw), t->scatter) != t->nr_cpus) {
		snprintf(err, errlen, "the topology tree does not cover its %d CPUs", t->nr_cpus);
		return -1;
	}
	return 0;
}

struct sb_topology *sb_topology_load(const char *synthetic, char *err, size_t errlen)
{
	struct sb_topology *t = calloc(1, sizeof(*t));

	if (!t || hwloc_topology_init(&t->hw)) {
		snprintf(err, errlen, "cannot initialise hwloc");
		free(t);
		return NULL;
	}
	if (setup_source(t, synthetic, err, errlen))
		goto fail;
	if (hwloc_topology_load(t->hw)) {
		snprintf(err, errlen, "hwloc cannot load the topology: %s", strerror(errno));
		goto fail;
	}
	if (build(t, err, errlen))
		goto fail;
	return t;
fail:
	sb_topology_free(t);
	return NULL;
}

void sb_topology_free(struct sb_topology *t)
{
	if (!t)
		return;
	hwloc_topology_destroy(t->hw);
	free(t->os_cpu);
	free(t->node);
	free(t->compact);
	free(t->scatter);
	free(t->cpu_of_os);
	free(t);
}

int sb_topology_nr_cpus(const struct sb_topology *t) { return t->nr_cpus; }
int sb_topology_nr_nodes(const struct sb_topology *t) { return t->nr_nodes; }
int sb_topology_nr_packages(const struct sb_topology *t) { return t->nr_packages; }
int sb_topology_nr_cores(const struct sb_topology *t) { return t->nr_cores; }
bool sb_topology_is_synthetic(const struct sb_topology *t) { return t->synthetic; }

int sb_topology_cpu_node(const struct sb_topology *t, int cpu)
{
	return cpu >= 0 && cpu < t->nr_cpus ? t->node[cpu] : -1;
}

int sb_topology_os_cpu(const struct sb_topology *t, int cpu)
{
	return cpu >= 0 && cpu < t->nr_cpus ? t->os_cpu[cpu] : -1;
}

int sb_topology_pin_order(const struct sb_topology *t, enum sb_pin pin, int *cpus, int n)
{
	const int *order = pin == SB_PIN_COMPACT ? t->compact :
			   pin == SB_PIN_SCATTER ? t->scatter : NULL;

	if (n < 0 || (pin != SB_PIN_NONE && !order))
		return -1;
	for (int i = 0; i < n; i++)
		cpus[i] = order ? order[i % t->nr_cpus] : -1;
	return n;
}

void sb_set_virtual_cpu(int cpu)
{
	virtual_cpu = cpu;
}

int sb_current_cpu(const struct sb_topology *t)
{
	int os;

	if (virtual_cpu >= 0)
		return virtual_cpu;
	os = sched_getcpu();
	if (os < 0)
		os = 0;
	if (!t)
		return os;
	if (!t->synthetic) {
		int cpu = cpu_of_pu(t, (unsigned)os);

		if (cpu >= 0)
			return cpu;
	}
	return os % t->nr_cpus;
}

/* ---- sb_topology_describe ---- */

/* "0-3,8,10-11": the logical CPUs covered by an OS cpuset. */
static void print_cpu_list(const struct sb_topology *t, hwloc_const_cpuset_t set, FILE *f)
{
	int first = -1, prev = -2, printed = 0;

	for (int cpu = 0; cpu <= t->nr_cpus; cpu++) {
		bool in = cpu < t->nr_cpus && set &&
			  hwloc_bitmap_isset(set, (unsigned)t->os_cpu[cpu]);

		if (in && prev == cpu - 1 && first >= 0) {
			prev = cpu;
			continue;
		}
		if (first >= 0) {
			fprintf(f, "%s%d", printed++ ? "," : "", first);
			if (prev > first)
				fprintf(f, "-%d", prev);
		}
		first = in ? cpu : -1;
		prev = in ? cpu : -2;
	}
	if (!printed)
		fprintf(f, "none");
}

static void print_size(uint64_t bytes, FILE *f)
{
	if (bytes >= (1ull << 30) && !(bytes % (1ull << 30)))
		fprintf(f, "%llu GiB", (unsigned long long)(bytes >> 30));
	else if (bytes >= (1ull << 20))
		fprintf(f, "%llu MiB", (unsigned long long)(bytes >> 20));
	else
		fprintf(f, "%llu KiB", (unsigned long long)(bytes >> 10));
}

static void describe_type(const struct sb_topology *t, hwloc_obj_type_t type,
			  const char *label, FILE *f)
{
	int n = nr_objs(t->hw, type);

	for (int i = 0; i < n; i++) {
		hwloc_obj_t o = hwloc_get_obj_by_type(t->hw, type, i);

		fprintf(f, "  %s %d (os %d): cpus ", label, i, (int)o->os_index);
		print_cpu_list(t, o->cpuset, f);
		if (type == HWLOC_OBJ_NUMANODE && o->attr && o->attr->numanode.local_memory) {
			fprintf(f, ", ");
			print_size(o->attr->numanode.local_memory, f);
		}
		fputc('\n', f);
	}
}

/* Every cache object, outermost level first, with the CPUs sharing it. */
static void describe_caches(const struct sb_topology *t, FILE *f)
{
	int depth = hwloc_topology_get_depth(t->hw);

	for (int d = 0; d < depth; d++) {
		int n = hwloc_get_nbobjs_by_depth(t->hw, d);

		for (int i = 0; i < n; i++) {
			hwloc_obj_t o = hwloc_get_obj_by_depth(t->hw, d, i);
			char name[32];

			if (!hwloc_obj_type_is_cache(o->type))
				continue;
			hwloc_obj_type_snprintf(name, sizeof(name), o, 0);
			fprintf(f, "  %s #%d, ", name, i);
			if (o->attr->cache.size)
				print_size(o->attr->cache.size, f);
			else
				fprintf(f, "size unknown");
			fprintf(f, ", line %u B: shared by cpus ", o->attr->cache.linesize);
			print_cpu_list(t, o->cpuset, f);
			fputc('\n', f);
		}
	}
}

void sb_topology_describe(const struct sb_topology *t, FILE *f)
{
	fprintf(f, "topology%s: %d package(s), %d NUMA node(s), %d core(s), %d PU(s)\n",
		t->synthetic ? " (synthetic)" : "", t->nr_packages, t->nr_nodes,
		t->nr_cores, t->nr_cpus);
	describe_type(t, HWLOC_OBJ_PACKAGE, "package", f);
	describe_type(t, HWLOC_OBJ_NUMANODE, "node", f);
	describe_type(t, HWLOC_OBJ_CORE, "core", f);
	for (int cpu = 0; cpu < t->nr_cpus; cpu++) {
		if (t->os_cpu[cpu] != cpu)     /* only where numberings differ */
			fprintf(f, "  cpu %d: os %d, node %d\n", cpu, t->os_cpu[cpu], t->node[cpu]);
	}
	describe_caches(t, f);
}
