// SPDX-License-Identifier: MIT
/*
 * tdxup lab --explore: complete explorations of a small configuration (one
 * builder and one running TD beside the update) under every profile and
 * the hold policy, the exactness check on the smallest one, the bounds, and
 * the counterexample's schedule replaying to the same wrong MRTD.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lab/explore.h"
#include "lab/explore_test.h"

struct first_wrong {
	char schedule[LAB_EXPLORE_SCHED_MAX];
	uint8_t mrtd[48];
	char td[16];
};

static void small(struct lab_config *cfg, enum kernel_profile p, bool hold)
{
	lab_explore_config_init(cfg);
	cfg->profile = p;
	cfg->runner_steps = 1;
	cfg->retry = LAB_RETRY_NONE;
	cfg->hold = hold;
}

/* The first trace with a wrong MRTD: its schedule and the TD's MRTD. */
static void keep_first_wrong(void *ctx, const struct lab_result *res, const struct lab_step *ev,
			     unsigned int nr, const char *schedule)
{
	struct first_wrong *w = ctx;

	(void)ev;
	(void)nr;
	if (w->schedule[0] || !res->wrong_mrtds)
		return;
	snprintf(w->schedule, sizeof(w->schedule), "%s", schedule);
	for (unsigned int i = 0; i < res->nr_tds; i++)
		if (res->tds[i].built && !res->tds[i].mrtd_ok) {
			memcpy(w->mrtd, res->tds[i].mrtd, sizeof(w->mrtd));
			snprintf(w->td, sizeof(w->td), "%s", res->tds[i].name);
		}
}

/* S+1 traces, the update once at each boundary; wrong MRTD exactly in the window. */
static void test_exactness(void **state)
{
	struct lab_config cfg;
	struct lab_exactness ex;

	(void)state;
	lab_explore_config_init(&cfg);
	assert_int_equal(lab_exactness_check(&cfg, &ex), 0);
	assert_int_equal(ex.s, 62);
	assert_int_equal(ex.init_at, 9);
	assert_int_equal(ex.finalize_at, 37);
	assert_int_equal(ex.traces, ex.s + 1);
	assert_int_equal(ex.positions_seen, ex.s + 1);
	assert_int_equal(ex.in_window, ex.finalize_at - ex.init_at);
	assert_int_equal(ex.wrong, 28);
	assert_int_equal(ex.wrong_not_in_window, 0);
	assert_int_equal(ex.in_window_not_wrong, 0);
	assert_true(ex.exact);
}

/* v8: every in-window attempt refused, no wrong MRTD in any trace. */
static void test_v8(void **state)
{
	struct lab_explore_opts o = { .preemption_bound = -1 };
	struct lab_explore_stats st;
	struct lab_config cfg;

	(void)state;
	small(&cfg, KERNEL_PROFILE_V8, false);
	explore_ok(&cfg, &o, &st);
	assert_complete(&st, 189);
	assert_int_equal(st.wrong_mrtd_traces, 0);
	assert_int_equal(st.busy, 84);
	assert_int_equal(st.updated, 105);
	assert_int_equal(st.failed_build_traces, 0);
	assert_string_equal(st.first_wrong, "");
}

/* detect: no wrong MRTD, the straddling builds fail (and are rebuilt). */
static void test_detect(void **state)
{
	struct lab_explore_opts o = { .preemption_bound = -1 };
	struct lab_explore_stats st;
	struct lab_config cfg;

	(void)state;
	small(&cfg, KERNEL_PROFILE_DETECT, false);
	explore_ok(&cfg, &o, &st);
	assert_complete(&st, 189);
	assert_int_equal(st.wrong_mrtd_traces, 0);
	assert_int_equal(st.failed_build_traces, 84);
	assert_int_equal(st.updated, 189);
}

/* mainline: wrong MRTDs, and the first one's schedule replays to it. */
static void test_mainline_and_replay(void **state)
{
	struct first_wrong w;
	struct lab_explore_opts o = { .preemption_bound = -1, .on_trace = keep_first_wrong,
				      .ctx = &w };
	struct lab_explore_stats st;
	struct lab_config cfg;
	struct lab_result res;

	(void)state;
	memset(&w, 0, sizeof(w));
	small(&cfg, KERNEL_PROFILE_MAINLINE, false);
	explore_ok(&cfg, &o, &st);
	assert_complete(&st, 189);
	assert_int_equal(st.wrong_mrtd_traces, 84);
	assert_int_equal(st.wrong_mrtd_builds, 84);
	assert_string_equal(st.first_wrong, w.schedule);
	assert_string_equal(w.td, "build0");
	assert_int_equal(lab_replay(&cfg, st.first_wrong, &res), 0);
	assert_int_equal(res.wrong_mrtds, 1);
	assert_false(res.pass);
	assert_true(res.tds[1].built);
	assert_false(res.tds[1].mrtd_ok);
	assert_memory_equal(res.tds[1].mrtd, w.mrtd, sizeof(w.mrtd));
	lab_result_free(&res);
	/* A schedule that does not fit is refused, not half followed. */
	assert_int_equal(lab_replay(&cfg, "7x3", &res), -EINVAL);
	lab_result_free(&res);
	assert_int_equal(lab_replay(&cfg, "1x", &res), -EINVAL);
	lab_result_free(&res);
}

