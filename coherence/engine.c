/* engine.c - the per-line, per-CPU coherence state machine (see coherence.h). */
#include <stdlib.h>
#include <string.h>

#include "coherence.h"

enum coh_state { ST_I, ST_S, ST_E, ST_M, ST_O, ST_F };

static const char state_char[] = "ISEMOF";

struct coh_line {
	uint64_t line;
	uint8_t *state;			/* [nr_cpus] */
	struct coh_counts counts;
};

struct coh_engine {
	enum coh_protocol proto;
	int nr_cpus;
	uint8_t *dist;			/* [nr_cpus * nr_cpus] enum coh_dist */
	struct coh_counts *cpu;		/* [nr_cpus] */
	struct coh_line *lines;		/* first-touch order */
	size_t nr_lines, cap_lines;
	struct coh_counts *charge;	/* also counted here (coh_access_charge) */
	uint32_t *hash;			/* index + 1 into lines; 0 empty */
	size_t hash_size;		/* power of two, > 2 * nr_lines */
};

/* ---- names ---- */

const char *coh_protocol_name(enum coh_protocol p)
{
	static const char *const names[] = {
#define COH_PROTOCOL_NAME(name, what) #name,
		COH_FOR_EACH_PROTOCOL(COH_PROTOCOL_NAME)
#undef COH_PROTOCOL_NAME
	};

	return (unsigned int)p < COH_NR_PROTOCOLS ? names[p] : "?";
}

int coh_protocol_from_name(const char *name)
{
	for (int p = 0; p < COH_NR_PROTOCOLS; p++)
		if (name && !strcmp(name, coh_protocol_name((enum coh_protocol)p)))
			return p;
	return -1;
}

const char *coh_dist_name(enum coh_dist d)
{
	static const char *const names[] = {
#define COH_DIST_NAME(name) #name,
		COH_FOR_EACH_DIST(COH_DIST_NAME)
#undef COH_DIST_NAME
	};

	return (unsigned int)d < COH_NR_DIST ? names[d] : "?";
}

const char *coh_counter_name(enum coh_counter c)
{
	static const char *const names[] = {
#define COH_COUNTER_NAME(name, what) #name,
		COH_FOR_EACH_COUNTER(COH_COUNTER_NAME)
#undef COH_COUNTER_NAME
	};

	return (unsigned int)c < COH_NR_COUNTERS ? names[c] : "?";
}

void coh_counts_add(struct coh_counts *sum, const struct coh_counts *c)
{
	for (int i = 0; i < COH_NR_COUNTERS; i++) {
		sum->n[i] += c->n[i];
		for (int d = 0; d < COH_NR_DIST; d++)
			sum->by_dist[i][d] += c->by_dist[i][d];
	}
}

/* ---- engine life ---- */

struct coh_engine *coh_engine_new(enum coh_protocol proto, int nr_cpus, coh_dist_fn dist,
				  void *dist_arg)
{
	struct coh_engine *e;

	if ((unsigned int)proto >= COH_NR_PROTOCOLS || nr_cpus <= 0 || nr_cpus > 65536)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->proto = proto;
	e->nr_cpus = nr_cpus;
	e->dist = malloc((size_t)nr_cpus * nr_cpus);
	e->cpu = calloc(nr_cpus, sizeof(*e->cpu));
	e->hash_size = 64;
	e->hash = calloc(e->hash_size, sizeof(*e->hash));
	if (!e->dist || !e->cpu || !e->hash) {
		coh_engine_free(e);
		return NULL;
	}
	for (int a = 0; a < nr_cpus; a++)
		for (int b = 0; b < nr_cpus; b++)
			e->dist[(size_t)a * nr_cpus + b] =
				dist ? (uint8_t)dist(a, b, dist_arg) : COH_DIST_other_package;
	return e;
}

void coh_engine_free(struct coh_engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nr_lines; i++)
		free(e->lines[i].state);
	free(e->lines);
	free(e->hash);
	free(e->cpu);
	free(e->dist);
	free(e);
}

/* ---- line table ---- */

static size_t line_hash(uint64_t line, size_t size)
{
	return (size_t)((line * 0x9e3779b97f4a7c15ull) >> 17) & (size - 1);
}

static bool hash_grow(struct coh_engine *e)
{
	size_t size = e->hash_size * 2;
	uint32_t *h = calloc(size, sizeof(*h));

	if (!h)
		return false;
	for (size_t i = 0; i < e->nr_lines; i++) {
		size_t j = line_hash(e->lines[i].line, size);

		while (h[j])
			j = (j + 1) & (size - 1);
		h[j] = (uint32_t)(i + 1);
	}
	free(e->hash);
	e->hash = h;
	e->hash_size = size;
	return true;
}

