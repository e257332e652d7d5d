// SPDX-License-Identifier: MIT
/* The version both programs print (CMake's project version). */
#include "cli/cli.h"

const char cli_version[] = TDXUP_VERSION;
