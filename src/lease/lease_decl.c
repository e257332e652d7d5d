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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lease/lease_internal.h"
#include "tdxup/fsafe.h"

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

/*
 * Names that never declare a VMM although lease_id_valid() takes them: a
 * README, and what package managers leave beside a file they replaced or
 * removed (a stale declaration would make `--hold-builds auto` hold for a
 * VMM that is gone, instead of refusing).
 */
static const char *const decl_leftovers[] = {
	".dpkg-old", ".dpkg-dist", ".dpkg-new", ".dpkg-tmp", ".dpkg-bak", ".ucf-old",
	".ucf-dist", ".ucf-new", ".rpmsave", ".rpmnew", ".rpmorig",
};

static int decl_counts(const struct dirent *d)
{
	const char *name = d->d_name;
	size_t l = strlen(name);

	if (!lease_id_valid(name) || !strncmp(name, "README", 6))
		return 0;
	for (size_t i = 0; i < sizeof(decl_leftovers) / sizeof(decl_leftovers[0]); i++) {
		size_t s = strlen(decl_leftovers[i]);

		if (l > s && !strcmp(name + l - s, decl_leftovers[i]))
			return 0;
	}
	return 1;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/*
 * A declaration counts only if only root could have made it (fsafe's
 * rules, as for trusted-keys.d): the directory and its parents root's and
 * not writable by group or others, each declaration a regular file, root's,
 * not writable by others, not a symlink. Anything else is refused, named:
 * a planted declaration would make `--hold-builds auto` hold for a VMM that
 * takes no leases, and so cross its builds. Every name is checked before
 * any reaches fn.
 */
static int decl_check(int dfd, const char *path, struct dirent **ents, int n,
		      struct lease_err *e)
{
	struct fsafe_err fe;
	int fd;

	for (int i = 0; i < n; i++) {
		fd = fsafe_open_trusted(dfd, path, ents[i]->d_name, &fe);
		if (fd < 0) {
			lease_seterr(e, "%s", fe.msg);
			return fd;
		}
		close(fd);
	}
	return n;
}

int lease_participating(const char *sysroot, void (*fn)(const char *name, void *ctx), void *ctx,
			struct lease_err *e)
{
	struct dirent **ents = NULL;
	char path[PATH_MAX];
	int dfd, n, ret;

	/* Checked by fsafe's rules as it is opened; missing: nothing declared. */
	dfd = open_decl_dir(sysroot, false, path, sizeof(path), e);
	if (dfd < 0)
		return dfd == -ENOENT ? 0 : dfd;
	n = scandirat(dfd, ".", &ents, decl_counts, by_name);
	if (n < 0) {
		ret = -errno;
		lease_seterr(e, "%s: %s", path, strerror(errno));
		close(dfd);
		return ret;
	}
	ret = decl_check(dfd, path, ents, n, e);
	for (int i = 0; i < n; i++) {
		if (ret > 0 && fn)
			fn(ents[i]->d_name, ctx);
		free(ents[i]);
	}
	free(ents);
	close(dfd);
	return ret;
}
