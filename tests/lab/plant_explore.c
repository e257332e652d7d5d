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
	uint64_t traces, failed, wrong_mrtd, failed_builds, td_lost, refused;
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
	assert_int_equal(lab_explore_cli(&o), CLI_FAIL);
	tdxup_plant = 0;
}

/*
 * Measured: the refusal that leaves the module shut down fails the update
 * and the build that was in its window; a skipped hold lets the update into
 * the window as under mainline/retry; a lease ended
 * early leaves only FINALIZE_VM unheld, so fewer orders reach it.
 */
static const struct plant_case cases[] = {
	{ "v8 refusal leaves the module shut down", PLANT_REFUSAL_SHUTS_DOWN,
	  KERNEL_PROFILE_V8, false, 119, 84, 0, 84, 0, 84,
	  "84 trace(s) with the update failed; 84 trace(s) with a failed build" },
	{ "the updater skips the hold", PLANT_HOLD_SKIPPED,
	  KERNEL_PROFILE_MAINLINE, true, 268, 0, 84, 0, 0, 0, "84 trace(s) with a wrong MRTD" },
	{ "the VMM ends its lease before FINALIZE_VM", PLANT_LEASE_END_EARLY,
	  KERNEL_PROFILE_MAINLINE, true, 244, 0, 9, 0, 0, 0, "9 trace(s) with a wrong MRTD" },
};

int main(void)
{
	struct CMUnitTest tests[sizeof(cases) / sizeof(cases[0])];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tests[i] = (struct CMUnitTest)cmocka_unit_test(test_plant);
		tests[i].name = cases[i].name;
		tests[i].initial_state = (void *)&cases[i];
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
