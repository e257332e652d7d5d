// SPDX-License-Identifier: MIT
/* Files only root could have written (include/tdxup/fsafe.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "tdxup/fsafe.h"

#define OPEN_SAFE	(O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)

static int fail(struct fsafe_err *err, int ret, const char *path, const char *fmt, ...)
{
	char why[384];
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
		snprintf(err->msg, sizeof(err->msg), "%s: %s", path, why);
	}
	return ret;
}

bool fsafe_uid_ok(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

static const char *owner_words(uid_t uid)
{
	static _Thread_local char buf[48];

	snprintf(buf, sizeof(buf), "owned by uid %u, not by root", (unsigned int)uid);
	return buf;
}

/* The rule for one directory above the checked one. */
static int check_ancestor(const char *path, struct fsafe_err *err)
{
	struct stat st;

	if (stat(path, &st))
		return fail(err, -errno, path, "cannot stat: %s", strerror(errno));
	if (st.st_uid == 0 && (st.st_mode & S_ISVTX))
		return 0;
	if (!fsafe_uid_ok(st.st_uid))
		return fail(err, -EPERM, path, "%s: a directory above a trusted path must be "
			    "root's", owner_words(st.st_uid));
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return fail(err, -EPERM, path, "writable by %s (mode %04o): someone else could "
			    "replace what is below it", st.st_mode & S_IWOTH ? "others" : "its group",
			    st.st_mode & 07777);
	return 0;
}

static int check_ancestors(const char *path, struct fsafe_err *err)
{
	char buf[PATH_MAX], real[PATH_MAX];
	char *slash;
	int ret;

	if (strlen(path) >= sizeof(buf))
		return fail(err, -ENAMETOOLONG, path, "path too long");
	strcpy(buf, path);
	slash = strrchr(buf, '/');
	if (!slash)
		strcpy(buf, ".");
	else if (slash == buf)
		buf[1] = '\0';
	else
		*slash = '\0';
	if (!realpath(buf, real))
		return fail(err, -errno, buf, "cannot resolve: %s", strerror(errno));
	for (;;) {
		ret = check_ancestor(real, err);
		if (ret || !strcmp(real, "/"))
			return ret;
		slash = strrchr(real, '/');
		if (slash == real)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
}

static int check_dir_stat(const char *path, const struct stat *st, unsigned int flags,
			  struct fsafe_err *err)
{
	mode_t bad = S_IWOTH | S_IWGRP;

	if (!S_ISDIR(st->st_mode))
		return fail(err, -ENOTDIR, path, "not a directory, refused");
	if (!fsafe_uid_ok(st->st_uid))
		return fail(err, -EPERM, path, "%s, refused", owner_words(st->st_uid));
	if ((flags & FSAFE_GROUP_STICKY) && (st->st_mode & S_ISVTX))
		bad = S_IWOTH;
	if (st->st_mode & bad)
		return fail(err, -EPERM, path, "writable by %s (mode %04o), refused",
			    st->st_mode & S_IWOTH ? "others" : "its group", st->st_mode & 07777);
	return 0;
}

int fsafe_check_dir(const char *path, unsigned int flags, struct fsafe_err *err)
{
	struct stat st;
	int ret;

	if (lstat(path, &st))
		return fail(err, -errno, path, "%s", strerror(errno));
	if (S_ISLNK(st.st_mode))
		return fail(err, -ELOOP, path, "is a symlink, refused");
	ret = check_dir_stat(path, &st, flags, err);
	return ret ? ret : check_ancestors(path, err);
}

static int check_file_stat(const char *desc, const char *name, const struct stat *st,
			   unsigned int allowed, struct fsafe_err *err)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", desc, name);
	if (!S_ISREG(st->st_mode))
		return fail(err, -EINVAL, path, "not a regular file, refused");
	if (!fsafe_uid_ok(st->st_uid))
		return fail(err, -EPERM, path, "%s, refused", owner_words(st->st_uid));
	if (st->st_mode & 07777 & ~allowed)
		return fail(err, -EPERM, path, "mode %04o grants more than %04o, refused",
			    st->st_mode & 07777, allowed);
	return 0;
}

