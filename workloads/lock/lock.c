/*
 * cmd_lock(): `sheafbench lock`, run in the worker of the pattern it names.
 * Everything the user can get wrong is checked before a thread starts.
 */
#include <stdlib.h>

#include "lock.h"

static struct sb_topology *topology_or_die(void)
{
	char err[256];
	struct sb_topology *topo = sb_topology_load(NULL, err, sizeof(err));

	if (!topo) {
		fprintf(stderr, "sheafbench lock: cannot read the topology: %s\n", err);
		exit(1);
	}
	return topo;
}

/* Checks that need the machine: the CPUs of a pin list exist. */
static void check_against_machine(const struct lock_args *a, struct sb_topology *topo)
{
	int nr_cpus = sb_topology_nr_cpus(topo);

	for (int i = 0; a->pin.pin == SB_PIN_LIST && i < a->pin.len; i++) {
		if (a->pin.list[i] < nr_cpus)
			continue;
		sb_topology_free(topo);		/* exit(2) follows: leave no leak behind */
		sb_die_usage(LOCK_CMD, "--pin: '%s' names CPU %d (allowed: 0..%d)",
			     a->pin.text, a->pin.list[i], nr_cpus - 1);
	}
}

int cmd_lock(int argc, char **argv)
{
	struct lock_args *a = malloc(sizeof(*a));
	struct lock_result res;
	struct sb_topology *topo;
	int ret;

	if (!a) {
		fprintf(stderr, "sheafbench lock: out of memory\n");
		return 1;
	}
	if (!lock_args_parse(a, argc, argv)) {
		free(a);
		return 0;
	}
	topo = topology_or_die();
	check_against_machine(a, topo);
	sb_busy_calibrate();
	ret = lock_run(a, topo, &res);
	if (ret == 0)
		lock_report(a, &res);
	lock_result_free(&res);
	sb_topology_free(topo);
	free(a);
	return ret == 0 ? 0 : 1;
}
