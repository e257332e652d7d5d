// SPDX-License-Identifier: MIT
/* The host-wide update lock (include/tdxup/host_lock.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "tdxup/host_lock.h"

int host_lock_path(const char *sysfs_root, const char *dir, char *out, size_t size)
{
	char real[PATH_MAX], key[PATH_MAX];
	size_t k = 0;
	int n;

	if (!dir)
		dir = getenv("TDXUP_LOCK_DIR");
	if (!dir || !*dir)
		dir = HOST_LOCK_DIR;
	if (!realpath(sysfs_root, real))
		return -errno;
	/* "/" -> "root", "/sys" -> "sys", "/tmp/h/sys" -> "tmp-h-sys". */
	for (const char *p = real + 1; *p && k < sizeof(key) - 1; p++)
		key[k++] = *p == '/' ? '-' : *p;
	key[k] = '\0';
	n = snprintf(out, size, "%s/%s.lock", dir, k ? key : "root");
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int make_dir(const char *path)
{
	char parent[PATH_MAX];
	char *slash;

	if (!mkdir(path, 0755) || errno == EEXIST)
		return 0;
	if (errno != ENOENT || strlen(path) >= sizeof(parent))
		return -errno;
	strcpy(parent, path);
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return -ENOENT;
	*slash = '\0';
	if (make_dir(parent))
		return -errno;
	return mkdir(path, 0755) && errno != EEXIST ? -errno : 0;
}

static int open_lock_file(const char *path)
{
	char dir[PATH_MAX];
	struct stat st;
	char *slash;
	int fd, ret;

	if (strlen(path) >= sizeof(dir))
		return -ENAMETOOLONG;
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		ret = make_dir(dir);
		if (ret)
			return ret;
	}
	/* O_NOFOLLOW: a planted link must not make root truncate another file. */
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

/* The holder writes its line just after taking the lock: give it a moment. */
#define HOLDER_TRIES	50
#define HOLDER_WAIT_NS	4000000

static void read_holder(int fd, char *holder, size_t len)
{
	struct timespec ts = { 0, HOLDER_WAIT_NS };
	ssize_t n = 0;

	for (int i = 0; i < HOLDER_TRIES; i++) {
		n = pread(fd, holder, len - 1, 0);
		if (n > 0 && memchr(holder, '\n', (size_t)n))
			break;
		nanosleep(&ts, NULL);
	}
	if (n <= 0) {
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

int host_lock_take(const char *path, const char *what, int *fd, char *holder, size_t len)
{
	int f = open_lock_file(path);

	if (f < 0)
		return f;
	if (flock(f, LOCK_EX | LOCK_NB)) {
		int err = errno == EWOULDBLOCK ? -EBUSY : -errno;

		if (err == -EBUSY && holder && len)
			read_holder(f, holder, len);
		close(f);
		return err;
	}
	write_holder(f, what);
	*fd = f;
	return 0;
}

void host_lock_drop(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* One /proc/locks line: "1: FLOCK  ADVISORY  WRITE 123 fe:00:4567 0 EOF". */
static bool flock_line_is(const char *line, const struct stat *st)
{
	unsigned int maj, min;
	unsigned long ino;
	char type[16];

	/* Waiters ("1: -> FLOCK ...") hold nothing. */
	if (sscanf(line, "%*d: %15s %*s %*s %*d %x:%x:%lu", type, &maj, &min, &ino) != 4)
		return false;
	return !strcmp(type, "FLOCK") && maj == major(st->st_dev) && min == minor(st->st_dev) &&
	       ino == (unsigned long)st->st_ino;
}

int host_lock_probe(const char *path, char *holder, size_t len)
{
	bool held = false;
	char line[256];
	struct stat st;
	FILE *f;
	int fd;

	/* O_RDONLY, never O_CREAT: probing leaves no file behind. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	f = fopen("/proc/locks", "re");
	if (!f) {
		int err = -errno;

		close(fd);
		return err;
	}
	while (!held && fgets(line, sizeof(line), f))
		held = flock_line_is(line, &st);
	fclose(f);
	if (held && holder && len)
		read_holder(fd, holder, len);
	close(fd);
	return held ? -EBUSY : 0;
}
