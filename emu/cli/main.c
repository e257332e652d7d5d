// SPDX-License-Identifier: MIT
/*
 * tdxup-emu, the emulated TDX host: TDX module and P-SEAMLDR, the host
 * kernel of the runtime-update series, its sysfs tree over FUSE and the
 * deterministic lab. `tdxup lab|serve|image build|image list` run this
 * binary with argv[0] "tdxup", so its messages read as the tool's.
 */
#include <string.h>

#include "cli/emu_cmds.h"

static const struct cli_cmd *const commands[] = {
	&cmd_lab,
	&cmd_serve,
	&cmd_emu_image,
};

static const struct cli_prog_desc emu_desc = {
	.blurb = "The emulated TDX host: the TD-build race on virtual time (lab), the\n"
		 "host's sysfs over FUSE for the real updater (serve), and the emulated\n"
		 "module images (image build, image list).\n",
	.cmds = commands,
	.nr_cmds = sizeof(commands) / sizeof(commands[0]),
};

int main(int argc, char **argv)
{
	const char *base = argc > 0 && argv[0] ? strrchr(argv[0], '/') : NULL;

	/* Run by tdxup: speak as tdxup; run on its own: as tdxup-emu. */
	base = base ? base + 1 : argc > 0 && argv[0] ? argv[0] : "tdxup-emu";
	cli_prog = strcmp(base, "tdxup") ? "tdxup-emu" : "tdxup";
	return cli_main(&emu_desc, argc, argv);
}
