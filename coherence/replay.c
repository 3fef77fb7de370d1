/* replay.c - per-thread trace buffers merged into one order and run through the
 * engine; accesses whose order the clocks cannot tell are replayed both ways.
 *
 * Merge: a k-way merge by TSC that keeps each thread's program order even where
 * its TSC stepped back (ties: lower trace index first), so one trace always gives
 * the same order.  Ambiguity: two consecutive accesses to one line from different
 * CPUs closer than the skew bound may have happened the other way round.  Lines
 * do not interact in the model, so the second order swaps every such pair (each
 * access in at most one pair) within its line and replays again; each counter's
 * range is [min, max] of the two replays.
 */
#include <stdlib.h>
#include <string.h>

#include "coherence.h"

struct ent {
	uint64_t tsc;
	uint32_t trace;
	uint32_t pos;
};

enum coh_access coh_access_of(const struct sb_lm_rec *r)
{
	switch (sb_lm_op_class(r->op)) {
	case 'w':
		return COH_WRITE;
	case 'x':
		return COH_RMW;
	default:
		return COH_READ;
	}
}

static struct ent *merge(const struct coh_trace *t, int nr, size_t total)
{
	struct ent *order = malloc((total ? total : 1) * sizeof(*order));
	size_t *head = calloc(nr ? nr : 1, sizeof(*head));

	if (!order || !head) {
		free(order);
		free(head);
		return NULL;
	}
	for (size_t k = 0; k < total; k++) {
		int best = -1;

		for (int i = 0; i < nr; i++)
			if (head[i] < t[i].n &&
			    (best < 0 || t[i].rec[head[i]].tsc < t[best].rec[head[best]].tsc))
				best = i;
		order[k] = (struct ent){ .tsc = t[best].rec[head[best]].tsc,
					 .trace = (uint32_t)best, .pos = (uint32_t)head[best] };
		head[best]++;
	}
	free(head);
	return order;
}

static const struct sb_lm_rec *ent_rec(const struct coh_trace *t, const struct ent *e)
{
	return &t[e->trace].rec[e->pos];
}

/* Last access seen per line: open addressing, line + 1 as key (0: empty). */
struct last_map {
	uint64_t *key;
	size_t *idx;			/* index into the order */
	size_t size;
};

static size_t *last_slot(struct last_map *m, uint64_t line)
{
	size_t j = (size_t)((line * 0x9e3779b97f4a7c15ull) >> 20) & (m->size - 1);

	while (m->key[j] && m->key[j] != line + 1)
		j = (j + 1) & (m->size - 1);
	if (!m->key[j]) {
		m->key[j] = line + 1;
		m->idx[j] = SIZE_MAX;
	}
	return &m->idx[j];
}

/* Swap every ambiguous pair in @order; returns how many there were. */
static uint64_t swap_ambiguous(const struct coh_trace *t, struct ent *order, size_t total,
			       uint64_t skew, bool *nomem)
{
	struct last_map m = { .size = 64 };
	bool *paired = calloc(total ? total : 1, sizeof(*paired));
	uint64_t pairs = 0;

	while (m.size < 2 * total)
		m.size *= 2;
	m.key = calloc(m.size, sizeof(*m.key));
	m.idx = calloc(m.size, sizeof(*m.idx));
	*nomem = !paired || !m.key || !m.idx;
	for (size_t k = 0; k < total && !*nomem; k++) {
		const struct sb_lm_rec *r = ent_rec(t, &order[k]);
		size_t *last, prev;

		if (sb_lm_op_class(r->op) == 'm')
			continue;
		last = last_slot(&m, r->addr >> COH_LINE_SHIFT);
		prev = *last;

		*last = k;
		if (prev == SIZE_MAX || paired[prev])
			continue;
		uint64_t p = order[prev].tsc, gap = r->tsc > p ? r->tsc - p : p - r->tsc;

		if (ent_rec(t, &order[prev])->cpu == r->cpu || gap >= skew)
			continue;
		pairs++;
		paired[prev] = paired[k] = true;
		/* swap contents, not slots: the line's later accesses follow k */
		struct ent tmp = order[prev];

		order[prev] = order[k];
		order[k] = tmp;
	}
	free(paired);
	free(m.key);
	free(m.idx);
	return pairs;
}

