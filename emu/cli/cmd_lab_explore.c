// SPDX-License-Identifier: MIT
/*
 * tdxup lab --explore and --replay (emu/lab/explore.h): the proof table
 * over the profiles and policies asked for, the exactness check, and one
 * run following a recorded schedule.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_lab_explore.h"
#include "emu/module_build.h"

static const char *policy_name(const struct lab_config *cfg)
{
	if (cfg->hold)
		return "hold";
	return cfg->retry == LAB_RETRY_NONE ? "oneshot" : "retry";
}

/* Sign the target image once: each run would otherwise sign it again. */
static int prebuild_image(struct lab_config *cfg, uint8_t **img)
{
	const struct module_build *b = module_build_find(cfg->to);
	struct module_image_opts opts = { .format = 0x100 };
	int err;

	*img = NULL;
	if (!b || cfg->nr_faults)
		return 0;	/* the operator builds (and corrupts) it itself */
	err = module_image_build(b, &opts, img, &cfg->image_len);
	if (!err)
		cfg->image = *img;
	return err;
}

static unsigned int rows_for(const struct lab_explore_cli *o, struct lab_proof_row *rows)
{
	static const enum kernel_profile profiles[] = {
		KERNEL_PROFILE_V8, KERNEL_PROFILE_MAINLINE, KERNEL_PROFILE_DETECT,
	};
	static const char *const policies[] = { "retry", "hold" };
	unsigned int n = 0;

	for (unsigned int p = 0; p < 3; p++) {
		if (o->profile_set && profiles[p] != o->cfg.profile)
			continue;
		for (unsigned int q = 0; q < (o->policy_set ? 1u : 2u); q++) {
			rows[n].profile = profiles[p];
			rows[n].policy = o->policy_set ? policy_name(&o->cfg) : policies[q];
			n++;
		}
	}
	return n;
}

static void set_policy(struct lab_config *cfg, const char *policy)
{
	cfg->hold = !strcmp(policy, "hold");
	cfg->retry = strcmp(policy, "oneshot") ? LAB_RETRY_BACKOFF : LAB_RETRY_NONE;
}

int lab_explore_cli(const struct lab_explore_cli *o)
{
	struct lab_explore_opts eo = {
		.max_traces = o->max_traces,
		.preemption_bound = o->preemption_bound,
		.no_dpor = o->no_dpor,
	};
	struct lab_proof_row rows[6];
	struct lab_exactness ex;
	struct lab_config cfg = o->cfg;
	unsigned int n = rows_for(o, rows);
	bool complete = true;
	unsigned int harms = 0;
	uint8_t *img;
	int err = prebuild_image(&cfg, &img);

	for (unsigned int i = 0; i < n && !err; i++) {
		struct lab_config c = cfg;

		c.profile = rows[i].profile;
		set_policy(&c, rows[i].policy);
		err = lab_explore(&c, &eo, &rows[i].st);
		complete &= rows[i].st.complete;
		harms += lab_proof_harm(&c, &rows[i], NULL, 0);
	}
	if (!err)
		err = lab_exactness_check(&cfg, &ex);
	free(img);
	if (err) {
		cli_err("lab: exploration failed: %s", err == -EPROTO ?
			"a run did not repeat its prefix (nondeterminism)" : strerror(-err));
		return 3;
	}
	if (o->json)
		lab_print_proof_json(stdout, &cfg, rows, n, &ex);
	else
		lab_print_proof(stdout, &cfg, rows, n, &ex);
	/* 0: complete, exact, and no row shows harm it promises never to show. */
	return complete && ex.exact && !harms ? CLI_OK : CLI_FAIL;
}

int lab_replay_cli(const struct lab_explore_cli *o)
{
	struct lab_config cfg = o->cfg;
	struct lab_result res;
	int err = lab_replay(&cfg, o->replay, &res);

	if (err == -EINVAL) {
		cli_err("lab: --replay: the schedule does not fit this configuration (give the "
			"options the explorer printed it with)");
		lab_result_free(&res);
		return CLI_USAGE;
	}
	if (err) {
		cli_err("lab: the run could not be set up: %s", strerror(-err));
		lab_result_free(&res);
		return 3;
	}
	if (o->json)
		lab_print_json(stdout, &cfg, &res);
	else
		lab_print_text(stdout, &cfg, &res);
	lab_result_free(&res);
	return res.pass ? CLI_OK : CLI_FAIL;
}