static struct coh_line *line_find(const struct coh_engine *e, uint64_t line)
{
	size_t j = line_hash(line, e->hash_size);

	for (; e->hash[j]; j = (j + 1) & (e->hash_size - 1))
		if (e->lines[e->hash[j] - 1].line == line)
			return &e->lines[e->hash[j] - 1];
	return NULL;
}

static struct coh_line *line_get(struct coh_engine *e, uint64_t line)
{
	struct coh_line *l = line_find(e, line);
	size_t j;

	if (l)
		return l;
	if (e->nr_lines >= UINT32_MAX - 1)
		return NULL;
	if (2 * (e->nr_lines + 1) > e->hash_size && !hash_grow(e))
		return NULL;
	if (e->nr_lines == e->cap_lines) {
		size_t cap = e->cap_lines ? 2 * e->cap_lines : 16;
		struct coh_line *n = realloc(e->lines, cap * sizeof(*n));

		if (!n)
			return NULL;
		e->lines = n;
		e->cap_lines = cap;
	}
	l = &e->lines[e->nr_lines];
	*l = (struct coh_line){ .line = line, .state = calloc(e->nr_cpus, 1) };
	if (!l->state)
		return NULL;
	for (j = line_hash(line, e->hash_size); e->hash[j]; j = (j + 1) & (e->hash_size - 1))
		;
	e->hash[j] = (uint32_t)(++e->nr_lines);
	return l;
}

/* ---- the protocol ---- */

/* Count event @c for requester @cpu on line @l, involving @other (-1: memory). */
static void count(struct coh_engine *e, struct coh_line *l, int cpu, int other,
		  enum coh_counter c)
{
	enum coh_dist d = other < 0 ? COH_DIST_memory :
			  (enum coh_dist)e->dist[(size_t)cpu * e->nr_cpus + other];

	l->counts.n[c]++;
	l->counts.by_dist[c][d]++;
	e->cpu[cpu].n[c]++;
	e->cpu[cpu].by_dist[c][d]++;
	if (e->charge) {
		e->charge->n[c]++;
		e->charge->by_dist[c][d]++;
	}
}

/* The cache that supplies data to a miss: a dirty copy, else E, else F. */
static int find_supplier(const struct coh_engine *e, const struct coh_line *l, int cpu)
{
	int clean = -1;

	for (int c = 0; c < e->nr_cpus; c++) {
		if (c == cpu)
			continue;
		if (l->state[c] == ST_M || l->state[c] == ST_O)
			return c;
		if (l->state[c] == ST_E || (l->state[c] == ST_F && e->proto == COH_mesif))
			clean = c;
	}
	return clean;
}

static bool any_other_copy(const struct coh_engine *e, const struct coh_line *l, int cpu)
{
	for (int c = 0; c < e->nr_cpus; c++)
		if (c != cpu && l->state[c] != ST_I)
			return true;
	return false;
}

static void read_miss(struct coh_engine *e, struct coh_line *l, int cpu)
{
	int src = find_supplier(e, l, cpu);
	bool shared = any_other_copy(e, l, cpu);

	if (src < 0) {
		count(e, l, cpu, -1, COH_C_mem_fills);
		/* MESIF: the newest reader of a shared line forwards next time */
		l->state[cpu] = !shared ? ST_E : e->proto == COH_mesif ? ST_F : ST_S;
		return;
	}
	count(e, l, cpu, src, COH_C_xfers);
	switch (l->state[src]) {
	case ST_M:
		count(e, l, cpu, src, COH_C_hitm_fills);
		if (e->proto == COH_moesi) {
			l->state[src] = ST_O;
		} else {
			count(e, l, cpu, src, COH_C_writebacks);
			l->state[src] = ST_S;
		}
		break;
	case ST_O:
		count(e, l, cpu, src, COH_C_hitm_fills);
		break;			/* the owner stays O */
	default:			/* E, or F under MESIF */
		count(e, l, cpu, src, COH_C_clean_fills);
		l->state[src] = ST_S;
		break;
	}
	l->state[cpu] = e->proto == COH_mesif ? ST_F : ST_S;
	if (e->proto == COH_mesif)	/* F moves to the new reader: only one F */
		for (int c = 0; c < e->nr_cpus; c++)
			if (c != cpu && l->state[c] == ST_F)
				l->state[c] = ST_S;
}

