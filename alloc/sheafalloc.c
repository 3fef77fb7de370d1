/* SPDX-License-Identifier: MIT */
/*
 * sheafalloc.c - init/exit, the cache list, and the per-thread lock context.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>

#include "internal.h"

struct sheafalloc_global sa;

static pthread_mutex_t cache_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct kmem_cache *cache_list;

/* ---- per-thread queue node for the normal (spinning) lock paths ---- */

static SB_TLS struct sb_qnode tls_qnode;
static SB_TLS bool tls_qnode_ready;
static pthread_key_t qnode_key;
static pthread_once_t qnode_key_once = PTHREAD_ONCE_INIT;

static void qnode_release(void *p)
{
	sb_qnode_fini(p);
}

static void qnode_key_create(void)
{
	pthread_key_create(&qnode_key, qnode_release);
}

/*
 * Normal context only: registering uses pthread keys (not async-signal-safe), so
 * that the qspin registry slot is given back when the thread exits.
 */
struct sb_qnode *thread_qnode(void)
{
	if (likely(tls_qnode_ready))
		return &tls_qnode;
	pthread_once(&qnode_key_once, qnode_key_create);
	sb_qnode_init(&tls_qnode);
	pthread_setspecific(qnode_key, &tls_qnode);
	tls_qnode_ready = true;
	return &tls_qnode;
}

void lock_site_begin(struct lock_site *ls, bool nolock)
{
	memset(&ls->st, 0, sizeof(ls->st));
	ls->ctx.st = &ls->st;
	ls->ctx.qnode = nolock ? NULL : thread_qnode();
	ls->ctx.cpu = this_cpu();
}

void lock_site_end(struct lock_site *ls, struct sb_lockstat *total)
{
	sb_lockstat_fold_shared(total, &ls->st);
}

/* ---- cache list (normal context only) ---- */

void cache_list_lock(void)
{
	pthread_mutex_lock(&cache_mutex);
}

void cache_list_unlock(void)
{
	pthread_mutex_unlock(&cache_mutex);
}

void cache_list_add(struct kmem_cache *s)
{
	cache_list_lock();
	s->next = cache_list;
	cache_list = s;
	cache_list_unlock();
}

/* Caller holds cache_list_lock(); s may already be off the list. */
void cache_list_del_locked(struct kmem_cache *s)
{
	for (struct kmem_cache **pp = &cache_list; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
}


/* Caller holds cache_list_lock(). */
struct kmem_cache *cache_list_first(void)
{
	return cache_list;
}

_Noreturn void slab_bug(const char *fmt, ...)
{
	va_list ap;

	fputs("sheafalloc: BUG: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* ---- init / exit ---- */

void sheafalloc_config_init(struct sheafalloc_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->sheaf_capacity = SHEAF_CAPACITY_DEFAULT;
	cfg->barn_max_full = BARN_LIMIT_DEFAULT;
	cfg->barn_max_empty = BARN_LIMIT_DEFAULT;
}

static int config_check(const struct sheafalloc_config *cfg)
{
	if (cfg->sheaf_capacity < SHEAF_CAPACITY_DEFAULT || cfg->sheaf_capacity > SHEAF_CAPACITY_MAX) {
		fprintf(stderr, "sheafalloc_init: sheaf_capacity: '%d' must be -1 (default), 0 (off) or 1..%d\n",
			cfg->sheaf_capacity, SHEAF_CAPACITY_MAX);
		return -EINVAL;
	}
	if (cfg->barn_max_full < 0 || cfg->barn_max_empty < 0 ||
	    cfg->barn_max_full > 100000 || cfg->barn_max_empty > 100000) {
		fprintf(stderr, "sheafalloc_init: barn_max_full/barn_max_empty: '%d/%d' must be 0..100000\n",
			cfg->barn_max_full, cfg->barn_max_empty);
		return -EINVAL;
	}
	return 0;
}

/* The rseq fast path of this_cpu(): this machine's topology and a registered rseq area. */
static void cpu_map_setup(void)
{
	int max_os = -1;

	sa.cpu_of_os = NULL;
	sa.nr_os = 0;
#if SB_HAVE_RSEQ
	if (sb_topology_is_synthetic(sa.topo) || __rseq_size < 8)
		return;
	for (int cpu = 0; cpu < sa.nr_cpus; cpu++)
		if (sb_topology_os_cpu(sa.topo, cpu) > max_os)
			max_os = sb_topology_os_cpu(sa.topo, cpu);
	if (max_os < 0 || !(sa.cpu_of_os = malloc(sizeof(int) * (size_t)(max_os + 1))))
		return;
	for (int os = 0; os <= max_os; os++)
		sa.cpu_of_os[os] = -1;
	for (int cpu = 0; cpu < sa.nr_cpus; cpu++) {
		int os = sb_topology_os_cpu(sa.topo, cpu);

		if (os >= 0)
			sa.cpu_of_os[os] = cpu;
	}
	sa.nr_os = (unsigned int)max_os + 1;
#else
	(void)max_os;
#endif
}

static int topology_setup(const struct sheafalloc_config *cfg)
{
	char err[256];

	sa.owned_topo = NULL;
	sa.topo = cfg->topo;
	if (!sa.topo) {
		sa.owned_topo = sb_topology_load(NULL, err, sizeof(err));
		if (!sa.owned_topo) {
			fprintf(stderr, "sheafalloc_init: topology: %s\n", err);
			return -EINVAL;
		}
		sa.topo = sa.owned_topo;
	}
	sa.nr_cpus = sb_topology_nr_cpus(sa.topo);
	sa.nr_nodes = sb_topology_nr_nodes(sa.topo);
	cpu_map_setup();
	return 0;
}

static void topology_teardown(void)
{
	free(sa.cpu_of_os);
	sa.cpu_of_os = NULL;
	sa.nr_os = 0;
	if (sa.owned_topo)
		sb_topology_free(sa.owned_topo);
	sa.owned_topo = NULL;
	sa.topo = NULL;
}

int sheafalloc_init(const struct sheafalloc_config *cfg)
{
	struct sheafalloc_config defaults;
	int err;

	if (sa.up)
		return -EBUSY;
	if (!cfg) {
		sheafalloc_config_init(&defaults);
		cfg = &defaults;
	}
	err = config_check(cfg);
	if (err)
		return err;
	err = topology_setup(cfg);
	if (err)
		return err;
	sa.sheaf_capacity = cfg->sheaf_capacity;
	sa.barn_max_full = cfg->barn_max_full;
	sa.barn_max_empty = cfg->barn_max_empty;
	err = page_alloc_init(sa.topo, &cfg->page);
	if (err)
		goto out_topo;
	sa.up = true;
	stats_reset_retired();
	err = kmalloc_init();
	if (err)
		goto out_page;
	return 0;
out_page:
	sa.up = false;
	page_alloc_exit();
out_topo:
	topology_teardown();
	return err;
}

int sheafalloc_exit(void)
{
	unsigned long leaked;
	bool pages_ok;

	if (!sa.up)
		return 0;
	leaked = kmalloc_exit();
	pages_ok = page_alloc_check_all_free();
	if (!pages_ok)
		fprintf(stderr, "sheafalloc_exit: pages still allocated after every cache was destroyed\n");
	sa.up = false;
	page_alloc_exit();
	topology_teardown();
	return leaked || !pages_ok ? -1 : 0;
}

const struct sb_topology *sheafalloc_topology(void)
{
	return sa.topo;
}