/* @res: if not NULL, charge each thread's accesses to its acquisitions. */
static struct coh_engine *run(const struct coh_trace *t, int nr, const struct ent *order,
			      size_t total, const struct coh_replay_cfg *cfg,
			      struct coh_replay_result *res)
{
	struct coh_engine *e = coh_engine_new(cfg->proto, cfg->nr_cpus, cfg->dist, cfg->dist_arg);
	struct coh_counts *pending = calloc(nr ? nr : 1, sizeof(*pending));

	for (size_t k = 0; e && pending && k < total; k++) {
		const struct sb_lm_rec *r = ent_rec(t, &order[k]);
		struct coh_counts *p = &pending[order[k].trace];

		if (sb_lm_op_class(r->op) == 'm') {
			if (res)
				coh_counts_add(r->val ? &res->con : &res->uncon, p);
			memset(p, 0, sizeof(*p));
			continue;
		}
		if (!coh_access_charge(e, (int)r->cpu, r->addr >> COH_LINE_SHIFT,
				       coh_access_of(r), p)) {
			coh_engine_free(e);
			e = NULL;
		}
	}
	if (!pending) {
		coh_engine_free(e);
		e = NULL;
	}
	free(pending);
	return e;
}

static void range(struct coh_replay_result *res, const struct coh_counts *b)
{
	const struct coh_counts *a = &res->counts;

	res->exact = true;
	for (int i = 0; i < COH_NR_COUNTERS; i++) {
		res->lo.n[i] = a->n[i] < b->n[i] ? a->n[i] : b->n[i];
		res->hi.n[i] = a->n[i] > b->n[i] ? a->n[i] : b->n[i];
		res->exact &= res->lo.n[i] == res->hi.n[i];
		for (int d = 0; d < COH_NR_DIST; d++) {
			uint64_t x = a->by_dist[i][d], y = b->by_dist[i][d];

			res->lo.by_dist[i][d] = x < y ? x : y;
			res->hi.by_dist[i][d] = x > y ? x : y;
		}
	}
}

int coh_replay(const struct coh_trace *traces, int nr_traces, const struct coh_replay_cfg *cfg,
	       struct coh_replay_result *res, struct coh_engine **engine_out)
{
	struct coh_engine *a = NULL, *b = NULL;
	struct coh_counts cb;
	struct ent *order;
	size_t total = 0;
	bool nomem;

	memset(res, 0, sizeof(*res));
	for (int i = 0; i < nr_traces; i++)
		total += traces[i].n;
	if (total > UINT32_MAX)
		return -1;
	order = merge(traces, nr_traces, total);
	if (!order)
		return -1;
	a = run(traces, nr_traces, order, total, cfg, res);
	res->ambiguous_pairs = swap_ambiguous(traces, order, total, cfg->skew_ticks, &nomem);
	if (a && !nomem)
		b = run(traces, nr_traces, order, total, cfg, NULL);
	free(order);
	if (!a || !b) {
		coh_engine_free(a);
		coh_engine_free(b);
		return -1;
	}
	for (int i = 0; i < nr_traces; i++) {
		for (size_t j = 0; j < traces[i].n; j++) {
			bool mark = sb_lm_op_class(traces[i].rec[j].op) == 'm';

			res->records += !mark;
			res->acquisitions += mark;
			res->contended += mark && traces[i].rec[j].val;
		}
	}
	coh_engine_total(a, &res->counts);
	coh_engine_total(b, &cb);
	range(res, &cb);
	coh_engine_free(b);
	if (engine_out)
		*engine_out = a;
	else
		coh_engine_free(a);
	return 0;
}
