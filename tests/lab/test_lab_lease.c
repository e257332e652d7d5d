// SPDX-License-Identifier: MIT
/*
 * The build lease in the lab: builders that follow the protocol, an
 * operator that holds builds around its update, and VMMs killed mid-build
 * at seed-chosen points. The emulator's own MRTD verdicts are the judge:
 * under mainline (no busy rejection) a hold must leave every MRTD right,
 * under v8 it must make the busy rejection unnecessary, a dead VMM must
 * never wedge the operator, and a VMM that ignores the lease must still be
 * caught out (so the check can fail).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lab/lab.h"

#define SEEDS	25

static void run(struct lab_config *cfg, struct lab_result *res)
{
	cfg->quiet = true;
	assert_int_equal(lab_run(cfg, res), 0);
}

/* The default scenario on profile p at seed, the operator holding builds or not. */
static void config(struct lab_config *cfg, uint64_t seed, enum kernel_profile p, bool hold)
{
	lab_config_init(cfg);
	cfg->seed = seed;
	cfg->profile = p;
	cfg->hold = hold;
}

static void explain(const struct lab_result *res)
{
	if (!res->pass)
		fprintf(stderr, "verdict: %s\n%s", res->verdict_reason, res->timeline);
}

/* mainline + hold: the update lands between builds, every MRTD right. */
static void test_mainline_hold(void **state)
{
	unsigned int waited = 0;

	for (uint64_t seed = 1; seed <= SEEDS; seed++) {
		struct lab_config cfg;
		struct lab_result res;

		config(&cfg, seed, KERNEL_PROFILE_MAINLINE, true);
		run(&cfg, &res);
		explain(&res);
		assert_true(res.pass);
		assert_true(res.held_builds);
		assert_int_equal(res.updates_applied, 1);
		assert_int_equal(res.wrong_mrtds, 0);
		assert_int_equal(res.failed_builds, 0);
		assert_int_equal(res.builds_completed, 4);
		assert_int_equal(res.busy_rejections, 0);
		/* The operator met builds in flight, not an idle host. */
		waited += strstr(res.timeline, "TD builds held: none in flight (waited 0 ms)") == NULL;
		lab_result_free(&res);
	}
	assert_true(waited > 0);
}

/* v8 + hold: no busy rejection is needed at all. */
static void test_v8_hold(void **state)
{
	for (uint64_t seed = 1; seed <= SEEDS; seed++) {
		struct lab_config cfg;
		struct lab_result res;

		config(&cfg, seed, KERNEL_PROFILE_V8, true);
		run(&cfg, &res);
		explain(&res);
		assert_true(res.pass);
		assert_int_equal(res.busy_rejections, 0);
		assert_int_equal(res.nr_attempts, 1);
		assert_int_equal(res.wrong_mrtds, 0);
		lab_result_free(&res);
	}
}

/* The hold protects only builds that take leases: a VMM that ignores it is caught. */
static void test_hold_without_leases_fails(void **state)
{
	unsigned int wrong = 0;

	for (uint64_t seed = 1; seed <= 10; seed++) {
		struct lab_config cfg;
		struct lab_result res;

		config(&cfg, seed, KERNEL_PROFILE_MAINLINE, true);
		cfg.vmm_leases = false;
		run(&cfg, &res);
		wrong += res.wrong_mrtds;
		lab_result_free(&res);
	}
	assert_true(wrong > 0);
}

/*
 * VMMs killed at seed-chosen points (holding the lease before INIT_VM, or
 * inside the window): their entries stay behind unlocked, the hold reclaims
 * them, the update lands, and no surviving build has a wrong MRTD.
 */
static void test_killed_builders_never_wedge(void **state)
{
	unsigned int before = 0, inside = 0;

	for (uint64_t seed = 1; seed <= SEEDS; seed++) {
		struct lab_config cfg;
		struct lab_result res;

		config(&cfg, seed, KERNEL_PROFILE_MAINLINE, true);
		cfg.crash_builders = 2;
		run(&cfg, &res);
		explain(&res);
		assert_true(res.pass);
		assert_int_equal(res.updates_applied, 1);
		assert_int_equal(res.wrong_mrtds, 0);
		assert_true(res.tds[2].crashed && res.tds[3].crashed);
		assert_false(res.tds[4].crashed || res.tds[5].crashed);
		assert_int_equal(res.builds_completed, 2);
		before += strstr(res.timeline, "before INIT_VM") != NULL;
		inside += strstr(res.timeline, "inside the build window") != NULL;
		lab_result_free(&res);
	}
	/* Both kill points were exercised. */
	assert_true(before > 0);
	assert_true(inside > 0);
}

/* The same under the threads driver: real threads, the lease's real waits. */
static void test_threads_hold(void **state)
{
	for (uint64_t seed = 1; seed <= 3; seed++) {
		struct lab_config cfg;
		struct lab_result res;

		config(&cfg, seed, KERNEL_PROFILE_MAINLINE, true);
		cfg.driver = LOCKSTEP_THREADS;
		cfg.crash_builders = 1;
		run(&cfg, &res);
		explain(&res);
		assert_true(res.pass);
		assert_int_equal(res.wrong_mrtds, 0);
		assert_int_equal(res.updates_applied, 1);
		lab_result_free(&res);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mainline_hold),
		cmocka_unit_test(test_v8_hold),
		cmocka_unit_test(test_hold_without_leases_fails),
		cmocka_unit_test(test_killed_builders_never_wedge),
		cmocka_unit_test(test_threads_hold),
	};

	return cmocka_run_group_tests_name("lab/lease", tests, NULL, NULL);
}
