// SPDX-License-Identifier: MIT
/* The host-wide update lock (include/tdxup/host_lock.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "tdxup/fsafe.h"
#include "tdxup/host_lock.h"
#include "tdxup/status.h"

static void say(char *msg, size_t len, const char *fmt, const char *s)
{
	if (msg && len)
		snprintf(msg, len, fmt, s);
}

/* The fw_upload device directory (final name first), else the root itself. */
static int find_device(const char *root, char *dev, size_t size, struct stat *st, bool *is_dev)
{
	static const char *const names[] = { FW_NAME, FW_NAME_LEGACY };
	int n;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		n = snprintf(dev, size, "%s/%s/%s", root, FW_CLASS_DIR, names[i]);
		if (n < 0 || (size_t)n >= size)
			return -ENAMETOOLONG;
		if (!stat(dev, st) && S_ISDIR(st->st_mode)) {
			*is_dev = true;
			return 0;
		}
	}
	*is_dev = false;
	if ((size_t)snprintf(dev, size, "%s", root) >= size)
		return -ENAMETOOLONG;
	if (stat(root, st))
		return -errno;
	return S_ISDIR(st->st_mode) ? 0 : -ENOTDIR;
}

int host_lock_path(const char *sysfs_root, const char *dir, char *out, size_t size,
		   char *device, size_t device_len)
{
	char devbuf[PATH_MAX], *dev = device ? device : devbuf;
	size_t dlen = device ? device_len : sizeof(devbuf);
	const char *kind;
	struct statfs fs;
	struct stat st;
	bool is_dev;
	int n, ret;

	if (!dir)
		dir = HOST_LOCK_DIR;
	ret = find_device(sysfs_root, dev, dlen, &st, &is_dev);
	if (ret)
		return ret;
	kind = is_dev ? "fwdev" : "sysfs";
	if (statfs(dev, &fs))
		return -errno;
	/* One kernfs tree per kernel: every sysfs mount shows the same inode. */
	if ((unsigned long)fs.f_type == SYSFS_MAGIC)
		n = snprintf(out, size, "%s/%s-sysfs-%llu.lock", dir, kind,
			     (unsigned long long)st.st_ino);
	else
		n = snprintf(out, size, "%s/%s-%u:%u-%llu.lock", dir, kind, major(st.st_dev),
			     minor(st.st_dev), (unsigned long long)st.st_ino);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* "DIR/NAME" into dir and name; the name is one component. */
static int split(const char *path, char *dir, size_t size, const char **name)
{
	const char *slash = strrchr(path, '/');

	if (!slash || slash == path || !slash[1] || (size_t)(slash - path) >= size)
		return -EINVAL;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	*name = slash + 1;
	return 0;
}

static int open_lock_file(const char *path, char *msg, size_t len)
{
	struct fsafe_err e = { "" };
	char dir[PATH_MAX];
	const char *name;
	int dfd, fd;

	if (split(path, dir, sizeof(dir), &name)) {
		say(msg, len, "%s: not a lock file path", path);
		return -EINVAL;
	}
	fd = fsafe_ensure_dir(dir, HOST_LOCK_DIR_MODE, (gid_t)-1, &e);
	if (fd)
		goto out;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		fd = -errno;
		say(e.msg, sizeof(e.msg), "%.400s: cannot open", dir);
		goto out;
	}
	/* 0600: flock(2) needs only a descriptor, so nobody else may open it. */
	fd = fsafe_open_lock(dfd, dir, name, HOST_LOCK_FILE_MODE, (gid_t)-1, &e);
	close(dfd);
out:
	if (fd < 0)
		say(msg, len, "%s", e.msg[0] ? e.msg : strerror(-fd));
	return fd;
}

/*
 * The holder writes its line just after taking the lock: give it a moment.
 * Until then the file may still hold the line of a holder killed before it
 * could clear it (a dead pid): that one is not taken for the holder.
 */
#define HOLDER_TRIES	50
#define HOLDER_WAIT_NS	4000000

static bool line_is_live(const char *line, size_t n)
{
	long pid;

	if (!memchr(line, '\n', n) || sscanf(line, "pid %ld ", &pid) != 1 || pid <= 0)
		return false;
	return !kill((pid_t)pid, 0) || errno == EPERM;
}

