// SPDX-License-Identifier: MIT
/*
 * The proof table's rows at the exploration's size, pinned: the six rows'
 * exact counts, timeouts explored, and DPOR against a bounded plain search.
 * Plain builds only (CMakeLists.txt): they re-run the explorer thousands of
 * times, the same code test_explore.c runs under the sanitizers, and with
 * them test_explore took 360 s under TSan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lab/explore_test.h"

/*
 * The proof table's six rows (one builder, nothing running, the retry
 * policy as the CLI's default table has it): exact counts, and no row shows
 * harm it promises never to show. A change to the dependence relation or to
 * the operator's wake rule moves these counts.
 */
struct row_want {
	enum kernel_profile profile;
	bool hold;
	uint64_t traces, busy, wrong_mrtd, failed_builds, refused;
};

static void test_six_rows(void **state)
{
	static const struct row_want want[] = {
		{ KERNEL_PROFILE_V8, false, 1169, 406, 0, 0, 1134 },
		{ KERNEL_PROFILE_V8, true, 362, 0, 0, 0, 0 },
		{ KERNEL_PROFILE_MAINLINE, false, 63, 0, 28, 0, 0 },
		{ KERNEL_PROFILE_MAINLINE, true, 362, 0, 0, 0, 0 },
		{ KERNEL_PROFILE_DETECT, false, 63, 0, 0, 28, 0 },
		{ KERNEL_PROFILE_DETECT, true, 362, 0, 0, 0, 0 },
	};
	struct lab_explore_opts o = { .preemption_bound = -1 };
	struct lab_config cfg;

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct row_want *w = &want[i];
		struct lab_proof_row r = { .profile = w->profile,
					   .policy = w->hold ? "hold" : "retry" };
		char why[256];

		lab_explore_config_init(&cfg);
		cfg.running = 0;
		cfg.profile = w->profile;
		cfg.hold = w->hold;
		cfg.retry = LAB_RETRY_BACKOFF;
		explore_ok(&cfg, &o, &r.st);
		assert_complete(&r.st, w->traces);
		assert_int_equal(r.st.busy, w->busy);
		assert_int_equal(r.st.updated, w->traces - w->busy);
		assert_int_equal(r.st.wrong_mrtd_traces, w->wrong_mrtd);
		assert_int_equal(r.st.failed_build_traces, w->failed_builds);
		assert_int_equal(r.st.refused_traces, w->refused);
		assert_int_equal(lab_proof_harm(&cfg, &r, why, sizeof(why)), 0);
	}
}

/*
 * Timed waits have two successors: the operator backing off after a refusal
 * is woken when the window closes, or times out while it is still open
 * (the builder slower than the budget) and, out of budget, ends busy. With
 * 150 us the same traces as with the exploration's 5 ms.
 */
static void test_timeouts(void **state)
{
	struct lab_explore_opts o = { .preemption_bound = -1 };
	struct lab_explore_stats st;
	struct lab_config cfg;

	(void)state;
	lab_explore_config_init(&cfg);
	cfg.running = 0;
	cfg.profile = KERNEL_PROFILE_V8;
	cfg.retry = LAB_RETRY_BACKOFF;
	cfg.retry_for_us = 150;
	explore_ok(&cfg, &o, &st);
	assert_complete(&st, 1169);
	assert_int_equal(st.busy, 406);
	assert_int_equal(st.updated, 763);
	assert_int_equal(st.wrong_mrtd_traces, 0);
}

/*
 * The outcome classes a search reaches: the operator's outcome crossed with
 * whether a trace had a wrong MRTD, a failed build, a lost TD.
 */
static void add_class(void *ctx, const struct lab_result *res, const struct lab_step *ev,
		      unsigned int nr, const char *schedule)
{
	static const char *const outcomes[] = { "updated", "busy", "failed", "lost" };
	uint64_t *set = ctx;
	unsigned int o = 4;

	(void)ev;
	(void)nr;
	(void)schedule;
	for (unsigned int i = 0; i < 4; i++)
		if (!strcmp(res->outcome, outcomes[i]))
			o = i;
	*set |= 1ULL << (o * 8 + (res->wrong_mrtds > 0) * 4 + (res->failed_builds > 0) * 2 +
			 (res->tds_lost > 0));
}

/*
 * DPOR misses nothing a plain depth-first search bounded to one preemption
 * reaches: per row, the bounded search's outcome classes are DPOR's (the
 * bound cuts orders, so it may reach fewer; here it reaches the same). The
 * retry rows, where the classes differ from trace to trace; each hold row
 * has one class, pinned by test_six_rows.
 */
static void test_plain_search_agrees(void **state)
{
	static const enum kernel_profile profiles[] = {
		KERNEL_PROFILE_V8, KERNEL_PROFILE_MAINLINE, KERNEL_PROFILE_DETECT,
	};
	struct lab_explore_stats st;
	struct lab_config cfg;

	(void)state;
	for (unsigned int i = 0; i < 3; i++) {
		uint64_t dpor = 0, plain = 0;
		struct lab_explore_opts od = { .preemption_bound = -1, .on_trace = add_class,
					       .ctx = &dpor };
		struct lab_explore_opts op = { .preemption_bound = 1, .no_dpor = true,
					       .on_trace = add_class, .ctx = &plain };

		lab_explore_config_init(&cfg);
		cfg.running = 0;
		cfg.profile = profiles[i];
		cfg.retry = LAB_RETRY_BACKOFF;
		explore_ok(&cfg, &od, &st);
		assert_true(st.complete);
		explore_ok(&cfg, &op, &st);
		assert_true(st.hit_preemption_bound);
		assert_int_equal(plain, dpor);
	}
}

/*
 * The relation checked against the runs (item 4 of its issue): in every
 * trace of the six rows, eight steps are delayed past steps of other units
 * that the relation calls independent of them, and the trace run again:
 * every step and the end state must come out the same. Exact counts: the
 * moves tried and fitting, per row.
 */
static void test_swap_check(void **state)
{
	static const struct { enum kernel_profile p; bool hold; uint64_t swaps; } rows[] = {
		{ KERNEL_PROFILE_V8, false, 8569 }, { KERNEL_PROFILE_V8, true, 2885 },
		{ KERNEL_PROFILE_MAINLINE, false, 477 }, { KERNEL_PROFILE_MAINLINE, true, 2885 },
		{ KERNEL_PROFILE_DETECT, false, 477 }, { KERNEL_PROFILE_DETECT, true, 2885 },
	};
	struct lab_explore_opts o = { .preemption_bound = -1, .swap_check = 8 };
	uint64_t got[sizeof(rows) / sizeof(rows[0])];
	struct lab_explore_stats st;
	struct lab_config cfg;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		lab_explore_config_init(&cfg);
		cfg.running = 0;
		cfg.profile = rows[i].p;
		cfg.hold = rows[i].hold;
		cfg.retry = LAB_RETRY_BACKOFF;
		explore_ok(&cfg, &o, &st);
		print_message("%s/%s: %llu moves, %llu unfit, %llu differ%s%s\n",
			      kernel_profile_name(rows[i].p), rows[i].hold ? "hold" : "retry",
			      (unsigned long long)st.swaps, (unsigned long long)st.swaps_unfit,
			      (unsigned long long)st.swap_mismatches,
			      st.swap_mismatches ? ": " : "", st.first_mismatch);
		assert_int_equal(st.swap_mismatches, 0);
		got[i] = st.swaps;
	}
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(got[i], rows[i].swaps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_six_rows),
		cmocka_unit_test(test_swap_check),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_plain_search_agrees),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
