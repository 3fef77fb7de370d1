/*
 * perf_events.c - per-thread hardware counters around a measured section
 * (design.md section 3, tier 1).
 *
 * Event names are turned into perf_event_attr by a small table of generic
 * names, then by libpfm4 when built with it.  Nothing here is fatal: a machine
 * without a PMU (most VMs) gets a reason string, and an event that cannot be
 * counted reads as SB_PERF_NA, never as 0.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#ifdef SB_HAVE_LIBPFM
#include <perfmon/pfmlib_perf_event.h>
#endif

struct sb_perf {
	int n;                    /* events requested */
	int nr_open;              /* events in the group */
	int fd[SB_PERF_MAX];      /* [group slot]; fd[0] leads */
	int slot[SB_PERF_MAX];    /* [request] group slot, -1 if skipped */
};

static long sys_perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group,
				unsigned long flags)
{
	return syscall(SYS_perf_event_open, attr, pid, cpu, group, flags);
}

static int read_paranoid(void)
{
	FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
	int v = -99;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -99;
		fclose(f);
	}
	return v;
}

/* Why perf_event_open failed with err, in words a user can act on. */
static void explain_errno(int err, char *why, size_t len)
{
	int paranoid;

	switch (err) {
	case ENOENT: case EOPNOTSUPP: case ENODEV:
		snprintf(why, len, "no hardware PMU (virtual machine?)");
		break;
	case EACCES: case EPERM:
		paranoid = read_paranoid();
		if (paranoid == -99)
			snprintf(why, len, "perf_event_open not permitted (perf_event_paranoid unreadable)");
		else
			snprintf(why, len, "perf_event_open not permitted (kernel.perf_event_paranoid = %d; "
				 "2 or less allows counting own threads)", paranoid);
		break;
	case ENOSYS:
		snprintf(why, len, "perf_event_open not available (kernel or seccomp)");
		break;
	default:
		snprintf(why, len, "perf_event_open: %s", strerror(err));
	}
}

bool sb_pmu_available(char *why, size_t len)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_HARDWARE, .size = sizeof(attr),
		.config = PERF_COUNT_HW_CPU_CYCLES,
		.disabled = 1, .exclude_kernel = 1, .exclude_hv = 1,
	};
	long fd = sys_perf_event_open(&attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);

	if (fd < 0) {
		explain_errno(errno, why, len);
		return false;
	}
	close((int)fd);
	snprintf(why, len, "hardware PMU available");
	return true;
}

/* ---- event names -> perf_event_attr ---- */

/*
 * perf's generic names.  Software events exist on every Linux, PMU or not;
 * they count in the kernel (a context switch happens there), so they are
 * opened without exclude_kernel: with it, context-switches would read 0.
 */