static int open_checked(int dirfd, const char *desc, const char *name, int flags,
			unsigned int allowed, struct fsafe_err *err)
{
	struct stat st;
	int fd, ret;

	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", desc, name);
	fd = openat(dirfd, name, flags | OPEN_SAFE);
	if (fd < 0) {
		ret = -errno;
		if (ret == -ELOOP)
			return fail(err, ret, path, "is a symlink, refused");
		return fail(err, ret, path, "%s", strerror(-ret));
	}
	if (fstat(fd, &st)) {
		ret = fail(err, -errno, path, "cannot stat: %s", strerror(errno));
		goto out;
	}
	ret = check_file_stat(desc, name, &st, allowed, err);
	if (!ret)
		return fd;
out:
	close(fd);
	return ret;
}

int fsafe_open_trusted(int dirfd, const char *desc, const char *name, struct fsafe_err *err)
{
	/* Any read bits, no write bits for group or others, no set-id games. */
	return open_checked(dirfd, desc, name, O_RDONLY, 0755 & ~(S_IWGRP | S_IWOTH), err);
}

/* Give a file or directory we just created its exact group and mode. */
static int set_owner_mode(int fd, const char *path, unsigned int mode, gid_t gid,
			  struct fsafe_err *err)
{
	if (gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid))
		return fail(err, -errno, path, "cannot set group %u: %s", (unsigned int)gid,
			    strerror(errno));
	if (fchmod(fd, mode))
		return fail(err, -errno, path, "cannot set mode %04o: %s", mode, strerror(errno));
	return 0;
}

static int make_parent(const char *path, struct fsafe_err *err)
{
	char parent[PATH_MAX];
	char *slash;

	if (strlen(path) >= sizeof(parent))
		return fail(err, -ENAMETOOLONG, path, "path too long");
	strcpy(parent, path);
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return 0;
	*slash = '\0';
	if (!access(parent, F_OK))
		return 0;
	return fsafe_ensure_dir(parent, 0755, (gid_t)-1, err);
}

static int open_dir(const char *path, struct fsafe_err *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	/* O_DIRECTORY on a symlink says ENOTDIR, O_NOFOLLOW alone ELOOP. */
	if (errno == ELOOP || (errno == ENOTDIR && !lstat(path, &st) && S_ISLNK(st.st_mode)))
		return fail(err, -ELOOP, path, "is a symlink, refused");
	if (errno == ENOTDIR)
		return fail(err, -ENOTDIR, path, "not a directory, refused");
	return fail(err, -errno, path, "%s", strerror(errno));
}

int fsafe_ensure_dir(const char *path, unsigned int mode, gid_t gid, struct fsafe_err *err)
{
	bool made = false;
	struct stat st;
	int fd, ret;

	ret = make_parent(path, err);
	if (ret)
		return ret;
	/* 0700 first: nobody else can enter before the final mode is set. */
	if (!mkdir(path, 0700))
		made = true;
	else if (errno != EEXIST)
		return fail(err, -errno, path, "cannot create: %s", strerror(errno));
	fd = open_dir(path, err);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st)) {
		ret = fail(err, -errno, path, "cannot stat: %s", strerror(errno));
		goto out;
	}
	if (!fsafe_uid_ok(st.st_uid)) {
		ret = fail(err, -EPERM, path, "%s, refused", owner_words(st.st_uid));
		goto out;
	}
	if (!made && (st.st_mode & 07777 & ~mode)) {
		ret = fail(err, -EPERM, path, "mode %04o grants more than %04o, refused",
			   st.st_mode & 07777, mode);
		goto out;
	}
	/*
	 * Ours (root's or the caller's): setting the group we were asked for
	 * is safe; an existing directory keeps its (narrower) mode.
	 */
	ret = set_owner_mode(fd, path, made ? mode : st.st_mode & 07777, gid, err);
	if (!ret)
		ret = check_ancestors(path, err);
out:
	close(fd);
	return ret;
}

int fsafe_open_lock(int dirfd, const char *desc, const char *name, unsigned int mode, gid_t gid,
		    struct fsafe_err *err)
{
	char path[PATH_MAX];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s", desc, name);
	for (int tries = 0; tries < 8; tries++) {
		fd = openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL | OPEN_SAFE, 0600);
		if (fd >= 0) {
			ret = set_owner_mode(fd, path, mode, gid, err);
			if (ret) {
				close(fd);
				return ret;
			}
			return fd;
		}
		if (errno != EEXIST)
			return fail(err, -errno, path, "cannot create: %s", strerror(errno));
		fd = open_checked(dirfd, desc, name, O_RDWR, mode, err);
		/* Removed between the two opens: create it after all. */
		if (fd != -ENOENT)
			return fd;
	}
	return fail(err, -EAGAIN, path, "keeps appearing and disappearing, refused");
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int split_dir(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');
	size_t dlen = slash ? (size_t)(slash - path) : 0;

	if (!*(slash ? slash + 1 : path) || dlen >= size)
		return -EINVAL;
	if (!slash)
		strcpy(dir, ".");
	else if (!dlen)
		strcpy(dir, "/");
	else
		memcpy(dir, path, dlen), dir[dlen] = '\0';
	return 0;
}

