// SPDX-License-Identifier: MIT
/*
 * The host as its sysfs files show it. Only the documented files are read
 * (kernel.md 8-9), the final paths first and the v5-v7 legacy ones when the
 * final ones are missing, so that the same code serves a real host of any
 * posting and the emulator.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdxup/status.h"

#define VERSION_PATH		TDX_HOST_DIR "/version"
#define SEAMLDR_PATH		TDX_HOST_DIR "/seamldr_version"
#define REMAINING_PATH		TDX_HOST_DIR "/num_remaining_updates"
#define LEGACY_DIR		TDX_HOST_DIR "/seamldr"
#define SEAMLDR_LEGACY_PATH	LEGACY_DIR "/version"
#define REMAINING_LEGACY_PATH	LEGACY_DIR "/num_remaining_updates"

void tdx_fw_path(const struct tdx_sysfs_state *st, const char *file, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s/%s", FW_CLASS_DIR, st->fw_name ? st->fw_name : FW_NAME, file);
}

static int read_version(struct sysfs_client *c, const char *path, struct tdx_version *v)
{
	char buf[64];
	ssize_t n = sysfs_client_read_str(c, path, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return tdx_version_parse(buf, v) ? -EPROTO : 0;
}

int tdx_read_module_version(struct sysfs_client *c, struct tdx_version *v)
{
	return read_version(c, VERSION_PATH, v);
}

static int read_u32(struct sysfs_client *c, const char *path, uint32_t *out)
{
	char buf[64], *end;
	unsigned long v;
	ssize_t n = sysfs_client_read_str(c, path, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	errno = 0;
	v = strtoul(buf, &end, 10);
	if (!n || *end || errno || v > UINT32_MAX || buf[0] == '-')
		return -EPROTO;
	*out = (uint32_t)v;
	return 0;
}

/* The final path when it exists, else the legacy one. */
static const char *pick(struct sysfs_client *c, const char *path, const char *legacy)
{
	return sysfs_client_exists(c, path) && !sysfs_client_exists(c, legacy) ? legacy : path;
}

int tdx_read_remaining(struct sysfs_client *c, uint32_t *n)
{
	return read_u32(c, pick(c, REMAINING_PATH, REMAINING_LEGACY_PATH), n);
}

static void read_upload(struct sysfs_client *c, struct tdx_sysfs_state *st)
{
	char path[PATH_MAX], buf[8];
	ssize_t n;

	tdx_fw_path(st, "status", path, sizeof(path));
	n = sysfs_client_read_str(c, path, st->upload_status, sizeof(st->upload_status));
	st->status_err = n < 0 ? (int)n : 0;
	tdx_fw_path(st, "error", path, sizeof(path));
	n = sysfs_client_read_str(c, path, st->last_error, sizeof(st->last_error));
	/* -EBUSY unless idle (kernel.md 9). */
	st->error_err = n < 0 ? (int)n : 0;
	/* An open upload (a writer's, or one a killed updater left) blocks the next. */
	tdx_fw_path(st, "loading", path, sizeof(path));
	n = sysfs_client_read_str(c, path, buf, sizeof(buf));
	st->loading_err = n < 0 ? (int)n : 0;
	st->loading = n > 0 && !strcmp(buf, "1");
}

static void find_fw(struct sysfs_client *c, struct tdx_sysfs_state *st)
{
	static const char *const names[] = { FW_NAME, FW_NAME_LEGACY };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", FW_CLASS_DIR, names[i]);
		if (sysfs_client_is_dir(c, path)) {
			st->fw_name = names[i];
			return;
		}
	}
}

static const char *err_hint(int err)
{
	return err == -EACCES || err == -EPERM ? " (root only: run as root)" : "";
}

/* First reason, in the order an operator would fix them. */
static void decide(struct tdx_sysfs_state *st)
{
	size_t len = sizeof(st->reason);

	st->update_available = false;
	if (st->version_err == -ENXIO)
		snprintf(st->reason, len, "module lost: %s/version gives ENXIO; TDs are gone, "
			 "reboot required", TDX_HOST_DIR);
	else if (st->version_err)
		snprintf(st->reason, len, "cannot read the module version: %s",
			 strerror(-st->version_err));
	else if (!st->fw_name)
		snprintf(st->reason, len, "no fw_upload device /sys/%s/%s: this kernel, module "
			 "or CPU does not support runtime update", FW_CLASS_DIR, FW_NAME);
	else if (st->remaining_err)
		snprintf(st->reason, len, "cannot read num_remaining_updates: %s%s",
			 strerror(-st->remaining_err), err_hint(st->remaining_err));
	else if (!st->remaining)
		snprintf(st->reason, len, "no updates left: num_remaining_updates is 0 "
			 "(P-SEAMLDR's limit until the next reboot)");
	/* An update now would be refused: the device is someone's (upload.c). */
	else if (!st->status_err && strcmp(st->upload_status, "idle"))
		snprintf(st->reason, len, "an upload is in progress (status %.31s): "
			 "wait until it is idle", st->upload_status);
	else if (st->loading)
		snprintf(st->reason, len, "an upload is open (loading reads 1): another "
			 "writer's, or one a killed updater left; `tdxup update --cancel-stale` "
			 "cancels it if no one else is updating this host");
	else
		st->update_available = true;
	if (st->update_available)
		st->reason[0] = '\0';
}

int tdx_sysfs_state_read(struct sysfs_client *c, struct tdx_sysfs_state *st)
{
	memset(st, 0, sizeof(*st));
	st->device = sysfs_client_is_dir(c, TDX_HOST_DIR);
	if (!st->device) {
		st->version_err = st->seamldr_err = st->remaining_err = -ENODEV;
		st->status_err = st->error_err = st->loading_err = -ENODEV;
		snprintf(st->reason, sizeof(st->reason),
			 "no %s device: TDX is not enabled or the kernel lacks the tdx_host "
			 "driver", TDX_HOST_DIR);
		return -ENODEV;
	}
	st->version_err = read_version(c, VERSION_PATH, &st->module);
	st->seamldr_version_attr = !sysfs_client_exists(c, SEAMLDR_PATH);
	st->legacy_layout = sysfs_client_is_dir(c, LEGACY_DIR);
	st->seamldr_err = read_version(c, pick(c, SEAMLDR_PATH, SEAMLDR_LEGACY_PATH),
				       &st->seamldr);
	st->remaining_err = tdx_read_remaining(c, &st->remaining);
	find_fw(c, st);
	if (st->fw_name) {
		read_upload(c, st);
	} else {
		st->status_err = st->error_err = st->loading_err = -ENODEV;
	}
	decide(st);
	return 0;
}
