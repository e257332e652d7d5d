/* SPDX-License-Identifier: MIT */
/* The subcommands of the production tool, tdxup (table in main.c). */
#ifndef TDXUP_CLI_CMDS_H
#define TDXUP_CLI_CMDS_H

#include "cli/cli.h"

extern const struct cli_cmd cmd_status;
extern const struct cli_cmd cmd_select;
extern const struct cli_cmd cmd_update;
extern const struct cli_cmd cmd_image;
extern const struct cli_cmd cmd_measure;
extern const struct cli_cmd cmd_lease;
/* Stand-ins that run tdxup-emu (cmd_emu.c). */
extern const struct cli_cmd cmd_lab_exec;
extern const struct cli_cmd cmd_serve_exec;

#endif /* TDXUP_CLI_CMDS_H */
