// SPDX-License-Identifier: MIT
/*
 * tdxup, the production updater for real TDX hosts. It links the ABI
 * facts, the image code and the updater, and nothing of the emulator: the
 * emulator's commands (lab, serve, image build/list) run tdxup-emu.
 */
#include "cli/cmds.h"

/* The order is the order of `tdxup --help`. */
static const struct cli_cmd *const commands[] = {
	&cmd_status,
	&cmd_select,
	&cmd_update,
	&cmd_image,
	&cmd_measure,
	&cmd_lease,
	&cmd_lab_exec,
	&cmd_serve_exec,
};

static const struct cli_prog_desc tdxup_desc = {
	.blurb = "Runtime (TD-preserving) update of the Intel TDX module on a real host:\n"
		 "status, module selection, offline image checks, the update itself, and\n"
		 "TD measurements. lab and serve run the emulated host (tdxup-emu).\n",
	.cmds = commands,
	.nr_cmds = sizeof(commands) / sizeof(commands[0]),
};

int main(int argc, char **argv)
{
	return cli_main(&tdxup_desc, argc, argv);
}
