/* SPDX-License-Identifier: MIT */
/*
 * core.c - layer 3: what every layer above reads.  The global configuration
 * (sa: topology, CPU and node counts, sheaf and barn limits), the CPU map of
 * this_cpu(), the per-thread queue node and lock-site counting, the list of
 * caches, slab_bug().  Written once by sheafalloc_init() through
 * sa_setup(); everything above only reads it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>

#include "internal.h"

#if SB_PCS_RSEQ
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

struct sheafalloc_global sa;
SB_TLS bool defer_pending;

static pthread_mutex_t cache_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct kmem_cache *cache_list;

/* ---- per-thread queue node for the normal (spinning) lock paths ---- */

static SB_TLS struct sb_qnode tls_qnode;
static SB_TLS bool tls_qnode_ready;
static pthread_key_t qnode_key;
static pthread_once_t qnode_key_once = PTHREAD_ONCE_INIT;

/*
 * Runs in the exiting thread.  Another key's destructor may still allocate
 * after it: thread_qnode() then registers the node again and re-arms the key,
 * whose destructor glibc runs in its next round, instead of handing out a
 * released node that qspin would register with nothing to release it.
 */
static void qnode_release(void *p)
{
	sb_qnode_fini(p);
	tls_qnode_ready = false;
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

void trylock_fail_split(struct kmem_cache *s, int cpu, const atomic_uintptr_t *holder,
			enum sheafalloc_stat_item reentrant, enum sheafalloc_stat_item cross)
{
	/* Racy read: a re-entrant holder cannot release while its handler runs. */
	bool self = atomic_load_explicit(holder, memory_order_relaxed) == this_thread_token();

	stat_add(s, cpu, self ? reentrant : cross, 1);
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


/* ---- kmalloc size classes (read by cache.c for sheaf sizes, kmalloc.c) ---- */

const unsigned int kmalloc_sizes[KMALLOC_NR_BUCKETS] = {
	8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192,
};

/* Bucket of sizes (8i, 8i+8], i = (size - 1) / 8, for sizes 1..192. */
const unsigned char size_index[24] = {
	0, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4,	/* 8 16 32 32 64x4 96x4 */
	5, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 6,	/* 128x4 192x8 */
};

unsigned int kmalloc_index(size_t size)
{
	if (!size || size > KMALLOC_MAX_CACHE_SIZE)
		return KMALLOC_NR_BUCKETS;
	if (size <= 192)
		return size_index[(size - 1) / 8];
	return (unsigned int)(64 - __builtin_clzl(size - 1)) - 1;	/* 2^k >= size, k = 8..13 */
}

/* ---- topology and the CPU map ---- */

/* Topology CPU i is OS CPU i for every i: the rseq cpu_id is the index itself. */
static bool cpu_map_is_identity(void)
{
	for (int cpu = 0; cpu < sa.nr_cpus; cpu++)
		if (sb_topology_os_cpu(sa.topo, cpu) != cpu)
			return false;
	return true;
}

/*
 * The per-CPU lock by rseq commit needs every thread's cpu_id (direct map)
 * and a way to fence other CPUs' critical sections from a remote locker:
 * membarrier's expedited rseq command, registered once here.  Anything
 * missing keeps the xchg, for the whole run.
 */
static void pcs_rseq_setup(void)
{
	sa.pcs_rseq = false;
#if SB_PCS_RSEQ
	int cmds;

	if (!sa.cpu_direct || getenv("SHEAFALLOC_PCS_XCHG"))
		return;
	cmds = (int)syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	if (cmds < 0 || !(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ))
		return;
	if (syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0))
		return;
	sa.pcs_rseq = true;
#endif
}

/*
 * The rseq fast path of this_cpu(): this machine's topology and a registered
 * rseq area.  Dense identity ids index the per-CPU arrays directly; anything
 * else goes through cpu_of_os[].
 */
static void cpu_map_setup(void)
{
	int max_os = -1;

	sa.cpu_of_os = NULL;
	sa.nr_os = 0;
	sa.cpu_direct = false;
#if SB_HAVE_RSEQ
	if (sb_topology_is_synthetic(sa.topo) || __rseq_size < 8)
		return;
	sa.rseq_off = __rseq_offset;
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
	sa.cpu_direct = sa.nr_os == (unsigned int)sa.nr_cpus && cpu_map_is_identity();
#else
	(void)max_os;
	(void)cpu_map_is_identity;
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
	pcs_rseq_setup();
	return 0;
}

void sa_teardown(void)
{
	free(sa.defer);
	sa.defer = NULL;
	free(sa.cpu_of_os);
	sa.cpu_of_os = NULL;
	sa.nr_os = 0;
	sa.cpu_direct = false;
	sa.pcs_rseq = false;
	if (sa.owned_topo)
		sb_topology_free(sa.owned_topo);
	sa.owned_topo = NULL;
	sa.topo = NULL;
}

/* sheafalloc_init(): the topology, CPU map and limits of a validated config. */
int sa_setup(const struct sheafalloc_config *cfg)
{
	int err = topology_setup(cfg);

	if (err)
		return err;
	sa.defer = aligned_alloc(SB_CACHELINE, sizeof(*sa.defer) * (size_t)sa.nr_cpus);
	if (!sa.defer) {
		sa_teardown();
		return -ENOMEM;
	}
	memset(sa.defer, 0, sizeof(*sa.defer) * (size_t)sa.nr_cpus);
	sb_lm_site_register(sa.defer, sizeof(*sa.defer) * (size_t)sa.nr_cpus, "defer");
	sa.sheaf_capacity = cfg->sheaf_capacity;
	sa.barn_max_full = cfg->barn_max_full;
	sa.barn_max_empty = cfg->barn_max_empty;
	return 0;
}