/* mainline with the hold: not one wrong MRTD in any order. */
static void test_mainline_hold(void **state)
{
	struct lab_explore_opts o = { .preemption_bound = -1 };
	struct lab_explore_stats st;
	struct lab_config cfg;

	(void)state;
	small(&cfg, KERNEL_PROFILE_MAINLINE, true);
	/* No running TD: with one (1,086 traces) this test took 377 s under TSan. */
	cfg.running = 0;
	explore_ok(&cfg, &o, &st);
	assert_complete(&st, 362);
	assert_int_equal(st.wrong_mrtd_traces, 0);
	assert_int_equal(st.late_reg_traces, 0);
	assert_int_equal(st.updated, 362);
	assert_int_equal(st.failed_build_traces, 0);
}

/* Harm is judged against the row's promise, not the numbers alone. */
static void test_harm_rules(void **state)
{
	struct lab_proof_row r = { .profile = KERNEL_PROFILE_MAINLINE, .policy = "retry" };
	struct lab_config cfg;
	char why[256];

	(void)state;
	lab_explore_config_init(&cfg);
	r.st.wrong_mrtd_traces = 5;
	assert_int_equal(lab_proof_harm(&cfg, &r, why, sizeof(why)), 0);
	r.policy = "hold";
	assert_int_equal(lab_proof_harm(&cfg, &r, why, sizeof(why)), 1);
	assert_string_equal(why, "5 trace(s) with a wrong MRTD");
	r.st.refused_traces = 2;
	r.st.td_lost_traces = 1;
	assert_int_equal(lab_proof_harm(&cfg, &r, why, sizeof(why)), 3);
	assert_string_equal(why, "1 trace(s) with a TD lost; 5 trace(s) with a wrong MRTD; "
			    "2 trace(s) with a SHUTDOWN refused under the hold");
	memset(&r.st, 0, sizeof(r.st));
	r.profile = KERNEL_PROFILE_DETECT;
	r.policy = "retry";
	r.st.failed_build_traces = 4;
	r.st.busy = 1;
	assert_int_equal(lab_proof_harm(&cfg, &r, why, sizeof(why)), 1);
	assert_string_equal(why, "1 trace(s) busy where nothing refuses");
	/* The lease's invariant holds in every row. */
	r.st.busy = 0;
	r.st.late_reg_traces = 3;
	assert_int_equal(lab_proof_harm(&cfg, &r, why, sizeof(why)), 1);
	assert_string_equal(why, "3 trace(s) with a builder registered under the hold it took the "
			    "gate under");
	r.st.late_reg_traces = 0;
	r.profile = KERNEL_PROFILE_V8;
	assert_int_equal(lab_proof_harm(&cfg, &r, NULL, 0), 1);	/* the failed builds */
	r.st.lost = 1;
	assert_int_equal(lab_proof_harm(&cfg, &r, NULL, 0), 2);
	cfg.nr_faults = 1;	/* an armed fault may lose the module */
	assert_int_equal(lab_proof_harm(&cfg, &r, NULL, 0), 1);
}

/* The bounds stop early and say so. */
static void test_bounds(void **state)
{
	struct lab_explore_opts o = { .max_traces = 10, .preemption_bound = -1 };
	struct lab_explore_stats st;
	struct lab_config cfg;

	(void)state;
	small(&cfg, KERNEL_PROFILE_MAINLINE, false);
	cfg.running = 0;
	explore_ok(&cfg, &o, &st);
	assert_int_equal(st.traces, 10);
	assert_true(st.hit_max_traces);
	assert_false(st.complete);
	o.max_traces = 0;
	o.preemption_bound = 0;
	explore_ok(&cfg, &o, &st);
	assert_int_equal(st.traces, 1);
	assert_true(st.hit_preemption_bound);
	assert_false(st.complete);
	/* One preemption is all the update needs here: the whole tree again. */
	o.preemption_bound = 1;
	explore_ok(&cfg, &o, &st);
	assert_int_equal(st.traces, 63);
	assert_true(st.complete);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exactness),
		cmocka_unit_test(test_v8),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_mainline_and_replay),
		cmocka_unit_test(test_mainline_hold),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_harm_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