static const struct generic_event {
	const char *name, *alias;
	uint32_t type;
	uint64_t config;
} generic_events[] = {
	{ "cycles",           "cpu-cycles",   PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES },
	{ "instructions",     NULL,           PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS },
	{ "cache-misses",     NULL,           PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES },
	{ "cache-references", NULL,           PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES },
	{ "branches",         "branch-instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS },
	{ "branch-misses",    NULL,           PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES },
	{ "task-clock",       NULL,           PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK },
	{ "cpu-clock",        NULL,           PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK },
	{ "context-switches", "cs",           PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES },
	{ "cpu-migrations",   "migrations",   PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS },
	{ "page-faults",      "faults",       PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS },
	{ "minor-faults",     NULL,           PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN },
	{ "major-faults",     NULL,           PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MAJ },
};

#define NR_GENERIC	(sizeof(generic_events) / sizeof(generic_events[0]))

static const struct generic_event *generic_find(const char *name)
{
	for (size_t i = 0; i < NR_GENERIC; i++)
		if (!strcmp(name, generic_events[i].name) ||
		    (generic_events[i].alias && !strcmp(name, generic_events[i].alias)))
			return &generic_events[i];
	return NULL;
}

#ifdef SB_HAVE_LIBPFM
static int pfm_status = -1;
static pthread_once_t pfm_once = PTHREAD_ONCE_INIT;

static void pfm_setup(void)
{
	pfm_status = pfm_initialize();
}

static int encode_pfm(const char *name, struct perf_event_attr *attr, char *why, size_t len)
{
	pfm_perf_encode_arg_t arg;
	int ret;

	pthread_once(&pfm_once, pfm_setup);
	if (pfm_status != PFM_SUCCESS) {
		snprintf(why, len, "%s: libpfm4: %s", name, pfm_strerror(pfm_status));
		return -1;
	}
	memset(&arg, 0, sizeof(arg));
	arg.attr = attr;
	arg.size = sizeof(arg);
	ret = pfm_get_os_event_encoding(name, PFM_PLM3, PFM_OS_PERF_EVENT, &arg);
	if (ret != PFM_SUCCESS) {
		snprintf(why, len, "%s: not on this CPU (libpfm4: %s)", name, pfm_strerror(ret));
		return -1;
	}
	return 0;
}
#else
static int encode_pfm(const char *name, struct perf_event_attr *attr, char *why, size_t len)
{
	snprintf(why, len, "%s: unknown (built without libpfm4: only generic names)", name);
	return -1;
}
#endif

static int encode_event(const char *name, struct perf_event_attr *attr, char *why, size_t len)
{
	const struct generic_event *g = generic_find(name);

	memset(attr, 0, sizeof(*attr));
	if (g) {
		attr->type = g->type;
		attr->config = g->config;
		attr->exclude_kernel = g->type != PERF_TYPE_SOFTWARE;
		attr->exclude_hv = 1;
		return 0;
	}
	return encode_pfm(name, attr, why, len);
}

bool sb_perf_event_known(const char *name, char *why, size_t len)
{
	struct perf_event_attr attr;

	return encode_event(name, &attr, why, len) == 0;
}

void sb_perf_generic_names(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < NR_GENERIC && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
				 generic_events[i].name);
}

/* ---- the group ---- */

static void append_reason(char *why, size_t len, const char *reason)
{
	size_t used = strlen(why);

	if (used + 1 < len)
		snprintf(why + used, len - used, "%s%s", used ? "; " : "", reason);
}

/* Opens one event into the group; returns its fd or -1 with a reason. */
static int open_member(struct sb_perf *p, const char *name, char *reason, size_t len)
{
	struct perf_event_attr attr;
	char err[160];
	long fd;

	if (encode_event(name, &attr, reason, len))
		return -1;
	attr.size = sizeof(attr);
	attr.disabled = p->nr_open == 0;        /* the leader gates the group */
	attr.read_format = PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED |
			   PERF_FORMAT_TOTAL_TIME_RUNNING;
	fd = sys_perf_event_open(&attr, 0, -1, p->nr_open ? p->fd[0] : -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		explain_errno(errno, err, sizeof(err));
		snprintf(reason, len, "%s: %s", name, err);
		return -1;
	}
	return (int)fd;
}

struct sb_perf *sb_perf_open(const char *const *events, int n, char *why, size_t len)
{
	struct sb_perf *p = calloc(1, sizeof(*p));
	char reason[256];

	if (len)
		why[0] = '\0';
	if (!p || n <= 0 || n > SB_PERF_MAX) {
		snprintf(why, len, n > SB_PERF_MAX ? "too many events (at most 16)" : "no events");
		free(p);
		return NULL;
	}
	p->n = n;
	for (int i = 0; i < n; i++) {
		int fd = open_member(p, events[i], reason, sizeof(reason));

		p->slot[i] = fd < 0 ? -1 : p->nr_open;
		if (fd < 0)
			append_reason(why, len, reason);
		else
			p->fd[p->nr_open++] = fd;
	}
	if (!p->nr_open) {
		free(p);
		return NULL;
	}
	return p;
}

void sb_perf_start(struct sb_perf *p)
{
	if (!p)
		return;
	ioctl(p->fd[0], PERF_EVENT_IOC_RESET, PERF_IOC_FLAG_GROUP);
	ioctl(p->fd[0], PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP);
}

void sb_perf_stop(struct sb_perf *p)
{
	if (p)
		ioctl(p->fd[0], PERF_EVENT_IOC_DISABLE, PERF_IOC_FLAG_GROUP);
}

/*
 * The group is scheduled as a whole, so one enabled/running pair scales every
 * value; a group that never ran (time_running 0) was not measured at all.
 */
