/* SPDX-License-Identifier: MIT */
/* The subcommands of the emulator, tdxup-emu (table in emu/cli/main.c). */
#ifndef TDXUP_EMU_CLI_CMDS_H
#define TDXUP_EMU_CLI_CMDS_H

#include "cli/cli.h"

extern const struct cli_cmd cmd_lab;
extern const struct cli_cmd cmd_serve;
extern const struct cli_cmd cmd_emu_image;

#endif /* TDXUP_EMU_CLI_CMDS_H */
