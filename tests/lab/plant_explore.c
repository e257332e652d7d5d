// SPDX-License-Identifier: MIT
/*
 * The explorer catches planted bugs (include/tdxup/plant.h): each bug is
 * switched on alone, the row it breaks is explored completely, and
 * `tdxup lab --explore`'s own code (emu/cli/cmd_lab_explore.c, compiled
 * into this test) must exit 1 with the harm named; with no bug planted the
 * same rows exit 0. The counts are exact: the exploration is deterministic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cmd_lab_explore.h"
#include "tdxup/plant.h"

/* The plant switch: defined here only, so no product has it. */
unsigned int tdxup_plant;

/* Measured (test_swap_catches_dropped_dependence). */
#define SWAPS_AS_BUILT			2885
#define SWAP_MISMATCHES_DROPPED		2

/* One builder beside one update, nothing running: the rows are small. */
static void row_config(struct lab_explore_cli *o, enum kernel_profile p, bool hold)
{
	memset(o, 0, sizeof(*o));
	lab_explore_config_init(&o->cfg);
	o->cfg.running = 0;
	o->cfg.profile = p;
	o->cfg.hold = hold;
	o->cfg.retry = LAB_RETRY_BACKOFF;
	o->profile_set = o->policy_set = true;
	o->preemption_bound = -1;
}

/* The row's stats and harm through the library, as the CLI computes them. */
static unsigned int explore_row(const struct lab_explore_cli *o, struct lab_proof_row *r,
				char *why, size_t len)
{
	r->profile = o->cfg.profile;
	r->policy = o->cfg.hold ? "hold" : "retry";
	assert_int_equal(lab_explore(&o->cfg, &(struct lab_explore_opts){ .preemption_bound = -1 },
				     &r->st), 0);
	assert_true(r->st.complete);
	return lab_proof_harm(&o->cfg, r, why, len);
}

struct plant_case {
	const char *name;
	unsigned int bug;
	enum kernel_profile profile;
	bool hold;
	/* Exact, measured: traces, and the counts the harm is made of. */
	uint64_t traces, failed, wrong_mrtd, failed_builds, td_lost, refused, late_reg;
	const char *harm;		/* a substring of the HARM line */
};

static void test_plant(void **state)
{
	const struct plant_case *c = *state;
	struct lab_explore_cli o;
	struct lab_proof_row r;
	char why[512];

	row_config(&o, c->profile, c->hold);
	tdxup_plant = 0;
	assert_int_equal(explore_row(&o, &r, why, sizeof(why)), 0);
	assert_int_equal(lab_explore_cli(&o), CLI_OK);

	tdxup_plant = c->bug;
	assert_true(explore_row(&o, &r, why, sizeof(why)) > 0);
	print_message("%s: %s\n", c->name, why);
	assert_non_null(strstr(why, c->harm));
	assert_int_equal(r.st.traces, c->traces);
	assert_int_equal(r.st.failed, c->failed);
	assert_int_equal(r.st.lost, 0);
	assert_int_equal(r.st.wrong_mrtd_traces, c->wrong_mrtd);
	assert_int_equal(r.st.failed_build_traces, c->failed_builds);
	assert_int_equal(r.st.td_lost_traces, c->td_lost);
	assert_int_equal(r.st.refused_traces, c->refused);
	assert_int_equal(r.st.late_reg_traces, c->late_reg);
	assert_int_equal(lab_explore_cli(&o), CLI_FAIL);
	tdxup_plant = 0;
}

/*
 * Measured: the refusal that leaves the module shut down fails the update
 * and the build that was in its window; a skipped hold lets the update into
 * the window as under mainline/retry (28 positions of 63, the exactness
 * check's); a lease ended early leaves only FINALIZE_VM unheld, so fewer
 * orders reach it. A hold released before the upload lets a builder
 * register between the release and loading=1. A builder that does not look
 * at hold again under the gate harms no TD (the hold's safety rests on the
 * scan under the exclusive gate, docs/lease.md) but registers under a hold
 * that was in place when it took the gate, which the updater then waits
 * for: the lease invariant lab.c checks.
 */
static const struct plant_case cases[] = {
	{ "v8 refusal leaves the module shut down", PLANT_REFUSAL_SHUTS_DOWN,
	  KERNEL_PROFILE_V8, false, 119, 84, 0, 84, 0, 84, 0,
	  "84 trace(s) with the update failed; 84 trace(s) with a failed build" },
	{ "the updater skips the hold", PLANT_HOLD_SKIPPED,
	  KERNEL_PROFILE_MAINLINE, true, 66, 0, 28, 0, 0, 0, 0, "28 trace(s) with a wrong MRTD" },
	{ "the VMM ends its lease before FINALIZE_VM", PLANT_LEASE_END_EARLY,
	  KERNEL_PROFILE_MAINLINE, true, 375, 0, 13, 0, 0, 0, 0, "13 trace(s) with a wrong MRTD" },
	{ "the updater releases the hold before uploading", PLANT_RELEASE_EARLY,
	  KERNEL_PROFILE_MAINLINE, true, 1922, 0, 672, 0, 0, 0, 0,
	  "672 trace(s) with a wrong MRTD" },
	{ "a builder skips the hold's re-check under the gate", PLANT_NO_RECHECK,
	  KERNEL_PROFILE_MAINLINE, true, 450, 0, 0, 0, 0, 0, 104,
	  "104 trace(s) with a builder registered under the hold it took the gate under" },
};

/*
 * The swap check catches a relation that calls dependent steps independent:
 * with the scan's dependence on the builders' entries dropped, a scan
 * delayed past an entry's removal finds nothing to wait for, and the run
 * goes otherwise. Eight moves a trace, as explore_rows' check.
 */
static void test_swap_catches_dropped_dependence(void **state)
{
	struct lab_explore_opts eo = { .preemption_bound = -1, .swap_check = 8 };
	struct lab_explore_cli o;
	struct lab_explore_stats st;

	(void)state;
	row_config(&o, KERNEL_PROFILE_MAINLINE, true);
	tdxup_plant = 0;
	assert_int_equal(lab_explore(&o.cfg, &eo, &st), 0);
	print_message("relation as built: %llu swaps, %llu unfit, %llu differ%s%s\n",
		      (unsigned long long)st.swaps, (unsigned long long)st.swaps_unfit,
		      (unsigned long long)st.swap_mismatches, st.swap_mismatches ? "; first: " : "",
		      st.first_mismatch);
	assert_int_equal(st.swap_mismatches, 0);
	assert_int_equal(st.swaps, SWAPS_AS_BUILT);
	tdxup_plant = PLANT_DEP_DROPPED;
	assert_int_equal(lab_explore(&o.cfg, &eo, &st), 0);
	tdxup_plant = 0;
	print_message("dependence dropped: %llu swaps, %llu differ; first: %s\n",
		      (unsigned long long)st.swaps, (unsigned long long)st.swap_mismatches,
		      st.first_mismatch);
	assert_int_equal(st.swap_mismatches, SWAP_MISMATCHES_DROPPED);
}

int main(void)
{
	struct CMUnitTest tests[sizeof(cases) / sizeof(cases[0]) + 1];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tests[i] = (struct CMUnitTest)cmocka_unit_test(test_plant);
		tests[i].name = cases[i].name;
		tests[i].initial_state = (void *)&cases[i];
	}
	tests[i] = (struct CMUnitTest)cmocka_unit_test(test_swap_catches_dropped_dependence);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
