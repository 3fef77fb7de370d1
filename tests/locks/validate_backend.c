/* validate_backend - the lock kinds reach their words only through lockmem.h:
 * built against a counting SB_LOCKMEM_BACKEND (lockmem_count.h), every RMW the
 * rmw counter books and every acquisition must have passed through it.
 * One thread, each exact kind, lock/trylock/acquire in the build's pattern.
 */
#include "locktest.h"

#define ROUNDS 500

static unsigned long lm_rmws(void)
{
	unsigned long n = 0;

	for (int op = 0; op < SB_LM_NR_OPS; op++)
		if (sb_lm_op_class((unsigned int)op) == 'x')
			n += lm_count[op];
	return n;
}

int main(void)
{
	struct sb_qnode qnode;

	lt_watchdog(60);
	sb_qnode_init(&qnode);
	for (int kind = 0; kind < SB_NR_KINDS; kind++) {
		const struct lt_kind *k = &lt_kinds[kind];
		struct sb_lockstat st = { 0 };
		struct sb_lockctx ctx = { .st = &st, .qnode = &qnode, .cpu = 0 };
		union lt_lock lock;

		if (!k->exact)
			continue;	/* glibc's accesses never pass through us */
		memset(lm_count, 0, sizeof(lm_count));
		k->init(&lock);
		for (int i = 0; i < ROUNDS; i++) {
			LT_CHECK(k->acquire(&lock, i & 1, &ctx), "%s refused", k->name);
			k->release(&lock, &ctx);
			k->lock(&lock, &ctx);
			LT_CHECK(!k->trylock(&lock, &ctx), "%s: trylock of a held lock", k->name);
			k->unlock(&lock, &ctx);
		}
		LT_CHECK(lm_rmws() == st.rmw, "%s: %lu RMWs through lockmem, %llu counted",
			 k->name, lm_rmws(), (unsigned long long)st.rmw);
		LT_CHECK(lm_count[SB_LM_acquired] == st.acquisitions,
			 "%s: %lu acquisition marks, %llu acquisitions", k->name,
			 lm_count[SB_LM_acquired], (unsigned long long)st.acquisitions);
		LT_CHECK(lm_count[SB_LM_load] + lm_count[SB_LM_load_spin] >= st.test_reads,
			 "%s: fewer loads than test reads", k->name);
	}
	sb_qnode_fini(&qnode);
	return lt_exit_status("validate_backend");
}
