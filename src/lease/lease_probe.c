// SPDX-License-Identifier: MIT
/*
 * The builder's upload probe over a host's sysfs (docs/lease.md, "The upload
 * probe"): is a module upload open or running on the fw_upload device? The
 * attributes read are world-readable on Linux (loading 0644, status 0444),
 * so a VMM that is not root can ask.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lease/lease_internal.h"

/* Both names the series gave the device: tdx_module, and seamldr_upload (v1-v7). */
static const char *const upload_names[] = { "tdx_module", "seamldr_upload" };

/* One attribute, trailing whitespace stripped. -errno if unreadable. */
static int read_attr(const char *path, char *buf, size_t len)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	do
		n = read(fd, buf, len - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0)
		return -errno;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return 0;
}

int lease_upload_state(lease_attr_read read, void *ctx, const char **attr, char *val,
		       size_t len)
{
	int ret;

	*attr = "loading";
	ret = read(ctx, *attr, val, len);
	if (ret)
		return ret;
	if (strcmp(val, "0"))
		return LEASE_UPLOAD_OPEN;
	*attr = "status";
	ret = read(ctx, *attr, val, len);
	if (ret)
		return ret;
	return strcmp(val, "idle") ? LEASE_UPLOAD_RUNNING : LEASE_UPLOAD_IDLE;
}

/* dev: the device's directory. */
static int read_dev_attr(void *dev, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX + 16];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", (const char *)dev, attr) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	return read_attr(path, buf, len);
}

static int device_busy(const char *dev, char *why, size_t len)
{
	const char *attr;
	char val[32];
	int ret = lease_upload_state(read_dev_attr, (void *)dev, &attr, val, sizeof(val));

	if (ret < 0)
		snprintf(why, len, "%s/%s: %s", dev, attr, strerror(-ret));
	else if (ret == LEASE_UPLOAD_OPEN)
		snprintf(why, len, "%s/loading reads %s: an upload is open", dev, val);
	else if (ret == LEASE_UPLOAD_RUNNING)
		snprintf(why, len, "%s/status reads %s: the kernel is updating the module", dev,
			 val);
	return ret < 0 ? ret : ret != LEASE_UPLOAD_IDLE;
}

int lease_upload_busy_sysfs(void *sysfs, char *why, size_t len)
{
	const char *root = sysfs && *(const char *)sysfs ? sysfs : "/sys";
	char dev[PATH_MAX];
	struct stat st;
	int ret;

	for (size_t i = 0; i < sizeof(upload_names) / sizeof(upload_names[0]); i++) {
		if ((size_t)snprintf(dev, sizeof(dev), "%s/class/firmware/%s", root,
				     upload_names[i]) >= sizeof(dev))
			return -ENAMETOOLONG;
		if (stat(dev, &st) && errno == ENOENT)
			continue;		/* no such device: nothing to update there */
		ret = device_busy(dev, why, len);
		if (ret)
			return ret;
	}
	return 0;
}