/* Write or RMW: end in M, every other copy invalidated. */
static void write_access(struct coh_engine *e, struct coh_line *l, int cpu)
{
	enum coh_state s = l->state[cpu];

	if (s == ST_M || s == ST_E) {		/* hit; E -> M is silent */
		l->state[cpu] = ST_M;
		return;
	}
	if (s == ST_I) {
		int src = find_supplier(e, l, cpu);

		count(e, l, cpu, src, COH_C_rfos);
		if (src >= 0)
			count(e, l, cpu, src, COH_C_xfers);
	} else {
		int far = -1;		/* the farthest copy decides the upgrade's class */

		for (int c = 0; c < e->nr_cpus; c++)
			if (c != cpu && l->state[c] != ST_I &&
			    (far < 0 || e->dist[(size_t)cpu * e->nr_cpus + c] >
					e->dist[(size_t)cpu * e->nr_cpus + far]))
				far = c;
		count(e, l, cpu, far, COH_C_upgrades);
	}
	for (int c = 0; c < e->nr_cpus; c++) {
		if (c == cpu || l->state[c] == ST_I)
			continue;
		count(e, l, cpu, c, COH_C_invals);
		l->state[c] = ST_I;
	}
	l->state[cpu] = ST_M;
}

bool coh_access_charge(struct coh_engine *e, int cpu, uint64_t line, enum coh_access a,
		       struct coh_counts *charge)
{
	bool ok;

	e->charge = charge;
	ok = coh_access(e, cpu, line, a);
	e->charge = NULL;
	return ok;
}

bool coh_access(struct coh_engine *e, int cpu, uint64_t line, enum coh_access a)
{
	struct coh_line *l;

	if (cpu < 0 || cpu >= e->nr_cpus)
		return false;
	l = line_get(e, line);
	if (!l)
		return false;
	switch (a) {
	case COH_READ:
		l->counts.n[COH_C_reads]++;
		e->cpu[cpu].n[COH_C_reads]++;
		if (e->charge)
			e->charge->n[COH_C_reads]++;
		if (l->state[cpu] == ST_I)
			read_miss(e, l, cpu);
		break;
	case COH_WRITE:
	case COH_RMW: {
		enum coh_counter c = a == COH_WRITE ? COH_C_writes : COH_C_rmws;

		l->counts.n[c]++;
		e->cpu[cpu].n[c]++;
		if (e->charge)
			e->charge->n[c]++;
		write_access(e, l, cpu);
		break;
	}
	default:
		return false;
	}
	return true;
}

/* ---- reading the results ---- */

void coh_engine_total(const struct coh_engine *e, struct coh_counts *out)
{
	memset(out, 0, sizeof(*out));
	for (int c = 0; c < e->nr_cpus; c++)
		coh_counts_add(out, &e->cpu[c]);
}

const struct coh_counts *coh_engine_cpu(const struct coh_engine *e, int cpu)
{
	return cpu >= 0 && cpu < e->nr_cpus ? &e->cpu[cpu] : NULL;
}

size_t coh_engine_nr_lines(const struct coh_engine *e)
{
	return e->nr_lines;
}

bool coh_engine_line(const struct coh_engine *e, size_t i, uint64_t *line,
		     const struct coh_counts **counts)
{
	if (i >= e->nr_lines)
		return false;
	*line = e->lines[i].line;
	*counts = &e->lines[i].counts;
	return true;
}

char coh_engine_state(const struct coh_engine *e, int cpu, uint64_t line)
{
	const struct coh_line *l = line_find(e, line);

	if (cpu < 0 || cpu >= e->nr_cpus || !l)
		return 'I';
	return state_char[l->state[cpu]];
}

static void counts_print(const char *what, const struct coh_counts *c, FILE *out)
{
	fprintf(out, "%s", what);
	for (int i = 0; i < COH_NR_COUNTERS; i++) {
		fprintf(out, " %s=%llu", coh_counter_name((enum coh_counter)i),
			(unsigned long long)c->n[i]);
		for (int d = 0; d < COH_NR_DIST; d++)
			if (c->by_dist[i][d])
				fprintf(out, " %s.%s=%llu", coh_counter_name((enum coh_counter)i),
					coh_dist_name((enum coh_dist)d),
					(unsigned long long)c->by_dist[i][d]);
	}
	fputc('\n', out);
}

void coh_engine_print(const struct coh_engine *e, FILE *out)
{
	struct coh_counts total;
	char what[64];

	coh_engine_total(e, &total);
	fprintf(out, "protocol %s cpus %d lines %zu\n", coh_protocol_name(e->proto), e->nr_cpus,
		e->nr_lines);
	counts_print("total", &total, out);
	for (size_t i = 0; i < e->nr_lines; i++) {
		snprintf(what, sizeof(what), "line %zu", i);	/* index, not address: stable */
		counts_print(what, &e->lines[i].counts, out);
	}
	for (int c = 0; c < e->nr_cpus; c++) {
		snprintf(what, sizeof(what), "cpu %d", c);
		counts_print(what, &e->cpu[c], out);
	}
}
