/* SPDX-License-Identifier: MIT */
/*
 * `tdxup status --textfile DIR [--catalog DIR] --nfd-features FILE
 * [--nfd-expiry DURATION]` (docs/fleet.md).
 */
#ifndef TDXUP_CLI_STATUS_FLEET_H
#define TDXUP_CLI_STATUS_FLEET_H

#include <stdint.h>

#include "cli/target.h"
#include "tdxup/status.h"

struct status_fleet {
	const char *textfile_dir;	/* --textfile, or NULL */
	const char *nfd_file;		/* --nfd-features, or NULL */
	const char *catalog_dir;	/* --catalog, or NULL */
	uint64_t nfd_expiry_us;		/* --nfd-expiry: the labels' lifetime */
};

/*
 * Write the files asked for; st is NULL when there is no tdx_host device.
 * 0 (CLI_OK) when every file was written, else CLI_FAIL with the error
 * printed.
 */
int status_fleet_write(const struct status_fleet *sf, struct cli_target *ct,
		       const struct tdx_sysfs_state *st);

#endif /* TDXUP_CLI_STATUS_FLEET_H */
