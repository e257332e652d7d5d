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
#include "tdxup/lease.h"

/* Both names of the device, as on a real host (legacy layout: seamldr_upload). */
static const char *const upload_names[] = { "tdx_module", "seamldr_upload" };

struct dev_attr {
	struct sysfs_tree *t;
	const char *name;
};

static int read_attr(void *ctx, const char *attr, char *buf, size_t len)
{
	const struct dev_attr *d = ctx;
	char path[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/class/firmware/%s/%s", d->name, attr);
	n = sysfs_read_file(d->t, path, &sysfs_cred_root, buf, len);
	if (n < 0)
		return (int)n;
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return 0;
}

static int device_busy(struct sysfs_tree *t, const char *name, char *why, size_t len)
{
	struct dev_attr d = { t, name };
	const char *attr;
	char val[32];
	int ret = lease_upload_state(read_attr, &d, &attr, val, sizeof(val));

	if (ret == -ENOENT && !strcmp(attr, "loading"))
		return 0;		/* no such device: no update possible there */
	if (ret < 0)
		return ret;
	if (ret == LEASE_UPLOAD_OPEN)
		snprintf(why, len, "%s/loading reads %s: an upload is open", name, val);
	else if (ret == LEASE_UPLOAD_RUNNING)
		snprintf(why, len, "%s/status reads %s: the kernel is updating the module", name,
			 val);
	return ret != LEASE_UPLOAD_IDLE;
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
