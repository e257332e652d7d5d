/* SPDX-License-Identifier: MIT */
/* The declared VMMs as `status` and `update` report them (cmd_status_vmms.c). */
#ifndef TDXUP_CLI_VMM_REPORT_H
#define TDXUP_CLI_VMM_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "tdxup/vmm_active.h"

/* [{"name", "protecting", "why"}, ...] */
json_t *cli_json_vmms(const struct vmm_states *s);
/* One line a VMM, each starting with prefix; "none declared" if none. */
void cli_print_vmms(FILE *f, const char *prefix, const struct vmm_states *s);

#endif /* TDXUP_CLI_VMM_REPORT_H */
