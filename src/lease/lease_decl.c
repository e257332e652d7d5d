// SPDX-License-Identifier: MIT
/*
 * Participation declarations: SYSROOT/etc/tdxup/lease.d/NAME says that VMM
 * NAME takes build leases, so that `--hold-builds auto` can tell whether a
 * hold protects anything. A VMM that does not declare itself is not
 * protected by the lease (docs/lease.md, "What it does not protect").
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lease/lease_internal.h"

static int decl_dir(const char *sysroot, char *buf, size_t len)
{
	size_t n = strlen(sysroot);
	int ret;

	while (n > 1 && sysroot[n - 1] == '/')
		n--;
	if (n == 1 && sysroot[0] == '/')
		n = 0;
	ret = snprintf(buf, len, "%.*s/%s", (int)n, sysroot, LEASE_DECL_DIR_REL);
	return ret < 0 || (size_t)ret >= len ? -ENAMETOOLONG : 0;
}

static int open_decl_dir(const char *sysroot, bool create, char *path, size_t len,
			 struct lease_err *e)
{
	int ret = decl_dir(sysroot, path, len);

	if (ret) {
		lease_seterr(e, "%s: path too long", sysroot);
		return ret;
	}
	/* Configuration, not runtime state: root's, readable by all. */
	return lease_open_dir_mode(path, create, 0755, (gid_t)-1, 0, e);
}

static int check_name(const char *name, struct lease_err *e)
{
	if (lease_id_valid(name))
		return 0;
	lease_seterr(e, "'%s': not a VMM name ([A-Za-z0-9._-], no leading '.')", name);
	return -EINVAL;
}

/* Written under a temporary name and renamed: a reader never sees half a file. */
int lease_participate(const char *sysroot, const char *name, struct lease_err *e)
{
	char path[PATH_MAX], tmp[LEASE_ID_MAX + 32], buf[LEASE_ID_MAX + 96];
	int dfd, fd, n, ret;

	ret = check_name(name, e);
	if (ret)
		return ret;
	dfd = open_decl_dir(sysroot, true, path, sizeof(path), e);
	if (dfd < 0)
		return dfd;
	snprintf(tmp, sizeof(tmp), ".tmp-%s-%ld", name, (long)getpid());
	unlinkat(dfd, tmp, 0);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | LEASE_OFLAGS, 0644);
	if (fd < 0) {
		ret = -errno;
		lease_seterr(e, "%s/%s: %s", path, tmp, strerror(errno));
		goto out;
	}
	n = snprintf(buf, sizeof(buf), "# %s takes tdxup build leases (docs/lease.md)\n", name);
	ret = lease_write_all(fd, buf, (size_t)n);
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && renameat(dfd, tmp, dfd, name))
		ret = -errno;
	if (ret) {
		lease_seterr(e, "%s/%s: %s", path, name, strerror(-ret));
		unlinkat(dfd, tmp, 0);
	}
out:
	close(dfd);
	return ret;
}

int lease_withdraw(const char *sysroot, const char *name, struct lease_err *e)
{
	char path[PATH_MAX];
	int dfd, ret;

	ret = check_name(name, e);
	if (ret)
		return ret;
	dfd = open_decl_dir(sysroot, false, path, sizeof(path), e);
	if (dfd < 0)
		return dfd == -ENOENT ? 0 : dfd;
	ret = unlinkat(dfd, name, 0) && errno != ENOENT ? -errno : 0;
	if (ret)
		lease_seterr(e, "%s/%s: %s", path, name, strerror(-ret));
	close(dfd);
	return ret;
}

int lease_participating(const char *sysroot, void (*fn)(const char *name, void *ctx), void *ctx,
			struct lease_err *e)
{
	char path[PATH_MAX];
	struct dirent *d;
	struct stat st;
	int dfd, nr = 0;
	DIR *dir;

	dfd = open_decl_dir(sysroot, false, path, sizeof(path), e);
	if (dfd < 0)
		return dfd == -ENOENT ? 0 : dfd;
	dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return -ENOMEM;
	}
	while ((d = readdir(dir))) {
		/* Only regular files with a valid name declare anything. */
		if (!lease_id_valid(d->d_name) ||
		    fstatat(dfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		nr++;
		if (fn)
			fn(d->d_name, ctx);
	}
	closedir(dir);
	return nr;
}
