/* SPDX-License-Identifier: MIT */
/* `tdxup image`: the parts in cmd_image_check.c (inspect and verify). */
#ifndef TDXUP_CLI_CMD_IMAGE_H
#define TDXUP_CLI_CMD_IMAGE_H

#include "cli/cli.h"

int image_inspect(const struct cli_cmd *cmd, int argc, char **argv);
int image_verify(const struct cli_cmd *cmd, int argc, char **argv);

#endif /* TDXUP_CLI_CMD_IMAGE_H */
