/* SPDX-License-Identifier: MIT */
/*
 * The state of a TDX host as its sysfs files show it (kernel.md 8-10):
 * module and P-SEAMLDR versions, remaining updates, the fw_upload device,
 * and whether a runtime update is possible and why not. `tdxup status`
 * prints it; select and update start from it.
 */
#ifndef TDXUP_STATUS_H
#define TDXUP_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include "tdxup/catalog.h"
#include "tdxup/sysfs_client.h"

#define TDX_HOST_DIR		"devices/faux/tdx_host"
#define FW_CLASS_DIR		"class/firmware"
#define FW_NAME			"tdx_module"
#define FW_NAME_LEGACY		"seamldr_upload"	/* v1-v3; Intel's script still uses it */

struct tdx_sysfs_state {
	bool device;			/* devices/faux/tdx_host exists */
	int version_err;		/* 0, -ENXIO (module lost), ... */
	struct tdx_version module;
	int seamldr_err;
	struct tdx_version seamldr;
	int remaining_err;
	uint32_t remaining;
	bool seamldr_version_attr;	/* tdx_host/seamldr_version exists (v8 final, mainline) */
	bool legacy_layout;		/* tdx_host/seamldr/ (v5-v7) */
	const char *fw_name;		/* FW_NAME, FW_NAME_LEGACY or NULL */
	int status_err;
	char upload_status[32];		/* idle, receiving, ... */
	int error_err;			/* -EBUSY while an upload runs */
	char last_error[128];		/* "" or "<progress>:<error>" */
	int loading_err;
	bool loading;			/* loading reads 1: an upload is open */
	bool update_available;
	char reason[256];		/* why not, when not available */
};

/*
 * Read everything once. Missing pieces are recorded in the *_err fields
 * and in reason; returns -ENODEV only when there is no tdx_host device.
 */
int tdx_sysfs_state_read(struct sysfs_client *c, struct tdx_sysfs_state *st);

/* "class/firmware/<fw_name>/<file>" into buf (PATH_MAX). */
void tdx_fw_path(const struct tdx_sysfs_state *st, const char *file, char *buf, size_t size);

/* Read the running module version alone: 0, -ENXIO (lost) or -errno. */
int tdx_read_module_version(struct sysfs_client *c, struct tdx_version *v);
/* num_remaining_updates from the final or the legacy path. */
int tdx_read_remaining(struct sysfs_client *c, uint32_t *n);

#endif /* TDXUP_STATUS_H */