/* The directory's entry must reach the disk too, or a crash may lose the rename. */
static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) && errno != EINVAL)
		ret = -errno;
	close(fd);
	return ret;
}

int fsafe_check_output(const char *path, struct fsafe_err *err)
{
	struct stat st;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : fail(err, -errno, path, "%s", strerror(errno));
	if (S_ISLNK(st.st_mode))
		return fail(err, -ELOOP, path, "is a symlink, refused (not followed, not replaced)");
	if (!S_ISREG(st.st_mode))
		return fail(err, -EINVAL, path, "not a regular file, refused");
	return 0;
}

int fsafe_write_output(const char *path, const void *buf, size_t len, unsigned int mode,
		       struct fsafe_err *err)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	const char *base;
	int fd, ret;

	if (split_dir(path, dir, sizeof(dir)))
		return fail(err, -EINVAL, path, "not a file name");
	ret = fsafe_check_output(path, err);
	if (ret)
		return ret;
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	/* A dot name: no collector globbing "*.prom" picks up a half file. */
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, base) >= sizeof(tmp))
		return fail(err, -ENAMETOOLONG, path, "path too long");
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return fail(err, -errno, path, "cannot create a temporary file beside it: %s",
			    strerror(errno));
	ret = write_all(fd, buf, len);
	if (!ret && fchmod(fd, mode))
		ret = -errno;
	if (!ret && fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	/* rename(2) replaces a name, never follows it: a link swapped in meanwhile goes, its target stays. */
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return fail(err, ret, path, "cannot write: %s", strerror(-ret));
	}
	ret = sync_dir(dir);
	return ret ? fail(err, ret, dir, "cannot sync: %s", strerror(-ret)) : 0;
}

int fsafe_open_log(const char *path, unsigned int mode, struct fsafe_err *err)
{
	struct stat st;
	int fd, ret;

	/* lstat first: a FIFO without a reader gives ENXIO, not "not a regular file". */
	ret = fsafe_check_output(path, err);
	if (ret)
		return ret;
	fd = open(path, O_WRONLY | O_CREAT | OPEN_SAFE, mode);
	if (fd < 0) {
		if (errno == ELOOP)
			return fail(err, -ELOOP, path, "is a symlink, refused (not followed, "
				    "not replaced)");
		return fail(err, -errno, path, "%s", strerror(errno));
	}
	/* Swapped for something else since the lstat: still refused, untouched. */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, -EINVAL, path, "not a regular file, refused");
	}
	if (ftruncate(fd, 0) || fcntl(fd, F_SETFL, 0)) {
		ret = fail(err, -errno, path, "%s", strerror(errno));
		close(fd);
		return ret;
	}
	return fd;
}

/* One /proc/locks line: "1: FLOCK  ADVISORY  WRITE 123 fe:00:4567 0 EOF". */
static bool flock_line_is(const char *line, const struct stat *st, long pid)
{
	unsigned int maj, min;
	unsigned long ino;
	char type[16];
	long p;

	/* Waiters ("1: -> FLOCK ...") hold nothing. */
	if (sscanf(line, "%*d: %15s %*s %*s %ld %x:%x:%lu", type, &p, &maj, &min, &ino) != 5)
		return false;
	return !strcmp(type, "FLOCK") && (pid < 0 || p == pid) && maj == major(st->st_dev) &&
	       min == minor(st->st_dev) && ino == (unsigned long)st->st_ino;
}

int fsafe_flock_held(int fd, long pid)
{
	bool held = false;
	char line[256];
	struct stat st;
	FILE *f;

	if (fstat(fd, &st))
		return -errno;
	f = fopen("/proc/locks", "re");
	if (!f)
		return -errno;
	while (!held && fgets(line, sizeof(line), f))
		held = flock_line_is(line, &st, pid);
	fclose(f);
	return held;
}
