/* SPDX-License-Identifier: MIT */
/* tdxup lab --explore / --replay (cmd_lab_explore.c), called by cmd_lab.c. */
#ifndef TDXUP_EMU_CLI_CMD_LAB_EXPLORE_H
#define TDXUP_EMU_CLI_CMD_LAB_EXPLORE_H

#include "cli/cli.h"
#include "lab/explore.h"

struct lab_explore_cli {
	struct lab_config cfg;
	bool profile_set, policy_set, json, no_dpor;
	uint64_t max_traces;
	int preemption_bound;
	const char *replay;
};

int lab_explore_cli(const struct lab_explore_cli *o);
int lab_replay_cli(const struct lab_explore_cli *o);

#endif /* TDXUP_EMU_CLI_CMD_LAB_EXPLORE_H */