int sb_perf_read(struct sb_perf *p, uint64_t *vals)
{
	uint64_t buf[3 + SB_PERF_MAX];
	double scale;
	int counted = 0;

	if (!p)
		return -1;
	for (int i = 0; i < p->n; i++)
		vals[i] = SB_PERF_NA;
	if (read(p->fd[0], buf, sizeof(buf)) < (ssize_t)(3 * sizeof(uint64_t)) ||
	    buf[0] != (uint64_t)p->nr_open)
		return -1;
	if (!buf[2])
		return 0;
	scale = (double)buf[1] / (double)buf[2];
	for (int i = 0; i < p->n; i++) {
		if (p->slot[i] < 0)
			continue;
		vals[i] = (uint64_t)((double)buf[3 + p->slot[i]] * scale + 0.5);
		counted++;
	}
	return counted;
}

void sb_perf_close(struct sb_perf *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->nr_open; i++)
		close(p->fd[i]);
	free(p);
}

/* ---- default events: cycles, instructions, and the vendor's coherence events ---- */

enum cpu_vendor { VENDOR_OTHER, VENDOR_INTEL, VENDOR_AMD };

static enum cpu_vendor cpu_vendor(void)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned int eax, ebx, ecx, edx;
	char id[13];

	if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx))
		return VENDOR_OTHER;
	memcpy(id, &ebx, 4);
	memcpy(id + 4, &edx, 4);
	memcpy(id + 8, &ecx, 4);
	id[12] = '\0';
	if (!strcmp(id, "GenuineIntel"))
		return VENDOR_INTEL;
	if (!strcmp(id, "AuthenticAMD") || !strcmp(id, "HygonGenuine"))
		return VENDOR_AMD;
#endif
	return VENDOR_OTHER;
}

/*
 * One line of coherence traffic each, with the names libpfm4 uses on
 * different generations; the first one this CPU knows is taken.
 */
static const char *const intel_events[][3] = {
	/* loads served by a line forwarded (modified) from another core's cache */
	{ "MEM_LOAD_L3_HIT_RETIRED:XSNP_FWD", "MEM_LOAD_L3_HIT_RETIRED:XSNP_HITM", NULL },
	/* RFOs (stores, atomics) that hit a modified line in another core */
	{ "OFFCORE_RESPONSE_0:DMND_RFO:L3_HITM", "OFFCORE_RESPONSE_0:DMND_RFO:SNP_HITM", NULL },
};
static const char *const amd_events[][3] = {
	/* ls_any_fills_from_sys: from another core's cache in this CCX/node/remote node */
	{ "ANY_DATA_CACHE_FILLS_FROM_SYSTEM:INT_CACHE", "ANY_DATA_CACHE_FILLS_FROM_SYSTEM:LOCAL_CCX", NULL },
	{ "ANY_DATA_CACHE_FILLS_FROM_SYSTEM:EXT_CACHE_LCL",
	  "ANY_DATA_CACHE_FILLS_FROM_SYSTEM:NEAR_CACHE_NEAR_FAR", NULL },
	{ "ANY_DATA_CACHE_FILLS_FROM_SYSTEM:EXT_CACHE_RMT",
	  "ANY_DATA_CACHE_FILLS_FROM_SYSTEM:FAR_CACHE_NEAR_FAR", NULL },
};

static const char *default_list[2 + 3];
static int default_n;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

static bool event_known(const char *name)
{
	char why[160];

	return sb_perf_event_known(name, why, sizeof(why));
}

/* A name libpfm knows, else the first (sb_perf_open then says why it is skipped). */
static const char *pick_event(const char *const *alternatives)
{
	for (int i = 0; alternatives[i]; i++)
		if (event_known(alternatives[i]))
			return alternatives[i];
	return alternatives[0];
}

static void choose_defaults(void)
{
	enum cpu_vendor v = cpu_vendor();

	default_list[default_n++] = "cycles";
	default_list[default_n++] = "instructions";
	if (v == VENDOR_INTEL)
		for (size_t i = 0; i < sizeof(intel_events) / sizeof(intel_events[0]); i++)
			default_list[default_n++] = pick_event(intel_events[i]);
	if (v == VENDOR_AMD)
		for (size_t i = 0; i < sizeof(amd_events) / sizeof(amd_events[0]); i++)
			default_list[default_n++] = pick_event(amd_events[i]);
}

const char *const *sb_perf_default_events(int *n)
{
	pthread_once(&default_once, choose_defaults);
	*n = default_n;
	return default_list;
}
