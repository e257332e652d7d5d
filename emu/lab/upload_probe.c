// SPDX-License-Identifier: MIT
/*
 * The upload probe over the emulated tree: loading, then status, of the
 * fw_upload device, as lease_upload_busy_sysfs reads them through a mount
 * (the same order, for the same reason: see src/lease/lease_probe.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "emu/sysfs.h"
#include "lab/upload_probe.h"

/* Both names of the device, as on a real host (legacy layout: seamldr_upload). */
static const char *const upload_names[] = { "tdx_module", "seamldr_upload" };

static int read_attr(struct sysfs_tree *t, const char *name, const char *attr, char *buf,
		     size_t len)
{
	char path[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/class/firmware/%s/%s", name, attr);
	n = sysfs_read_file(t, path, &sysfs_cred_root, buf, len);
	if (n < 0)
		return (int)n;
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return 0;
}

static int device_busy(struct sysfs_tree *t, const char *name, char *why, size_t len)
{
	char val[32];
	int ret;

	ret = read_attr(t, name, "loading", val, sizeof(val));
	if (ret == -ENOENT)
		return 0;		/* no such device: no update possible there */
	if (ret)
		return ret;
	if (!strcmp(val, "1")) {
		snprintf(why, len, "%s/loading reads 1: an upload is open", name);
		return 1;
	}
	ret = read_attr(t, name, "status", val, sizeof(val));
	if (ret)
		return ret;
	if (strcmp(val, "idle")) {
		snprintf(why, len, "%s/status reads %s: the kernel is updating the module", name,
			 val);
		return 1;
	}
	return 0;
}

int emu_upload_busy(void *host, char *why, size_t len)
{
	struct sysfs_tree *t = tdx_host_sysfs(host);
	int ret;

	for (size_t i = 0; i < sizeof(upload_names) / sizeof(upload_names[0]); i++) {
		ret = device_busy(t, upload_names[i], why, len);
		if (ret)
			return ret;
	}
	return 0;
}
