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

/*
 * loading is read before status: loading=0 turns status away from idle
 * before loading reads 0 (both under the loader's lock), so this order never
 * sees an upload that is being handed over as neither open nor running.
 */
static int device_busy(const char *dev, char *why, size_t len)
{
	char path[PATH_MAX + 16], val[32];
	int ret;

	if ((size_t)snprintf(path, sizeof(path), "%s/loading", dev) >= sizeof(path))
		return -ENAMETOOLONG;
	ret = read_attr(path, val, sizeof(val));
	if (ret) {
		snprintf(why, len, "%s: %s", path, strerror(-ret));
		return ret;
	}
	if (!strcmp(val, "1")) {
		snprintf(why, len, "%s reads 1: an upload is open", path);
		return 1;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/status", dev) >= sizeof(path))
		return -ENAMETOOLONG;
	ret = read_attr(path, val, sizeof(val));
	if (ret) {
		snprintf(why, len, "%s: %s", path, strerror(-ret));
		return ret;
	}
	if (strcmp(val, "idle")) {
		snprintf(why, len, "%s reads %s: the kernel is updating the module", path, val);
		return 1;
	}
	return 0;
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