static void read_holder(int fd, char *holder, size_t len)
{
	struct timespec ts = { 0, HOLDER_WAIT_NS };
	ssize_t n = 0;
	int i;

	for (i = 0; i < HOLDER_TRIES; i++) {
		n = pread(fd, holder, len - 1, 0);
		if (n > 0) {
			holder[n] = '\0';
			if (line_is_live(holder, (size_t)n))
				break;
		}
		nanosleep(&ts, NULL);
	}
	if (n <= 0 || i == HOLDER_TRIES) {
		snprintf(holder, len, "another process (no details recorded yet)");
		return;
	}
	holder[n] = '\0';
	holder[strcspn(holder, "\n")] = '\0';
	for (char *p = holder; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
}

static void write_holder(int fd, const char *what)
{
	char line[HOST_LOCK_HOLDER_LEN], when[32];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	n = snprintf(line, sizeof(line), "pid %ld (%s) since %s\n", (long)getpid(),
		     what ? what : "tdxup", when);
	if (n < 0)
		return;
	/* Advisory text only: the lock is the flock, not these bytes. */
	if (ftruncate(fd, 0) == 0 && pwrite(fd, line, strlen(line), 0) < 0)
		return;
}

int host_lock_take(const char *path, const char *what, int *fd, char *msg, size_t len)
{
	int f = open_lock_file(path, msg, len);

	if (f < 0)
		return f;
	if (flock(f, LOCK_EX | LOCK_NB)) {
		int err = errno == EWOULDBLOCK ? -EBUSY : -errno;

		if (err == -EBUSY && msg && len)
			read_holder(f, msg, len);
		else
			say(msg, len, "flock: %s", strerror(-err));
		close(f);
		return err;
	}
	write_holder(f, what);
	*fd = f;
	return 0;
}

void host_lock_drop(int fd)
{
	if (fd < 0)
		return;
	/* No record outlives its holder: the next one starts from an empty file. */
	if (ftruncate(fd, 0)) {
		/* Advisory text only: a record left is read as stale (dead pid). */
	}
	close(fd);
}

/*
 * What host_lock_take would find, read only: the directory and the file
 * by the same rules (fsafe_ensure_dir, fsafe_open_lock), nothing created.
 * The descriptor of the lock file, or -errno (-ENOENT: none yet).
 */
static int probe_open(const char *path, char *msg, size_t len)
{
	struct fsafe_err e = { "" };
	char dir[PATH_MAX];
	const char *name;
	struct stat st;
	int dfd, fd, ret;

	if (split(path, dir, sizeof(dir), &name)) {
		say(msg, len, "%s: not a lock file path", path);
		return -EINVAL;
	}
	if (lstat(dir, &st))
		return -errno;
	ret = fsafe_check_dir(dir, 0, &e);
	if (!ret && (st.st_mode & 07777 & ~HOST_LOCK_DIR_MODE))
		ret = -EPERM, say(e.msg, sizeof(e.msg), "%.400s: grants more than mode 0700, refused",
				  dir);
	if (ret) {
		say(msg, len, "%s", e.msg);
		return ret;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	/* O_RDONLY, never O_CREAT: probing leaves no file behind. */
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	ret = fd < 0 ? -errno : 0;
	close(dfd);
	if (ret == -ELOOP)
		say(msg, len, "%s: is a symlink, refused", path);
	if (ret)
		return ret;
	if (fstat(fd, &st))
		ret = -errno;
	else if (!S_ISREG(st.st_mode))
		ret = -EINVAL, say(msg, len, "%s: not a regular file, refused", path);
	else if (!fsafe_uid_ok(st.st_uid))
		ret = -EPERM, say(msg, len, "%s: not owned by root, refused", path);
	else if (st.st_mode & 07777 & ~HOST_LOCK_FILE_MODE)
		ret = -EPERM, say(msg, len, "%s: grants more than mode 0600, refused", path);
	if (ret)
		close(fd);
	return ret ? ret : fd;
}

int host_lock_probe(const char *path, char *msg, size_t len)
{
	int fd, held;

	fd = probe_open(path, msg, len);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	held = fsafe_flock_held(fd, -1);
	if (held > 0 && msg && len)
		read_holder(fd, msg, len);
	close(fd);
	return held < 0 ? held : held ? -EBUSY : 0;
}
