/* SPDX-License-Identifier: MIT */
/* What the exploration tests (test_explore.c, explore_rows.c) assert of every run. */
#ifndef TDXUP_TESTS_LAB_EXPLORE_TEST_H
#define TDXUP_TESTS_LAB_EXPLORE_TEST_H

#include "lab/explore.h"

static inline void explore_ok(const struct lab_config *cfg, const struct lab_explore_opts *o,
		       struct lab_explore_stats *st)
{
	assert_int_equal(lab_explore(cfg, o, st), 0);
	assert_false(st->diverged);
}

static inline void assert_complete(const struct lab_explore_stats *st, uint64_t traces)
{
	assert_true(st->complete);
	assert_false(st->hit_max_traces);
	assert_false(st->hit_preemption_bound);
	assert_int_equal(st->traces, traces);
	assert_int_equal(st->td_lost_traces, 0);
}

#endif /* TDXUP_TESTS_LAB_EXPLORE_TEST_H */
